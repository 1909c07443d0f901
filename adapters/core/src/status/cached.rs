//! A [`StatusSource`] decorator that keeps the last summary in memory:
//! every page of the portal shows it, and it is the same for everyone, so
//! reading it once per change instead of once per request saves the
//! source's reads (three statements on the SQL source) on every overview.
//!
//! A kept summary is served while nothing was delivered on the status bus
//! since it was read, and for at most `max_age`. Operators' writes are
//! published on that bus ([`super::PublishingStatus`]) on the replica that
//! made them and, through the relay, on every other one, so a read after a
//! change reads the source again. `max_age` bounds what a change that never
//! reached the bus (a lost relay message, an edit made in the database by
//! hand) can leave behind.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Incident, StatusAdmin, StatusBus, StatusChange, StatusSource, Summary};
use crate::Result;
use crate::events::Changes;

/// Wraps a source; its summary is kept until the bus says it changed.
pub struct CachedStatus {
    inner: Arc<dyn StatusSource>,
    max_age: Duration,
    state: Mutex<Kept>,
}

struct Kept {
    changes: Changes<StatusChange>,
    /// How many times a change was seen: a summary read before the last
    /// one is not kept.
    generation: u64,
    summary: Option<(u64, Instant, Summary)>,
}

impl Kept {
    /// The generation now, after counting what arrived since last asked.
    fn generation(&mut self) -> u64 {
        if self.changes.seen() {
            self.generation += 1;
            self.summary = None;
        }
        self.generation
    }
}

impl CachedStatus {
    /// Keeps `inner`'s summary until `bus` delivers a change, at most `max_age`.
    pub fn new(inner: Arc<dyn StatusSource>, bus: &StatusBus, max_age: Duration) -> Self {
        Self {
            inner,
            max_age,
            state: Mutex::new(Kept {
                changes: bus.changes(),
                generation: 0,
                summary: None,
            }),
        }
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        // Nothing panics while holding it; a poisoned lock still holds
        // consistent data (at worst a summary that is about to be replaced).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl StatusSource for CachedStatus {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn summary(&self) -> Result<Summary> {
        // Its age counts from before the read, so it is never served past
        // `max_age` after what it shows was read.
        let asked = Instant::now();
        let generation = {
            let mut kept = self.kept();
            let generation = kept.generation();
            if let Some((of, at, summary)) = &kept.summary
                && *of == generation
                && at.elapsed() < self.max_age
            {
                return Ok(summary.clone());
            }
            generation
        };
        let summary = self.inner.summary().await?;
        let mut kept = self.kept();
        // A change seen while reading may not be in what was read.
        if kept.generation() == generation {
            kept.summary = Some((generation, asked, summary.clone()));
        }
        Ok(summary)
    }

    async fn incident(&self, id: &str) -> Result<Incident> {
        self.inner.incident(id).await
    }

    async fn recent_incidents(&self, limit: usize) -> Result<Vec<Incident>> {
        self.inner.recent_incidents(limit).await
    }

    fn admin(&self) -> Option<&dyn StatusAdmin> {
        // Writes reach the bus through the publishing wrapper around this one.
        self.inner.admin()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::Utc;

    use super::*;
    use crate::status::{ComponentStatus, Indicator, demo};

    /// A source that counts its reads and answers what `status` says now.
    struct Counting {
        reads: AtomicUsize,
        status: Mutex<ComponentStatus>,
        /// Published on while a read is under way (a write racing it).
        during_read: Option<StatusBus>,
    }

    impl Counting {
        fn new(during_read: Option<StatusBus>) -> Arc<Self> {
            Arc::new(Self {
                reads: AtomicUsize::new(0),
                status: Mutex::new(ComponentStatus::Operational),
                during_read,
            })
        }

        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
    }

    #[async_trait]
    impl StatusSource for Counting {
        fn backend(&self) -> &'static str {
            "counting"
        }

        async fn summary(&self) -> Result<Summary> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            let mut components = demo::components(Utc::now());
            components.truncate(1);
            components[0].status = *self.status.lock().unwrap();
            if let Some(bus) = &self.during_read {
                bus.publish(StatusChange::Summary);
            }
            Ok(Summary {
                indicator: Indicator::None,
                description: String::new(),
                components,
                incidents: vec![],
            })
        }

        async fn incident(&self, id: &str) -> Result<Incident> {
            Err(crate::Error::not_found(id))
        }

        async fn recent_incidents(&self, _: usize) -> Result<Vec<Incident>> {
            Ok(vec![])
        }

        fn admin(&self) -> Option<&dyn StatusAdmin> {
            None
        }
    }

    fn status_of(summary: &Summary) -> ComponentStatus {
        summary.components[0].status
    }

    #[tokio::test]
    async fn the_summary_is_read_again_only_after_a_change() {
        let bus = StatusBus::default();
        let source = Counting::new(None);
        let cached = CachedStatus::new(source.clone(), &bus, Duration::from_secs(60));
        cached.summary().await.unwrap();
        cached.summary().await.unwrap();
        assert_eq!(source.reads(), 1, "the second read is served from memory");

        *source.status.lock().unwrap() = ComponentStatus::MajorOutage;
        bus.publish(StatusChange::Component { id: "1".into() });
        let after = cached.summary().await.unwrap();
        assert_eq!(status_of(&after), ComponentStatus::MajorOutage);
        assert_eq!(source.reads(), 2);

        // What another replica's write delivers here counts the same.
        *source.status.lock().unwrap() = ComponentStatus::Operational;
        bus.deliver(StatusChange::Summary);
        let after = cached.summary().await.unwrap();
        assert_eq!(status_of(&after), ComponentStatus::Operational);
        cached.summary().await.unwrap();
        assert_eq!(source.reads(), 3);
    }

    #[tokio::test]
    async fn a_summary_read_while_something_changed_is_not_kept() {
        let bus = StatusBus::default();
        let source = Counting::new(Some(bus.clone()));
        let cached = CachedStatus::new(source.clone(), &bus, Duration::from_secs(60));
        cached.summary().await.unwrap();
        cached.summary().await.unwrap();
        assert_eq!(source.reads(), 2, "each read raced a change");
    }

    #[tokio::test]
    async fn a_kept_summary_expires() {
        let bus = StatusBus::default();
        let source = Counting::new(None);
        let cached = CachedStatus::new(source.clone(), &bus, Duration::ZERO);
        cached.summary().await.unwrap();
        cached.summary().await.unwrap();
        assert_eq!(source.reads(), 2);
    }
}
