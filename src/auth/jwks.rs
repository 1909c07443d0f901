//! An external issuer's keys: found through OpenID Connect discovery,
//! cached as long as the JWKS response's `Cache-Control: max-age` says
//! (bounded), refetched when stale, and refetched when a token names an
//! unknown `kid` — at most once per `refetch_every`, so a flood of made-up
//! kids cannot hammer the issuer. One fetch is in flight per issuer; callers
//! arriving meanwhile wait for it. Keys keep working until a refetch drops them.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey};
use openidconnect::core::CoreProviderMetadata;
use openidconnect::{IssuerUrl, reqwest};

use super::AuthError;
use super::keys::KeySet;

/// Shortest time a key set is trusted without refetching.
const MIN_CACHE: Duration = Duration::from_secs(60);
/// Longest time a key set is trusted without refetching.
const MAX_CACHE: Duration = Duration::from_secs(24 * 3600);
/// How long a key set is trusted when the response does not say.
const DEFAULT_CACHE: Duration = Duration::from_secs(3600);
/// Largest JWKS document accepted.
const MAX_JWKS_BYTES: usize = 512 * 1024;

/// The HTTP client for talking to issuers: no redirects, bounded time.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()?)
}

/// One issuer's key set, fetched on demand.
pub struct RemoteKeys {
    issuer: String,
    jwks_override: Option<String>,
    refetch_every: Duration,
    http: reqwest::Client,
    state: RwLock<Cached>,
    /// Held while fetching; the last refetch caused by an unknown kid.
    fetching: tokio::sync::Mutex<Option<Instant>>,
}

#[derive(Default)]
struct Cached {
    keys: Arc<KeySet>,
    fresh_until: Option<Instant>,
    jwks_uri: Option<String>,
    /// Counts successful fetches, so waiters can tell one happened.
    generation: u64,
}

/// Why a fetch is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    Stale,
    UnknownKid,
}

impl RemoteKeys {
    /// Keys of `issuer` (from `jwks_override`, else discovery).
    pub fn new(
        issuer: &str,
        jwks_override: Option<String>,
        refetch_every: Duration,
        http: reqwest::Client,
    ) -> Self {
        Self {
            issuer: issuer.to_string(),
            jwks_override,
            refetch_every,
            http,
            state: RwLock::new(Cached::default()),
            fetching: tokio::sync::Mutex::new(None),
        }
    }

    /// Whether a key set has been loaded.
    pub fn is_ready(&self) -> bool {
        self.state.read().is_ok_and(|s| !s.keys.is_empty())
    }

    /// Loads the keys in the background, retrying with backoff (1 s
    /// doubling to 60 s) while the issuer is unreachable.
    pub fn warm_up(self: &Arc<Self>) {
        let keys = self.clone();
        tokio::spawn(async move {
            let mut wait = Duration::from_secs(1);
            while !keys.is_ready() {
                keys.refresh(Reason::Stale).await;
                if keys.is_ready() {
                    break;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(60));
            }
        });
    }

    /// The key named `kid` and its algorithm.
    pub async fn key(&self, kid: &str) -> Result<(Algorithm, DecodingKey), AuthError> {
        let (found, stale) = self.lookup(kid);
        if let Some(key) = found.clone()
            && !stale
        {
            return Ok(key);
        }
        self.refresh(if found.is_some() {
            Reason::Stale
        } else {
            Reason::UnknownKid
        })
        .await;
        let (now_found, _) = self.lookup(kid);
        match now_found {
            Some(key) => Ok(key),
            None if !self.is_ready() => Err(AuthError::Unavailable("issuer".into())),
            None => Err(AuthError::Invalid(
                "it was signed by a key its issuer does not publish".into(),
            )),
        }
    }

    fn lookup(&self, kid: &str) -> (Option<(Algorithm, DecodingKey)>, bool) {
        let Ok(state) = self.state.read() else {
            return (None, true);
        };
        let stale = state.fresh_until.is_none_or(|t| Instant::now() >= t);
        (state.keys.get(kid).cloned(), stale)
    }

    /// Which load of the key set is current, while it is fresh (`None`
    /// once it is due to be fetched again).
    pub fn fresh_generation(&self) -> Option<u64> {
        let state = self.state.read().ok()?;
        let fresh = state.fresh_until.is_some_and(|t| Instant::now() < t);
        fresh.then_some(state.generation)
    }

    fn generation(&self) -> u64 {
        self.state.read().map(|s| s.generation).unwrap_or(0)
    }

    /// Fetches the key set unless another caller just did, or (for an
    /// unknown kid) one was fetched for that reason within `refetch_every`.
    async fn refresh(&self, reason: Reason) {
        let seen = self.generation();
        let mut last_unknown = self.fetching.lock().await;
        if self.generation() != seen {
            return;
        }
        if reason == Reason::UnknownKid {
            if last_unknown.is_some_and(|t| t.elapsed() < self.refetch_every) {
                tracing::debug!(auth.issuer = %self.issuer, "unknown kid: refetch rate-limited");
                return;
            }
            *last_unknown = Some(Instant::now());
        }
        match self.fetch().await {
            Ok((keys, max_age, jwks_uri)) => {
                tracing::info!(auth.issuer = %self.issuer, keys = keys.len(), "loaded the issuer's keys");
                if let Ok(mut state) = self.state.write() {
                    state.keys = Arc::new(keys);
                    state.fresh_until = Some(Instant::now() + max_age);
                    state.jwks_uri = Some(jwks_uri);
                    state.generation += 1;
                }
            }
            Err(e) => {
                tracing::warn!(auth.issuer = %self.issuer, error = %e, "cannot load the issuer's keys");
                if let Ok(mut state) = self.state.write() {
                    // Keep the old keys a little longer rather than refetch on every token.
                    state.fresh_until = Some(Instant::now() + self.refetch_every);
                }
            }
        }
    }

    async fn jwks_uri(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.jwks_override {
            return Ok(url.clone());
        }
        if let Some(url) = self.state.read().ok().and_then(|s| s.jwks_uri.clone()) {
            return Ok(url);
        }
        let issuer = IssuerUrl::new(self.issuer.clone())?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| anyhow::anyhow!("discovery failed: {e}"))?;
        Ok(metadata.jwks_uri().url().to_string())
    }

    async fn fetch(&self) -> anyhow::Result<(KeySet, Duration, String)> {
        let uri = self.jwks_uri().await?;
        let response = self
            .http
            .get(&uri)
            .header("accept", "application/json")
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "the JWKS answered {}",
            response.status()
        );
        let max_age = response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .map_or(DEFAULT_CACHE, cache_lifetime);
        let body = response.bytes().await?;
        anyhow::ensure!(body.len() <= MAX_JWKS_BYTES, "the JWKS is too large");
        let keys = KeySet::from_jwks(&serde_json::from_slice(&body)?);
        anyhow::ensure!(!keys.is_empty(), "the JWKS holds no usable signature keys");
        Ok((keys, max_age, uri))
    }
}

/// How long a `Cache-Control` header lets a key set be kept, bounded to
/// 1 min .. 24 h; `no-cache`/`no-store` mean the least.
pub fn cache_lifetime(header: &str) -> Duration {
    let mut lifetime = DEFAULT_CACHE;
    for directive in header.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return MIN_CACHE;
        }
        if let Some(secs) = lower.strip_prefix("max-age=") {
            lifetime = secs
                .trim_matches('"')
                .parse()
                .map_or(DEFAULT_CACHE, Duration::from_secs);
        }
    }
    lifetime.clamp(MIN_CACHE, MAX_CACHE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_is_honoured_within_bounds() {
        assert_eq!(
            cache_lifetime("public, max-age=7200"),
            Duration::from_secs(7200)
        );
        assert_eq!(cache_lifetime("max-age=5"), MIN_CACHE);
        assert_eq!(cache_lifetime("max-age=99999999"), MAX_CACHE);
        assert_eq!(cache_lifetime("no-store"), MIN_CACHE);
        assert_eq!(cache_lifetime("private"), DEFAULT_CACHE);
        assert_eq!(cache_lifetime("max-age=abc"), DEFAULT_CACHE);
    }
}
