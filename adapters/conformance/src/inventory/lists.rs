//! Scoping, pages and location filters.

use super::*;

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
