//! The write-ledger behaviours of the conformance suite on SQLite and
//! PostgreSQL, each on a freshly migrated database, and on the in-memory
//! reference ledger of `switchboard-core`.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use std::sync::Arc;

use switchboard_conformance::ledger;
use switchboard_core::Result;
use switchboard_core::ledger::{InMemoryLedger, WriteLedger};
use switchboard_sql::SqlStore;
use switchboard_sql::testing::TestDb;

/// A ledger under test and the database it lives in (dropped after it).
struct Harness {
    ledger: Arc<dyn WriteLedger>,
    _db: Option<TestDb>,
}

impl Harness {
    /// A fresh ledger of `backend` (`sqlite`, `postgres` or `memory`);
    /// `None` when the backend is PostgreSQL and none answers.
    async fn on(backend: &str) -> Result<Option<Self>> {
        if backend == "memory" {
            return Ok(Some(Self {
                ledger: Arc::new(InMemoryLedger::new()),
                _db: None,
            }));
        }
        let Some(db) = TestDb::named(backend).await else {
            return Ok(None);
        };
        let store = SqlStore::new(db.migrated().await);
        Ok(Some(Self {
            ledger: Arc::new(store),
            _db: Some(db),
        }))
    }
}

/// One test per backend and behaviour. Behaviours listed after `shared:`
/// take the ledger as `&dyn WriteLedger`, those after `racing:` as an
/// `Arc` (they claim from spawned tasks).
macro_rules! ledger_conformance {
    (shared: [$($shared:ident),* $(,)?], racing: [$($racing:ident),* $(,)?] $(,)?) => {
        ledger_conformance!(@backend sqlite, [$($shared),*], [$($racing),*]);
        ledger_conformance!(@backend postgres, [$($shared),*], [$($racing),*]);
        ledger_conformance!(@backend memory, [$($shared),*], [$($racing),*]);
    };
    (@backend $backend:ident, [$($shared:ident),*], [$($racing:ident),*]) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $shared() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        ledger::$shared(h.ledger.as_ref()).await;
                    }
                    Ok(())
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $racing() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        ledger::$racing(h.ledger.clone()).await;
                    }
                    Ok(())
                }
            )*
        }
    };
}

ledger_conformance!(
    shared: [
        grant_then_done,
        mismatch_in_every_state,
        keys_are_separate_per_backend_kind_and_actor,
        authors_keep_the_first_record,
        activities_come_back_per_case_oldest_first,
        deliveries_are_first_once_until_forgotten,
    ],
    racing: [
        concurrent_claims_grant_exactly_one,
        release_lets_a_new_claim_win,
        stale_claims_resume_exactly_once,
    ],
);
