//! Case events and the buses that carry events to subscribers: inside one
//! process over a [`Broadcast`], and to the other replicas through a
//! [`Relay`] when one is set.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::status::{StatusBus, StatusChange};
use crate::tollfree::{ChangeRequestEvent, TollFreeBus};

/// What happened to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Users whose accounts or roles changed: every replica forgets what it
/// cached of them (their principals), so the change holds at once rather
/// than when the cache expires. On PostgreSQL the database announces it
/// itself, whoever changed the rows (migration
/// `2026-12-07-000020_entitlement_notices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitlementsChanged {
    /// The users, by id; `None` for everyone (a change too large to list).
    pub users: Option<Vec<String>>,
}

/// Reference records a backend changed (accounts, locations, products,
/// contacts, users, the case catalog): every replica drops what it cached
/// of them, so the change shows at once rather than when the cache expires.
/// The backend announces it (ServiceNow: its webhook, naming the table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceChanged {
    /// The backend's name (`servicenow`).
    pub backend: String,
    /// The backend's table.
    pub table: String,
    /// The records, by the backend's ids; empty for the whole table.
    pub ids: Vec<String>,
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

/// Anything a bus carries, as it travels between replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusMessage {
    /// For the case bus.
    Case(CaseEvent),
    /// For the toll-free bus.
    ChangeRequest(ChangeRequestEvent),
    /// For the status bus.
    Status(StatusChange),
    /// For the entitlements bus.
    Entitlements(EntitlementsChanged),
    /// For the reference-data bus.
    Reference(ReferenceChanged),
}

impl From<CaseEvent> for BusMessage {
    fn from(event: CaseEvent) -> Self {
        BusMessage::Case(event)
    }
}

impl From<ChangeRequestEvent> for BusMessage {
    fn from(event: ChangeRequestEvent) -> Self {
        BusMessage::ChangeRequest(event)
    }
}

impl From<StatusChange> for BusMessage {
    fn from(change: StatusChange) -> Self {
        BusMessage::Status(change)
    }
}

impl From<EntitlementsChanged> for BusMessage {
    fn from(change: EntitlementsChanged) -> Self {
        BusMessage::Entitlements(change)
    }
}

impl From<ReferenceChanged> for BusMessage {
    fn from(change: ReferenceChanged) -> Self {
        BusMessage::Reference(change)
    }
}

/// Takes what this replica publishes to the other replicas, which deliver
/// it to their own subscribers ([`Buses::deliver`]). It must not block:
/// publishing happens on the request path, after the write committed.
pub trait Relay: Send + Sync {
    /// Sends `message` on its way; failures are the relay's to retry or log.
    fn forward(&self, message: BusMessage);
}

/// Whether a relay's listener is connected now (for readiness), whatever
/// carries the events (PostgreSQL, NATS).
#[derive(Debug, Clone)]
pub struct RelayState(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for RelayState {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::watch::Sender::new(false)))
    }
}

impl RelayState {
    /// True while the listener listens.
    pub fn listening(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until the listener listens, at most `limit`; answers whether
    /// it does.
    pub async fn listening_within(&self, limit: std::time::Duration) -> bool {
        let mut changes = self.0.subscribe();
        tokio::time::timeout(limit, changes.wait_for(|listening| *listening))
            .await
            .is_ok_and(|waited| waited.is_ok())
    }

    /// Its changes from now on: `true` once per (re)connection.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.subscribe()
    }

    /// Says whether the listener listens (set `true` once per connection).
    pub fn set(&self, listening: bool) {
        self.0.send_replace(listening);
    }
}

/// The publishing half every relay shares: it numbers what this replica
/// publishes and queues it, without blocking, for a task that sends it on
/// (PostgreSQL, NATS); when the queue is full the message is dropped,
/// counted and logged. The numbers make retried sends recognisable.
pub struct Queued {
    queue: tokio::sync::mpsc::Sender<(u64, BusMessage)>,
    next_seq: std::sync::atomic::AtomicU64,
    carrier: &'static str,
}

impl Queued {
    /// A relay queueing up to `capacity` messages for `carrier` (in logs),
    /// with the receiving end its sending task reads.
    pub fn new(
        capacity: usize,
        carrier: &'static str,
    ) -> (Arc<Self>, tokio::sync::mpsc::Receiver<(u64, BusMessage)>) {
        let (queue, receiver) = tokio::sync::mpsc::channel(capacity);
        let relay = Self {
            queue,
            next_seq: std::sync::atomic::AtomicU64::new(1),
            carrier,
        };
        (Arc::new(relay), receiver)
    }
}

impl Relay for Queued {
    fn forward(&self, message: BusMessage) {
        let seq = self
            .next_seq
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Err(error) = self.queue.try_send((seq, message)) {
            metrics::counter!("switchboard_events_relayed_total", "direction" => "dropped")
                .increment(1);
            tracing::warn!(%error, events.carrier = self.carrier, "an event was not relayed to the other replicas: the queue is full");
        }
    }
}

/// The wait between a relay's failed tries: 250 ms, doubling to 5 s;
/// reset after a success. Shared by the relays (PostgreSQL, NATS).
#[derive(Debug)]
pub struct Backoff(std::time::Duration);

impl Default for Backoff {
    fn default() -> Self {
        Self(std::time::Duration::from_millis(250))
    }
}

impl Backoff {
    /// Waits, and waits longer next time.
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(std::time::Duration::from_secs(5));
    }

    /// The next wait is the first one again.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// A kind of message a [`Broadcast`] carries, named for the metrics
/// (`switchboard_events_published_total{bus}` and
/// `switchboard_events_delivered_total{bus}`).
pub trait Topic: Clone + Send + 'static {
    /// The bus's name.
    const BUS: &'static str;
}

impl Topic for CaseEvent {
    const BUS: &'static str = "cases";
}

impl Topic for ChangeRequestEvent {
    const BUS: &'static str = "tollfree";
}

impl Topic for StatusChange {
    const BUS: &'static str = "status";
}

impl Topic for EntitlementsChanged {
    const BUS: &'static str = "entitlements";
}

impl Topic for ReferenceChanged {
    const BUS: &'static str = "reference";
}

/// One kind of message fanned out to every subscriber in this process and,
/// with a [`Relay`], forwarded to the other replicas.
///
/// Delivery is at-most-once: a subscriber that falls more than the
/// capacity behind skips what it could not keep up with.
#[derive(Clone)]
pub struct Broadcast<T> {
    sender: broadcast::Sender<T>,
    relay: Option<Arc<dyn Relay>>,
}

impl<T> std::fmt::Debug for Broadcast<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broadcast")
            .field("subscribers", &self.sender.receiver_count())
            .field("relayed", &self.relay.is_some())
            .finish()
    }
}

impl<T: Topic> Default for Broadcast<T> {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl<T: Topic> Broadcast<T> {
    /// A broadcast that buffers up to `capacity` messages per slow subscriber.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self {
            sender,
            relay: None,
        }
    }

    /// The same broadcast, forwarding what it publishes to `relay`.
    pub fn relayed(mut self, relay: Arc<dyn Relay>) -> Self {
        self.relay = Some(relay);
        self
    }

    /// Sends `message` to every subscriber here and, through the relay, to
    /// the other replicas.
    pub fn publish(&self, message: T)
    where
        T: Into<BusMessage>,
    {
        metrics::counter!("switchboard_events_published_total", "bus" => T::BUS).increment(1);
        if let Some(relay) = &self.relay {
            relay.forward(message.clone().into());
        }
        self.deliver(message);
    }

    /// Sends `message` to every subscriber in this process only (what a
    /// relay does with a message from another replica).
    pub fn deliver(&self, message: T) {
        // No subscriber is not an error: the message simply has no audience.
        let heard = self.sender.send(message).unwrap_or(0);
        metrics::counter!("switchboard_events_delivered_total", "bus" => T::BUS)
            .increment(heard as u64);
    }

    /// How many subscribers listen here now (pollers idle when none does).
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Every message published from now on, with `None` where the
    /// subscriber fell behind and missed some (for subscribers that must
    /// know, such as cache invalidation).
    pub fn subscribe_noting_gaps(&self) -> BoxStream<'static, Option<T>> {
        let receiver = self.sender.subscribe();
        Box::pin(futures::stream::unfold(receiver, |mut rx| async move {
            match rx.recv().await {
                Ok(message) => Some((Some(message), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => Some((None, rx)),
                Err(broadcast::error::RecvError::Closed) => None,
            }
        }))
    }

    /// A look-out for messages delivered from now on, asked without
    /// waiting ([`Changes::seen`]); for caches that must drop their copy
    /// before the next read once something changed. It counts among
    /// [`Broadcast::subscribers`].
    pub fn changes(&self) -> Changes<T> {
        Changes(self.sender.subscribe())
    }

    /// Every message published from now on (a subscriber that fell behind
    /// skips what it missed).
    pub fn subscribe(&self) -> BoxStream<'static, T> {
        Box::pin(
            self.subscribe_noting_gaps()
                .filter_map(futures::future::ready),
        )
    }
}

/// Whether a [`Broadcast`] delivered anything since it was last asked.
///
/// Delivery puts a message in every look-out before `publish` (or a relay's
/// `deliver`) returns, so a read that asks after a write was published, on
/// this replica or, once relayed, on another, sees that it changed.
#[derive(Debug)]
pub struct Changes<T>(broadcast::Receiver<T>);

impl<T: Clone> Changes<T> {
    /// True when at least one message arrived, or some were missed, since
    /// the last call; never waits.
    pub fn seen(&mut self) -> bool {
        let mut seen = false;
        loop {
            match self.0.try_recv() {
                Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => seen = true,
                Err(_) => return seen,
            }
        }
    }
}

/// The case [`EventBus`] of one process (relayed or not).
pub type InProcessBus = Broadcast<CaseEvent>;

impl EventBus for Broadcast<CaseEvent> {
    fn publish(&self, event: CaseEvent) {
        Broadcast::publish(self, event);
    }

    fn subscribe(&self) -> BoxStream<'static, CaseEvent> {
        Broadcast::subscribe(self)
    }
}

/// The buses of a gateway: cases, toll-free change requests, status and
/// entitlement changes. With a relay, what one replica publishes reaches every replica's
/// subscribers; without one, the buses stay inside this process.
#[derive(Debug, Clone, Default)]
pub struct Buses {
    /// Case events.
    pub cases: InProcessBus,
    /// Toll-free change-request events.
    pub tollfree: TollFreeBus,
    /// Status changes.
    pub status: StatusBus,
    /// Users whose cached entitlements are out of date.
    pub entitlements: Broadcast<EntitlementsChanged>,
    /// Reference records whose cached copies are out of date.
    pub reference: Broadcast<ReferenceChanged>,
}

impl Buses {
    /// Buses that forward what they publish to `relay`.
    pub fn relayed(relay: Arc<dyn Relay>) -> Self {
        Self {
            cases: InProcessBus::default().relayed(relay.clone()),
            tollfree: TollFreeBus::default().relayed(relay.clone()),
            status: StatusBus::default().relayed(relay.clone()),
            entitlements: Broadcast::default().relayed(relay.clone()),
            reference: Broadcast::default().relayed(relay),
        }
    }

    /// Hands a message from another replica to this process's subscribers.
    pub fn deliver(&self, message: BusMessage) {
        match message {
            BusMessage::Case(event) => self.cases.deliver(event),
            BusMessage::ChangeRequest(event) => self.tollfree.deliver(event),
            BusMessage::Status(change) => self.status.deliver(change),
            BusMessage::Entitlements(change) => self.entitlements.deliver(change),
            BusMessage::Reference(change) => self.reference.deliver(change),
        }
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

    #[test]
    fn changes_tell_what_arrived_and_what_was_missed_without_waiting() {
        let bus = StatusBus::new(2);
        let mut changes = bus.changes();
        assert!(!changes.seen(), "nothing was published");
        bus.publish(StatusChange::Summary);
        bus.deliver(StatusChange::Summary);
        assert!(changes.seen(), "published and delivered here");
        assert!(!changes.seen(), "each change is seen once");
        for _ in 0..5 {
            bus.publish(StatusChange::Summary);
        }
        assert!(changes.seen(), "more than the capacity: missed ones count");
        assert!(!changes.seen());
    }

    struct Recorder(std::sync::Mutex<Vec<BusMessage>>);

    impl Relay for Recorder {
        fn forward(&self, message: BusMessage) {
            self.0.lock().unwrap().push(message);
        }
    }

    #[tokio::test]
    async fn published_messages_go_to_the_relay_and_delivered_ones_do_not() {
        let relay = Arc::new(Recorder(std::sync::Mutex::new(Vec::new())));
        let buses = Buses::relayed(relay.clone());
        let mut events = buses.cases.subscribe();
        let mut changes = buses.status.subscribe();
        buses.cases.publish(event("here"));
        buses.deliver(BusMessage::Case(event("from another replica")));
        buses.deliver(BusMessage::Status(StatusChange::Summary));
        assert_eq!(events.next().await.unwrap().case_id, "here");
        assert_eq!(events.next().await.unwrap().case_id, "from another replica");
        assert_eq!(changes.next().await, Some(StatusChange::Summary));
        let relayed: Vec<_> = relay
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|message| match message {
                BusMessage::Case(event) => event.case_id.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(relayed, ["here"]);
    }

    #[test]
    fn messages_survive_their_wire_form() {
        let messages = [
            BusMessage::Case(event("1")),
            BusMessage::Status(StatusChange::Incident { id: "7".into() }),
            BusMessage::ChangeRequest(ChangeRequestEvent {
                request_id: "3".into(),
                account_id: "1".into(),
                status: crate::tollfree::ChangeStatus::Completed,
                at: Utc::now(),
            }),
        ];
        for message in messages {
            let wire = serde_json::to_string(&message).unwrap();
            assert_eq!(serde_json::from_str::<BusMessage>(&wire).unwrap(), message);
        }
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
