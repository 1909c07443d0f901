//! Operators sign in to GraphiQL through the configured OpenID Provider
//! (authorization code with PKCE) and get a cookie session.
//!
//! - `GET /graphiql/login` keeps a fresh state, nonce and PKCE verifier in
//!   a short-lived cookie bound to the browser and redirects to the provider.
//! - `GET /graphiql/callback` checks the state against that cookie,
//!   exchanges the code with the verifier, verifies the ID token (and its
//!   nonce), then authenticates the access token exactly as a bearer token
//!   (`Callers::authenticate`), so the OPERATOR role comes from the same
//!   place. Operators get a session: a random 256-bit id in the cookie
//!   [`SESSION_COOKIE`] (HttpOnly, Secure, SameSite=Strict, Path=/), and
//!   only its SHA-256 with the access token in the database. It ends when
//!   the token expires or after `operator_login.session_ttl_secs`.
//! - `POST /graphiql/logout` deletes the session and clears the cookie.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use switchboard_core::server::{OperatorSessions, StoredSession};
use tokio::sync::Mutex;

use super::AppState;
use super::pages::{
    cookie, cookie_header, escape, hash, html_page, random_id, redirect, set_cookie,
};
use crate::auth::{AuthError, Caller, Callers};
use crate::config::{Config, OperatorLoginConfig};

/// The session cookie's name. The `__Host-` prefix makes browsers refuse it
/// unless it is Secure, host-only and for `/`, so no sibling domain can set it.
pub const SESSION_COOKIE: &str = "__Host-switchboard_session";

/// The cookie holding a sign-in in progress (state, nonce, PKCE verifier).
const LOGIN_COOKIE: &str = "__Host-switchboard_login";

/// How long a sign-in may take at the provider.
const LOGIN_TTL_SECS: i64 = 600;

/// Sessions, and the provider operators sign in at (when configured).
pub struct Sessions {
    store: Arc<dyn OperatorSessions>,
    login: Option<Login>,
    /// The demo users GraphiQL's "sign in as" offers (empty when it is
    /// off); their sessions are not operators'.
    demo_users: Vec<DemoUser>,
}

/// A user "sign in as" offers.
#[derive(Debug, Clone)]
pub struct DemoUser {
    /// Their login email.
    pub email: String,
    /// What the menu shows: name and roles.
    pub label: String,
}

/// The configured OpenID Provider.
struct Login {
    config: OperatorLoginConfig,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: openidconnect::reqwest::Client,
    /// The provider's discovery document and keys, fetched on first use.
    metadata: Mutex<Option<CoreProviderMetadata>>,
}

/// What the login cookie carries between `/graphiql/login` and the callback.
#[derive(Serialize, Deserialize)]
struct PendingLogin {
    state: String,
    nonce: String,
    verifier: String,
    /// Seconds since the epoch after which the sign-in is refused.
    expires: i64,
}

/// Why a sign-in failed, as the page tells the operator.
pub(super) struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn provider(what: &str, error: impl std::fmt::Display) -> Self {
        tracing::warn!(%error, "operator sign-in: {what}");
        Self::new(
            StatusCode::BAD_GATEWAY,
            format!("the OpenID Provider could not {what}; try again shortly"),
        )
    }
}

impl Sessions {
    /// Sessions in `store`; sign-in is offered when `config` names an
    /// issuer, and "sign in as" for `demo_users` when `config` allows it.
    pub fn new(
        config: &Config,
        store: Arc<dyn OperatorSessions>,
        demo_users: Vec<DemoUser>,
    ) -> anyhow::Result<Self> {
        let demo_users = if config.sign_in_as() {
            demo_users
        } else {
            Vec::new()
        };
        let login = match &config.operator_login.issuer {
            None => None,
            Some(issuer) => Some(Login {
                config: config.operator_login.clone(),
                issuer: IssuerUrl::new(issuer.clone())?,
                redirect: RedirectUrl::new(config.operator_redirect_url())?,
                http: openidconnect::reqwest::ClientBuilder::new()
                    .redirect(openidconnect::reqwest::redirect::Policy::none())
                    .timeout(Duration::from_secs(10))
                    .build()?,
                metadata: Mutex::new(None),
            }),
        };
        Ok(Self {
            store,
            login,
            demo_users,
        })
    }

    /// The users "sign in as" offers (none when it is off).
    pub fn demo_users(&self) -> &[DemoUser] {
        &self.demo_users
    }

    /// Whether operators can sign in here.
    pub fn login_enabled(&self) -> bool {
        self.login.is_some()
    }

    /// Whether the request carries a session cookie (valid or not).
    pub fn has_cookie(headers: &HeaderMap) -> bool {
        cookie(headers, SESSION_COOKIE).is_some()
    }

    /// The caller whose session cookie the request carries: `None`
    /// without one, an error when it names no live session. Sessions are
    /// operators', or demo users' while "sign in as" is on.
    pub async fn caller(
        &self,
        callers: &Callers,
        headers: &HeaderMap,
    ) -> Result<Option<Caller>, AuthError> {
        let Some(id) = cookie(headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        let ended = || AuthError::Invalid("the session has ended; sign in again".into());
        let session = self
            .store
            .live_session(&hash(id), Utc::now())
            .await
            .map_err(|e| AuthError::unavailable(&e, "database"))?
            .ok_or_else(ended)?;
        let caller = callers.authenticate(&session.access_token).await?;
        if !caller.principal.operator && self.demo_users.is_empty() {
            return Err(ended());
        }
        Ok(Some(caller))
    }

    async fn metadata(&self, login: &Login) -> Result<CoreProviderMetadata, Failure> {
        let mut cached = login.metadata.lock().await;
        if let Some(metadata) = cached.as_ref() {
            return Ok(metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(login.issuer.clone(), &login.http)
            .await
            .map_err(|e| Failure::provider("be reached for its configuration", e))?;
        *cached = Some(metadata.clone());
        Ok(metadata)
    }
}

/// `GET /graphiql/login`: off to the provider.
pub async fn login(State(state): State<AppState>) -> Response {
    match start_login(&state).await {
        Ok(response) => response,
        Err(failure) => failure_page(failure),
    }
}

async fn start_login(state: &AppState) -> Result<Response, Failure> {
    let sessions = &state.sessions;
    let login = sessions.login.as_ref().ok_or_else(not_configured)?;
    let metadata = sessions.metadata(login).await?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(login.config.client_id.clone()),
        login.config.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(login.redirect.clone());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in &login.config.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf, nonce) = request.url();
    let pending = PendingLogin {
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        expires: Utc::now().timestamp() + LOGIN_TTL_SECS,
    };
    let value = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&pending).unwrap_or_default());
    let mut response = redirect(url.as_str());
    // Lax, not Strict: the provider's redirect back is a cross-site navigation.
    set_cookie(
        &mut response,
        &cookie_header(LOGIN_COOKIE, &value, LOGIN_TTL_SECS, "Lax"),
    );
    Ok(response)
}

/// The provider's answer on the callback.
#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /graphiql/callback`: back from the provider.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(answer): Query<Callback>,
) -> Response {
    let mut response = match finish_login(&state, &headers, answer).await {
        Ok(response) => response,
        Err(failure) => failure_page(failure),
    };
    set_cookie(&mut response, &cookie_header(LOGIN_COOKIE, "", 0, "Lax"));
    response
}

async fn finish_login(
    state: &AppState,
    headers: &HeaderMap,
    answer: Callback,
) -> Result<Response, Failure> {
    let sessions = &state.sessions;
    let login = sessions.login.as_ref().ok_or_else(not_configured)?;
    if let Some(error) = answer.error {
        let detail = answer.error_description.unwrap_or_default();
        return Err(Failure::bad_request(format!(
            "the OpenID Provider refused the sign-in: {error} {detail}"
        )));
    }
    let pending = pending_login(headers)?;
    let (Some(code), Some(returned)) = (answer.code, answer.state) else {
        return Err(Failure::bad_request("the callback lacks `code` or `state`"));
    };
    if returned != pending.state {
        return Err(Failure::bad_request(
            "this sign-in was not started in this browser; start again",
        ));
    }
    let access_token = redeem(sessions, login, code, &pending).await?;
    let caller = state
        .callers
        .authenticate(&access_token)
        .await
        .map_err(|e| match e {
            AuthError::Unavailable(_) => {
                Failure::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
            other => Failure::new(StatusCode::FORBIDDEN, other.to_string()),
        })?;
    if !caller.principal.operator {
        tracing::info!(user.id = %caller.actor.user_id, "a non-operator tried to sign in to GraphiQL");
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "GraphiQL sign-in is for operators; your account does not have the OPERATOR role",
        ));
    }
    let (id, ttl) = open_session(
        sessions,
        &caller,
        access_token,
        login.config.session_ttl_secs,
    )
    .await?;
    tracing::info!(user.id = %caller.actor.user_id, "an operator signed in to GraphiQL");
    // A page, not a redirect: a SameSite=Strict cookie set at the end of a
    // cross-site redirect chain would not be sent on the next hop.
    let mut response = html_page(
        StatusCode::OK,
        "Signed in",
        "<p>Signed in. <a href=\"/graphiql\">Open GraphiQL</a>.</p>",
    );
    if let Ok(value) = HeaderValue::from_str("0; url=/graphiql") {
        response.headers_mut().insert("refresh", value);
    }
    set_cookie(
        &mut response,
        &cookie_header(SESSION_COOKIE, &id, ttl, "Strict"),
    );
    Ok(response)
}

/// The sign-in in progress, from its cookie, if it has not expired.
fn pending_login(headers: &HeaderMap) -> Result<PendingLogin, Failure> {
    let missing = || Failure::bad_request("no sign-in in progress in this browser; start again");
    let raw = cookie(headers, LOGIN_COOKIE).ok_or_else(missing)?;
    let pending: PendingLogin = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(missing)?;
    if pending.expires < Utc::now().timestamp() {
        return Err(Failure::bad_request(
            "the sign-in took too long; start again",
        ));
    }
    Ok(pending)
}

/// Exchanges the code (with the PKCE verifier), verifies the ID token and
/// its nonce, and answers the access token.
async fn redeem(
    sessions: &Sessions,
    login: &Login,
    code: String,
    pending: &PendingLogin,
) -> Result<String, Failure> {
    let metadata = sessions.metadata(login).await?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(login.config.client_id.clone()),
        login.config.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(login.redirect.clone());
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| Failure::provider("exchange the code (no token endpoint)", e))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(&login.http)
        .await
        .map_err(|e| Failure::provider("exchange the code", e))?;
    let id_token = token
        .id_token()
        .ok_or_else(|| Failure::provider("send an ID token", "none in the token response"))?;
    id_token
        .claims(
            &client.id_token_verifier(),
            &Nonce::new(pending.nonce.clone()),
        )
        .map_err(|e| {
            tracing::warn!(error = %e, "operator sign-in: the ID token failed verification");
            Failure::bad_request("the ID token failed verification; start again")
        })?;
    Ok(token.access_token().secret().clone())
}

/// Stores a new session for `caller` lasting at most `max_ttl_secs`;
/// answers the cookie's id and lifetime in seconds.
async fn open_session(
    sessions: &Sessions,
    caller: &Caller,
    access_token: String,
    max_ttl_secs: u64,
) -> Result<(String, i64), Failure> {
    let now = Utc::now();
    let token_left = caller.expires_at as i64 - now.timestamp();
    let ttl = token_left.min(max_ttl_secs as i64);
    if ttl <= 0 {
        return Err(Failure::bad_request("the access token has already expired"));
    }
    let id = random_id();
    let unavailable = |_| {
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable",
        )
    };
    sessions
        .store
        .purge_sessions(now)
        .await
        .map_err(unavailable)?;
    let session = StoredSession {
        id_hash: hash(&id),
        user_id: caller.actor.user_id.clone(),
        access_token,
        expires_at: now + chrono::Duration::seconds(ttl),
    };
    sessions
        .store
        .create_session(&session)
        .await
        .map_err(unavailable)?;
    Ok((id, ttl))
}

/// Opens a session for a demo user "sign in as" named, and answers with
/// its cookie and a redirect to GraphiQL.
pub(super) async fn demo_session(
    sessions: &Sessions,
    caller: &Caller,
    access_token: String,
) -> Response {
    let ttl = caller
        .expires_at
        .saturating_sub(Utc::now().timestamp().max(0) as u64);
    match open_session(sessions, caller, access_token, ttl).await {
        Ok((id, ttl)) => {
            let mut response = redirect("/graphiql");
            set_cookie(
                &mut response,
                &cookie_header(SESSION_COOKIE, &id, ttl, "Strict"),
            );
            response
        }
        Err(failure) => failure_page(failure),
    }
}

/// `POST /graphiql/logout`: ends the session and clears the cookie.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = state.sessions.store.end_session(&hash(id)).await
    {
        tracing::warn!(error = %e, "could not end a GraphiQL session");
        return html_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Not signed out",
            "<p>The database is unavailable; try again shortly.</p>",
        );
    }
    let mut response = html_page(
        StatusCode::OK,
        "Signed out",
        if state.sessions.login_enabled() {
            "<p>Signed out. <a href=\"/graphiql/login\">Sign in again</a>.</p>"
        } else {
            "<p>Signed out. <a href=\"/graphiql\">Back to GraphiQL</a>.</p>"
        },
    );
    set_cookie(
        &mut response,
        &cookie_header(SESSION_COOKIE, "", 0, "Strict"),
    );
    response
}

fn not_configured() -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "operator sign-in is not configured on this gateway ([operator_login])",
    )
}

pub(super) fn failure_page(failure: Failure) -> Response {
    let body = format!(
        "<p>{}</p><p><a href=\"/graphiql/login\">Start again</a></p>",
        escape(&failure.message)
    );
    html_page(failure.status, "Sign-in failed", &body)
}
