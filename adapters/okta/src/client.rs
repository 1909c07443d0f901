//! The HTTP transport to Okta's management API.
//!
//! - Every request carries `Authorization: SSWS <token>`, or `Bearer
//!   <access token>` of a service app ([`crate::oauth`]), or `DPoP <access
//!   token>` with a fresh `DPoP` proof; the header is sensitive and never
//!   logged. A 401 to an access token replaces the token and sends the
//!   request once more (Okta did not process it).
//! - Lists follow the `link` header with `rel="next"`; page URLs are never
//!   built here, and a `next` link to another origin is refused (the token
//!   would go with it).
//! - Rate limits: after an answer with `X-Rate-Limit-Remaining: 0`, and on
//!   429, the next request waits until `X-Rate-Limit-Reset` (epoch seconds).
//!   One call waits at most `max_wait_ms` in all; a longer wait fails at
//!   once as [`OktaError::RateLimited`]. A 429 was not processed, so every
//!   method is sent again after the wait.
//! - Reads and deletes ([`Retry::Safe`]) are retried `retries` times after
//!   a 5xx or a transport error, waiting `backoff_ms` doubled per retry;
//!   other writes ([`Retry::Never`]) are sent once.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::BACKEND;
use crate::error::OktaError;
use crate::oauth::TokenSource;
use crate::settings::{Auth, Settings};
use crate::wire::ErrorBody;

/// Whether a request may be sent again after a 5xx or transport error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Idempotent (GET, DELETE): retried.
    Safe,
    /// Not idempotent: sent once (a 429 aside).
    Never,
}

/// A failed request, and whether it failed after a retry.
struct Failure {
    error: OktaError,
    retried: bool,
}

impl Failure {
    fn first(error: OktaError) -> Self {
        Self {
            error,
            retried: false,
        }
    }
}

/// How many 429s one call sits out before giving up.
const MAX_RATE_LIMITED: u32 = 5;

/// How many pages one list follows at most.
const MAX_PAGES: usize = 10_000;

/// Extra wait after a rate-limit reset, for clock skew.
pub(crate) const RESET_MARGIN: Duration = Duration::from_millis(50);

/// How requests authenticate.
enum Credentials {
    /// `SSWS <token>`, ready to send.
    ApiToken(HeaderValue),
    /// Access tokens of a service app (`Bearer`, or `DPoP` with proofs).
    ServiceApp(Box<TokenSource>),
}

/// The `Authorization` of one request, its DPoP proof, and the access
/// token in it.
struct Authorization {
    header: HeaderValue,
    proof: Option<HeaderValue>,
    token: Option<String>,
}

/// The transport, shared by every call of one adapter.
pub(crate) struct Client {
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    retries: u32,
    backoff: Duration,
    max_wait: Duration,
    page_size: u32,
    /// When the rate limit, last seen exhausted, resets.
    blocked_until: Mutex<Option<SystemTime>>,
}

impl Client {
    /// A client for `settings`; the error names the setting at fault.
    pub(crate) fn new(settings: &Settings) -> Result<Self, (&'static str, String)> {
        let base = Url::parse(settings.org_url.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .filter(|u| u.path() == "/" && u.query().is_none())
            .ok_or((
                "org_url",
                "must be the org's http(s) URL without a path, e.g. https://example.okta.com"
                    .to_string(),
            ))?;
        let credentials = match &settings.auth {
            Auth::ApiToken { token } => {
                let mut authorization = HeaderValue::from_str(&format!("SSWS {token}"))
                    .ok()
                    .filter(|_| !token.trim().is_empty())
                    .ok_or((
                        "auth.token",
                        "must be a non-empty API token of visible characters".to_string(),
                    ))?;
                authorization.set_sensitive(true);
                Credentials::ApiToken(authorization)
            }
            Auth::OauthServiceApp(app) => {
                Credentials::ServiceApp(Box::new(TokenSource::new(&base, app)?))
            }
        };
        if !(1..=200).contains(&settings.page_size) {
            return Err(("page_size", "must be between 1 and 200".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| ("org_url", "cannot build an HTTP client".to_string()))?;
        Ok(Self {
            http,
            base,
            credentials,
            retries: settings.retries,
            backoff: Duration::from_millis(settings.backoff_ms),
            max_wait: Duration::from_millis(settings.max_wait_ms),
            page_size: settings.page_size,
            blocked_until: Mutex::new(None),
        })
    }

    /// `{org}/api/v1/{segments…}?{query}`, each segment percent-encoded.
    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["api", "v1"]).extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// A GET of one object.
    pub(crate) async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, OktaError> {
        let response = self.send(Method::GET, url, None, Retry::Safe).await?;
        read_json(response).await
    }

    /// Every item of a list, following `rel="next"` links from `url` (sent
    /// with the configured `limit`).
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        mut url: Url,
    ) -> Result<Vec<T>, OktaError> {
        url.query_pairs_mut()
            .append_pair("limit", &self.page_size.to_string());
        let mut items = Vec::new();
        let mut next = Some(url);
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(OktaError::Contract("the list does not end".into()));
            }
            let response = self
                .send(Method::GET, url.clone(), None, Retry::Safe)
                .await?;
            next = self.next_link(response.headers())?;
            if next.as_ref() == Some(&url) {
                return Err(OktaError::Contract("a next link points to itself".into()));
            }
            let page: Vec<T> = read_json(response).await?;
            items.extend(page);
        }
        Ok(items)
    }

    /// A DELETE (204 expected); retried like a read. A 404 on a retry
    /// means an earlier attempt did the work and is a success.
    pub(crate) async fn delete(&self, url: Url) -> Result<(), OktaError> {
        match self.attempt(Method::DELETE, url, None, Retry::Safe).await {
            Ok(_) => Ok(()),
            Err(f) if f.retried && f.error.is_not_found() => Ok(()),
            Err(f) => Err(f.error),
        }
    }

    /// A POST sent once (a 429 aside); the answer's JSON body (`{}` when empty).
    pub(crate) async fn post(&self, url: Url, body: Option<Value>) -> Result<Value, OktaError> {
        let response = self.send(Method::POST, url, body, Retry::Never).await?;
        let bytes = response.bytes().await.map_err(OktaError::transport)?;
        if bytes.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&bytes).map_err(|e| OktaError::Contract(e.to_string()))
    }

    /// The `rel="next"` link among the `link` headers, if any.
    fn next_link(&self, headers: &HeaderMap) -> Result<Option<Url>, OktaError> {
        for value in headers.get_all("link") {
            let Ok(value) = value.to_str() else {
                continue;
            };
            for link in value.split(',') {
                let mut parts = link.split(';');
                let target = parts.next().unwrap_or("").trim();
                let next = parts.any(|p| {
                    let p = p.trim().replace(' ', "");
                    p == "rel=\"next\"" || p == "rel=next"
                });
                if !next {
                    continue;
                }
                let target = target
                    .strip_prefix('<')
                    .and_then(|t| t.strip_suffix('>'))
                    .ok_or_else(|| OktaError::Contract("a malformed link header".into()))?;
                let url = Url::parse(target)
                    .map_err(|_| OktaError::Contract("a malformed next link".into()))?;
                if url.origin() != self.base.origin() {
                    return Err(OktaError::Contract("a next link to another origin".into()));
                }
                return Ok(Some(url));
            }
        }
        Ok(None)
    }

    /// How long to wait before the next request, from the last rate-limit
    /// headers seen.
    fn pending_wait(&self) -> Option<Duration> {
        let until = (*self.blocked_until.lock().unwrap_or_else(|e| e.into_inner()))?;
        until.duration_since(SystemTime::now()).ok()
    }

    /// Notes an exhausted rate limit (`Remaining: 0`); returns the wait it
    /// asks for.
    fn note_rate_limit(&self, headers: &HeaderMap) -> Option<Duration> {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let mut blocked = self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
        if number("x-rate-limit-remaining") != Some(0) {
            *blocked = None;
            return None;
        }
        let reset = UNIX_EPOCH + Duration::from_secs(number("x-rate-limit-reset")?) + RESET_MARGIN;
        *blocked = Some(reset);
        reset.duration_since(SystemTime::now()).ok()
    }

    /// Sleeps `wait` if the call's budget allows it.
    pub(crate) async fn wait(
        &self,
        wait: Duration,
        waited: &mut Duration,
    ) -> Result<(), OktaError> {
        if *waited + wait > self.max_wait {
            return Err(OktaError::RateLimited {
                wait_ms: wait.as_millis() as u64,
                max_ms: self.max_wait.as_millis() as u64,
            });
        }
        tracing::debug!(
            adapter.name = BACKEND,
            wait_ms = wait.as_millis() as u64,
            "waiting for the okta rate limit"
        );
        tokio::time::sleep(wait).await;
        *waited += wait;
        Ok(())
    }

    /// The wait before retry number `attempt + 1`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        self.backoff.saturating_mul(1 << attempt.min(10))
    }

    /// The HTTP client (timeout, no redirects).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Retries after a 5xx or a transport error.
    pub(crate) fn retries(&self) -> u32 {
        self.retries
    }

    /// The most one call waits for rate limits.
    pub(crate) fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The `Authorization` of a request for `method` on `url`; `stale` is
    /// an access token Okta refused.
    async fn authorization(
        &self,
        stale: Option<&str>,
        method: &Method,
        url: &Url,
    ) -> Result<Authorization, OktaError> {
        let sensitive = |text: String| {
            HeaderValue::from_str(&text)
                .map(|mut v| {
                    v.set_sensitive(true);
                    v
                })
                .map_err(|_| OktaError::Contract("an unusable access token".into()))
        };
        match &self.credentials {
            Credentials::ApiToken(header) => Ok(Authorization {
                header: header.clone(),
                proof: None,
                token: None,
            }),
            Credentials::ServiceApp(source) => {
                let token = source.token(self, stale).await?;
                let scheme = if token.dpop { "DPoP" } else { "Bearer" };
                let proof = match source.proof(method, url, &token)? {
                    Some(proof) => Some(sensitive(proof)?),
                    None => None,
                };
                Ok(Authorization {
                    header: sensitive(format!("{scheme} {}", token.value))?,
                    proof,
                    token: Some(token.value),
                })
            }
        }
    }

    /// Sends one request with the rate-limit and retry policy.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Value>,
        retry: Retry,
    ) -> Result<Response, OktaError> {
        let operation = format!("{method} {}", path_template(&url));
        let call = self.attempt(method, url, body, retry);
        switchboard_core::upstream::traced(crate::BACKEND, operation, call, |result| {
            if result.is_ok() { "ok" } else { "error" }
        })
        .await
        .map_err(|f| f.error)
    }

    /// [`Client::send`], telling whether a failure came after a retry.
    async fn attempt(
        &self,
        method: Method,
        url: Url,
        body: Option<Value>,
        retry: Retry,
    ) -> Result<Response, Failure> {
        let mut attempt = 0u32;
        let mut limited = 0u32;
        let mut waited = Duration::ZERO;
        let mut refused: Option<String> = None;
        loop {
            if let Some(wait) = self.pending_wait() {
                self.wait(wait, &mut waited).await.map_err(Failure::first)?;
            }
            let authorization = self
                .authorization(refused.as_deref(), &method, &url)
                .await
                .map_err(|error| Failure {
                    error,
                    retried: attempt > 0,
                })?;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, authorization.header)
                .header("accept", "application/json");
            if let Some(traceparent) = switchboard_core::upstream::traceparent() {
                request = request.header("traceparent", traceparent);
            }
            if let Some(proof) = authorization.proof {
                request = request.header("dpop", proof);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let started = Instant::now();
            let outcome = request.send().await;
            let duration_ms = started.elapsed().as_millis() as u64;
            let response = match outcome {
                Ok(response) => response,
                Err(e) => {
                    let e = e.without_url();
                    tracing::debug!(adapter.name = BACKEND, http.method = %method, duration_ms, error = %e, "okta request failed");
                    if retry == Retry::Safe && attempt < self.retries {
                        tokio::time::sleep(self.backoff(attempt)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(Failure {
                        error: OktaError::transport(e),
                        retried: attempt > 0,
                    });
                }
            };
            let status = response.status();
            tracing::debug!(adapter.name = BACKEND, http.method = %method, http.status = status.as_u16(), duration_ms, "okta request");
            let rate_wait = self.note_rate_limit(response.headers());
            if status == StatusCode::TOO_MANY_REQUESTS {
                limited += 1;
                if limited > MAX_RATE_LIMITED {
                    return Err(Failure::first(OktaError::RateLimited {
                        wait_ms: 0,
                        max_ms: self.max_wait.as_millis() as u64,
                    }));
                }
                let wait = rate_wait.unwrap_or_else(|| self.backoff(limited));
                self.wait(wait, &mut waited).await.map_err(Failure::first)?;
                continue;
            }
            if status.is_server_error() && retry == Retry::Safe && attempt < self.retries {
                tokio::time::sleep(self.backoff(attempt)).await;
                attempt += 1;
                continue;
            }
            if status.is_success() {
                return Ok(response);
            }
            if status == StatusCode::UNAUTHORIZED
                && refused.is_none()
                && let Some(token) = authorization.token
            {
                tracing::debug!(
                    adapter.name = BACKEND,
                    "okta refused the access token; fetching another"
                );
                refused = Some(token);
                continue;
            }
            let scope = required_scope(response.headers());
            let bytes = response.bytes().await.unwrap_or_default();
            let body: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            let error = OktaError::Api {
                status: status.as_u16(),
                body,
                scope,
            };
            return Err(Failure {
                error,
                retried: attempt > 0,
            });
        }
    }
}

/// The scope an `insufficient_scope` challenge (`WWW-Authenticate: Bearer
/// …, scope="…", error="insufficient_scope"`) names.
fn required_scope(headers: &HeaderMap) -> Option<String> {
    let challenge = headers.get(WWW_AUTHENTICATE)?.to_str().ok()?;
    if !challenge.contains("insufficient_scope") {
        return None;
    }
    let (_, rest) = challenge.split_once("scope=\"")?;
    let (scope, _) = rest.split_once('"')?;
    let plain = scope
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " ._".contains(c));
    plain.then(|| scope.to_string())
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, OktaError> {
    let bytes = response.bytes().await.map_err(OktaError::transport)?;
    serde_json::from_slice(&bytes).map_err(|e| OktaError::Contract(e.to_string()))
}

/// Path segments of Okta's API that name a resource or an action; every
/// other segment is an id or a login.
const RESOURCE_SEGMENTS: &[&str] = &[
    "api",
    "v1",
    "users",
    "groups",
    "factors",
    "catalog",
    "questions",
    "verify",
    "activate",
    "credentials",
    "change_password",
    "forgot_password",
    "change_recovery_question",
    "lifecycle",
    "unlock",
    "reset_factors",
    "reset_password",
    "expire_password",
    "suspend",
    "unsuspend",
    "deactivate",
    "roles",
    "sessions",
    "me",
];

/// `url`'s path with every id or login replaced by `{id}`
/// (`/api/v1/users/{id}/factors`), for the metrics.
fn path_template(url: &Url) -> String {
    url.path()
        .split('/')
        .map(|segment| {
            if segment.is_empty() || RESOURCE_SEGMENTS.contains(&segment) {
                segment
            } else {
                "{id}"
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_resources_and_hide_ids_and_logins() {
        let url = Url::parse("https://org.example/api/v1/users/00u1xyz/factors/mfa9").unwrap();
        assert_eq!(path_template(&url), "/api/v1/users/{id}/factors/{id}");
        let login = Url::parse("https://org.example/api/v1/users/jsmith/lifecycle/unlock").unwrap();
        assert_eq!(path_template(&login), "/api/v1/users/{id}/lifecycle/unlock");
    }
}
