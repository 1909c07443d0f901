//! Behaviours of the [`ResourceLibrary`] port: a consistent library in
//! display order, entries narrowed to the account's products, scoping, and
//! configured entries laid over the library.

use std::sync::Arc;

use switchboard_core::resources::{App, Extended, Library, ResourceLibrary, applies};
use switchboard_core::{Error, Scope};

/// What the library behaviours need to know about the dataset: two
/// accounts, each with products, and a library with at least one category,
/// resource and app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcesFixture {
    /// The account the behaviours read.
    pub home: String,
    /// Another account, out of `home`'s reach.
    pub other: String,
}

impl ResourcesFixture {
    fn home_scope(&self) -> Scope {
        Scope::new([self.home.clone()])
    }
}

/// The library answers every entry in display order, each resource in a
/// category the library has.
pub async fn library_is_consistent_and_ordered(store: &dyn ResourceLibrary) {
    let library = store.library().await.expect("the library");
    assert!(
        !library.categories.is_empty() && !library.resources.is_empty() && !library.apps.is_empty(),
        "the dataset has categories, resources and apps"
    );
    for resource in &library.resources {
        assert!(
            library
                .categories
                .iter()
                .any(|c| c.id == resource.category_id),
            "resource {} is in a category the library has",
            resource.id
        );
    }
    let mut sorted = library.clone();
    sorted.sort();
    assert_eq!(sorted, library, "the library is in display order");
}

/// An account sees exactly the entries for no product or for a product it
/// has, and nothing else.
pub async fn entries_follow_the_accounts_products(
    store: &dyn ResourceLibrary,
    fixture: &ResourcesFixture,
) {
    let scope = fixture.home_scope();
    let products = store
        .product_names(&scope, &fixture.home)
        .await
        .expect("product names");
    assert!(!products.is_empty(), "the home account has products");
    let library = store.library().await.expect("the library");
    let seen = store
        .resources_for(&scope, &fixture.home)
        .await
        .expect("resources");
    let seen_ids: Vec<&str> = seen
        .iter()
        .flat_map(|c| c.resources.iter().map(|r| r.id.as_str()))
        .collect();
    for resource in &library.resources {
        assert_eq!(
            seen_ids.contains(&resource.id.as_str()),
            applies(&resource.products, &products),
            "resource {} ({:?}) is listed exactly when it applies to {products:?}",
            resource.title,
            resource.products
        );
    }
    assert!(
        seen.iter().all(|c| !c.resources.is_empty()),
        "empty categories are omitted"
    );
    let apps = store.apps_for(&scope, &fixture.home).await.expect("apps");
    for app in &library.apps {
        assert_eq!(
            apps.iter().any(|a| a.id == app.id),
            applies(&app.products, &products),
            "app {} ({:?}) is listed exactly when it applies to {products:?}",
            app.name,
            app.products
        );
    }
}

/// Another customer's account is not found, exactly like a missing one.
pub async fn scoping_hides_other_accounts(store: &dyn ResourceLibrary, fixture: &ResourcesFixture) {
    let scope = fixture.home_scope();
    for account in [fixture.other.as_str(), "no-such-account"] {
        assert!(matches!(
            store.product_names(&scope, account).await,
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            store.resources_for(&scope, account).await,
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            store.apps_for(&scope, account).await,
            Err(Error::NotFound { .. })
        ));
    }
}

/// Extra entries (from configuration) replace entries with their id and
/// add the rest, narrowed to the account's products like any other.
pub async fn extra_entries_extend_and_replace(
    store: Arc<dyn ResourceLibrary>,
    fixture: &ResourcesFixture,
) {
    let base = store.library().await.expect("the library");
    let replaced = base.apps.first().cloned().expect("an app");
    let app = |id: &str, name: &str, products: &[&str]| App {
        id: id.into(),
        name: name.into(),
        description: "configured".into(),
        url: format!("https://{id}.apps.example"),
        products: products.iter().map(|p| p.to_string()).collect(),
        position: 1_000,
    };
    let extra = Library {
        apps: vec![
            App {
                name: "Renamed by configuration".into(),
                products: Vec::new(),
                ..replaced.clone()
            },
            app("cfg-everyone", "For everyone", &[]),
            app(
                "cfg-nobody",
                "For a product nobody has",
                &["No Such Product"],
            ),
        ],
        ..Library::default()
    };
    let extended = Extended::new(store, extra);
    let merged = extended.library().await.expect("the merged library");
    assert_eq!(
        merged.apps.len(),
        base.apps.len() + 2,
        "one replaced, two added"
    );
    let apps = extended
        .apps_for(&fixture.home_scope(), &fixture.home)
        .await
        .expect("apps");
    let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    assert!(names.contains(&"Renamed by configuration"), "{names:?}");
    let now = merged
        .apps
        .iter()
        .find(|a| a.id == replaced.id)
        .expect("the replaced app");
    assert_eq!(
        now.name, "Renamed by configuration",
        "the configured entry wins"
    );
    assert!(names.contains(&"For everyone"));
    assert!(!names.contains(&"For a product nobody has"));
}
