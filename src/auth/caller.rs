//! From verified claims to a [`Caller`]: the user (or service), their scope
//! and the actor their writes are recorded as. Principals are cached briefly.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use switchboard_core::directory::Principal;
use switchboard_core::{AccountStore, Actor, Scope, UserDirectory};

use super::mapping::{Mapping, TokenSubject, service_principal};
use super::settings::EntitlementSource;
use super::verify::{Verified, peek_issuer};
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
    /// The token's issuer.
    pub issuer: String,
    /// The OAuth client the token was issued to, if it says.
    pub client: Option<String>,
    /// Whether the token may write (integrators' tokens may be read-only).
    pub may_write: bool,
    /// How [`Callers::current_scope`] re-reads the entitlements.
    source: Source,
}

/// Where a caller's entitlements come from after authentication.
#[derive(Debug, Clone)]
enum Source {
    /// The directory, under this cache key, by id or by email.
    Directory {
        key: String,
        id: String,
        by_email: bool,
    },
    /// The token or the configuration: fixed for the token's life.
    Fixed,
}

impl Caller {
    fn new(
        principal: Arc<Principal>,
        verified: &Verified,
        source: Source,
        may_write: bool,
    ) -> Self {
        Self {
            source,
            issuer: verified.issuer.issuer.clone(),
            client: Mapping::client_of(&verified.claims),
            may_write,
            expires_at: verified.expires_at,
            scope: principal.scope(),
            actor: Actor {
                user_id: principal.user.id.clone(),
                email: principal.user.email.clone(),
                name: principal.user.name.clone(),
            },
            principal,
        }
    }

    /// A caller for unit tests of authorization rules.
    #[doc(hidden)]
    pub fn for_tests(principal: Arc<Principal>, actor: Actor, may_write: bool) -> Self {
        Self {
            scope: principal.scope(),
            principal,
            actor,
            expires_at: u64::MAX,
            issuer: "urn:test".into(),
            client: None,
            may_write,
            source: Source::Fixed,
        }
    }
}

/// Turns bearer tokens into callers.
pub struct Callers {
    verifier: Verifier,
    directory: Arc<dyn UserDirectory>,
    accounts: Arc<dyn AccountStore>,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Arc<Principal>)>>,
    /// Directory reads in flight, by cache key: callers asking for the same
    /// principal at once (every subscriber of an event when the cache
    /// entry has just expired) share one read.
    in_flight: Mutex<HashMap<String, Arc<DirectoryRead>>>,
    /// Counts [`Callers::forget`]s: a read that began before one is not
    /// cached (it may predate the change).
    generation: AtomicU64,
}

/// One directory read, awaited by everyone who asked for it meanwhile.
type DirectoryRead = tokio::sync::OnceCell<Result<Arc<Principal>, AuthError>>;

impl Callers {
    /// Resolves users through `directory` (or their tokens' claims, as each
    /// issuer is configured), naming accounts through `accounts`, and
    /// caching principals for `ttl`.
    pub fn new(
        verifier: Verifier,
        directory: Arc<dyn UserDirectory>,
        accounts: Arc<dyn AccountStore>,
        ttl: Duration,
    ) -> Self {
        Self {
            verifier,
            directory,
            accounts,
            ttl,
            cache: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// Forgets what is cached of `users` (by directory id; `None`: of
    /// everyone), whose entitlements changed: their next request or
    /// subscription event reads them again.
    pub fn forget(&self, users: Option<&[String]>) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match users {
            Some(users) => cache.retain(|_, (_, principal)| !users.contains(&principal.user.id)),
            None => cache.clear(),
        }
        drop(cache);
        // Reads in flight may have begun before the change: later callers
        // start their own.
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The directory principals come from.
    pub fn directory(&self) -> &Arc<dyn UserDirectory> {
        &self.directory
    }

    /// The token verifier (for readiness checks).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The caller a bearer token stands for. Every refusal is logged once
    /// with its reason and the issuer the token claims (never the token).
    pub async fn authenticate(&self, token: &str) -> Result<Caller, AuthError> {
        let result = self.resolve(token).await;
        if let Err(e) = &result {
            let claimed = peek_issuer(token).unwrap_or_default();
            let claimed: String = claimed.chars().take(200).collect();
            tracing::warn!(auth.issuer = ?claimed, reason = %e, "token refused");
        }
        result
    }

    async fn resolve(&self, token: &str) -> Result<Caller, AuthError> {
        let verified = self.verifier.verify(token).await?;
        let mapping = &verified.issuer.mapping;
        let identity = mapping
            .identify(&verified.claims)
            .map_err(AuthError::Invalid)?;
        match identity {
            TokenSubject::Service(service) => {
                let key = format!(
                    "{}\u{0}service:{}",
                    verified.issuer.issuer, service.client_id
                );
                let principal = match self.cached(&key) {
                    Some(p) => p,
                    None => self.named(&key, service_principal(&service)).await?,
                };
                let may_write = service.scopes.iter().any(|s| s == "write");
                Ok(Caller::new(principal, &verified, Source::Fixed, may_write))
            }
            TokenSubject::User { id, by_email }
                if mapping.source == EntitlementSource::Directory =>
            {
                let key = format!("{}\u{0}{}", verified.issuer.issuer, id);
                let principal = self.directory_principal(&key, &id, by_email).await?;
                let source = Source::Directory { key, id, by_email };
                Ok(Caller::new(principal, &verified, source, true))
            }
            TokenSubject::User { id, .. } => {
                let principal = mapping.principal_from_claims(&id, &verified.claims);
                let key = claims_key(&verified.issuer.issuer, &principal);
                let principal = match self.cached(&key) {
                    Some(p) => p,
                    None => self.named(&key, principal).await?,
                };
                Ok(Caller::new(principal, &verified, Source::Fixed, true))
            }
        }
    }

    /// The accounts `caller` may see now: their entitlements may have
    /// changed since they authenticated (long-lived subscriptions ask this
    /// before each event). Cached like [`Callers::authenticate`].
    pub async fn current_scope(&self, caller: &Caller) -> Result<Scope, AuthError> {
        match &caller.source {
            Source::Directory { key, id, by_email } => {
                Ok(self.directory_principal(key, id, *by_email).await?.scope())
            }
            Source::Fixed => Ok(caller.scope.clone()),
        }
    }

    async fn directory_principal(
        &self,
        key: &str,
        id: &str,
        by_email: bool,
    ) -> Result<Arc<Principal>, AuthError> {
        if let Some(principal) = self.cached(key) {
            return Ok(principal);
        }
        let read = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            in_flight.entry(key.to_string()).or_default().clone()
        };
        let result = read
            .get_or_init(|| async {
                let since = self.generation.load(Ordering::SeqCst);
                let found = if by_email {
                    self.directory.principal_by_email(id).await
                } else {
                    self.directory.principal_by_id(id).await
                };
                let principal = found
                    .map_err(|e| AuthError::unavailable(&e, "directory"))?
                    .ok_or(AuthError::UnknownUser)?;
                Ok(self.remember(key, principal, since))
            })
            .await
            .clone();
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if in_flight.get(key).is_some_and(|r| Arc::ptr_eq(r, &read)) {
            in_flight.remove(key);
        }
        result
    }

    /// Names the principal's accounts through the account store (accounts
    /// it does not know keep their id as name), then caches it.
    async fn named(
        &self,
        key: &str,
        mut principal: Principal,
    ) -> Result<Arc<Principal>, AuthError> {
        let since = self.generation.load(Ordering::SeqCst);
        let ids: Vec<String> = principal.scope().accounts().to_vec();
        if !ids.is_empty() {
            let known = self
                .accounts
                .accounts_by_ids(&Scope::new(ids.clone()), &ids)
                .await
                .map_err(|e| AuthError::unavailable(&e, "accounts"))?;
            for account in &mut principal.accounts {
                if let Some(k) = known.iter().find(|k| k.id == account.id) {
                    account.name = k.name.clone();
                }
            }
        }
        Ok(self.remember(key, principal, since))
    }

    /// Caches `principal`, read since the `since`-th forget, unless another
    /// forget came meanwhile.
    fn remember(&self, key: &str, principal: Principal, since: u64) -> Arc<Principal> {
        let principal = Arc::new(principal);
        // Checked under the lock `forget` takes after counting itself.
        if let Ok(mut cache) = self.cache.lock()
            && self.generation.load(Ordering::SeqCst) == since
        {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(key.to_string(), (Instant::now(), principal.clone()));
        }
        principal
    }

    fn cached(&self, key: &str) -> Option<Arc<Principal>> {
        let cache = self.cache.lock().ok()?;
        let (at, principal) = cache.get(key)?;
        (at.elapsed() < self.ttl).then(|| principal.clone())
    }
}

/// The cache key of a principal built from claims: the same user with
/// other groups (a newer token) is another entry.
fn claims_key(issuer: &str, principal: &Principal) -> String {
    let mut hash = Sha256::new();
    for e in &principal.entitlements {
        hash.update(format!("{}:{}\n", e.account_id, e.role.as_str()));
    }
    hash.update(format!(
        "{}\n{}\n{}",
        principal.operator, principal.user.email, principal.user.name
    ));
    let digest: String = hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{issuer}\u{0}claims:{}\u{0}{digest}", principal.user.id)
}
