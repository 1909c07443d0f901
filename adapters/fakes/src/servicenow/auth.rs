//! Authentication: Basic with the configured user, Bearer tokens from
//! `POST /oauth_token.do` (password, client-credentials and refresh-token
//! grants), and the middleware that puts the caller's user_name on every
//! API request.

use std::time::Instant;

use axum::Form;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use super::wire;
use super::{AppState, Token};

/// The authenticated caller's user_name, set on every API request.
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub(crate) String);

/// Checks the `Authorization` header; 401 with the envelope otherwise.
pub(crate) async fn require_auth(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    match caller(&state, request.headers()) {
        Some(user) => {
            request.extensions_mut().insert(Caller(user));
            next.run(request).await
        }
        None => wire::unauthenticated(),
    }
}

fn caller(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    if let Some(encoded) = value.strip_prefix("Basic ") {
        let (user, password) = state.options.basic.as_ref()?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (u, p) = text.split_once(':')?;
        return (u == user && p == password).then(|| user.clone());
    }
    let token = value.strip_prefix("Bearer ")?.trim();
    let tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
    let t = tokens.get(token)?;
    (!t.refresh && t.expires > Instant::now()).then(|| t.user.clone())
}

/// The form of a token request.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    grant_type: String,
    client_id: Option<String>,
    client_secret: Option<String>,
    username: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
}

fn denied() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"error": "access_denied", "error_description": "access_denied"})),
    )
        .into_response()
}

fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `POST /oauth_token.do`.
pub(crate) async fn token(State(state): State<AppState>, Form(form): Form<TokenForm>) -> Response {
    let Some(client) = state.options.oauth.as_ref() else {
        return denied();
    };
    if form.client_id.as_deref() != Some(client.client_id.as_str())
        || form.client_secret.as_deref() != Some(client.client_secret.as_str())
    {
        return denied();
    }
    let (user, with_refresh) = match form.grant_type.as_str() {
        "password" if client.allow_password_grant => {
            let Some((user, password)) = state.options.basic.as_ref() else {
                return denied();
            };
            if form.username.as_deref() != Some(user) || form.password.as_deref() != Some(password)
            {
                return denied();
            }
            (user.clone(), true)
        }
        "client_credentials" if client.allow_client_credentials => {
            (client.application_user.clone(), false)
        }
        "refresh_token" => {
            let mut tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
            let Some(presented) = form.refresh_token.as_deref() else {
                return denied();
            };
            match tokens.get(presented) {
                Some(t) if t.refresh && t.expires > Instant::now() => {
                    let user = t.user.clone();
                    tokens.remove(presented);
                    (user, true)
                }
                _ => return denied(),
            }
        }
        _ => return denied(),
    };
    let access = new_token();
    let now = Instant::now();
    let mut body = json!({
        "access_token": access,
        "scope": "useraccount",
        "token_type": "Bearer",
        "expires_in": client.token_ttl.as_secs(),
    });
    let mut tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
    tokens.insert(
        access,
        Token {
            user: user.clone(),
            expires: now + client.token_ttl,
            refresh: false,
        },
    );
    if with_refresh {
        let refresh = new_token();
        body["refresh_token"] = json!(refresh);
        tokens.insert(
            refresh,
            Token {
                user,
                expires: now + std::time::Duration::from_secs(100 * 24 * 3600),
                refresh: true,
            },
        );
    }
    axum::Json(body).into_response()
}
