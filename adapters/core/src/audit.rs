//! The audit trail: one entry per mutation, whatever its outcome.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::{Error, Result};

/// One audited operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When it finished.
    pub at: DateTime<Utc>,
    /// The user's directory id.
    pub user_id: String,
    /// The issuer of the user's token.
    pub issuer: String,
    /// The OAuth client the token was issued to, if it says.
    pub client: Option<String>,
    /// The operation's name (`CreateCase`), or `anonymous`.
    pub operation: String,
    /// The root fields it ran (`createCase`, `addCaseComment`).
    pub fields: Vec<String>,
    /// The ids it named (case, attachment and account ids).
    pub targets: Vec<String>,
    /// `OK`, or the code of its first error.
    pub outcome: String,
    /// Made once per entry (random): recording it again, as a retry after
    /// a lost answer does, stores it once. Empty for entries kept before
    /// keys existed.
    pub key: String,
}

/// Where audit entries are kept.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Stores one entry; one whose key is stored already is stored once
    /// (and that is no error).
    async fn record(&self, entry: &AuditEntry) -> Result<()>;
    /// The newest entries first, at most `limit`.
    async fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>>;
}

/// How long an entry's first try may take before it waits its turn (the
/// mutation's answer waits for it).
pub const FIRST_TRY: Duration = Duration::from_secs(1);

/// An [`AuditLog`] that keeps what its store refuses: an entry that cannot
/// be stored (the database is down, say) waits in a queue, in order, and a
/// background task stores it once the store answers again. Up to `capacity`
/// entries wait; past that the oldest is dropped, logged and counted in
/// `switchboard_audit_entries_dropped_total`. The queue is in memory: a
/// process that dies with entries waiting loses them (the log has each
/// entry as well, `target: "audit"`).
pub struct Retrying {
    shared: Arc<Queue>,
}

struct Queue {
    store: Arc<dyn AuditLog>,
    waiting: Mutex<VecDeque<AuditEntry>>,
    capacity: usize,
    wake: Notify,
    /// One drain at a time (the retrying task's, or a flush): an entry is
    /// stored once.
    draining: tokio::sync::Mutex<()>,
    /// Longest pause between tries while the store refuses.
    max_pause: Duration,
}

impl Retrying {
    /// Wraps `store`, starting the task that retries (inside a tokio
    /// runtime).
    pub fn new(store: Arc<dyn AuditLog>, capacity: usize, max_pause: Duration) -> Self {
        let shared = Arc::new(Queue {
            store,
            waiting: Mutex::default(),
            capacity: capacity.max(1),
            wake: Notify::new(),
            draining: tokio::sync::Mutex::new(()),
            max_pause,
        });
        tokio::spawn(retry(shared.clone()));
        Self { shared }
    }

    /// Entries waiting to be stored.
    pub fn waiting(&self) -> usize {
        self.shared.lock().len()
    }

    /// Stores what waits, for at most `limit`; the number still waiting.
    pub async fn flush(&self, limit: Duration) -> usize {
        let _ = tokio::time::timeout(limit, self.shared.drain()).await;
        self.waiting()
    }
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, VecDeque<AuditEntry>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, entry: AuditEntry) {
        let mut waiting = self.lock();
        if waiting.len() == self.capacity
            && let Some(dropped) = waiting.pop_front()
        {
            metrics::counter!("switchboard_audit_entries_dropped_total").increment(1);
            tracing::error!(
                audit.operation = %dropped.operation,
                audit.user = %dropped.user_id,
                "the audit queue is full: its oldest entry is dropped"
            );
        }
        waiting.push_back(entry);
        metrics::gauge!("switchboard_audit_entries_waiting").set(waiting.len() as f64);
    }

    /// Stores waiting entries oldest first until none waits (`Ok`) or the
    /// store refuses one (`Err`, the entry stays first).
    async fn drain(&self) -> Result<()> {
        let _only = self.draining.lock().await;
        loop {
            let Some(entry) = self.lock().front().cloned() else {
                return Ok(());
            };
            match self.store.record(&entry).await {
                Ok(()) => {}
                Err(error @ Error::Unavailable { .. }) => return Err(error),
                // Refused for good: waiting would hold up every later entry.
                Err(error) => {
                    metrics::counter!("switchboard_audit_entries_dropped_total").increment(1);
                    tracing::error!(%error, audit.operation = %entry.operation, "the store refused a waiting audit entry; it is dropped");
                }
            }
            let mut waiting = self.lock();
            // Still first: only a drain pops, and a full queue drops from
            // the front (then the stored entry is gone already).
            if waiting.front() == Some(&entry) {
                waiting.pop_front();
            }
            metrics::gauge!("switchboard_audit_entries_waiting").set(waiting.len() as f64);
        }
    }
}

/// Retries waiting entries for as long as the runtime runs, pausing longer
/// (up to `max_pause`) after each refusal.
async fn retry(queue: Arc<Queue>) {
    let mut pause = Duration::from_millis(250);
    loop {
        let wake = queue.wake.notified();
        match queue.drain().await {
            Ok(()) => {
                pause = Duration::from_millis(250);
                // Woken by the next entry that waits.
                wake.await;
            }
            Err(error) => {
                let waiting = queue.lock().len();
                tracing::warn!(%error, waiting, "audit entries wait for their store");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(queue.max_pause);
            }
        }
    }
}

#[async_trait]
impl AuditLog for Retrying {
    /// Stores the entry at once when the store answers within
    /// [`FIRST_TRY`]; otherwise (or while others wait: the store is likely
    /// down) it waits its turn. A refusal other than unavailability is the
    /// caller's.
    async fn record(&self, entry: &AuditEntry) -> Result<()> {
        if self.shared.lock().is_empty() {
            match tokio::time::timeout(FIRST_TRY, self.shared.store.record(entry)).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(Error::Unavailable { .. })) | Err(_) => {
                    tracing::warn!("an audit entry waits for its store");
                }
                Ok(Err(error)) => return Err(error),
            }
        }
        self.shared.push(entry.clone());
        self.shared.wake.notify_one();
        Ok(())
    }

    /// The store's newest entries and those waiting, newest first. Read
    /// in that order (waiting ones first), an entry stored meanwhile is
    /// found twice and listed once (by its key).
    async fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let waiting: Vec<AuditEntry> = self.shared.lock().iter().cloned().collect();
        let mut entries = self.shared.store.recent(limit).await?;
        for entry in waiting {
            if !entries.iter().any(|stored| stored.key == entry.key) {
                entries.push(entry);
            }
        }
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.at));
        entries.truncate(limit);
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use Duration;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// A store that refuses while `down`.
    #[derive(Default)]
    struct Flaky {
        down: AtomicBool,
        kept: Mutex<Vec<AuditEntry>>,
    }

    #[async_trait]
    impl AuditLog for Flaky {
        async fn record(&self, entry: &AuditEntry) -> Result<()> {
            if self.down.load(Ordering::SeqCst) {
                return Err(crate::Error::unavailable("database"));
            }
            self.kept.lock().unwrap().push(entry.clone());
            Ok(())
        }

        async fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>> {
            let kept = self.kept.lock().unwrap();
            Ok(kept.iter().rev().take(limit).cloned().collect())
        }
    }

    fn entry(operation: &str, second: i64) -> AuditEntry {
        AuditEntry {
            at: DateTime::from_timestamp(1_800_000_000 + second, 0).unwrap(),
            user_id: "u1".into(),
            issuer: "i".into(),
            client: None,
            operation: operation.into(),
            fields: vec!["addCaseComment".into()],
            targets: vec![],
            outcome: "BACKEND_UNAVAILABLE".into(),
            key: format!("key-{operation}"),
        }
    }

    fn operations(entries: &[AuditEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.operation.as_str()).collect()
    }

    #[tokio::test]
    async fn entries_refused_by_the_store_are_stored_in_order_once_it_answers() {
        let store = Arc::new(Flaky::default());
        let log = Retrying::new(store.clone(), 100, Duration::from_millis(20));
        store.down.store(true, Ordering::SeqCst);
        log.record(&entry("A", 1)).await.unwrap();
        log.record(&entry("B", 2)).await.unwrap();
        assert_eq!(log.waiting(), 2);
        // Listed while they wait.
        assert_eq!(operations(&log.recent(10).await.unwrap()), ["B", "A"]);
        assert_eq!(log.flush(Duration::from_millis(50)).await, 2);

        store.down.store(false, Ordering::SeqCst);
        // A new entry queues behind the waiting ones.
        log.record(&entry("C", 3)).await.unwrap();
        for _ in 0..200 {
            if log.waiting() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(log.waiting(), 0);
        assert_eq!(operations(&store.kept.lock().unwrap()), ["A", "B", "C"]);
        assert_eq!(operations(&log.recent(10).await.unwrap()), ["C", "B", "A"]);
    }

    #[tokio::test]
    async fn a_full_queue_drops_its_oldest_entry() {
        let store = Arc::new(Flaky::default());
        store.down.store(true, Ordering::SeqCst);
        let log = Retrying::new(store.clone(), 2, Duration::from_millis(20));
        for (i, name) in ["A", "B", "C"].into_iter().enumerate() {
            log.record(&entry(name, i as i64)).await.unwrap();
        }
        assert_eq!(log.waiting(), 2);
        store.down.store(false, Ordering::SeqCst);
        assert_eq!(log.flush(Duration::from_secs(5)).await, 0);
        assert_eq!(operations(&store.kept.lock().unwrap()), ["B", "C"]);
    }
}
