//! The billing behaviours of the conformance suite on SQLite and
//! PostgreSQL, each on a freshly seeded database.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use chrono::NaiveDate;
use switchboard_conformance::{BillingFixture, billing};
use switchboard_core::{Error, Result};
use switchboard_sql::SqlStore;
use switchboard_sql::seed::{self, DEMO_ACCOUNTS, SeedOptions};
use switchboard_sql::testing::TestDb;

/// A seeded store, the fixture over it, and the database it lives in
/// (dropped after the store).
struct Harness {
    store: SqlStore,
    fixture: BillingFixture,
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
            accounts: 3,
            cases: 20,
            seed: 11,
            anchor,
        };
        seed::seed(&store, &options).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        Ok(Self {
            store,
            fixture: BillingFixture {
                home: home.into(),
                other: other.into(),
            },
            _db: db,
        })
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
                    if let Some(h) = Harness::$backend().await? {
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
