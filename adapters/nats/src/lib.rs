//! Events across replicas on NATS JetStream (`events.backend = "nats"`):
//! every replica publishing on its buses forwards the message here
//! (a [`Queued`] relay), which publishes it to a stream; every replica's
//! [`Listener`] reads the stream and hands the other replicas' messages to
//! its own subscribers.
//!
//! - One stream per deployment (`events.nats_stream`), on the subject
//!   `<stream>.events`, kept `events.retention_secs` (file storage).
//! - A message is published with `Nats-Msg-Id: <origin>-<sequence>`: a
//!   publish retried after a lost acknowledgement is stored once (the
//!   stream's duplicate window, two minutes or the retention if shorter).
//!   Publishing is retried until the server acknowledges it.
//! - The listener reads with an ordered consumer from the messages
//!   published after it started. A consumer that broke (the connection
//!   dropped, the server restarted) is made again from the stream sequence
//!   after the last one read: what was published meanwhile is delivered,
//!   as long as the stream still holds it. Message ids already handled
//!   are skipped (at-least-once reading, each message delivered once).
//! - A replica drops its own messages (it delivered them when it
//!   published). Messages still queued in a process that dies are lost.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt as _;
use switchboard_core::Error;
use switchboard_core::events::{Backoff, BusMessage, Queued, RelayState};
use tokio::sync::mpsc;

/// The backend's name in errors.
pub const BACKEND: &str = "nats";

/// Messages waiting to be published, at most; beyond, new ones are dropped.
const QUEUE: usize = 10_000;
/// Message ids remembered to skip duplicates.
const REMEMBERED: usize = 4_096;
/// The longest JetStream duplicate window asked for.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// The header naming the replica that published a message.
const ORIGIN: &str = "Switchboard-Origin";

/// Settings of [`open`].
#[derive(Debug, Clone)]
pub struct NatsOptions {
    /// The server (`nats://host:4222`).
    pub url: String,
    /// The stream's name (letters, digits, `-` and `_`).
    pub stream: String,
    /// How long the stream keeps messages for listeners that reconnect.
    pub retention: Duration,
}

/// The listening half; [`Listener::spawn`] starts it.
pub struct Listener {
    jetstream: jetstream::Context,
    stream: String,
    subject: String,
    origin: String,
    state: RelayState,
}

/// Connects to `options.url`, makes sure the stream exists, starts the
/// publisher, and returns the publishing half with the listener to start.
pub async fn open(options: &NatsOptions) -> Result<(Arc<Queued>, Listener), Error> {
    let origin = format!("{:016x}", rand::random::<u64>());
    let client = async_nats::ConnectOptions::new()
        .name(format!("switchboard-events-{origin}"))
        .connection_timeout(Duration::from_secs(5))
        .connect(options.url.as_str())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, nats.url = %options.url, "cannot connect to NATS");
            Error::unavailable(BACKEND)
        })?;
    let jetstream = jetstream::new(client);
    let subject = format!("{}.events", options.stream);
    let config = stream::Config {
        name: options.stream.clone(),
        subjects: vec![subject.clone()],
        max_age: options.retention,
        duplicate_window: DUPLICATE_WINDOW.min(options.retention),
        storage: stream::StorageType::File,
        ..Default::default()
    };
    jetstream.get_or_create_stream(config).await.map_err(|e| {
        tracing::error!(error = %e, nats.stream = %options.stream, "cannot create the NATS event stream");
        Error::unavailable(BACKEND)
    })?;
    let (relay, receiver) = Queued::new(QUEUE, "NATS JetStream");
    tokio::spawn(publish_loop(
        jetstream.clone(),
        subject.clone(),
        origin.clone(),
        receiver,
    ));
    let listener = Listener {
        jetstream,
        stream: options.stream.clone(),
        subject,
        origin,
        state: RelayState::default(),
    };
    Ok((relay, listener))
}

impl Listener {
    /// Whether it reads the stream, from now on.
    pub fn state(&self) -> RelayState {
        self.state.clone()
    }

    /// Listens until the process ends, handing every other replica's
    /// message to `deliver`.
    pub fn spawn(self, deliver: impl Fn(BusMessage) + Send + Sync + 'static) {
        tokio::spawn(listen_loop(self, deliver));
    }
}

async fn publish_loop(
    jetstream: jetstream::Context,
    subject: String,
    origin: String,
    mut receiver: mpsc::Receiver<(u64, BusMessage)>,
) {
    let mut backoff = Backoff::default();
    while let Some((seq, message)) = receiver.recv().await {
        // Plain data with string keys: serialising it cannot fail.
        let body = bytes::Bytes::from(serde_json::to_vec(&message).unwrap_or_default());
        let id = format!("{origin}-{seq}");
        loop {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", id.as_str());
            headers.insert(ORIGIN, origin.as_str());
            let sent = async {
                jetstream
                    .publish_with_headers(subject.clone(), headers, body.clone())
                    .await?
                    .await
                    .map_err(async_nats::Error::from)
            };
            match sent.await {
                Ok(_) => {
                    metrics::counter!("switchboard_events_relayed_total", "direction" => "sent")
                        .increment(1);
                    backoff.reset();
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "an event could not be published to NATS; retrying");
                    backoff.wait().await;
                }
            }
        }
    }
}

/// The ids of the messages handled lately.
#[derive(Default)]
struct Seen {
    order: VecDeque<String>,
    ids: HashSet<String>,
}

impl Seen {
    /// Notes `id`; false when it was seen already.
    fn first(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        if self.order.len() >= REMEMBERED
            && let Some(oldest) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
        self.order.push_back(id.to_string());
        self.ids.insert(id.to_string());
        true
    }
}

async fn listen_loop(listener: Listener, deliver: impl Fn(BusMessage) + Send + Sync + 'static) {
    let mut backoff = Backoff::default();
    let mut seen = Seen::default();
    // The stream sequence of the last message read.
    let mut last: Option<u64> = None;
    loop {
        let deliver_policy = match last {
            None => consumer::DeliverPolicy::New,
            Some(sequence) => consumer::DeliverPolicy::ByStartSequence {
                start_sequence: sequence + 1,
            },
        };
        let config = consumer::pull::OrderedConfig {
            filter_subject: listener.subject.clone(),
            deliver_policy,
            ..Default::default()
        };
        let messages = async {
            let stream = listener.jetstream.get_stream(&listener.stream).await?;
            let consumer = stream.create_consumer(config).await?;
            consumer.messages().await.map_err(async_nats::Error::from)
        };
        let mut messages = match messages.await {
            Ok(messages) => messages,
            Err(error) => {
                tracing::warn!(%error, "the NATS event relay cannot read its stream; trying again");
                backoff.wait().await;
                continue;
            }
        };
        if last.is_some() {
            tracing::info!("the NATS event relay listens again");
        }
        listener.state.set(true);
        backoff.reset();
        let ended = loop {
            let message = match messages.next().await {
                Some(Ok(message)) => message,
                Some(Err(error)) => break error.to_string(),
                None => break "the consumer ended".to_string(),
            };
            if let Ok(info) = message.info() {
                last = Some(info.stream_sequence);
            } else if last.is_none() {
                last = Some(0);
            }
            hand_over(&listener.origin, &message, &mut seen, &deliver);
        };
        listener.state.set(false);
        tracing::warn!(error = %ended, "the NATS event relay lost its consumer; listening again");
        backoff.wait().await;
    }
}

/// Delivers a message from another replica once; drops this replica's own.
fn hand_over(
    origin: &str,
    message: &jetstream::Message,
    seen: &mut Seen,
    deliver: &impl Fn(BusMessage),
) {
    let headers = message.headers.as_ref();
    let header = |name: &str| {
        headers
            .and_then(|h| h.get(name))
            .map(|v| v.as_str().to_string())
    };
    if header(ORIGIN).as_deref() == Some(origin) {
        return;
    }
    if let Some(id) = header("Nats-Msg-Id")
        && !seen.first(&id)
    {
        return;
    }
    match serde_json::from_slice(&message.payload) {
        Ok(message) => {
            metrics::counter!("switchboard_events_relayed_total", "direction" => "received")
                .increment(1);
            deliver(message);
        }
        // A newer replica may send kinds this one does not know.
        Err(error) => tracing::warn!(%error, "a relayed event was not understood"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_id_is_handled_once_and_old_ones_are_forgotten() {
        let mut seen = Seen::default();
        assert!(seen.first("a-1"));
        assert!(!seen.first("a-1"));
        for i in 0..REMEMBERED {
            assert!(seen.first(&format!("b-{i}")));
        }
        assert!(seen.first("a-1"), "forgotten after {REMEMBERED} others");
    }
}
