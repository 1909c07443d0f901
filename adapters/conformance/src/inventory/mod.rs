//! Behaviours of the [`Inventory`] port: scoping, keyset pages that cover a
//! list exactly once, filters by location and search (names, circuit ids,
//! telephone numbers with or without punctuation, serials), batches, and
//! location ids shared with the directory.

use std::collections::HashSet;

use crate::support::every_item;
use switchboard_core::inventory::{Asset, Inventory, InventoryFilter, Service};
use switchboard_core::{AccountStore, Error, PageRequest, Scope};

mod lists;
mod search;

pub use lists::{
    location_filter_matches_the_batch, pages_cover_the_list_once, scoping_hides_other_accounts,
};
pub use search::{locations_are_the_directorys, search_matches_names_and_identifiers};

/// What the inventory behaviours need to know about the dataset: two
/// accounts, each with services at several locations (circuits with ids,
/// voice services with numbers) and assets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryFixture {
    /// The account the behaviours read.
    pub home: String,
    /// Another account, out of `home`'s reach.
    pub other: String,
}

impl InventoryFixture {
    fn home_scope(&self) -> Scope {
        Scope::new([self.home.clone()])
    }
}

fn search(text: &str) -> InventoryFilter {
    InventoryFilter {
        location_ids: Vec::new(),
        search: Some(text.into()),
    }
}

fn at(location: &str) -> InventoryFilter {
    InventoryFilter {
        location_ids: vec![location.into()],
        search: None,
    }
}

/// Every service of `account` matching `filter`, read `size` at a time.
async fn every_service(
    store: &dyn Inventory,
    scope: &Scope,
    account: &str,
    filter: &InventoryFilter,
    size: usize,
) -> Vec<Service> {
    every_item("services", size, |page| async move {
        store.services(scope, account, filter, &page).await
    })
    .await
}

/// Every asset of `account` matching `filter`, read `size` at a time.
async fn every_asset(
    store: &dyn Inventory,
    scope: &Scope,
    account: &str,
    filter: &InventoryFilter,
    size: usize,
) -> Vec<Asset> {
    every_item("assets", size, |page| async move {
        store.assets(scope, account, filter, &page).await
    })
    .await
}
