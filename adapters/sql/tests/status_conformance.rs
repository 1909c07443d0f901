//! The status behaviours of the conformance suite on SQLite and
//! PostgreSQL, each on a freshly seeded database.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use chrono::NaiveDate;
use switchboard_conformance::status;
use switchboard_core::{Error, Result};
use switchboard_sql::SqlStore;
use switchboard_sql::seed::{self, SeedOptions};
use switchboard_sql::testing::TestDb;

/// A seeded store and the database it lives in (dropped after the store).
struct Harness {
    store: SqlStore,
    _db: TestDb,
}

impl Harness {
    async fn sqlite() -> Result<Option<Self>> {
        Self::seeded(TestDb::sqlite()).await.map(Some)
    }

    async fn postgres() -> Result<Option<Self>> {
        match TestDb::postgres().await {
            Some(db) => Self::seeded(db).await.map(Some),
            None => Ok(None),
        }
    }

    async fn seeded(db: TestDb) -> Result<Self> {
        let store = SqlStore::new(db.migrated().await);
        let anchor = NaiveDate::from_ymd_opt(2026, 5, 2)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .ok_or(Error::Internal)?;
        let options = SeedOptions {
            accounts: 2,
            cases: 4,
            seed: 5,
            anchor,
        };
        seed::seed(&store, &options).await?;
        Ok(Self { store, _db: db })
    }
}

/// One test per backend and behaviour.
macro_rules! status_conformance {
    ($($behaviour:ident),* $(,)?) => {
        status_conformance!(@backend sqlite, $($behaviour),*);
        status_conformance!(@backend postgres, $($behaviour),*);
    };
    (@backend $backend:ident, $($behaviour:ident),*) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $behaviour() -> Result<()> {
                    if let Some(h) = Harness::$backend().await? {
                        status::$behaviour(&h.store).await;
                    }
                    Ok(())
                }
            )*

            #[tokio::test(flavor = "multi_thread")]
            async fn writes_follow_the_capability() -> Result<()> {
                if let Some(h) = Harness::$backend().await? {
                    status::writes_follow_the_capability(&h.store, true).await;
                }
                Ok(())
            }
        }
    };
}

status_conformance!(
    summary_lists_the_components_in_order,
    summary_holds_unresolved_incidents_only,
    incidents_are_found_by_id,
);
