//! The toll-free behaviours of the conformance suite on SQLite and
//! PostgreSQL, each on a freshly seeded database.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use std::sync::Arc;

use switchboard_conformance::{TollFreeFixture, tollfree};
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_core::tollfree::{PublishingTollFree, TollFreeBus};
use switchboard_core::{InProcessBus, Result};
use switchboard_sql::SqlStore;
use switchboard_sql::testing::{TestDb, actor};

/// A seeded store, the fixture over it, and the database it lives in
/// (dropped after the store).
struct Harness {
    store: SqlStore,
    fixture: TollFreeFixture,
    _db: TestDb,
}

impl Harness {
    /// `None` when the backend is PostgreSQL and none answers.
    async fn on(backend: &str) -> Result<Option<Self>> {
        let Some(db) = TestDb::named(backend).await else {
            return Ok(None);
        };
        let store = db.seeded(2, 10, 5, (2026, 5, 2)).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        let fixture = TollFreeFixture {
            home: home.into(),
            other: other.into(),
            actor: actor(&store, "pat.primary@harborfreight.example").await?,
            operator: actor(&store, "olive.operator@switchboard.example").await?,
        };
        Ok(Some(Self {
            store,
            fixture,
            _db: db,
        }))
    }
}

/// `store` behind the publishing decorator, as the gateway serves it.
fn published(store: SqlStore) -> PublishingTollFree {
    PublishingTollFree::new(
        Arc::new(store),
        TollFreeBus::default(),
        Arc::new(InProcessBus::new(16)),
    )
}

/// One test per backend and behaviour, on the store and on the store
/// behind the publishing decorator; the decorator's own behaviour once per
/// backend.
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
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        tollfree::$behaviour(&h.store, &h.fixture).await;
                    }
                    Ok(())
                }
            )*

            mod published {
                use super::*;
                $(
                    #[tokio::test(flavor = "multi_thread")]
                    async fn $behaviour() -> Result<()> {
                        if let Some(h) = Harness::on(stringify!($backend)).await? {
                            tollfree::$behaviour(&published(h.store), &h.fixture).await;
                        }
                        Ok(())
                    }
                )*

                #[tokio::test(flavor = "multi_thread")]
                async fn writes_are_announced_once() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        tollfree::writes_are_announced_once(Arc::new(h.store), &h.fixture).await;
                    }
                    Ok(())
                }
            }
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
