//! The resource library and inventory behaviours of the conformance suite
//! on SQLite and PostgreSQL, each on a freshly seeded database; the
//! inventory's also through [`BridgedInventory`].
//!
//! Settings read: those of [`switchboard_sql::testing`].

use std::sync::Arc;

use switchboard_conformance::{InventoryFixture, ResourcesFixture, inventory, resources};
use switchboard_core::Result;
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_core::inventory::BridgedInventory;
use switchboard_sql::SqlStore;
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
    /// `None` when the backend is PostgreSQL and none answers.
    async fn on(backend: &str) -> Result<Option<Self>> {
        let Some(db) = TestDb::named(backend).await else {
            return Ok(None);
        };
        let store = db.seeded(3, 20, 5, (2026, 5, 2)).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        Ok(Some(Self {
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
        }))
    }

    /// The store's inventory behind [`BridgedInventory`], with the store's
    /// directory on both sides: every id crosses the bridge and must come
    /// back as the same location.
    fn bridged(&self) -> BridgedInventory {
        let store = Arc::new(self.store.clone());
        BridgedInventory::new(store.clone(), store.clone(), store)
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
                    if let Some($h) = Harness::on(stringify!($backend)).await? {
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
    bridged_scoping_hides_other_accounts => |h| inventory::scoping_hides_other_accounts(&h.bridged(), &h.inventory),
    bridged_pages_cover_the_list_once => |h| inventory::pages_cover_the_list_once(&h.bridged(), &h.inventory),
    bridged_location_filter_matches_the_batch => |h| inventory::location_filter_matches_the_batch(&h.bridged(), &h.inventory),
    bridged_search_matches_names_and_identifiers => |h| inventory::search_matches_names_and_identifiers(&h.bridged(), &h.inventory),
    bridged_locations_are_the_directorys => |h| inventory::locations_are_the_directorys(&h.bridged(), &h.store, &h.inventory),
);
