//! Leases across replicas on PostgreSQL ([`PgLeases`]): a lease is a
//! session advisory lock, held by a connection of its own.
//!
//! - A replica tries `pg_try_advisory_lock` every [`RETRY`]; the one that
//!   gets it holds the lease while its connection lives.
//! - The holder pings its connection every [`PING`]; a ping that fails or
//!   takes longer than [`PING_TIMEOUT`] ends the lease on its side (the
//!   work stops) and closes the connection.
//! - A holder that dies closes its connection and PostgreSQL releases the
//!   lock at once; one that freezes or loses the network goes idle, and the
//!   server ends its session after [`IDLE_SESSION`] (`idle_session_timeout`,
//!   PostgreSQL 14 and later), which releases the lock. Another replica
//!   takes over within about [`IDLE_SESSION`] plus [`RETRY`].
//! - The holder saves its state in `leases` through the same connection, so
//!   a replica that lost its session cannot overwrite its successor's.
//! - Lock keys are per schema, like the event relay's channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use switchboard_core::Error;
use switchboard_core::lease::{Keeper, Lease, Leases};
use tokio::sync::{mpsc, oneshot, watch};

use crate::db::Backend;
use crate::{BACKEND, Db};

/// How often a replica tries for a lease it does not hold.
pub const RETRY: Duration = Duration::from_secs(2);
/// How often the holder checks its connection.
pub const PING: Duration = Duration::from_secs(2);
/// The longest a check (or a save) may take before the lease is given up.
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the server keeps an idle holder's session (and its lock).
pub const IDLE_SESSION: Duration = Duration::from_secs(6);

/// Leases held through PostgreSQL advisory locks.
pub struct PgLeases {
    url: String,
    schema: String,
    holder: String,
}

/// Leases on `db`, which must be PostgreSQL; `holder` names this replica
/// in `leases.holder` and in its connections' application name.
pub async fn open(db: &Db, holder: &str) -> Result<Arc<PgLeases>, Error> {
    if db.backend() != Backend::Postgres {
        return Err(Error::invalid(
            "database.url",
            "leases across replicas need a PostgreSQL database",
        ));
    }
    let mut conn = connect(db.url(), holder).await?;
    let schema = crate::db::current_schema(&mut conn).await?;
    Ok(Arc::new(PgLeases {
        url: db.url().to_string(),
        schema,
        holder: holder.to_string(),
    }))
}

/// A connection for one lease, named `switchboard-lease-<holder>`.
async fn connect(url: &str, holder: &str) -> Result<AsyncPgConnection, Error> {
    crate::db::dedicated(url, &format!("switchboard-lease-{holder}"), PING_TIMEOUT).await
}

/// Runs `statement` within [`PING_TIMEOUT`].
async fn timed<T>(statement: impl Future<Output = diesel::QueryResult<T>>) -> Result<T, Error> {
    crate::db::within(PING_TIMEOUT, statement).await
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

#[derive(QueryableByName)]
struct Saved {
    #[diesel(sql_type = Nullable<Text>)]
    state: Option<String>,
}

/// Whether the missing `idle_session_timeout` was reported already.
static OLD_SERVER_REPORTED: AtomicBool = AtomicBool::new(false);

impl PgLeases {
    /// One try, on the connection in `slot` (made when empty, kept while
    /// another replica holds the lease): the lease with its saved state,
    /// or `None`.
    async fn try_acquire(
        &self,
        name: &str,
        slot: &mut Option<AsyncPgConnection>,
    ) -> Result<Option<Lease>, Error> {
        let conn = match slot {
            Some(conn) => conn,
            None => slot.insert(self.lease_connection().await?),
        };
        let key = format!("switchboard:{}:{name}", self.schema);
        let locked: Locked = timed(
            diesel::sql_query("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked")
                .bind::<Text, _>(&key)
                .get_result(conn),
        )
        .await?;
        if !locked.locked {
            return Ok(None);
        }
        let saved: Vec<Saved> = timed(
            diesel::sql_query("SELECT state FROM leases WHERE name = $1")
                .bind::<Text, _>(name)
                .load(conn),
        )
        .await?;
        let Some(conn) = slot.take() else {
            return Err(Error::Internal);
        };
        let (held, watching) = watch::channel(true);
        let (asks, requests) = mpsc::channel(1);
        tokio::spawn(keep(
            conn,
            name.to_string(),
            self.holder.clone(),
            held,
            requests,
        ));
        Ok(Some(Lease::new(
            watching,
            saved.into_iter().next().and_then(|s| s.state),
            Box::new(PgKeeper { requests: asks }),
        )))
    }

    /// A connection whose session the server ends after [`IDLE_SESSION`]
    /// of silence (a holder that stopped pinging).
    async fn lease_connection(&self) -> Result<AsyncPgConnection, Error> {
        let mut conn = connect(&self.url, &self.holder).await?;
        let idle = format!("SET idle_session_timeout = {}", IDLE_SESSION.as_millis());
        match timed(conn.batch_execute(&idle)).await {
            Ok(()) => {}
            Err(error @ Error::Unavailable { .. }) => return Err(error),
            Err(error) => {
                if !OLD_SERVER_REPORTED.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%error, "idle_session_timeout is not supported (PostgreSQL 14 or later): a frozen holder keeps its lease until its connection drops");
                }
            }
        }
        Ok(conn)
    }
}

/// What the lease's holder asks of its connection.
enum Request {
    /// Store the state for the next holder.
    Save(String, oneshot::Sender<Result<(), Error>>),
    /// Check the session (and so its lock) is alive.
    Confirm(oneshot::Sender<Result<(), Error>>),
}

/// Holds the lease's connection: pings it, saves states and answers
/// confirmations through it, and closes it (releasing the lock) when the
/// lease is dropped or a statement fails.
async fn keep(
    mut conn: AsyncPgConnection,
    name: String,
    holder: String,
    held: watch::Sender<bool>,
    mut requests: mpsc::Receiver<Request>,
) {
    let mut ping = tokio::time::interval(PING);
    loop {
        let done = tokio::select! {
            request = requests.recv() => match request {
                Some(Request::Save(state, reply)) => {
                    let saved = timed(
                        diesel::sql_query(
                            "INSERT INTO leases (name, state, holder) VALUES ($1, $2, $3) \
                             ON CONFLICT (name) DO UPDATE SET state = EXCLUDED.state, \
                             holder = EXCLUDED.holder, saved_at = now() AT TIME ZONE 'utc'",
                        )
                        .bind::<Text, _>(&name)
                        .bind::<Text, _>(&state)
                        .bind::<Text, _>(&holder)
                        .execute(&mut conn),
                    )
                    .await
                    .map(drop);
                    let failed = saved.is_err();
                    let _ = reply.send(saved);
                    failed
                }
                Some(Request::Confirm(reply)) => {
                    // A live session holds its session-level lock.
                    let alive = timed(conn.batch_execute("SELECT 1")).await;
                    let failed = alive.is_err();
                    let _ = reply.send(alive);
                    failed
                }
                // The lease was dropped: closing the connection releases it.
                None => return,
            },
            _ = ping.tick() => timed(conn.batch_execute("SELECT 1")).await.is_err(),
        };
        if done {
            break;
        }
    }
    tracing::warn!(lease = %name, "the lease's connection failed: the lease is given up");
    held.send_replace(false);
}

struct PgKeeper {
    requests: mpsc::Sender<Request>,
}

impl PgKeeper {
    async fn ask(
        &self,
        request: impl FnOnce(oneshot::Sender<Result<(), Error>>) -> Request,
    ) -> Result<(), Error> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(request(reply))
            .await
            .map_err(|_| Error::unavailable(BACKEND))?;
        answer.await.map_err(|_| Error::unavailable(BACKEND))?
    }
}

#[async_trait]
impl Keeper for PgKeeper {
    async fn save(&self, state: &str) -> Result<(), Error> {
        self.ask(|reply| Request::Save(state.to_string(), reply))
            .await
    }

    async fn confirm(&self) -> Result<(), Error> {
        self.ask(Request::Confirm).await
    }
}

#[async_trait]
impl Leases for PgLeases {
    async fn acquire(&self, name: &str) -> Lease {
        let mut conn = None;
        loop {
            match self.try_acquire(name, &mut conn).await {
                Ok(Some(lease)) => return lease,
                Ok(None) => {}
                Err(error) => {
                    // A fresh connection next time.
                    conn = None;
                    tracing::debug!(lease = name, %error, "trying for a lease failed");
                }
            }
            tokio::time::sleep(RETRY).await;
        }
    }

    fn clustered(&self) -> bool {
        true
    }
}
