//! RFC 7662 token introspection for issuers whose access tokens are opaque.
//! Answers are cached briefly (never past the token's expiry), keyed by a
//! hash of the token, never the token itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use openidconnect::reqwest;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::AuthError;
use super::settings::IntrospectionConfig;

/// Most cached answers kept per issuer.
const MAX_CACHED: usize = 10_000;
/// Longest an answer is reused, whatever the configuration says.
const MAX_CACHE_SECS: u64 = 300;

/// An introspection answer: the claims of an active token, `None` for an
/// inactive one.
type Answer = Option<Map<String, Value>>;

/// An issuer's introspection endpoint.
pub struct Introspector {
    config: IntrospectionConfig,
    http: reqwest::Client,
    /// Answers by the token's SHA-256, with when they go stale.
    cache: Mutex<HashMap<[u8; 32], (Instant, Answer)>>,
}

impl Introspector {
    /// Introspects through `config.endpoint`.
    pub fn new(config: IntrospectionConfig, http: reqwest::Client) -> Self {
        Self {
            config,
            http,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The token's claims when the issuer says it is active, `None` when
    /// it says it is not.
    pub async fn introspect(&self, token: &str) -> Result<Answer, AuthError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(answer) = self.cached(&key) {
            return Ok(answer);
        }
        let answer = self.ask(token).await?;
        self.remember(key, &answer);
        Ok(answer)
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Answer> {
        let cache = self.cache.lock().ok()?;
        let (until, answer) = cache.get(key)?;
        (Instant::now() < *until).then(|| answer.clone())
    }

    fn remember(&self, key: [u8; 32], answer: &Answer) {
        let mut secs = self.config.cache_secs.min(MAX_CACHE_SECS);
        if let Some(exp) = answer
            .as_ref()
            .and_then(|c| c.get("exp"))
            .and_then(Value::as_u64)
        {
            secs = secs.min(exp.saturating_sub(now()));
        }
        if secs == 0 {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CACHED {
                cache.retain(|_, (until, _)| Instant::now() < *until);
                if cache.len() >= MAX_CACHED {
                    cache.clear();
                }
            }
            let until = Instant::now() + Duration::from_secs(secs);
            cache.insert(key, (until, answer.clone()));
        }
    }

    async fn ask(&self, token: &str) -> Result<Answer, AuthError> {
        let response = self
            .http
            .post(&self.config.endpoint)
            .basic_auth(&self.config.client_id, Some(&self.config.client_secret))
            .header("accept", "application/json")
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(|e| unavailable(&self.config.endpoint, &e.to_string()))?;
        if !response.status().is_success() {
            return Err(unavailable(
                &self.config.endpoint,
                &format!("it answered {}", response.status()),
            ));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| unavailable(&self.config.endpoint, &e.to_string()))?;
        let Ok(Value::Object(claims)) = serde_json::from_slice::<Value>(&body) else {
            return Err(unavailable(&self.config.endpoint, "its answer is not JSON"));
        };
        let active = claims.get("active").and_then(Value::as_bool) == Some(true);
        Ok(active.then_some(claims))
    }
}

fn unavailable(endpoint: &str, why: &str) -> AuthError {
    tracing::warn!(auth.introspection = %endpoint, error = %why, "token introspection failed");
    AuthError::Unavailable("issuer".into())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
