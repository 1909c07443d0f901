//! Credentials for each request: Basic, or OAuth bearer tokens from
//! `/oauth_token.do`, refreshed before they expire (single flight).

use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::http::HttpError;
use crate::settings::{Auth, Grant};

#[derive(Clone)]
struct Token {
    access: String,
    refresh: Option<String>,
    refresh_at: Instant,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Produces the `Authorization` header.
pub(crate) struct Authorizer {
    auth: Auth,
    token: Mutex<Option<Token>>,
}

impl Authorizer {
    pub(crate) fn new(auth: Auth) -> Self {
        Self {
            auth,
            token: Mutex::new(None),
        }
    }

    /// The header value. `stale` is a header that was refused (401): the
    /// token behind it is replaced unless someone already did.
    pub(crate) async fn header(
        &self,
        http: &crate::http::Http,
        stale: Option<&str>,
    ) -> Result<String, HttpError> {
        let (grant, client_id, client_secret, username, password) = match &self.auth {
            Auth::Basic { username, password } => {
                let raw = format!("{username}:{password}");
                return Ok(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ));
            }
            Auth::Oauth {
                grant,
                client_id,
                client_secret,
                username,
                password,
            } => (grant, client_id, client_secret, username, password),
        };
        let mut slot = self.token.lock().await;
        if let Some(token) = slot.as_ref() {
            let header = format!("Bearer {}", token.access);
            let refused = stale == Some(header.as_str());
            if !refused && Instant::now() < token.refresh_at {
                return Ok(header);
            }
        }
        let refresh = slot.as_ref().and_then(|t| t.refresh.clone());
        let mut fresh = None;
        if let Some(refresh) = refresh {
            let form = vec![
                ("grant_type", "refresh_token".to_string()),
                ("client_id", client_id.clone()),
                ("client_secret", client_secret.clone()),
                ("refresh_token", refresh),
            ];
            match http.token_request(&form).await {
                Ok(body) => fresh = Some(body),
                Err(error) => tracing::warn!(
                    adapter.name = crate::BACKEND,
                    %error,
                    "refreshing the OAuth token failed; asking for a new one"
                ),
            }
        }
        let body = match fresh {
            Some(body) => body,
            None => {
                let mut form = vec![
                    ("client_id", client_id.clone()),
                    ("client_secret", client_secret.clone()),
                ];
                match grant {
                    Grant::Password => {
                        form.push(("grant_type", "password".into()));
                        form.push(("username", username.clone().unwrap_or_default()));
                        form.push(("password", password.clone().unwrap_or_default()));
                    }
                    Grant::ClientCredentials => {
                        form.push(("grant_type", "client_credentials".into()));
                    }
                }
                http.token_request(&form).await?
            }
        };
        let body: TokenBody = serde_json::from_slice(&body)
            .map_err(|_| HttpError::Payload("the OAuth token response is not JSON".into()))?;
        let ttl = Duration::from_secs(body.expires_in.unwrap_or(1800));
        // Refresh a minute early, or at 80 % of a short lifetime.
        let early = ttl.saturating_sub(Duration::from_secs(60)).max(ttl * 4 / 5);
        let token = Token {
            access: body.access_token,
            refresh: body.refresh_token,
            refresh_at: Instant::now() + early,
        };
        let header = format!("Bearer {}", token.access);
        *slot = Some(token);
        Ok(header)
    }
}
