//! Connections: one pool type per backend behind [`Db`], and the
//! [`with_conn!`] macro that runs the same diesel code on either.
//!
//! Settings read: the database URL (`sqlite://PATH` or a bare path, or
//! `postgres://…`), the pool size and the statement timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::sqlite::SqliteConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::{SpawnBlocking, SyncConnectionWrapper};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures::FutureExt;
use tokio::sync::{Mutex, MutexGuard};

use switchboard_core::Error;

/// SQLite through diesel-async's blocking-thread wrapper, its blocking
/// work run in the span of the task that asked for it.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, InSpan>;

/// Runs SQLite's blocking work on tokio's blocking threads inside the span
/// current where the statement was awaited, so its statement spans (and log
/// lines) belong to the request that ran it.
pub struct InSpan(tokio::runtime::Handle);

impl SpawnBlocking for InSpan {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> futures::future::BoxFuture<'a, Result<R, Box<dyn std::error::Error + Send + Sync + 'static>>>
    where
        R: Send + 'static,
    {
        let span = tracing::Span::current();
        let running = self.0.spawn_blocking(move || span.in_scope(task));
        Box::pin(Finishing {
            running: Some(running),
        })
    }

    fn get_runtime() -> Self {
        // Connections are made by the pool, inside the gateway's runtime
        // (as diesel-async's own wrapper needs one too).
        InSpan(tokio::runtime::Handle::current())
    }
}

/// A blocking task awaited to its end: dropped early, it still waits for
/// the task (which holds the connection) to finish, as diesel-async's own
/// runtime does, where the runtime allows.
struct Finishing<R> {
    running: Option<tokio::task::JoinHandle<R>>,
}

impl<R> std::future::Future for Finishing<R> {
    type Output = Result<R, Box<dyn std::error::Error + Send + Sync + 'static>>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let Some(running) = self.running.as_mut() else {
            return std::task::Poll::Ready(Err("polled after its end".into()));
        };
        match std::pin::Pin::new(running).poll(cx) {
            std::task::Poll::Ready(result) => {
                self.running = None;
                std::task::Poll::Ready(result.map_err(Box::from))
            }
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }
}

impl<R> Drop for Finishing<R> {
    fn drop(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        // Waiting needs a multi-threaded runtime (a current-thread one
        // cannot block in place); elsewhere the task finishes on its own,
        // and the connection's lock keeps the next statement behind it.
        if !running.is_finished()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
            && handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        {
            tokio::task::block_in_place(|| {
                let _ = handle.block_on(running);
            });
        }
    }
}

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

pub(crate) enum Pools {
    Pg(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// A pool of connections to one database, with a count of the statements
/// it has run (for tests and metrics).
#[derive(Clone)]
pub struct Db {
    pub(crate) pools: Arc<Pools>,
    statements: Arc<AtomicU64>,
    /// SQLite allows one writer; writes queue here instead of failing busy.
    write_lock: Arc<Mutex<()>>,
    url: Arc<str>,
    /// Longest one use of a PostgreSQL connection may take.
    statement_timeout: Duration,
}

/// Options for [`Db::connect`].
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Most connections open at once.
    pub pool_size: usize,
    /// How long to wait for a connection before answering unavailable.
    pub acquire_timeout: Duration,
    /// Longest one use of a PostgreSQL connection (a statement, or the
    /// statements of one transaction) may take before answering
    /// unavailable; the connection is then discarded, not reused. Also the
    /// server's `statement_timeout`. SQLite has its busy timeout instead.
    pub statement_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            pool_size: 8,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

macro_rules! build_pool {
    ($manager:expr, $options:expr) => {
        Pool::builder($manager)
            .max_size($options.pool_size.max(1))
            .wait_timeout(Some($options.acquire_timeout))
            .create_timeout(Some($options.acquire_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(pool_build_error)?
    };
}

/// Counts a connection's statements into the pool's total and times each
/// into `switchboard_backend_call_duration_seconds{backend, operation =
/// "statement", outcome}`.
/// With traces on, each statement is also a client span under the current
/// one, its text without the values bound to it.
struct CountStatements {
    count: Arc<AtomicU64>,
    backend: &'static str,
    started: Option<std::time::Instant>,
    span: Option<tracing::Span>,
}

impl CountStatements {
    fn new(count: Arc<AtomicU64>, backend: &'static str) -> Self {
        Self {
            count,
            backend,
            started: None,
            span: None,
        }
    }
}

/// The longest statement text a span carries.
const SPAN_TEXT_CHARS: usize = 2_000;

/// The span of a statement: named by its first keyword, with its text up to
/// where diesel's debug form lists the bound values (which stay out).
fn statement_span(backend: &'static str, query: &dyn std::fmt::Display) -> tracing::Span {
    let shown = query.to_string();
    let text = shown.split(" -- binds: ").next().unwrap_or_default();
    let text: String = text.chars().take(SPAN_TEXT_CHARS).collect();
    let keyword = text
        .split_whitespace()
        .next()
        .unwrap_or("statement")
        .to_ascii_uppercase();
    let system = if backend == "postgres" {
        "postgresql"
    } else {
        backend
    };
    tracing::info_span!(
        target: "switchboard::sql",
        "sql statement",
        otel.name = %keyword,
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        db.system.name = system,
        db.query.text = %text,
    )
}

impl Instrumentation for CountStatements {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                self.count.fetch_add(1, Ordering::Relaxed);
                self.started = Some(std::time::Instant::now());
                if switchboard_core::upstream::tracing_on() {
                    self.span = Some(statement_span(self.backend, query));
                }
            }
            InstrumentationEvent::FinishQuery { error, .. } => {
                let span = self.span.take();
                if let Some(error) = error {
                    tracing::debug!(db.error = %error, "statement failed");
                    if let Some(span) = &span {
                        span.record("otel.status_code", "error");
                    }
                }
                if let Some(started) = self.started.take() {
                    let outcome = if error.is_some() { "error" } else { "ok" };
                    metrics::histogram!("switchboard_backend_call_duration_seconds",
                        "backend" => self.backend,
                        "operation" => "statement",
                        "outcome" => outcome)
                    .record(started.elapsed().as_secs_f64());
                }
            }
            _ => {}
        }
    }
}

/// How a pool's connections are used at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// The most it opens.
    pub max: usize,
    /// Checked out now.
    pub in_use: usize,
    /// Open and waiting in the pool.
    pub idle: usize,
    /// Callers waiting for one.
    pub waiting: usize,
}

/// A URL's backend: `postgres://` or `postgresql://` is PostgreSQL, anything
/// else a SQLite path (an optional `sqlite://` prefix is dropped).
pub fn backend_of(url: &str) -> Backend {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

impl Db {
    /// Opens a pool. Connections are made lazily; call [`Db::ping`] to check
    /// the database answers.
    pub fn connect(url: &str, options: &DbOptions) -> Result<Self, Error> {
        let statements = Arc::new(AtomicU64::new(0));
        let pools = match backend_of(url) {
            Backend::Postgres => {
                let counter = statements.clone();
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                // A broken connection fails its next statement and is dropped;
                // checking each one out with a ping would double round trips.
                config.recycling_method = RecyclingMethod::Fast;
                let server_timeout = format!(
                    "SET statement_timeout = {}",
                    options.statement_timeout.as_millis().max(1)
                );
                config.custom_setup = Box::new(move |url| {
                    let counter = counter.clone();
                    let server_timeout = server_timeout.clone();
                    async move {
                        let mut conn = AsyncPgConnection::establish(url).await?;
                        // The server gives up too, rather than finish work
                        // nobody waits for.
                        conn.batch_execute(&server_timeout)
                            .await
                            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                        conn.set_instrumentation(CountStatements::new(counter, "postgres"));
                        Ok(conn)
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::new_with_config(url, config);
                Pools::Pg(build_pool!(manager, options))
            }
            Backend::Sqlite => {
                let path = url.strip_prefix("sqlite://").unwrap_or(url).to_string();
                let counter = statements.clone();
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(move |url| {
                    let counter = counter.clone();
                    let url = url.to_string();
                    async move {
                        let mut conn = SqliteConn::establish(&url).await?;
                        conn.batch_execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                        conn.set_instrumentation(CountStatements::new(counter, "sqlite"));
                        Ok(conn)
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::new_with_config(path, config);
                Pools::Sqlite(build_pool!(manager, options))
            }
        };
        Ok(Self {
            pools: Arc::new(pools),
            statements,
            write_lock: Arc::new(Mutex::new(())),
            url: url.into(),
            statement_timeout: options.statement_timeout,
        })
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match &*self.pools {
            Pools::Pg(_) => Backend::Postgres,
            Pools::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL the pool was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Longest one use of a PostgreSQL connection may take.
    pub fn statement_timeout(&self) -> Duration {
        self.statement_timeout
    }

    /// How many statements this pool has run since it opened.
    pub fn statements_run(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// How the pool's connections are used now.
    pub fn pool_status(&self) -> PoolStatus {
        let status = match &*self.pools {
            Pools::Pg(pool) => pool.status(),
            Pools::Sqlite(pool) => pool.status(),
        };
        PoolStatus {
            max: status.max_size,
            in_use: status.size.saturating_sub(status.available),
            idle: status.available,
            waiting: status.waiting,
        }
    }

    /// Checks that a connection can be had and answers.
    pub async fn ping(&self) -> Result<(), Error> {
        crate::with_conn!(self, |conn| {
            conn.batch_execute("SELECT 1")
                .await
                .map_err(crate::db_error)
        })
    }

    /// Serialises writers on SQLite; free on PostgreSQL.
    pub(crate) async fn write_guard(&self) -> Option<MutexGuard<'_, ()>> {
        match self.backend() {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        }
    }
}

/// A PostgreSQL connection of its own (not the pool's), named `name` in
/// `pg_stat_activity`, made within `limit` (for the event relay and
/// leases, which hold theirs).
pub(crate) async fn dedicated(
    url: &str,
    name: &str,
    limit: Duration,
) -> Result<AsyncPgConnection, Error> {
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}application_name={name}");
    match tokio::time::timeout(limit, AsyncPgConnection::establish(&url)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(error)) => {
            tracing::debug!(%error, connection = name, "a dedicated database connection failed");
            Err(Error::unavailable(crate::BACKEND))
        }
        Err(_) => {
            tracing::debug!(
                connection = name,
                "a dedicated database connection timed out"
            );
            Err(Error::unavailable(crate::BACKEND))
        }
    }
}

/// `statement` on a dedicated connection, within `limit`: past it, or on
/// a database error, the connection is to be given up.
pub(crate) async fn within<T>(
    limit: Duration,
    statement: impl Future<Output = diesel::QueryResult<T>>,
) -> Result<T, Error> {
    match tokio::time::timeout(limit, statement).await {
        Ok(result) => result.map_err(crate::db_error),
        Err(_) => Err(Error::unavailable(crate::BACKEND)),
    }
}

/// The schema `conn` works in (`search_path`'s first), which names the
/// relay's channel and the leases' keys so deployments sharing a database
/// stay apart.
pub(crate) async fn current_schema(conn: &mut AsyncPgConnection) -> Result<String, Error> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Schema {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let schema: Schema = diesel::sql_query("SELECT current_schema() AS name")
        .get_result(conn)
        .await
        .map_err(crate::db_error)?;
    Ok(schema.name)
}

/// A connection whose use outlived the statement timeout: dropped from the
/// pool (it may be waiting on a frozen server, or mid-transaction; closing
/// it rolls back), and the use answers unavailable.
pub fn timed_out<M: deadpool::managed::Manager>(
    pooled: deadpool::managed::Object<M>,
    limit: Duration,
) -> Error {
    drop(deadpool::managed::Object::take(pooled));
    metrics::counter!("switchboard_database_timeouts_total").increment(1);
    tracing::warn!(
        adapter.name = crate::BACKEND,
        timeout_ms = limit.as_millis() as u64,
        "a database statement outlived its timeout; its connection is closed"
    );
    Error::unavailable(crate::BACKEND)
}

fn pool_build_error(error: deadpool::managed::BuildError) -> Error {
    tracing::error!(%error, "could not build the connection pool");
    Error::Internal
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever
/// backend `$db` uses. The body is compiled once per backend, so diesel's
/// DSL resolves against each; `$DB` names the backend type inside it. On
/// PostgreSQL the body runs within the statement timeout (see
/// [`timed_out`]); on both it runs inside an `async` block, so a `return`
/// in it ends the body, not the caller.
#[macro_export]
#[doc(hidden)]
macro_rules! with_conn {
    ($db:expr, |$conn:ident| $body:expr) => {
        $crate::with_conn!($db, |$conn, _DB| $body)
    };
    ($db:expr, |$conn:ident, $DB:ident| $body:expr) => {
        match &*$db.pools {
            $crate::db::Pools::Pg(pool) => {
                #[allow(
                    dead_code,
                    reason = "bodies that do not name the backend leave it unused; `expect` would fail for those that do"
                )]
                type $DB = diesel::pg::Pg;
                let mut pooled = pool.get().await.map_err($crate::pool_error)?;
                let limit = $db.statement_timeout();
                let ran = tokio::time::timeout(limit, async {
                    let $conn: &mut diesel_async::AsyncPgConnection = &mut pooled;
                    $body
                })
                .await;
                match ran {
                    Ok(result) => result,
                    Err(_) => Err($crate::db::timed_out(pooled, limit).into()),
                }
            }
            $crate::db::Pools::Sqlite(pool) => {
                #[allow(
                    dead_code,
                    reason = "bodies that do not name the backend leave it unused; `expect` would fail for those that do"
                )]
                type $DB = diesel::sqlite::Sqlite;
                let mut pooled = pool.get().await.map_err($crate::pool_error)?;
                // An `async` block as on PostgreSQL, so a body means the
                // same on both.
                async {
                    let $conn: &mut $crate::db::SqliteConn = &mut pooled;
                    $body
                }
                .await
            }
        }
    };
}

/// The `$Row`s of `$table` whose `$column` is one of `$ids` (text ids of
/// BIGINT columns) and whose account is in `$scope`, ordered by `$order`:
/// the one statement a loader's whole batch costs. No statement runs when
/// there is nothing to find. Evaluates to `Result<Vec<$Row>>`.
#[macro_export]
#[doc(hidden)]
macro_rules! scoped_rows_in {
    ($db:expr, $table:ident, $Row:ty, $column:ident, $ids:expr, $scope:expr, $order:expr) => {{
        let ids = $crate::models::parse_ids($ids);
        let scope: &switchboard_core::Scope = $scope;
        if ids.is_empty() || scope.accounts().is_empty() {
            Ok(Vec::new())
        } else {
            $crate::with_conn!($db, |conn| {
                $table::table
                    .filter($crate::among::among($table::$column, &ids))
                    .filter($crate::among::among($table::account_id, scope.accounts()))
                    .order_by($order)
                    .select(<$Row>::as_select())
                    .load::<$Row>(conn)
                    .await
                    .map_err($crate::db_error)
            })
        }
    }};
}

#[async_trait::async_trait]
impl switchboard_core::server::Readiness for Db {
    async fn ready(&self) -> Result<(), Error> {
        self.ping().await
    }
}
