//! Keyed rate limits kept in memory (GCRA, from the `governor` crate): at
//! most `max` events per key in a burst, replenished evenly over `window`.
//! Several gateway instances each keep their own counts.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Keys kept before idle ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// Counts events per key.
pub struct RateLimiter {
    /// Its name in the refusals metric.
    name: &'static str,
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// At most `max` events per key at once, one more each `window / max`;
    /// refusals are counted under `name`.
    pub fn new(name: &'static str, max: u32, window: Duration) -> Self {
        let max = NonZeroU32::new(max).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(window / max.get())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(max);
        Self {
            name,
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Counts an event for `key` if the limit allows it; `Err` says how long
    /// until one is allowed (and nothing is counted).
    pub fn hit(&self, key: &str) -> Result<(), Duration> {
        if self.limiter.len() > SWEEP_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_string())
            .map_err(|not_until| {
                crate::metrics::refused(self.name);
                not_until
                    .wait_time_from(self.clock.now())
                    .max(Duration::from_secs(1))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_max_at_once_per_key() {
        let limiter = RateLimiter::new("test", 2, Duration::from_secs(60));
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.hit("a").is_ok());
        let wait = limiter.hit("a").unwrap_err();
        assert!(wait <= Duration::from_secs(30) && wait >= Duration::from_secs(29));
        assert!(limiter.hit("b").is_ok(), "keys are counted apart");
    }

    #[test]
    fn capacity_comes_back_with_time() {
        let limiter = RateLimiter::new("test", 1, Duration::from_millis(30));
        assert!(limiter.hit("a").is_ok());
        assert!(limiter.hit("a").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(limiter.hit("a").is_ok());
    }
}
