//! Search, and locations that are the directory's.

use super::*;

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
