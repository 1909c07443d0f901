//! The resource library and inventory behaviours of the conformance suite
//! on SQLite and PostgreSQL, each on a freshly seeded database.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use std::sync::Arc;

use chrono::NaiveDate;
use switchboard_conformance::{InventoryFixture, ResourcesFixture, inventory, resources};
use switchboard_core::{Error, Result};
use switchboard_sql::SqlStore;
use switchboard_sql::seed::{self, DEMO_ACCOUNTS, SeedOptions};
use switchboard_sql::testing::TestDb;

/// A seeded store, the fixtures over it, and the database it lives in
/// (dropped after the store).
struct Harness {
    store: SqlStore,
    library: ResourcesFixture,
    inventory: InventoryFixture,
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
            seed: 5,
            anchor,
        };
        seed::seed(&store, &options).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        Ok(Self {
            store,
            library: ResourcesFixture {
                home: home.into(),
                other: other.into(),
            },
            inventory: InventoryFixture {
                home: home.into(),
                other: other.into(),
            },
            _db: db,
        })
    }
}

/// One test per backend and behaviour; `$call` runs it on a harness `h`.
macro_rules! conformance {
    ($($name:ident => |$h:ident| $call:expr),* $(,)?) => {
        conformance!(@backend sqlite, $($name => |$h| $call),*);
        conformance!(@backend postgres, $($name => |$h| $call),*);
    };
    (@backend $backend:ident, $($name:ident => |$h:ident| $call:expr),*) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() -> Result<()> {
                    if let Some($h) = Harness::$backend().await? {
                        $call.await;
                    }
                    Ok(())
                }
            )*
        }
    };
}

conformance!(
    library_is_consistent_and_ordered => |h| resources::library_is_consistent_and_ordered(&h.store),
    entries_follow_the_accounts_products => |h| resources::entries_follow_the_accounts_products(&h.store, &h.library),
    library_scoping_hides_other_accounts => |h| resources::scoping_hides_other_accounts(&h.store, &h.library),
    extra_entries_extend_and_replace => |h| resources::extra_entries_extend_and_replace(Arc::new(h.store.clone()), &h.library),
    inventory_scoping_hides_other_accounts => |h| inventory::scoping_hides_other_accounts(&h.store, &h.inventory),
    pages_cover_the_list_once => |h| inventory::pages_cover_the_list_once(&h.store, &h.inventory),
    location_filter_matches_the_batch => |h| inventory::location_filter_matches_the_batch(&h.store, &h.inventory),
    search_matches_names_and_identifiers => |h| inventory::search_matches_names_and_identifiers(&h.store, &h.inventory),
    locations_are_the_directorys => |h| inventory::locations_are_the_directorys(&h.store, &h.store, &h.inventory),
);
