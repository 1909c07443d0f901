//! The toll-free behaviours of the conformance suite on SQLite and
//! PostgreSQL, each on a freshly seeded database.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use chrono::NaiveDate;
use switchboard_conformance::{TollFreeFixture, tollfree};
use switchboard_core::{Actor, Error, Result, UserDirectory};
use switchboard_sql::SqlStore;
use switchboard_sql::seed::{self, DEMO_ACCOUNTS, SeedOptions};
use switchboard_sql::testing::TestDb;

/// A seeded store, the fixture over it, and the database it lives in
/// (dropped after the store).
struct Harness {
    store: SqlStore,
    fixture: TollFreeFixture,
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
            cases: 10,
            seed: 5,
            anchor,
        };
        seed::seed(&store, &options).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        let fixture = TollFreeFixture {
            home: home.into(),
            other: other.into(),
            actor: actor(&store, "pat.primary@harborfreight.example").await?,
            operator: actor(&store, "olive.operator@switchboard.example").await?,
        };
        Ok(Self {
            store,
            fixture,
            _db: db,
        })
    }
}

async fn actor(store: &SqlStore, email: &str) -> Result<Actor> {
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

/// One test per backend and behaviour.
macro_rules! tollfree_conformance {
    ($($behaviour:ident),* $(,)?) => {
        tollfree_conformance!(@backend sqlite, $($behaviour),*);
        tollfree_conformance!(@backend postgres, $($behaviour),*);
    };
    (@backend $backend:ident, $($behaviour:ident),*) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $behaviour() -> Result<()> {
                    if let Some(h) = Harness::$backend().await? {
                        tollfree::$behaviour(&h.store, &h.fixture).await;
                    }
                    Ok(())
                }
            )*
        }
    };
}

tollfree_conformance!(
    scoping_hides_other_accounts,
    numbers_are_ordered_filtered_and_paged,
    submit_is_all_or_nothing,
    submit_then_complete_applies_the_changes,
    rejecting_changes_nothing,
    retried_submits_are_idempotent,
);
