//! From verified claims to a [`Caller`]: the user, their scope and the
//! actor their writes are recorded as. Entitlements are cached briefly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchboard_core::directory::Principal;
use switchboard_core::{Actor, Role, Scope, UserDirectory};

use super::{AuthError, Verifier};

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
}

impl Caller {
    fn new(principal: Arc<Principal>, expires_at: u64) -> Self {
        Self {
            scope: principal.scope(),
            actor: Actor {
                user_id: principal.user.id.clone(),
                email: principal.user.email.clone(),
                name: principal.user.name.clone(),
            },
            principal,
            expires_at,
        }
    }

    /// The caller's role on `account_id`, if they have one.
    pub fn role_on(&self, account_id: &str) -> Option<Role> {
        self.principal
            .entitlements
            .iter()
            .find(|e| e.account_id == account_id)
            .map(|e| e.role)
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
        if let Some(principal) = self.cached(&key) {
            return Ok(Caller::new(principal, claims.exp));
        }
        let principal = self
            .directory
            .principal_by_id(&claims.sub)
            .await
            .map_err(|_| AuthError::Unavailable)?
            .ok_or(AuthError::UnknownUser)?;
        let principal = Arc::new(principal);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(key, (Instant::now(), principal.clone()));
        }
        Ok(Caller::new(principal, claims.exp))
    }

    fn cached(&self, key: &str) -> Option<Arc<Principal>> {
        let cache = self.cache.lock().ok()?;
        let (at, principal) = cache.get(key)?;
        (at.elapsed() < self.ttl).then(|| principal.clone())
    }
}
