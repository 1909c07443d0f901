//! Events fanned out to subscribers with what they name read once.
//!
//! A bus event carries ids only. Without this, each subscriber re-read the
//! record for each event (10,000 subscribers of one account: 10,000 reads
//! per event). A [`Feed`] takes each event from its bus once and hands every
//! subscriber the same [`Shared`] event, whose record is read on first
//! demand, once, in the scope of the event's own account; subscribers
//! still check their own, current access before they see it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use switchboard_core::cases::Case;
use switchboard_core::status::{StatusBus, StatusChange, StatusSource, Summary};
use switchboard_core::tollfree::{ChangeRequest, ChangeRequestEvent, TollFreeBus, TollFreeStore};
use switchboard_core::{CaseEvent, CaseStore, EventBus, Scope};
use tokio::sync::{OnceCell, broadcast};

/// How the record of an event is read.
pub type Read<E, R> = Arc<dyn Fn(&E) -> BoxFuture<'static, Option<R>> + Send + Sync>;

/// One event, shared by every subscriber, with its record read lazily.
pub struct Shared<E, R> {
    /// The event as the bus carried it.
    pub event: E,
    record: OnceCell<Option<R>>,
    read: Read<E, R>,
}

impl<E, R> Shared<E, R> {
    /// The record the event names, read by the first subscriber that asks
    /// (the others wait for that read); `None` when it cannot be read.
    pub async fn record(&self) -> Option<&R> {
        self.record
            .get_or_init(|| (self.read)(&self.event))
            .await
            .as_ref()
    }
}

/// How a feed subscribes to its bus.
pub type Subscribe<E> = Box<dyn Fn() -> BoxStream<'static, E> + Send + Sync>;

/// A bus's events, each shared by every subscriber. The feed listens to its
/// bus only while it has subscribers (a bus's subscriber count means
/// something to some sources: the Statuspage source polls only then).
pub struct Feed<E, R> {
    sender: broadcast::Sender<Arc<Shared<E, R>>>,
    bus: Subscribe<E>,
    read: Read<E, R>,
    /// Whether the forwarding task runs; held while it starts or stops.
    running: Arc<Mutex<bool>>,
}

/// How often an idle forwarding task checks whether anyone still listens.
const IDLE_CHECK: Duration = Duration::from_secs(5);

impl<E, R> Feed<E, R>
where
    E: Send + Sync + 'static,
    R: Send + Sync + 'static,
{
    /// A feed of `bus`'s events, with `read` as the way to each event's
    /// record. A subscriber more than `capacity` events behind misses the
    /// oldest.
    pub fn new(bus: Subscribe<E>, capacity: usize, read: Read<E, R>) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self {
            sender,
            bus,
            read,
            running: Arc::new(Mutex::new(false)),
        }
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> impl Stream<Item = Arc<Shared<E, R>>> + Send + use<E, R> {
        let receiver = {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            let receiver = self.sender.subscribe();
            if !*running {
                *running = true;
                // Subscribed to the bus before this returns: no event
                // published from now on is missed.
                let events = (self.bus)();
                tokio::spawn(forward(
                    events,
                    self.sender.clone(),
                    self.read.clone(),
                    self.running.clone(),
                ));
            }
            receiver
        };
        futures::stream::unfold(receiver, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(event) => return Some((event, rx)),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(events.missed = missed, "a slow subscriber missed events");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }
}

/// Forwards the bus's events to the feed's subscribers until none is left.
async fn forward<E, R>(
    mut events: BoxStream<'static, E>,
    sender: broadcast::Sender<Arc<Shared<E, R>>>,
    read: Read<E, R>,
    running: Arc<Mutex<bool>>,
) {
    loop {
        match tokio::time::timeout(IDLE_CHECK, events.next()).await {
            Ok(Some(event)) => {
                let shared = Arc::new(Shared {
                    event,
                    record: OnceCell::new(),
                    read: read.clone(),
                });
                // No subscriber is not an error: the event has no audience.
                let _ = sender.send(shared);
            }
            Ok(None) => {
                *running.lock().unwrap_or_else(|e| e.into_inner()) = false;
                return;
            }
            Err(_) => {}
        }
        let mut running = running.lock().unwrap_or_else(|e| e.into_inner());
        if sender.receiver_count() == 0 {
            *running = false;
            return;
        }
    }
}

/// The feeds the subscriptions read: case events with their case, ring-to
/// change events with their request, status changes with the page.
pub struct Feeds {
    /// For `caseEvents`.
    pub cases: Feed<CaseEvent, Case>,
    /// For `ringToChangeUpdates`.
    pub tollfree: Feed<ChangeRequestEvent, ChangeRequest>,
    /// For `systemStatusChanged`.
    pub status: Feed<StatusChange, Summary>,
}

/// Events a slow subscriber may fall behind by before it misses some.
const CAPACITY: usize = 1024;

impl Feeds {
    /// Feeds over the buses, reading through the ports.
    pub fn new(
        bus: Arc<dyn EventBus>,
        cases: Arc<dyn CaseStore>,
        tollfree_bus: TollFreeBus,
        tollfree: Arc<dyn TollFreeStore>,
        status_bus: StatusBus,
        status: Arc<dyn StatusSource>,
    ) -> Self {
        let read_case: Read<CaseEvent, Case> = Arc::new(move |event: &CaseEvent| {
            let (cases, event) = (cases.clone(), event.clone());
            Box::pin(async move {
                // The event's own account: each subscriber checks its access.
                let scope = Scope::new(vec![event.account_id.clone()]);
                match cases
                    .cases_by_ids(&scope, std::slice::from_ref(&event.case_id))
                    .await
                {
                    Ok(mut found) => found.pop(),
                    Err(error) => {
                        tracing::warn!(%error, case.number = %event.case_number, "cannot read a case for its event");
                        None
                    }
                }
            })
        });
        let read_request: Read<ChangeRequestEvent, ChangeRequest> = Arc::new(
            move |event: &ChangeRequestEvent| {
                let (tollfree, event) = (tollfree.clone(), event.clone());
                Box::pin(async move {
                    let scope = Scope::new(vec![event.account_id.clone()]);
                    let ids = std::slice::from_ref(&event.request_id);
                    match tollfree.change_requests(&scope, ids).await {
                        Ok(mut found) => found.pop(),
                        Err(error) => {
                            tracing::warn!(%error, tollfree.request = %event.request_id, "cannot read a ring-to request for its event");
                            None
                        }
                    }
                })
            },
        );
        let read_status: Read<StatusChange, Summary> = Arc::new(move |_: &StatusChange| {
            let status = status.clone();
            Box::pin(async move {
                match status.summary().await {
                    Ok(summary) => Some(summary),
                    Err(error) => {
                        tracing::warn!(%error, "cannot read the status for its subscribers");
                        None
                    }
                }
            })
        });
        Self {
            cases: Feed::new(Box::new(move || bus.subscribe()), CAPACITY, read_case),
            tollfree: Feed::new(
                Box::new(move || tollfree_bus.subscribe()),
                CAPACITY,
                read_request,
            ),
            status: Feed::new(
                Box::new(move || status_bus.subscribe()),
                CAPACITY,
                read_status,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn each_event_is_read_once_whatever_the_number_of_subscribers() {
        let reads = Arc::new(AtomicUsize::new(0));
        let counter = reads.clone();
        let read: Read<u32, String> = Arc::new(move |n: &u32| {
            counter.fetch_add(1, Ordering::SeqCst);
            let n = *n;
            Box::pin(async move { Some(format!("record {n}")) })
        });
        let (tx, _) = broadcast::channel::<u32>(16);
        let bus = tx.clone();
        let subscribe: Subscribe<u32> = Box::new(move || {
            futures::stream::unfold(bus.subscribe(), |mut rx| async move {
                rx.recv().await.ok().map(|e| (e, rx))
            })
            .boxed()
        });
        let feed = Feed::new(subscribe, 16, read);
        assert_eq!(tx.receiver_count(), 0, "no subscriber, no bus subscription");
        let mut subscribers: Vec<_> = (0..50).map(|_| Box::pin(feed.subscribe())).collect();
        assert_eq!(tx.receiver_count(), 1, "one bus subscription for all");
        tx.send(7).unwrap();
        for subscriber in &mut subscribers {
            let shared = subscriber.next().await.unwrap();
            assert_eq!(shared.record().await.map(String::as_str), Some("record 7"));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }
}
