//! Keyed rate limits (GCRA: at most `max` events per key in a burst,
//! replenished evenly over `window`), counted where `limits.store` says:
//!
//! - `memory` (the default): in this process, with the `governor` crate.
//!   Several replicas each keep their own counts, so a client spreading its
//!   attempts over N replicas gets N times the limit.
//! - `redis`: on Redis, shared by every replica. One Lua script per hit
//!   reads and moves the key's theoretical arrival time on Redis's own
//!   clock, so replicas with skewed clocks agree. Keys are
//!   `<limits.redis_prefix>:limit:<limit>:<digest of the key>` and expire
//!   once replenished. The digest is an HMAC keyed with
//!   `limits.redis_secret` when set (a reader of Redis then learns nothing
//!   of who asked); without it, a plain SHA-256, which hides logins and
//!   addresses from a glance but not from someone who tries candidates.
//!   When Redis does not answer within `limits.redis_timeout_ms`, the hit is
//!   counted in memory instead (per replica, as with `memory`), logged once
//!   per outage and counted in `switchboard_limit_store_errors_total`; for
//!   the next [`SKIP_AFTER_FAILURE`] hits go to memory at once, then one
//!   tries Redis again. A Redis outage loosens the limits to per-replica
//!   ones; it never refuses requests, and delays at most one attempt every
//!   few seconds by the timeout.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use hmac::{Hmac, Mac};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};

use crate::config::{LimitStore, LimitsConfig};

/// Keys kept in memory before idle ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// After Redis failed to answer, how long hits count in memory without
/// trying it.
pub const SKIP_AFTER_FAILURE: Duration = Duration::from_secs(2);

/// What is known of the shared store.
const UNCHECKED: u8 = 0;
const ANSWERING: u8 = 1;
const NOT_ANSWERING: u8 = 2;

/// The hit, on Redis's clock. `KEYS[1]`: the key; `ARGV[1]`: the period
/// (window / max) in milliseconds; `ARGV[2]`: the burst (max). Answers 0
/// when the hit counts, else the milliseconds until one would.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period = tonumber(ARGV[1])
local tolerance = period * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local next_tat = tat + period
local wait = next_tat - now - tolerance
if wait > 0 then return math.ceil(wait) end
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.max(1, next_tat - now))
return 0
";

/// Where the limits of this process count: makes [`RateLimiter`]s.
#[derive(Clone, Default)]
pub struct Limits {
    shared: Option<Arc<Shared>>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("shared", &self.shared.is_some())
            .finish()
    }
}

/// The Redis store of every limiter of a process.
struct Shared {
    connection: ConnectionManager,
    prefix: String,
    /// The HMAC key of key digests, when configured.
    secret: Option<Vec<u8>>,
    script: redis::Script,
    /// How long a hit waits for Redis.
    wait: Duration,
    /// [`UNCHECKED`], [`ANSWERING`] or [`NOT_ANSWERING`] (outages are
    /// logged once).
    state: AtomicU8,
    /// Until when hits skip Redis after a failure.
    skip_until: Mutex<Option<Instant>>,
}

/// What `/readyz` says of the rate-limit store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreState {
    /// Limits count in each process (`limits.store = "memory"`).
    Memory,
    /// Redis answered the last attempt.
    Redis,
    /// Redis did not answer the last attempt (limits count per replica).
    RedisUnavailable,
    /// Redis has not been asked yet.
    RedisUnchecked,
}

impl StoreState {
    /// Its name in `/readyz`.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreState::Memory => "memory",
            StoreState::Redis => "redis",
            StoreState::RedisUnavailable => "redis_unavailable",
            StoreState::RedisUnchecked => "redis_unchecked",
        }
    }
}

impl Limits {
    /// The store `config` names. Redis is connected lazily: the gateway
    /// starts (counting in memory) while Redis is down.
    pub fn new(config: &LimitsConfig) -> anyhow::Result<Self> {
        if config.store == LimitStore::Memory {
            return Ok(Self::default());
        }
        let url = config.redis_url.as_deref().unwrap_or_default();
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("`limits.redis_url` is not a Redis URL: {e}"))?;
        let wait = Duration::from_millis(config.redis_timeout_ms);
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(wait))
            .set_response_timeout(Some(wait))
            .set_number_of_retries(1)
            .set_max_delay(SKIP_AFTER_FAILURE);
        let connection = ConnectionManager::new_lazy_with_config(client, settings)
            .map_err(|e| anyhow::anyhow!("`limits.redis_url`: {e}"))?;
        let shared = Arc::new(Shared {
            connection,
            prefix: config.redis_prefix.clone(),
            secret: config.redis_secret.as_ref().map(|s| s.as_bytes().to_vec()),
            script: redis::Script::new(GCRA),
            wait,
            state: AtomicU8::new(UNCHECKED),
            skip_until: Mutex::new(None),
        });
        // Connect (and learn whether Redis answers) before the first attempt
        // needs it.
        let probe = shared.clone();
        tokio::spawn(async move { probe.ping().await });
        Ok(Self {
            shared: Some(shared),
        })
    }

    /// What is known of the store limits count in.
    pub fn store_state(&self) -> StoreState {
        match self
            .shared
            .as_ref()
            .map(|s| s.state.load(Ordering::Relaxed))
        {
            None => StoreState::Memory,
            Some(ANSWERING) => StoreState::Redis,
            Some(NOT_ANSWERING) => StoreState::RedisUnavailable,
            Some(_) => StoreState::RedisUnchecked,
        }
    }

    /// A limit of at most `max` events per key at once, one more each
    /// `window / max`; refusals are counted under `name`.
    pub fn limiter(&self, name: &'static str, max: u32, window: Duration) -> RateLimiter {
        let max = NonZeroU32::new(max).unwrap_or(NonZeroU32::MIN);
        let period = window / max.get();
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(max);
        RateLimiter {
            name,
            max: max.get(),
            period_ms: period.as_millis().clamp(1, u64::MAX as u128) as u64,
            local: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            shared: self.shared.clone(),
        }
    }
}

/// Counts events per key.
pub struct RateLimiter {
    /// Its name in the refusals metric and in Redis keys.
    name: &'static str,
    max: u32,
    period_ms: u64,
    local: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    shared: Option<Arc<Shared>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("name", &self.name)
            .field("max", &self.max)
            .field("shared", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// Counts an event for `key` if the limit allows it; `Err` says how long
    /// until one is allowed, in whole seconds rounded up (at least one, so
    /// a client retrying after `Retry-After` is not refused again; nothing
    /// is counted).
    pub async fn hit(&self, key: &str) -> Result<(), Duration> {
        let counted = match &self.shared {
            Some(shared) => match self.hit_shared(shared, key).await {
                Some(result) => result,
                None => self.hit_local(key),
            },
            None => self.hit_local(key),
        };
        counted.map_err(|wait| {
            crate::metrics::refused(self.name);
            let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Duration::from_secs(whole.max(1))
        })
    }

    fn hit_local(&self, key: &str) -> Result<(), Duration> {
        if self.local.len() > SWEEP_ABOVE {
            self.local.retain_recent();
        }
        self.local
            .check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// The hit on Redis; `None` when Redis did not answer in time (or
    /// failed moments ago).
    async fn hit_shared(&self, shared: &Shared, key: &str) -> Option<Result<(), Duration>> {
        if shared.skipping() {
            return None;
        }
        let digest = shared.digest(key);
        let redis_key = format!("{}:limit:{}:{digest}", shared.prefix, self.name);
        let mut connection = shared.connection.clone();
        let mut invocation = shared.script.key(redis_key);
        invocation.arg(self.period_ms).arg(self.max);
        let call = invocation.invoke_async::<u64>(&mut connection);
        let answer = match tokio::time::timeout(shared.wait, call).await {
            Ok(Ok(wait_ms)) => wait_ms,
            Ok(Err(e)) => return shared.failed(&e.to_string()),
            Err(_) => return shared.failed("no answer in time"),
        };
        shared.answered();
        Some(match answer {
            0 => Ok(()),
            wait_ms => Err(Duration::from_millis(wait_ms)),
        })
    }
}

impl Shared {
    /// The digest naming `key` in Redis: an HMAC with the secret when one
    /// is configured, else SHA-256; 128 bits, hex.
    fn digest(&self, key: &str) -> String {
        let bytes: Vec<u8> = match &self.secret {
            Some(secret) => match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
                Ok(mut mac) => {
                    mac.update(key.as_bytes());
                    mac.finalize().into_bytes().to_vec()
                }
                // HMAC takes keys of any length; kept total all the same.
                Err(_) => Sha256::digest(key.as_bytes()).to_vec(),
            },
            None => Sha256::digest(key.as_bytes()).to_vec(),
        };
        bytes[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether a failure moments ago sends hits to memory without asking.
    fn skipping(&self) -> bool {
        let skip = self.skip_until.lock().unwrap_or_else(|p| p.into_inner());
        skip.is_some_and(|until| Instant::now() < until)
    }

    /// Asks Redis whether it answers (at start).
    async fn ping(&self) {
        let mut connection = self.connection.clone();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut connection);
        match tokio::time::timeout(self.wait, ping).await {
            Ok(Ok(_)) => self.answered(),
            Ok(Err(e)) => self.failed::<()>(&e.to_string()).unwrap_or_default(),
            Err(_) => self.failed::<()>("no answer in time").unwrap_or_default(),
        }
    }

    /// Notes an answer: logged when an outage ends.
    fn answered(&self) {
        if self.state.swap(ANSWERING, Ordering::Relaxed) == NOT_ANSWERING {
            tracing::info!(
                "the shared rate-limit store answers again; limits hold across replicas"
            );
        }
    }

    /// Notes an unanswered attempt: logged when an outage starts, always
    /// counted; Redis is left alone for [`SKIP_AFTER_FAILURE`].
    fn failed<T>(&self, why: &str) -> Option<T> {
        metrics::counter!("switchboard_limit_store_errors_total").increment(1);
        *self.skip_until.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Instant::now() + SKIP_AFTER_FAILURE);
        if self.state.swap(NOT_ANSWERING, Ordering::Relaxed) != NOT_ANSWERING {
            tracing::warn!(
                error = why,
                "the shared rate-limit store (Redis) does not answer; limits are counted per replica until it does"
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Limits {
        Limits::default()
    }

    #[tokio::test]
    async fn allows_max_at_once_per_key() {
        let limiter = memory().limiter("test", 2, Duration::from_secs(60));
        assert!(limiter.hit("a").await.is_ok());
        assert!(limiter.hit("a").await.is_ok());
        let wait = limiter.hit("a").await.unwrap_err();
        assert!(wait <= Duration::from_secs(30) && wait >= Duration::from_secs(29));
        assert!(limiter.hit("b").await.is_ok(), "keys are counted apart");
    }

    #[tokio::test]
    async fn capacity_comes_back_with_time() {
        let limiter = memory().limiter("test", 1, Duration::from_millis(30));
        assert!(limiter.hit("a").await.is_ok());
        assert!(limiter.hit("a").await.is_err());
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert!(limiter.hit("a").await.is_ok());
    }

    #[tokio::test]
    async fn waits_are_whole_seconds_rounded_up() {
        let limiter = memory().limiter("test", 1, Duration::from_millis(1500));
        assert!(limiter.hit("a").await.is_ok());
        assert_eq!(limiter.hit("a").await, Err(Duration::from_secs(2)));
    }

    fn unreachable_redis(secret: Option<&str>) -> Limits {
        let config = LimitsConfig {
            store: LimitStore::Redis,
            // Nothing listens on port 1.
            redis_url: Some("redis://127.0.0.1:1".into()),
            redis_secret: secret.map(str::to_string),
            ..LimitsConfig::default()
        };
        Limits::new(&config).unwrap()
    }

    #[tokio::test]
    async fn an_unreachable_redis_counts_in_memory() {
        let limits = unreachable_redis(None);
        let limiter = limits.limiter("test", 1, Duration::from_secs(60));
        assert!(limiter.hit("a").await.is_ok());
        assert!(limiter.hit("a").await.is_err(), "counted in memory");
        assert_eq!(limits.store_state(), StoreState::RedisUnavailable);
    }

    #[tokio::test]
    async fn keys_are_digests_keyed_with_the_secret_when_there_is_one() {
        let digest = |secret: Option<&str>| {
            let limits = unreachable_redis(secret);
            limits.shared.unwrap().digest("pat@example.com")
        };
        let plain = digest(None);
        let keyed = digest(Some("s3cret"));
        assert_eq!(plain.len(), 32);
        assert!(!plain.contains("pat"));
        assert_ne!(plain, keyed);
        assert_ne!(keyed, digest(Some("other")));
        assert_eq!(keyed, digest(Some("s3cret")));
    }
}
