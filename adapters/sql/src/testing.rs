//! Databases for tests: a fresh SQLite file, or a fresh schema in the
//! PostgreSQL named by `SWITCHBOARD_TEST_DATABASE_URL`.
//!
//! Settings read: `SWITCHBOARD_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) and
//! `SWITCHBOARD_REQUIRE_POSTGRES` (`1`: a missing PostgreSQL fails the test
//! instead of skipping it).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{NaiveDate, NaiveDateTime};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use switchboard_core::{Actor, Error, Result, UserDirectory};

use crate::seed::{self, SeedOptions};
use crate::{Db, DbOptions, SqlStore};

/// The PostgreSQL tests use when none is configured.
pub const DEFAULT_TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database made for one test; a PostgreSQL schema is dropped on drop.
pub struct TestDb {
    /// The URL to connect to it.
    pub url: String,
    cleanup: Option<(String, String)>,
    _dir: Option<TempDir>,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros() % 1_000_000
    )
}

impl TestDb {
    /// A new empty SQLite database in a temporary folder.
    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(unique("switchboard_test"));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        Self {
            url: dir.join("test.db").display().to_string(),
            cleanup: None,
            _dir: Some(TempDir(dir)),
        }
    }

    /// A new empty schema in the test PostgreSQL, or `None` (with a note on
    /// stderr) when none answers and PostgreSQL is not required.
    ///
    /// # Panics
    /// When PostgreSQL is required (`SWITCHBOARD_REQUIRE_POSTGRES=1`) and
    /// does not answer.
    pub async fn postgres() -> Option<Self> {
        let base = std::env::var("SWITCHBOARD_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_POSTGRES.to_string());
        let required = std::env::var("SWITCHBOARD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let mut admin = match AsyncPgConnection::establish(&base).await {
            Ok(conn) => conn,
            Err(error) if !required => {
                eprintln!(
                    "skipping: no PostgreSQL at {base} ({error}); set SWITCHBOARD_REQUIRE_POSTGRES=1 to fail instead"
                );
                return None;
            }
            Err(error) => panic!("PostgreSQL is required but {base} does not answer: {error}"),
        };
        let schema = unique("sb_test");
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create a test schema");
        let separator = if base.contains('?') { '&' } else { '?' };
        Some(Self {
            url: format!("{base}{separator}options=-c%20search_path%3D{schema}"),
            cleanup: Some((base, schema)),
            _dir: None,
        })
    }

    /// A new empty database of the backend named `backend` (`sqlite` or
    /// `postgres`, as test macros spell their modules), or `None` as
    /// [`TestDb::postgres`] says.
    ///
    /// # Panics
    /// On any other name, or as [`TestDb::postgres`] does.
    pub async fn named(backend: &str) -> Option<Self> {
        match backend {
            "sqlite" => Some(Self::sqlite()),
            "postgres" => Self::postgres().await,
            other => panic!("no test backend is called {other}"),
        }
    }

    /// A migrated pool over this database.
    pub async fn migrated(&self) -> Db {
        let db = Db::connect(&self.url, &DbOptions::default()).expect("a pool");
        crate::migrate::run(&db).await.expect("migrations apply");
        db
    }

    /// A new SQLite database filled as [`TestDb::seeded`] says, with its
    /// store: the source of a fake's demo dataset. Keep the `TestDb` while
    /// the store is in use.
    pub async fn demo_source(
        accounts: usize,
        cases: usize,
        seed: u64,
        day: (i32, u32, u32),
    ) -> Result<(Self, SqlStore)> {
        let db = Self::sqlite();
        let store = db.seeded(accounts, cases, seed, day).await?;
        Ok((db, store))
    }

    /// A store over this database, migrated and filled with the demo data
    /// of `accounts` accounts and `cases` cases from `seed`, anchored at
    /// noon on `day`.
    pub async fn seeded(
        &self,
        accounts: usize,
        cases: usize,
        seed: u64,
        day: (i32, u32, u32),
    ) -> Result<SqlStore> {
        let store = SqlStore::new(self.migrated().await);
        let options = SeedOptions {
            accounts,
            cases,
            seed,
            anchor: noon(day)?,
        };
        seed::seed(&store, &options).await?;
        Ok(store)
    }
}

/// Noon (UTC) on `(year, month, day)`.
pub fn noon((year, month, day): (i32, u32, u32)) -> Result<NaiveDateTime> {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .ok_or(Error::Internal)
}

/// The demo user with login `email`, as the actor of their writes.
pub async fn actor(store: &SqlStore, email: &str) -> Result<Actor> {
    let principal = store
        .principal_by_email(email)
        .await?
        .ok_or_else(|| Error::not_found(format!("user {email}")))?;
    Ok(Actor {
        user_id: principal.user.id,
        email: principal.user.email,
        name: principal.user.name,
    })
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.cleanup.take() {
            // Dropping runs outside any runtime guarantee, so use a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(mut conn) = AsyncPgConnection::establish(&base).await {
                            let _ = conn
                                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}
