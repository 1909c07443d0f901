//! switchboard's SQL adapter: the case, account and user ports on SQLite
//! (the embedded default) and PostgreSQL, through diesel-async.
//!
//! One diesel schema ([`schema`]) serves both databases; [`with_conn!`]
//! compiles each query once per backend. Migrations live in the
//! repository's `migrations/sqlite` and `migrations/postgres` and are
//! embedded in the binary ([`migrate::run`]).

mod among;
mod audit;
pub mod billing;
pub mod cases;
mod cursor;
pub mod db;
pub mod directory;
pub mod identity;
pub mod inventory;
pub mod lease;
mod ledger;
pub mod migrate;
mod models;
pub mod relay;
pub mod resources;
pub mod schema;
pub mod seed;
pub mod sessions;
pub mod status;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tollfree;
mod tx;
mod write_keys;

use std::sync::Arc;

use std::sync::Mutex;
use std::time::{Duration, Instant};
use switchboard_core::Error;
use switchboard_core::cases::Catalog;

pub use db::{Backend, Db, DbOptions};

/// The backend name this adapter reports in errors and logs.
pub const BACKEND: &str = "sql";

/// The SQL implementation of [`switchboard_core::CaseStore`],
/// [`switchboard_core::AccountStore`] and [`switchboard_core::UserDirectory`].
#[derive(Clone)]
pub struct SqlStore {
    db: Db,
    catalog: Arc<CatalogCache>,
    /// Where toll-free change requests open their case when cases live in
    /// another backend ([`SqlStore::with_request_cases`]); None: here.
    request_cases: Option<Arc<dyn switchboard_core::tollfree::RequestCases>>,
}

impl SqlStore {
    /// A store over an open pool. The catalog is read once, on first use.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            catalog: Arc::new(CatalogCache::default()),
            request_cases: None,
        }
    }

    /// The pool.
    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// How long the catalog is served from memory; operators' edits to the
/// catalog tables show within this time.
const CATALOG_TTL: Duration = Duration::from_secs(60);

/// The catalog as last read, and when.
#[derive(Default)]
pub(crate) struct CatalogCache(Mutex<Option<(Instant, Arc<Catalog>)>>);

impl CatalogCache {
    /// The cached catalog, if it is younger than [`CATALOG_TTL`].
    pub(crate) fn fresh(&self) -> Option<Arc<Catalog>> {
        let slot = self.0.lock().ok()?;
        let (at, catalog) = slot.as_ref()?;
        (at.elapsed() < CATALOG_TTL).then(|| catalog.clone())
    }

    pub(crate) fn store(&self, catalog: Arc<Catalog>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((Instant::now(), catalog));
        }
    }
}

/// Maps a diesel error to the shared error, logging what clients must not see.
pub(crate) fn db_error(error: diesel::result::Error) -> Error {
    use diesel::result::{DatabaseErrorKind, Error as D};
    match error {
        D::NotFound => Error::not_found("record"),
        D::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
            tracing::warn!(adapter.name = BACKEND, "database connection closed");
            Error::unavailable(BACKEND)
        }
        D::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            Error::Conflict("a record with the same key already exists".into())
        }
        D::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
            Error::Conflict("the record changed concurrently; retry".into())
        }
        other => {
            let text = other.to_string();
            if text.contains("database is locked") || text.contains("busy") {
                tracing::warn!(adapter.name = BACKEND, error = %text, "database busy");
                return Error::unavailable(BACKEND);
            }
            tracing::error!(adapter.name = BACKEND, error = %text, "database error");
            Error::Internal
        }
    }
}

/// Maps a pool error (no connection could be had) to unavailable.
pub(crate) fn pool_error(error: diesel_async::pooled_connection::deadpool::PoolError) -> Error {
    tracing::warn!(adapter.name = BACKEND, %error, "no database connection");
    Error::unavailable(BACKEND)
}
