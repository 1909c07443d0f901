//! Access tokens of an OAuth 2.0 service app, from the org authorization
//! server's token endpoint (`{org}/oauth2/v1/token`).
//!
//! - The request is `grant_type=client_credentials` with the configured
//!   `scope` and a `private_key_jwt` client assertion: a JWT signed with
//!   the app's key (header `kid`), `iss` = `sub` = the client id, `aud` =
//!   the token endpoint's URL, `iat`, `exp` five minutes later and a fresh
//!   random `jti` per request (Okta refuses a replayed one, so a retried
//!   request gets a new assertion).
//! - A token is fetched when first needed and kept until a minute before it
//!   expires (80 % of a short lifetime). One fetch runs at a time; callers
//!   arriving meanwhile wait for it and share its token.
//! - A token Okta refused (401) is replaced unless another call already
//!   replaced it ([`TokenSource::token`]'s `stale`).
//! - Transport errors and 5xx are retried like reads (`retries`,
//!   `backoff_ms`); a 429 is waited out within `max_wait_ms`. An OAuth
//!   error (`invalid_client`, `invalid_scope`, …) is not retried: it is
//!   remembered for [`REFUSAL_HOLD`], during which calls fail at once
//!   without asking Okta again (a misconfigured app must not spend the
//!   org's token rate limit on every call).
//! - Fewer scopes granted than asked for is logged once per token.
//! - With `dpop`, token requests and API calls carry DPoP proofs
//!   ([`dpop`]); a `use_dpop_nonce` answer is followed by the same request
//!   with the nonce Okta sent (twice at most), and the token must come back
//!   as `token_type: DPoP` (sent as `Authorization: DPoP <token>`).

mod dpop;
mod key;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::Header;
use reqwest::header::ACCEPT;
use reqwest::{Method, StatusCode, Url};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::BACKEND;
use crate::client::{Client, RESET_MARGIN};
use crate::error::OktaError;
use crate::settings::ServiceApp;
use crate::wire::ErrorBody;
pub(crate) use key::SettingError;
use key::SigningKey;

/// How long a refused token request is remembered.
pub(crate) const REFUSAL_HOLD: Duration = Duration::from_secs(5);

/// How long a client assertion is valid (Okta allows at most an hour).
const ASSERTION_LIFETIME_SECS: u64 = 300;

/// The lifetime assumed when Okta does not say (its documented one).
const DEFAULT_LIFETIME_SECS: u64 = 3600;

/// `client_assertion_type` of a JWT client assertion (RFC 7523).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How many 429s one token fetch sits out before giving up.
const MAX_RATE_LIMITED: u32 = 5;

/// How many `use_dpop_nonce` answers one token fetch follows.
const MAX_NONCE_RETRIES: u32 = 2;

/// An access token to send.
#[derive(Clone)]
pub(crate) struct AccessToken {
    /// The token.
    pub value: String,
    /// Whether it is DPoP-bound (`Authorization: DPoP`, with a proof).
    pub dpop: bool,
}

/// An access token and when to stop using it.
struct Token {
    access: AccessToken,
    refresh_at: Instant,
}

/// A refused token request, remembered until `until`.
#[derive(Clone)]
struct Refusal {
    until: Instant,
    status: u16,
    error: String,
    description: String,
}

#[derive(Default)]
struct State {
    token: Option<Token>,
    refusal: Option<Refusal>,
}

/// The claims of a client assertion.
#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

/// A token answer.
#[derive(Deserialize)]
struct TokenBody {
    token_type: String,
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

/// An OAuth error answer.
#[derive(Deserialize, Default)]
struct OAuthErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// The service app's tokens, fetched and cached.
pub(crate) struct TokenSource {
    token_url: Url,
    client_id: String,
    key_id: String,
    scopes: Vec<String>,
    key: SigningKey,
    dpop: Option<dpop::Dpop>,
    state: Mutex<State>,
}

impl TokenSource {
    /// A source for `app` on the org at `base`; the error names the setting
    /// at fault.
    pub(crate) fn new(base: &Url, app: &ServiceApp) -> Result<Self, SettingError> {
        let visible = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic());
        if !visible(&app.client_id) {
            return Err((
                "auth.client_id",
                "must be the service app's client id".into(),
            ));
        }
        if !visible(&app.key_id) {
            return Err((
                "auth.key_id",
                "must be the id (`kid`) of the key registered on the app".into(),
            ));
        }
        if app.scopes.is_empty()
            || !app
                .scopes
                .iter()
                .all(|s| visible(s) && s.starts_with("okta."))
        {
            return Err((
                "auth.scopes",
                "must list the Okta API scopes to ask for, e.g. [\"okta.users.read\", \"okta.groups.read\"]"
                    .into(),
            ));
        }
        let key = key::load(app)?;
        let dpop = match app.dpop {
            false => None,
            true => Some(dpop::Dpop::generate().ok_or((
                "auth.dpop",
                "no DPoP key could be made on this host".to_string(),
            ))?),
        };
        let mut token_url = base.clone();
        if let Ok(mut path) = token_url.path_segments_mut() {
            path.pop_if_empty().extend(["oauth2", "v1", "token"]);
        }
        Ok(Self {
            token_url,
            client_id: app.client_id.clone(),
            key_id: app.key_id.clone(),
            scopes: app.scopes.clone(),
            key,
            dpop,
            state: Mutex::new(State::default()),
        })
    }

    /// A token to send. `stale` is a token Okta refused: it is replaced
    /// unless another call already did.
    pub(crate) async fn token(
        &self,
        client: &Client,
        stale: Option<&str>,
    ) -> Result<AccessToken, OktaError> {
        let mut state = self.state.lock().await;
        if let Some(token) = &state.token {
            let refused = stale == Some(token.access.value.as_str());
            if !refused && Instant::now() < token.refresh_at {
                return Ok(token.access.clone());
            }
        }
        state.token = None;
        if let Some(refusal) = &state.refusal
            && Instant::now() < refusal.until
        {
            return Err(OktaError::Token {
                status: refusal.status,
                error: refusal.error.clone(),
                description: refusal.description.clone(),
                repeated: true,
            });
        }
        state.refusal = None;
        match self.fetch(client).await {
            Ok(token) => {
                let access = token.access.clone();
                state.token = Some(token);
                Ok(access)
            }
            Err(error) => {
                if let OktaError::Token {
                    status,
                    error,
                    description,
                    ..
                } = &error
                {
                    state.refusal = Some(Refusal {
                        until: Instant::now() + REFUSAL_HOLD,
                        status: *status,
                        error: error.clone(),
                        description: description.clone(),
                    });
                }
                Err(error)
            }
        }
    }

    /// The DPoP proof of an API call with `token`, when it is DPoP-bound.
    pub(crate) fn proof(
        &self,
        method: &Method,
        url: &Url,
        token: &AccessToken,
    ) -> Result<Option<String>, OktaError> {
        match (&self.dpop, token.dpop) {
            (Some(dpop), true) => dpop.proof(method, url, Some(&token.value)).map(Some),
            (None, true) => Err(OktaError::Contract(
                "a DPoP-bound token without a DPoP key".into(),
            )),
            (_, false) => Ok(None),
        }
    }

    /// A signed client assertion with a fresh `jti`.
    fn assertion(&self) -> Result<String, OktaError> {
        use rand::RngExt;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let jti: [u8; 16] = rand::rng().random();
        let claims = Assertion {
            iss: &self.client_id,
            sub: &self.client_id,
            aud: self.token_url.as_str(),
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
            jti: jti.iter().map(|b| format!("{b:02x}")).collect(),
        };
        let mut header = Header::new(self.key.algorithm);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, &claims, &self.key.key)
            .map_err(|_| OktaError::Contract("the client assertion could not be signed".into()))
    }

    /// Asks the token endpoint for a token, with the retry policy.
    async fn fetch(&self, client: &Client) -> Result<Token, OktaError> {
        let scope = self.scopes.join(" ");
        let mut attempt = 0u32;
        let mut limited = 0u32;
        let mut nonces = 0u32;
        let mut waited = Duration::ZERO;
        loop {
            let form = [
                ("grant_type", "client_credentials".to_string()),
                ("scope", scope.clone()),
                ("client_assertion_type", JWT_BEARER.to_string()),
                ("client_assertion", self.assertion()?),
            ];
            let mut request = client
                .http()
                .post(self.token_url.clone())
                .header(ACCEPT, "application/json")
                .form(&form);
            if let Some(dpop) = &self.dpop {
                request = request.header("dpop", dpop.proof(&Method::POST, &self.token_url, None)?);
            }
            let started = Instant::now();
            let outcome = request.send().await;
            let duration_ms = started.elapsed().as_millis() as u64;
            let response = match outcome {
                Ok(response) => response,
                Err(e) => {
                    let e = OktaError::transport(e);
                    tracing::debug!(adapter.name = BACKEND, duration_ms, error = %e, "okta token request failed");
                    if attempt < client.retries() {
                        tokio::time::sleep(client.backoff(attempt)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(e);
                }
            };
            let status = response.status();
            tracing::debug!(
                adapter.name = BACKEND,
                http.status = status.as_u16(),
                duration_ms,
                "okta token request"
            );
            if status == StatusCode::TOO_MANY_REQUESTS {
                limited += 1;
                let wait =
                    reset_wait(response.headers()).unwrap_or_else(|| client.backoff(limited));
                if limited > MAX_RATE_LIMITED {
                    return Err(OktaError::RateLimited {
                        wait_ms: wait.as_millis() as u64,
                        max_ms: client.max_wait().as_millis() as u64,
                    });
                }
                client.wait(wait, &mut waited).await?;
                continue;
            }
            if status.is_server_error() && attempt < client.retries() {
                tokio::time::sleep(client.backoff(attempt)).await;
                attempt += 1;
                continue;
            }
            let nonce = response
                .headers()
                .get("dpop-nonce")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            if let (Some(dpop), Some(nonce)) = (&self.dpop, &nonce) {
                dpop.set_nonce(nonce);
            }
            let bytes = response.bytes().await.map_err(OktaError::transport)?;
            if status.is_success() {
                return self.token_from(&bytes);
            }
            if let Ok(body) = serde_json::from_slice::<OAuthErrorBody>(&bytes)
                && !body.error.is_empty()
            {
                let new_nonce = body.error == "use_dpop_nonce" && nonce.is_some();
                if new_nonce && self.dpop.is_some() && nonces < MAX_NONCE_RETRIES {
                    nonces += 1;
                    continue;
                }
                return Err(OktaError::Token {
                    status: status.as_u16(),
                    error: body.error,
                    description: body.error_description,
                    repeated: false,
                });
            }
            let body: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(OktaError::Api {
                status: status.as_u16(),
                body,
                scope: None,
            });
        }
    }

    /// The token of a 200 answer.
    fn token_from(&self, bytes: &[u8]) -> Result<Token, OktaError> {
        let body: TokenBody = serde_json::from_slice(bytes)
            .map_err(|_| OktaError::Contract("the token answer is not a token".into()))?;
        let dpop = body.token_type.eq_ignore_ascii_case("dpop");
        let usable_type =
            body.token_type.eq_ignore_ascii_case("bearer") || (dpop && self.dpop.is_some());
        if !usable_type {
            return Err(OktaError::Contract(format!(
                "the token type is {:?}, not Bearer or DPoP",
                body.token_type
            )));
        }
        let usable = !body.access_token.is_empty()
            && body.access_token.chars().all(|c| c.is_ascii_graphic());
        if !usable {
            return Err(OktaError::Contract(
                "the access token is not a header-safe string".into(),
            ));
        }
        if let Some(granted) = &body.scope {
            let granted: Vec<&str> = granted.split_whitespace().collect();
            let missing: Vec<&str> = self
                .scopes
                .iter()
                .map(String::as_str)
                .filter(|s| !granted.contains(s))
                .collect();
            if !missing.is_empty() {
                tracing::warn!(
                    adapter.name = BACKEND,
                    okta.missing_scopes = %missing.join(" "),
                    "okta granted the service app fewer scopes than configured; calls needing them will be refused"
                );
            }
        }
        let lifetime = Duration::from_secs(body.expires_in.unwrap_or(DEFAULT_LIFETIME_SECS));
        let early = lifetime
            .saturating_sub(Duration::from_secs(60))
            .max(lifetime * 4 / 5);
        Ok(Token {
            access: AccessToken {
                value: body.access_token,
                dpop,
            },
            refresh_at: Instant::now() + early,
        })
    }
}

/// The wait until `X-Rate-Limit-Reset` (epoch seconds), if given.
fn reset_wait(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let reset = headers
        .get("x-rate-limit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    let at = UNIX_EPOCH + Duration::from_secs(reset) + RESET_MARGIN;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}
