//! Behaviours of the [`AccountStore`] port: accounts, locations, products
//! and contacts, scoped like everything else.

use std::collections::BTreeSet;

use switchboard_core::{AccountStore, Scope};

use crate::Fixture;
use crate::support::{expect_not_found, ok};

fn sorted<T: Ord>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    items
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Another account's lists are NOT_FOUND, its records are left out of
/// batch look-ups, and an account outside the scope is not listed.
pub async fn account_lists_are_scoped(store: &dyn AccountStore, fx: &Fixture) {
    let home = fx.home.scope();
    let other = &fx.other.account_id;
    expect_not_found(
        store.locations(&home, other).await,
        "locations of another account",
    );
    expect_not_found(
        store.products(&home, other, None).await,
        "products of another account",
    );
    expect_not_found(
        store.contacts(&home, other).await,
        "contacts of another account",
    );
    expect_not_found(
        store.locations(&home, "no-such-account").await,
        "locations of an unknown account",
    );

    let both = [
        fx.home.account_id.clone(),
        other.clone(),
        "no-such-account".into(),
    ];
    let accounts = ok(store.accounts_by_ids(&home, &both).await, "accounts_by_ids");
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [fx.home.account_id.as_str()],
        "accounts_by_ids left its scope"
    );
    assert!(!accounts[0].name.is_empty(), "an account has no name");

    let theirs = [
        fx.other.location_id.clone(),
        fx.other.product_id.clone(),
        fx.other.contact_id.clone(),
    ];
    let step = "a batch look-up of another account's records";
    assert!(
        ok(store.locations_by_ids(&home, &theirs[..1]).await, step).is_empty(),
        "{step}: a location leaked"
    );
    assert!(
        ok(store.products_by_ids(&home, &theirs[1..2]).await, step).is_empty(),
        "{step}: a product leaked"
    );
    assert!(
        ok(store.contacts_by_ids(&home, &theirs[2..]).await, step).is_empty(),
        "{step}: a contact leaked"
    );
    let nobody = Scope::new(Vec::<String>::new());
    let mine = [fx.home.location_id.clone()];
    assert!(
        ok(
            store.locations_by_ids(&nobody, &mine).await,
            "locations_by_ids in an empty scope"
        )
        .is_empty(),
        "an empty scope found a location"
    );
}

/// Lists come in their documented order, and a batch look-up of a list's
/// ids finds exactly that list (unknown ids are left out).
pub async fn batch_look_ups_agree_with_lists(store: &dyn AccountStore, fx: &Fixture) {
    let scope = fx.home.scope();
    let account = &fx.home.account_id;

    let locations = ok(store.locations(&scope, account).await, "locations");
    assert!(!locations.is_empty(), "the home account lists no location");
    let keys: Vec<&str> = locations
        .iter()
        .map(|l| l.customer_location_id.as_str())
        .collect();
    assert!(
        keys.is_sorted(),
        "locations are not ordered by customer location id: {keys:?}"
    );
    assert!(
        locations.iter().all(|l| &l.account_id == account),
        "a location of another account is listed"
    );
    let mut ids: Vec<String> = locations.iter().map(|l| l.id.clone()).collect();
    ids.push("no-such-location".into());
    let found = ok(
        store.locations_by_ids(&scope, &ids).await,
        "locations_by_ids",
    );
    assert_eq!(
        sorted(found.iter().map(|l| l.id.clone())),
        sorted(locations.iter().map(|l| l.id.clone())),
        "locations_by_ids disagrees with the list"
    );

    let contacts = ok(store.contacts(&scope, account).await, "contacts");
    let ids: Vec<String> = contacts.iter().map(|c| c.id.clone()).collect();
    let found = ok(store.contacts_by_ids(&scope, &ids).await, "contacts_by_ids");
    assert_eq!(
        sorted(found.iter().map(|c| c.id.clone())),
        sorted(ids),
        "contacts_by_ids disagrees with the list"
    );

    let products = ok(store.products(&scope, account, None).await, "products");
    let ids: Vec<String> = products.iter().map(|p| p.id.clone()).collect();
    let found = ok(store.products_by_ids(&scope, &ids).await, "products_by_ids");
    assert_eq!(
        sorted(found.iter().map(|p| p.id.clone())),
        sorted(ids),
        "products_by_ids disagrees with the list"
    );
}

/// Products at a location are exactly the account's products tied to it.
pub async fn products_filter_by_location(store: &dyn AccountStore, fx: &Fixture) {
    let scope = fx.home.scope();
    let account = &fx.home.account_id;
    let all = ok(store.products(&scope, account, None).await, "products");
    let location = &fx.home.location_id;
    let at = ok(
        store.products(&scope, account, Some(location)).await,
        "products at a location",
    );
    assert!(
        at.iter().any(|p| p.id == fx.home.product_id),
        "the fixture's product is not listed at its location"
    );
    assert_eq!(
        sorted(at.iter().map(|p| p.id.clone())),
        sorted(
            all.iter()
                .filter(|p| p.location_id.as_deref() == Some(location))
                .map(|p| p.id.clone())
        ),
        "products at a location are not the account's products tied to it"
    );
}
