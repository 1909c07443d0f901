//! The billing behaviours of the conformance suite on SQLite and
//! PostgreSQL, each on a freshly seeded database.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use switchboard_conformance::{BillingFixture, billing};
use switchboard_core::Result;
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_sql::SqlStore;
use switchboard_sql::testing::TestDb;

/// A seeded store, the fixture over it, and the database it lives in
/// (dropped after the store).
struct Harness {
    store: SqlStore,
    fixture: BillingFixture,
    _db: TestDb,
}

impl Harness {
    /// `None` when the backend is PostgreSQL and none answers.
    async fn on(backend: &str) -> Result<Option<Self>> {
        let Some(db) = TestDb::named(backend).await else {
            return Ok(None);
        };
        let store = db.seeded(3, 20, 11, (2026, 5, 2)).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        Ok(Some(Self {
            store,
            fixture: BillingFixture {
                home: home.into(),
                other: other.into(),
            },
            _db: db,
        }))
    }
}

/// One test per backend and behaviour.
macro_rules! billing_conformance {
    ($($behaviour:ident),* $(,)?) => {
        billing_conformance!(@backend sqlite, $($behaviour),*);
        billing_conformance!(@backend postgres, $($behaviour),*);
    };
    (@backend $backend:ident, $($behaviour:ident),*) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $behaviour() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        billing::$behaviour(&h.store, &h.fixture).await;
                    }
                    Ok(())
                }
            )*
        }
    };
}

billing_conformance!(
    scoping_hides_other_accounts,
    summary_of_charges_adds_up,
    invoice_orderings_paginate,
    invoices_are_searchable_by_number,
    latest_invoice_is_the_newest,
    usage_filters_pages_and_totals,
);
