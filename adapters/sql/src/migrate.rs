//! Embedded migrations, run on start and by `switchboard migrate`.

use diesel::migration::MigrationSource;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use switchboard_core::Error;

use crate::{Backend, Db};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// The PostgreSQL advisory lock that serialises migration runs on one
/// database: concurrent runs (two instances starting, parallel tests) would
/// otherwise race on database-wide objects such as `CREATE EXTENSION`.
const POSTGRES_MIGRATION_LOCK: i64 = 0x7377_6974_6368_6d67;

/// Applies every pending migration; returns the names of those applied.
///
/// Migrations run on a dedicated blocking thread through diesel's
/// synchronous harness (which needs the multi-thread runtime).
pub async fn run(db: &Db) -> Result<Vec<String>, Error> {
    let url = db.url().to_string();
    let backend = db.backend();
    tokio::task::spawn_blocking(move || match backend {
        Backend::Sqlite => {
            use diesel::Connection;
            let path = url.strip_prefix("sqlite://").unwrap_or(&url);
            let mut conn = diesel::SqliteConnection::establish(path).map_err(|e| {
                tracing::error!(error = %e, "cannot open the SQLite database");
                Error::unavailable(crate::BACKEND)
            })?;
            apply(&mut conn, SQLITE)
        }
        Backend::Postgres => {
            use diesel::connection::SimpleConnection;
            use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
            let mut conn: AsyncConnectionWrapper<diesel_async::AsyncPgConnection> =
                diesel::Connection::establish(&url).map_err(|e| {
                    tracing::error!(error = %e, "cannot connect to PostgreSQL");
                    Error::unavailable(crate::BACKEND)
                })?;
            // Session-level: held until unlocked or the connection closes.
            conn.batch_execute(&format!(
                "SELECT pg_advisory_lock({POSTGRES_MIGRATION_LOCK})"
            ))
            .map_err(crate::db_error)?;
            let applied = apply(&mut conn, POSTGRES);
            conn.batch_execute(&format!(
                "SELECT pg_advisory_unlock({POSTGRES_MIGRATION_LOCK})"
            ))
            .map_err(crate::db_error)?;
            applied
        }
    })
    .await
    .map_err(|_| Error::Internal)?
}

fn apply<C, DB>(conn: &mut C, source: EmbeddedMigrations) -> Result<Vec<String>, Error>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let applied = conn.run_pending_migrations(source).map_err(|e| {
        tracing::error!(error = %e, "migration failed");
        Error::Internal
    })?;
    Ok(applied.iter().map(ToString::to_string).collect())
}
