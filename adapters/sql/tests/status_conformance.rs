//! The status behaviours of the conformance suite on SQLite and
//! PostgreSQL, each on a freshly seeded database.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use std::sync::Arc;

use switchboard_conformance::status;
use switchboard_core::Result;
use switchboard_core::status::{PublishingStatus, StatusBus};
use switchboard_sql::SqlStore;
use switchboard_sql::testing::TestDb;

/// A seeded store and the database it lives in (dropped after the store).
struct Harness {
    store: SqlStore,
    _db: TestDb,
}

impl Harness {
    /// `None` when the backend is PostgreSQL and none answers.
    async fn on(backend: &str) -> Result<Option<Self>> {
        let Some(db) = TestDb::named(backend).await else {
            return Ok(None);
        };
        let store = db.seeded(2, 4, 5, (2026, 5, 2)).await?;
        Ok(Some(Self { store, _db: db }))
    }
}

/// `store` behind the publishing decorator, as the gateway serves it.
fn published(store: SqlStore) -> PublishingStatus {
    PublishingStatus::new(Arc::new(store), StatusBus::default())
}

/// One test per backend and behaviour, on the store and on the store
/// behind the publishing decorator.
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
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        status::$behaviour(&h.store).await;
                    }
                    Ok(())
                }
            )*

            #[tokio::test(flavor = "multi_thread")]
            async fn writes_follow_the_capability() -> Result<()> {
                if let Some(h) = Harness::on(stringify!($backend)).await? {
                    status::writes_follow_the_capability(&h.store, true).await;
                }
                Ok(())
            }

            mod published {
                use super::*;
                $(
                    #[tokio::test(flavor = "multi_thread")]
                    async fn $behaviour() -> Result<()> {
                        if let Some(h) = Harness::on(stringify!($backend)).await? {
                            status::$behaviour(&published(h.store)).await;
                        }
                        Ok(())
                    }
                )*

                #[tokio::test(flavor = "multi_thread")]
                async fn writes_follow_the_capability() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        status::writes_follow_the_capability(&published(h.store), true).await;
                    }
                    Ok(())
                }
            }
        }
    };
}

status_conformance!(
    summary_lists_the_components_in_order,
    summary_holds_unresolved_incidents_only,
    incidents_are_found_by_id,
);
