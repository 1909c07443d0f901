//! Case events and the bus that carries them to subscribers.

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use tokio::sync::broadcast;

/// What happened to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseEventKind {
    /// Opened.
    Created,
    /// A field changed (state, priority, an attachment's name, …) other
    /// than by the kinds below.
    Updated,
    /// A comment was added.
    CommentAdded,
    /// A file was attached.
    AttachmentAdded,
    /// A file was removed.
    AttachmentRemoved,
    /// The watch list changed.
    WatchListChanged,
    /// The customer canceled it.
    Canceled,
}

/// One event about one case. It carries ids only: subscribers read the
/// case again through the store, in their own scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    /// What happened.
    pub kind: CaseEventKind,
    /// The case's id.
    pub case_id: String,
    /// The case's number.
    pub case_number: String,
    /// The case's account, for scoping before any read.
    pub account_id: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Carries case events from writers to subscribers.
///
/// Delivery is at-most-once and best effort: a subscriber that falls too far
/// behind misses the events it could not keep up with, silently.
pub trait EventBus: Send + Sync {
    /// Sends an event to every current subscriber.
    fn publish(&self, event: CaseEvent);
    /// Every event published from now on.
    fn subscribe(&self) -> BoxStream<'static, CaseEvent>;
}

/// An [`EventBus`] inside one process, over a tokio broadcast channel.
#[derive(Debug, Clone)]
pub struct InProcessBus {
    sender: broadcast::Sender<CaseEvent>,
}

impl InProcessBus {
    /// A bus that buffers up to `capacity` events per slow subscriber.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self { sender }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl EventBus for InProcessBus {
    fn publish(&self, event: CaseEvent) {
        // No subscriber is not an error: the event simply has no audience.
        let _ = self.sender.send(event);
    }

    fn subscribe(&self) -> BoxStream<'static, CaseEvent> {
        let receiver = self.sender.subscribe();
        Box::pin(futures::stream::unfold(receiver, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(event) => return Some((event, rx)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn subscribers_receive_events_published_after_they_subscribe() {
        let bus = InProcessBus::new(4);
        bus.publish(event("before"));
        let mut events = bus.subscribe();
        bus.publish(event("after"));
        assert_eq!(events.next().await.unwrap().case_id, "after");
    }

    fn event(id: &str) -> CaseEvent {
        CaseEvent {
            kind: CaseEventKind::Created,
            case_id: id.into(),
            case_number: "CS00000000001".into(),
            account_id: "1".into(),
            at: Utc::now(),
        }
    }
}
