//! Behaviours of the [`Inventory`] port: scoping, keyset pages that cover a
//! list exactly once, filters by location and search (names, circuit ids,
//! telephone numbers with or without punctuation, serials), batches, and
//! location ids shared with the directory.

use std::collections::HashSet;

use switchboard_core::inventory::{Asset, Inventory, InventoryFilter, Service};
use switchboard_core::{AccountStore, Error, PageRequest, Scope};

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
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .services(scope, account, filter, &PageRequest { first: size, after })
            .await
            .expect("a page of services");
        assert!(
            page.items.len() <= size,
            "a page holds at most `first` items"
        );
        after = page.end_cursor().map(str::to_string);
        let more = page.has_next_page;
        out.extend(page.into_items());
        if !more {
            return out;
        }
    }
}

/// Every asset of `account` matching `filter`, read `size` at a time.
async fn every_asset(
    store: &dyn Inventory,
    scope: &Scope,
    account: &str,
    filter: &InventoryFilter,
    size: usize,
) -> Vec<Asset> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .assets(scope, account, filter, &PageRequest { first: size, after })
            .await
            .expect("a page of assets");
        assert!(
            page.items.len() <= size,
            "a page holds at most `first` items"
        );
        after = page.end_cursor().map(str::to_string);
        let more = page.has_next_page;
        out.extend(page.into_items());
        if !more {
            return out;
        }
    }
}

/// Another account's services and assets are not found by list and absent
/// from batches, even by their exact ids and locations.
pub async fn scoping_hides_other_accounts(store: &dyn Inventory, fixture: &InventoryFixture) {
    let home = fixture.home_scope();
    let other = Scope::new([fixture.other.clone()]);
    let all = InventoryFilter::default();
    let first = PageRequest::first(100);
    assert!(matches!(
        store.services(&home, &fixture.other, &all, &first).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.count_assets(&home, &fixture.other, &all).await,
        Err(Error::NotFound { .. })
    ));
    let theirs = every_service(store, &other, &fixture.other, &all, 100).await;
    let their_assets = every_asset(store, &other, &fixture.other, &all, 100).await;
    assert!(
        !theirs.is_empty() && !their_assets.is_empty(),
        "the other account has an inventory"
    );
    let ids: Vec<String> = theirs.iter().map(|s| s.id.clone()).collect();
    let locations: Vec<String> = theirs.iter().map(|s| s.location_id.clone()).collect();
    assert!(
        store
            .services_by_ids(&home, &ids)
            .await
            .expect("batch")
            .is_empty()
    );
    assert!(
        store
            .services_at(&home, &locations)
            .await
            .expect("batch")
            .is_empty()
    );
    let asset_ids: Vec<String> = their_assets.iter().map(|a| a.id.clone()).collect();
    assert!(
        store
            .assets_by_ids(&home, &asset_ids)
            .await
            .expect("batch")
            .is_empty()
    );
    assert!(
        store
            .assets_at(&home, &locations)
            .await
            .expect("batch")
            .is_empty()
    );
    // Filtering the home account by the other's locations finds nothing.
    let filter = InventoryFilter {
        location_ids: locations,
        search: None,
    };
    assert_eq!(
        store.count_services(&home, &fixture.home, &filter).await,
        Ok(0)
    );
}

/// Small pages cover the list exactly once, in the order of one big page,
/// agree with the count, and a cursor of another list is rejected.
pub async fn pages_cover_the_list_once(store: &dyn Inventory, fixture: &InventoryFixture) {
    let scope = fixture.home_scope();
    let all = InventoryFilter::default();
    let whole = every_service(store, &scope, &fixture.home, &all, 100).await;
    let paged = every_service(store, &scope, &fixture.home, &all, 3).await;
    assert!(
        whole.len() > 3,
        "the home account has more than a page of services"
    );
    assert_eq!(paged, whole, "pages of 3 read the list of one big page");
    let unique: HashSet<&str> = whole.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(unique.len(), whole.len(), "no service is listed twice");
    assert_eq!(
        store.count_services(&scope, &fixture.home, &all).await,
        Ok(whole.len() as u64)
    );
    let assets = every_asset(store, &scope, &fixture.home, &all, 100).await;
    assert_eq!(
        every_asset(store, &scope, &fixture.home, &all, 4).await,
        assets
    );
    assert_eq!(
        store.count_assets(&scope, &fixture.home, &all).await,
        Ok(assets.len() as u64)
    );
    let page = store
        .services(&scope, &fixture.home, &all, &PageRequest::first(2))
        .await
        .expect("a page");
    let cursor = page.end_cursor().map(str::to_string);
    let wrong = store
        .assets(
            &scope,
            &fixture.home,
            &all,
            &PageRequest {
                first: 2,
                after: cursor,
            },
        )
        .await;
    assert!(
        matches!(&wrong, Err(Error::InvalidInput { field, .. }) if field == "after"),
        "a services cursor on assets is invalid input on `after`: {wrong:?}"
    );
    let garbage = PageRequest {
        first: 2,
        after: Some("not a cursor".into()),
    };
    assert!(matches!(
        store.services(&scope, &fixture.home, &all, &garbage).await,
        Err(Error::InvalidInput { .. })
    ));
}

/// A location filter keeps the services and assets there, which are also
/// what the batch by location answers.
pub async fn location_filter_matches_the_batch(store: &dyn Inventory, fixture: &InventoryFixture) {
    let scope = fixture.home_scope();
    let whole = every_service(
        store,
        &scope,
        &fixture.home,
        &InventoryFilter::default(),
        100,
    )
    .await;
    let location = whole.first().expect("a service").location_id.clone();
    let here = every_service(store, &scope, &fixture.home, &at(&location), 2).await;
    assert!(!here.is_empty() && here.iter().all(|s| s.location_id == location));
    assert_eq!(
        here.len(),
        whole.iter().filter(|s| s.location_id == location).count()
    );
    let mut batch = store
        .services_at(&scope, std::slice::from_ref(&location))
        .await
        .expect("a batch");
    let mut listed = here.clone();
    batch.sort_by(|a, b| a.id.cmp(&b.id));
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        batch, listed,
        "the batch by location answers what the filter lists"
    );
    let assets = every_asset(store, &scope, &fixture.home, &at(&location), 2).await;
    let batch = store
        .assets_at(&scope, std::slice::from_ref(&location))
        .await
        .expect("a batch");
    assert_eq!(assets.len(), batch.len());
    assert!(batch.iter().all(|a| a.location_id == location));
    let ids: Vec<String> = whole.iter().map(|s| s.id.clone()).collect();
    assert_eq!(
        store
            .services_by_ids(&scope, &ids)
            .await
            .expect("batch")
            .len(),
        whole.len()
    );
}

/// Search matches names without regard to case, circuit ids, telephone
/// numbers with punctuation, and serials; LIKE wildcards are literal.
pub async fn search_matches_names_and_identifiers(
    store: &dyn Inventory,
    fixture: &InventoryFixture,
) {
    let scope = fixture.home_scope();
    let all = every_service(
        store,
        &scope,
        &fixture.home,
        &InventoryFilter::default(),
        100,
    )
    .await;
    let scope = &scope;
    let found = |filter: InventoryFilter| async move {
        every_service(store, scope, &fixture.home, &filter, 100).await
    };
    let named = &all[0];
    let word = named
        .name
        .split_whitespace()
        .next()
        .expect("a name")
        .to_uppercase();
    let hits = found(search(&word)).await;
    assert!(
        hits.iter().any(|s| s.id == named.id),
        "`{word}` finds {}",
        named.name
    );
    assert!(hits.iter().all(|s| {
        s.name.to_uppercase().contains(&word)
            || s.circuit_id
                .iter()
                .any(|c| c.to_uppercase().contains(&word))
    }));
    let circuit = all
        .iter()
        .find(|s| s.circuit_id.is_some())
        .expect("a circuit");
    let id = circuit
        .circuit_id
        .clone()
        .unwrap_or_default()
        .to_lowercase();
    assert_eq!(
        found(search(&id))
            .await
            .iter()
            .map(|s| &s.id)
            .collect::<Vec<_>>(),
        vec![&circuit.id],
        "a circuit id finds its circuit"
    );
    let voice = all
        .iter()
        .find(|s| !s.phone_numbers.is_empty())
        .expect("a voice service");
    let n = &voice.phone_numbers[0];
    let dressed = format!("({}) {}-{}", &n[..3], &n[3..6], &n[6..]);
    assert!(
        found(search(&dressed))
            .await
            .iter()
            .any(|s| s.id == voice.id),
        "{dressed} finds the service with {n}"
    );
    assert!(found(search("%")).await.is_empty(), "`%` is a literal");
    let assets = every_asset(
        store,
        scope,
        &fixture.home,
        &InventoryFilter::default(),
        100,
    )
    .await;
    let asset = assets.last().expect("an asset");
    let hits = every_asset(
        store,
        scope,
        &fixture.home,
        &search(&asset.serial.to_lowercase()),
        100,
    )
    .await;
    assert_eq!(
        hits.iter().map(|a| &a.id).collect::<Vec<_>>(),
        vec![&asset.id]
    );
}

/// Every service and asset is at one of the account's directory locations,
/// the ids cases use.
pub async fn locations_are_the_directorys(
    store: &dyn Inventory,
    directory: &dyn AccountStore,
    fixture: &InventoryFixture,
) {
    let scope = fixture.home_scope();
    let locations: HashSet<String> = directory
        .locations(&scope, &fixture.home)
        .await
        .expect("locations")
        .into_iter()
        .map(|l| l.id)
        .collect();
    let all = InventoryFilter::default();
    for service in every_service(store, &scope, &fixture.home, &all, 100).await {
        assert!(
            locations.contains(&service.location_id),
            "service {} location",
            service.id
        );
    }
    for asset in every_asset(store, &scope, &fixture.home, &all, 100).await {
        assert!(
            locations.contains(&asset.location_id),
            "asset {} location",
            asset.id
        );
    }
}
