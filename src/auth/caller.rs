//! From verified claims to a [`Caller`]: the user, their scope and the
//! actor their writes are recorded as. Entitlements are cached briefly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchboard_core::directory::Principal;
use switchboard_core::{Actor, Scope, UserDirectory};

use super::{AuthError, Claims, Verifier};

/// Who is making a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user and their entitlements.
    pub principal: Arc<Principal>,
    /// The accounts they may see.
    pub scope: Scope,
    /// How their writes are recorded.
    pub actor: Actor,
    /// When the token expires (seconds since the epoch).
    pub expires_at: u64,
    /// The token's issuer.
    pub issuer: String,
    /// The OAuth client the token was issued to, if it says.
    pub client: Option<String>,
    /// The issuer and subject, which key the entitlement cache.
    key: String,
}

impl Caller {
    fn new(principal: Arc<Principal>, claims: &Claims, key: String) -> Self {
        Self {
            key,
            issuer: claims.iss.clone(),
            client: claims.azp.clone(),
            expires_at: claims.exp,
            scope: principal.scope(),
            actor: Actor {
                user_id: principal.user.id.clone(),
                email: principal.user.email.clone(),
                name: principal.user.name.clone(),
            },
            principal,
        }
    }
}

/// Turns bearer tokens into callers.
pub struct Callers {
    verifier: Verifier,
    directory: Arc<dyn UserDirectory>,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Arc<Principal>)>>,
}

impl Callers {
    /// Resolves subjects through `directory`, caching entitlements for `ttl`.
    pub fn new(verifier: Verifier, directory: Arc<dyn UserDirectory>, ttl: Duration) -> Self {
        Self {
            verifier,
            directory,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The caller a bearer token stands for.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, AuthError> {
        let claims = self.verifier.verify(token)?;
        let key = format!("{}\u{0}{}", claims.iss, claims.sub);
        let principal = self.principal(&key, &claims.sub).await?;
        Ok(Caller::new(principal, &claims, key))
    }

    /// The accounts `caller` may see now: their entitlements may have
    /// changed since they authenticated (long-lived subscriptions ask this
    /// before each event). Cached like [`Callers::authenticate`].
    pub async fn current_scope(&self, caller: &Caller) -> Result<Scope, AuthError> {
        let principal = self
            .principal(&caller.key, &caller.principal.user.id)
            .await?;
        Ok(principal.scope())
    }

    async fn principal(&self, key: &str, subject: &str) -> Result<Arc<Principal>, AuthError> {
        if let Some(principal) = self.cached(key) {
            return Ok(principal);
        }
        let principal = self
            .directory
            .principal_by_id(subject)
            .await
            .map_err(|_| AuthError::Unavailable)?
            .ok_or(AuthError::UnknownUser)?;
        let principal = Arc::new(principal);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(key.to_string(), (Instant::now(), principal.clone()));
        }
        Ok(principal)
    }

    fn cached(&self, key: &str) -> Option<Arc<Principal>> {
        let cache = self.cache.lock().ok()?;
        let (at, principal) = cache.get(key)?;
        (at.elapsed() < self.ttl).then(|| principal.clone())
    }
}
