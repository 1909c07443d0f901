//! Events across replicas on PostgreSQL: every replica publishing on its
//! [`Buses`] forwards the message here (a [`Queued`] relay), which stores it in
//! `bus_events` and announces it with `NOTIFY` in the same statement, so the
//! announcement leaves at commit; every replica's [`Listener`] hears it and
//! hands it to its own subscribers.
//!
//! - The notification carries the row (id, origin, message) when it fits
//!   under PostgreSQL's 8,000-byte payload limit, else the id alone and the
//!   listener reads the row.
//! - A replica drops its own messages (it delivered them when it published).
//! - A listener that lost its connection listens again, then reads the rows
//!   it may have missed, skipping the ids it has seen: nothing published
//!   while it was away is lost, as long as it comes back within the
//!   retention (rows older than that are deleted).
//! - A write that failed is retried with the same (origin, sequence) key,
//!   which the table keeps unique: a retry after a lost reply stores and
//!   announces nothing twice.
//! - Delivery is at-most-once beyond that: a message still queued when the
//!   process dies, or published while the database is down for longer than
//!   the queue holds, is lost (and logged).
//!
//! Both halves use a connection of their own, not the pool's.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures::StreamExt;
use switchboard_core::Error;
use switchboard_core::events::{Backoff, BusMessage, Queued};
use tokio::sync::mpsc;

use crate::db::Backend;
use crate::{BACKEND, Db};

/// Messages waiting for the database, at most; beyond, new ones are dropped.
const QUEUE: usize = 10_000;
/// Messages written by one statement, at most.
const BATCH: usize = 256;
/// Notification payloads stay under PostgreSQL's 8,000-byte limit.
const MAX_PAYLOAD: usize = 7_900;
/// How far below the highest id seen a catch-up read starts, for messages
/// that committed after later ones.
const CATCH_UP_WINDOW: i64 = 1_000;
/// Ids remembered to skip duplicates; above the catch-up window.
const REMEMBERED: usize = 4_096;
/// An idle listener checks its connection this often.
const PING_EVERY: Duration = Duration::from_secs(10);
/// How long a statement of the relay may take before its connection is
/// given up.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of [`open`].
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// How long stored messages are kept for listeners that reconnect.
    pub retention: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            retention: Duration::from_secs(600),
        }
    }
}

/// The listening half, to be started with [`Listener::spawn`] once the
/// buses it delivers to exist.
pub struct Listener {
    url: String,
    link: Arc<Link>,
    state: RelayState,
    options: RelayOptions,
}

pub use switchboard_core::events::RelayState;

/// What both halves share: the channel and this replica's origin.
struct Link {
    channel: String,
    origin: String,
}

/// Opens the relay of `db` (which must be PostgreSQL): checks that the
/// database answers, starts the writer, and returns the publishing half
/// with the listener to start.
pub async fn open(db: &Db, options: RelayOptions) -> Result<(Arc<Queued>, Listener), Error> {
    let (listener, conn) = open_listener(db, options).await?;
    let (relay, receiver) = Queued::new(QUEUE, "PostgreSQL");
    tokio::spawn(write_loop(
        listener.url.clone(),
        Some(conn),
        listener.link.clone(),
        receiver,
    ));
    Ok((relay, listener))
}

/// Opens only the listening half of `db`'s relay, for what the database
/// announces itself (entitlement changes) when the replicas' own events
/// travel another way (NATS).
pub async fn listen(db: &Db, options: RelayOptions) -> Result<Listener, Error> {
    Ok(open_listener(db, options).await?.0)
}

/// The listener of `db`'s relay, with a connection checked to answer.
async fn open_listener(
    db: &Db,
    options: RelayOptions,
) -> Result<(Listener, AsyncPgConnection), Error> {
    if db.backend() != Backend::Postgres {
        return Err(Error::invalid(
            "events.backend",
            "the postgres event relay needs a PostgreSQL database",
        ));
    }
    let url = db.url().to_string();
    let origin = format!("{:016x}", rand::random::<u64>());
    let mut conn = connect(&url, &origin).await?;
    let schema = crate::db::current_schema(&mut conn).await?;
    // One channel per schema, so databases shared by several deployments
    // (or tests) do not hear each other; names are cut at 63 bytes.
    let mut channel = format!("switchboard_events:{schema}");
    while channel.len() > 63 {
        channel.pop();
    }
    let link = Arc::new(Link { channel, origin });
    let listener = Listener {
        url,
        link,
        state: RelayState::default(),
        options,
    };
    Ok((listener, conn))
}

impl Listener {
    /// This replica's origin: the suffix of its connections' application
    /// name, and the mark on every message it sends.
    pub fn origin(&self) -> &str {
        &self.link.origin
    }

    /// Whether it is connected, from now on.
    pub fn state(&self) -> RelayState {
        self.state.clone()
    }

    /// Listens until the process ends, handing every other replica's
    /// message to `deliver`.
    pub fn spawn(self, deliver: impl Fn(BusMessage) + Send + Sync + 'static) {
        tokio::spawn(listen_loop(self, deliver));
    }
}

/// A connection of the relay's, named `switchboard-events-<origin>` in
/// `pg_stat_activity`.
async fn connect(url: &str, origin: &str) -> Result<AsyncPgConnection, Error> {
    let name = format!("switchboard-events-{origin}");
    let conn = crate::db::dedicated(url, &name, STATEMENT_TIMEOUT).await;
    if conn.is_err() {
        tracing::warn!("the event relay could not connect to the database");
    }
    conn
}

/// Runs `statement` with the relay's statement timeout.
async fn timed<T>(statement: impl Future<Output = diesel::QueryResult<T>>) -> Result<T, Error> {
    crate::db::within(STATEMENT_TIMEOUT, statement).await
}

/// Stores and announces a batch in one statement; a row whose (origin,
/// sequence) is already there (a retry) is neither stored nor announced
/// again.
const SEND: &str = "WITH sent AS ( \
       INSERT INTO bus_events (origin, seq, body) \
       SELECT $1, s, b FROM unnest($2::bigint[], $3::text[]) AS t(s, b) \
       ON CONFLICT (origin, seq) DO NOTHING \
       RETURNING id, body) \
     SELECT pg_notify($4, CASE WHEN octet_length(body) <= $5 \
       THEN id || ' ' || $1 || ' ' || body ELSE id || ' ' || $1 END) \
     FROM sent";

async fn write_loop(
    url: String,
    mut conn: Option<AsyncPgConnection>,
    link: Arc<Link>,
    mut receiver: mpsc::Receiver<(u64, BusMessage)>,
) {
    let mut pending: VecDeque<(i64, String)> = VecDeque::new();
    let mut backoff = Backoff::default();
    loop {
        if pending.is_empty() {
            match receiver.recv().await {
                Some(message) => pending.push_back(encode(message)),
                None => return,
            }
        }
        while pending.len() < QUEUE {
            match receiver.try_recv() {
                Ok(message) => pending.push_back(encode(message)),
                Err(_) => break,
            }
        }
        let live = match conn.as_mut() {
            Some(live) => live,
            None => match connect(&url, &link.origin).await {
                Ok(fresh) => conn.insert(fresh),
                Err(_) => {
                    backoff.wait().await;
                    continue;
                }
            },
        };
        let take = pending.len().min(BATCH);
        let (seqs, bodies): (Vec<i64>, Vec<String>) = pending.iter().take(take).cloned().unzip();
        let sent = timed(
            diesel::sql_query(SEND)
                .bind::<Text, _>(&link.origin)
                .bind::<Array<BigInt>, _>(seqs)
                .bind::<Array<Text>, _>(bodies)
                .bind::<Text, _>(&link.channel)
                .bind::<BigInt, _>(MAX_PAYLOAD as i64)
                .execute(live),
        )
        .await;
        match sent {
            Ok(_) => {
                pending.drain(..take);
                metrics::counter!("switchboard_events_relayed_total", "direction" => "sent")
                    .increment(take as u64);
                backoff.reset();
            }
            Err(error) => {
                tracing::warn!(%error, queued = pending.len(), "events could not be relayed yet; retrying");
                conn = None;
                backoff.wait().await;
                continue;
            }
        }
    }
}

/// Deletes the stored messages older than `retention`.
async fn prune(conn: &mut AsyncPgConnection, retention: Duration) -> Result<(), Error> {
    let cutoff =
        chrono::Utc::now().naive_utc() - chrono::Duration::from_std(retention).unwrap_or_default();
    timed(
        diesel::sql_query("DELETE FROM bus_events WHERE at < $1")
            .bind::<diesel::sql_types::Timestamp, _>(cutoff)
            .execute(conn),
    )
    .await
    .map(drop)
}

fn encode((seq, message): (u64, BusMessage)) -> (i64, String) {
    // A bigint column: a replica would need 2^63 messages to reach it.
    let seq = i64::try_from(seq).unwrap_or(i64::MAX);
    // Plain data with string keys: serialising it cannot fail.
    (seq, serde_json::to_string(&message).unwrap_or_default())
}

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    origin: String,
    #[diesel(sql_type = Text)]
    body: String,
}

/// The listener's memory of the ids it has handled.
struct Seen {
    ids: HashSet<i64>,
    order: VecDeque<i64>,
    highest: Option<i64>,
}

impl Seen {
    fn new() -> Self {
        Self {
            ids: HashSet::with_capacity(REMEMBERED),
            order: VecDeque::with_capacity(REMEMBERED),
            highest: None,
        }
    }

    /// True the first time `id` comes.
    fn first(&mut self, id: i64) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > REMEMBERED
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        self.highest = Some(self.highest.map_or(id, |h| h.max(id)));
        true
    }
}

async fn listen_loop(listener: Listener, deliver: impl Fn(BusMessage)) {
    let Listener {
        url,
        link,
        state,
        options,
    } = listener;
    let mut seen = Seen::new();
    let mut backoff = Backoff::default();
    // Before the first connection nothing is owed: no one listened yet.
    let mut started = false;
    let mut pruned = tokio::time::Instant::now();
    loop {
        let Ok(mut conn) = connect(&url, &link.origin).await else {
            backoff.wait().await;
            continue;
        };
        let listen = format!("LISTEN \"{}\"", link.channel.replace('"', "\"\""));
        if let Err(error) = timed(diesel::sql_query(listen).execute(&mut conn)).await {
            tracing::warn!(%error, "the event relay could not listen");
            backoff.wait().await;
            continue;
        }
        // Listening first, then reading what was missed: a message sent in
        // between is both heard and read, and `seen` keeps one.
        let caught_up = if started {
            catch_up(&mut conn, &link, &mut seen, &deliver).await
        } else {
            start_after_the_latest(&mut conn, &mut seen).await
        };
        match caught_up {
            Ok(missed) => {
                if started {
                    tracing::info!(events.missed = missed, "the event relay listens again");
                }
                started = true;
            }
            Err(error) => {
                tracing::warn!(%error, "the event relay could not read missed events");
                backoff.wait().await;
                continue;
            }
        }
        state.set(true);
        backoff.reset();
        let error = hear(&mut conn, &link, &mut seen, &deliver, &mut || {
            let due = pruned.elapsed() >= options.retention / 10;
            if due {
                pruned = tokio::time::Instant::now();
            }
            due.then_some(options.retention)
        })
        .await;
        state.set(false);
        tracing::warn!(%error, "the event relay lost its database connection; listening again");
        backoff.wait().await;
    }
}

/// Marks everything stored so far as seen.
async fn start_after_the_latest(
    conn: &mut AsyncPgConnection,
    seen: &mut Seen,
) -> Result<usize, Error> {
    #[derive(QueryableByName)]
    struct Latest {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let latest: Latest = timed(
        diesel::sql_query("SELECT COALESCE(MAX(id), 0) AS id FROM bus_events").get_result(conn),
    )
    .await?;
    seen.highest = Some(latest.id);
    Ok(0)
}

/// Delivers the stored messages not seen yet; answers how many.
async fn catch_up(
    conn: &mut AsyncPgConnection,
    link: &Link,
    seen: &mut Seen,
    deliver: &impl Fn(BusMessage),
) -> Result<usize, Error> {
    let from = seen.highest.unwrap_or(0) - CATCH_UP_WINDOW;
    let rows: Vec<Stored> = timed(
        diesel::sql_query("SELECT id, origin, body FROM bus_events WHERE id > $1 ORDER BY id")
            .bind::<BigInt, _>(from)
            .load(conn),
    )
    .await?;
    let mut missed = 0;
    for row in rows {
        if seen.first(row.id) && row.origin != link.origin {
            missed += 1;
            hand_over(&row.body, deliver);
        }
    }
    Ok(missed)
}

/// Hands notifications over until the connection fails; answers why it did.
/// Between notifications, deletes the messages older than the retention
/// whenever `prune_due` says (every replica's listener does, so messages
/// the database announces itself are deleted too).
async fn hear(
    conn: &mut AsyncPgConnection,
    link: &Link,
    seen: &mut Seen,
    deliver: &impl Fn(BusMessage),
    prune_due: &mut impl FnMut() -> Option<Duration>,
) -> Error {
    loop {
        if let Some(retention) = prune_due()
            && let Err(error) = prune(conn, retention).await
        {
            tracing::warn!(%error, "old relayed events could not be deleted");
        }
        let next = {
            let mut notifications = std::pin::pin!(conn.notifications_stream());
            tokio::time::timeout(PING_EVERY, notifications.next()).await
        };
        let notification = match next {
            Err(_idle) => match timed(diesel::sql_query("SELECT 1").execute(conn)).await {
                Ok(_) => continue,
                Err(error) => return error,
            },
            Ok(None) => return Error::unavailable(BACKEND),
            Ok(Some(Err(error))) => return crate::db_error(error),
            Ok(Some(Ok(notification))) => notification,
        };
        let mut parts = notification.payload.splitn(3, ' ');
        let (Some(Ok(id)), Some(origin)) = (parts.next().map(str::parse::<i64>), parts.next())
        else {
            tracing::warn!(payload = %notification.payload, "an event notification was not understood");
            continue;
        };
        if !seen.first(id) || origin == link.origin {
            continue;
        }
        match parts.next() {
            Some(body) => hand_over(body, deliver),
            None => {
                let row: Result<Vec<Stored>, Error> = timed(
                    diesel::sql_query("SELECT id, origin, body FROM bus_events WHERE id = $1")
                        .bind::<BigInt, _>(id)
                        .load(conn),
                )
                .await;
                match row {
                    Ok(rows) => rows.iter().for_each(|row| hand_over(&row.body, deliver)),
                    Err(error) => return error,
                }
            }
        }
    }
}

fn hand_over(body: &str, deliver: &impl Fn(BusMessage)) {
    match serde_json::from_str(body) {
        Ok(message) => {
            metrics::counter!("switchboard_events_relayed_total", "direction" => "received")
                .increment(1);
            deliver(message);
        }
        // A newer replica may send kinds this one does not know.
        Err(error) => tracing::warn!(%error, "a relayed event was not understood"),
    }
}
