//! The audit trail: one entry per mutation, whatever its outcome.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;

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
}

/// Where audit entries are kept.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Stores one entry.
    async fn record(&self, entry: &AuditEntry) -> Result<()>;
    /// The newest entries first, at most `limit`.
    async fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>>;
}

/// An [`AuditLog`] that keeps what its store refuses: an entry that cannot
/// be stored (the database is down, say) waits in a queue, in order, and a
/// background task stores it once the store answers again. Up to `capacity`
/// entries wait; past that the oldest is dropped, logged and counted in
/// `switchboard_audit_entries_dropped_total`. The queue is in memory: a
/// process that dies with entries waiting loses them (the log has each
/// entry as well, `target: "audit"`).
pub struct Retrying {
    shared: std::sync::Arc<Queue>,
}

struct Queue {
    store: std::sync::Arc<dyn AuditLog>,
    waiting: std::sync::Mutex<std::collections::VecDeque<AuditEntry>>,
    capacity: usize,
    wake: tokio::sync::Notify,
    /// One drain at a time (the retrying task's, or a flush): an entry is
    /// stored once.
    draining: tokio::sync::Mutex<()>,
    /// Longest pause between tries while the store refuses.
    max_pause: std::time::Duration,
}

impl Retrying {
    /// Wraps `store`, starting the task that retries (inside a tokio
    /// runtime).
    pub fn new(
        store: std::sync::Arc<dyn AuditLog>,
        capacity: usize,
        max_pause: std::time::Duration,
    ) -> Self {
        let shared = std::sync::Arc::new(Queue {
            store,
            waiting: std::sync::Mutex::default(),
            capacity: capacity.max(1),
            wake: tokio::sync::Notify::new(),
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
    pub async fn flush(&self, limit: std::time::Duration) -> usize {
        let _ = tokio::time::timeout(limit, self.shared.drain()).await;
        self.waiting()
    }
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::VecDeque<AuditEntry>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
            self.store.record(&entry).await?;
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
async fn retry(queue: std::sync::Arc<Queue>) {
    let mut pause = std::time::Duration::from_millis(250);
    loop {
        let wake = queue.wake.notified();
        match queue.drain().await {
            Ok(()) => {
                pause = std::time::Duration::from_millis(250);
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
    async fn record(&self, entry: &AuditEntry) -> Result<()> {
        // While entries wait, the store is likely down: join them, in order.
        if self.shared.lock().is_empty() {
            match self.shared.store.record(entry).await {
                Ok(()) => return Ok(()),
                Err(error) => {
                    tracing::warn!(%error, "an audit entry waits for its store");
                }
            }
        }
        self.shared.push(entry.clone());
        self.shared.wake.notify_one();
        Ok(())
    }

    /// The store's newest entries and those waiting, newest first. Read
    /// in that order (waiting ones first), an entry stored meanwhile shows
    /// twice and is shown once.
    async fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let waiting: Vec<AuditEntry> = self.shared.lock().iter().cloned().collect();
        let mut entries = self.shared.store.recent(limit).await?;
        for entry in waiting {
            if !entries.contains(&entry) {
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
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    /// A store that refuses while `down`.
    #[derive(Default)]
    struct Flaky {
        down: AtomicBool,
        kept: std::sync::Mutex<Vec<AuditEntry>>,
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
