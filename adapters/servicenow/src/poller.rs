//! The polling fallback: publishes an `Updated` event for every case that
//! changed since the previous poll (webhooks may be lost or not configured).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use switchboard_core::{CaseEvent, CaseEventKind, EventBus};

use crate::{BACKEND, ServiceNow};

/// Most cases read per poll.
const PAGE: usize = 500;

pub(crate) fn spawn(
    adapter: ServiceNow,
    bus: Arc<dyn EventBus>,
) -> Option<tokio::task::JoinHandle<()>> {
    let secs = adapter.inner.settings.poll_secs;
    if secs == 0 {
        return None;
    }
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    Some(runtime.spawn(async move {
        // ServiceNow keeps whole seconds: start at the current second, so
        // nothing written from now on is missed.
        let mut since = crate::query::ceil_second(Utc::now()) - chrono::Duration::seconds(1);
        let mut seen_at_since: Vec<String> = Vec::new();
        loop {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            match adapter.changed_since(since - chrono::Duration::seconds(1), PAGE).await {
                Ok(changed) => {
                    for case in changed {
                        if case.updated_at < since
                            || (case.updated_at == since && seen_at_since.contains(&case.id))
                        {
                            continue;
                        }
                        if case.updated_at > since {
                            since = case.updated_at;
                            seen_at_since.clear();
                        }
                        seen_at_since.push(case.id.clone());
                        bus.publish(CaseEvent {
                            kind: CaseEventKind::Updated,
                            case_id: case.id,
                            case_number: case.number,
                            account_id: case.account_id,
                            at: case.updated_at,
                        });
                    }
                }
                Err(error) => {
                    tracing::warn!(adapter.name = BACKEND, %error, "polling ServiceNow for changes failed");
                }
            }
        }
    }))
}
