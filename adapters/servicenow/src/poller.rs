//! The polling fallback: publishes an `Updated` event for every case that
//! changed since the previous poll (webhooks may be lost or not configured).
//!
//! It runs on one replica at a time, the holder of the lease
//! `servicenow-poller`, which saves its watermark (the newest
//! `sys_updated_on` seen and the cases seen at that second) when it takes
//! the lease and after every poll that moved it: a replica taking over
//! resumes there, so a change is announced once however the lease moves
//! (at most the changes of one poll again, when the holder stopped between
//! announcing and saving). Before announcing, the holder confirms it still
//! holds the lease: one that was frozen and lost it announces nothing. A
//! watermark older than [`MAX_RESUME`] (every replica was down) resumes
//! from that long ago, not further.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::lease::{Lease, Leases, while_held};
use switchboard_core::{CaseEvent, CaseEventKind, EventBus};

use crate::{BACKEND, ServiceNow};

/// Most cases read per poll.
const PAGE: usize = 500;

/// The lease the poller runs under.
pub const LEASE: &str = "servicenow-poller";

/// How far back a new holder looks, at most.
pub const MAX_RESUME: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Where the poller is: changes up to `since` are announced, those at
/// `since` itself only for the cases in `seen`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Watermark {
    since: DateTime<Utc>,
    seen: Vec<String>,
}

impl Watermark {
    /// ServiceNow keeps whole seconds: start at the current second, so
    /// nothing written from now on is missed.
    fn now() -> Self {
        Self {
            since: crate::query::ceil_second(Utc::now()) - chrono::Duration::seconds(1),
            seen: Vec::new(),
        }
    }

    /// The watermark a previous holder saved (at most [`MAX_RESUME`] ago),
    /// else now.
    fn resumed(lease: &Lease) -> Self {
        match lease.state().map(serde_json::from_str::<Self>) {
            Some(Ok(mark)) => {
                let oldest = Utc::now() - MAX_RESUME;
                if mark.since < oldest {
                    Self {
                        since: oldest,
                        seen: Vec::new(),
                    }
                } else {
                    mark
                }
            }
            Some(Err(error)) => {
                tracing::warn!(adapter.name = BACKEND, %error, "the poller's saved watermark is unreadable; starting from now");
                Self::now()
            }
            None => Self::now(),
        }
    }

    /// Takes in one poll's changes, oldest first; the new ones.
    fn advance(&mut self, changed: Vec<crate::CaseRef>) -> Vec<crate::CaseRef> {
        let mut fresh = Vec::new();
        for case in changed {
            if case.updated_at < self.since
                || (case.updated_at == self.since && self.seen.contains(&case.id))
            {
                continue;
            }
            if case.updated_at > self.since {
                self.since = case.updated_at;
                self.seen.clear();
            }
            self.seen.push(case.id.clone());
            fresh.push(case);
        }
        fresh
    }
}

pub(crate) fn spawn(
    adapter: ServiceNow,
    bus: Arc<dyn EventBus>,
    leases: Arc<dyn Leases>,
) -> Option<tokio::task::JoinHandle<()>> {
    let secs = adapter.inner.settings.poll_secs;
    if secs == 0 {
        return None;
    }
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    Some(runtime.spawn(async move {
        while_held(leases, LEASE, |lease| {
            poll(
                adapter.clone(),
                bus.clone(),
                lease,
                Duration::from_secs(secs),
            )
        })
        .await;
    }))
}

/// Polls every `every` while the lease is held (the caller stops it when
/// the lease is lost).
async fn poll(adapter: ServiceNow, bus: Arc<dyn EventBus>, lease: Arc<Lease>, every: Duration) {
    let mut mark = Watermark::resumed(&lease);
    // Saved at once: a holder that stops before its first change still
    // hands on where it started.
    save(&lease, &mark).await;
    loop {
        tokio::time::sleep(every).await;
        let changed = match adapter
            .changed_since(mark.since - chrono::Duration::seconds(1), PAGE)
            .await
        {
            Ok(changed) => changed,
            Err(error) => {
                tracing::warn!(adapter.name = BACKEND, %error, "polling ServiceNow for changes failed");
                continue;
            }
        };
        let fresh = mark.advance(changed);
        if fresh.is_empty() {
            continue;
        }
        if let Err(error) = lease.confirm().await {
            // Frozen and replaced meanwhile: the new holder announces these.
            tracing::warn!(adapter.name = BACKEND, %error, "the poller lost its lease; it announces nothing more");
            return std::future::pending().await;
        }
        for case in fresh {
            bus.publish(CaseEvent {
                kind: CaseEventKind::Updated,
                case_id: case.id,
                case_number: case.number,
                account_id: case.account_id,
                at: case.updated_at,
            });
        }
        save(&lease, &mark).await;
    }
}

async fn save(lease: &Lease, mark: &Watermark) {
    let saved = serde_json::to_string(mark).expect("a watermark serialises");
    if let Err(error) = lease.save(&saved).await {
        tracing::warn!(adapter.name = BACKEND, %error, "the poller's watermark could not be saved");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CaseRef;

    fn case(id: &str, second: i64) -> CaseRef {
        CaseRef {
            id: id.into(),
            number: format!("CS{id}"),
            account_id: "1".into(),
            updated_at: DateTime::from_timestamp(1_800_000_000 + second, 0).unwrap(),
        }
    }

    #[test]
    fn a_watermark_announces_each_change_once_and_survives_a_handover() {
        let mut mark = Watermark {
            since: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            seen: vec![],
        };
        let fresh = mark.advance(vec![case("a", 0), case("b", 1)]);
        assert_eq!(fresh.len(), 2);
        // The next poll reads from a second before: "b" again, and "c" at
        // the same second.
        let fresh = mark.advance(vec![case("b", 1), case("c", 1)]);
        assert_eq!(
            fresh.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["c"]
        );
        // Another replica resumes from the saved state.
        let saved = serde_json::to_string(&mark).unwrap();
        let mut resumed: Watermark = serde_json::from_str(&saved).unwrap();
        assert_eq!(resumed, mark);
        assert!(resumed.advance(vec![case("b", 1), case("c", 1)]).is_empty());
        assert_eq!(resumed.advance(vec![case("d", 2)]).len(), 1);
    }
}
