//! The resource library (guides and documents by category) and My Apps (the
//! product portals' logins), each entry tied to the products it serves, and
//! the [`ResourceLibrary`] port.
//!
//! The library itself is not customer data: every account reads the same
//! one, narrowed to the products the account has ([`Library::for_products`]).
//! An entry naming no product is for everyone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{Result, Scope};

/// A heading of the resource library, e.g. `Portal Guides`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceCategory {
    /// Stable id.
    pub id: String,
    /// Heading.
    pub name: String,
    /// One line under the heading.
    pub description: String,
    /// Display order among categories.
    pub position: i32,
}

/// A guide or document of the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Stable id.
    pub id: String,
    /// The category it is listed under.
    pub category_id: String,
    /// Title.
    pub title: String,
    /// What it covers.
    pub description: String,
    /// Where it is read or downloaded.
    pub url: String,
    /// Whether the link downloads a file (a PDF) rather than opening a page.
    pub download: bool,
    /// The product names it applies to; empty means every account.
    pub products: Vec<String>,
    /// Display order within its category.
    pub position: i32,
}

/// A tile of My Apps: a product portal the customer signs in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Stable id.
    pub id: String,
    /// Name on the tile.
    pub name: String,
    /// What the portal does.
    pub description: String,
    /// Where the tile leads.
    pub url: String,
    /// The product names it applies to; empty means every account.
    pub products: Vec<String>,
    /// Display order.
    pub position: i32,
}

/// A category with the resources an account sees in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryResources {
    /// The category.
    pub category: ResourceCategory,
    /// Its resources, in display order.
    pub resources: Vec<Resource>,
}

/// The whole library: categories, resources and apps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Library {
    /// Every category.
    pub categories: Vec<ResourceCategory>,
    /// Every resource.
    pub resources: Vec<Resource>,
    /// Every app.
    pub apps: Vec<App>,
}

/// Whether an entry for `wanted` products applies to an account with `held`
/// products (names compared trimmed and without regard to case).
pub fn applies(wanted: &[String], held: &[String]) -> bool {
    wanted.is_empty()
        || wanted
            .iter()
            .any(|w| held.iter().any(|h| h.trim().eq_ignore_ascii_case(w.trim())))
}

/// Replaces the items of `base` whose id `extra` also has, and appends the
/// rest of `extra`.
fn overlay<T: Clone>(base: &mut Vec<T>, extra: &[T], id: fn(&T) -> &str) {
    for item in extra {
        match base.iter_mut().find(|b| id(b) == id(item)) {
            Some(slot) => *slot = item.clone(),
            None => base.push(item.clone()),
        }
    }
}

impl Library {
    /// This library with `extra`'s entries added; an entry of `extra` with
    /// the id of an existing one replaces it. Everything is put back in
    /// display order (position, then title or name, then id).
    pub fn merged(mut self, extra: &Library) -> Library {
        overlay(&mut self.categories, &extra.categories, |c| &c.id);
        overlay(&mut self.resources, &extra.resources, |r| &r.id);
        overlay(&mut self.apps, &extra.apps, |a| &a.id);
        self.sort();
        self
    }

    /// Puts every list in display order.
    pub fn sort(&mut self) {
        self.categories
            .sort_by(|a, b| (a.position, &a.name, &a.id).cmp(&(b.position, &b.name, &b.id)));
        self.resources
            .sort_by(|a, b| (a.position, &a.title, &a.id).cmp(&(b.position, &b.title, &b.id)));
        self.apps
            .sort_by(|a, b| (a.position, &a.name, &a.id).cmp(&(b.position, &b.name, &b.id)));
    }

    /// The categories with the resources an account holding `products`
    /// sees, in display order; a category left empty is omitted.
    pub fn resources_for(&self, products: &[String]) -> Vec<CategoryResources> {
        self.categories
            .iter()
            .map(|category| CategoryResources {
                category: category.clone(),
                resources: self
                    .resources
                    .iter()
                    .filter(|r| r.category_id == category.id && applies(&r.products, products))
                    .cloned()
                    .collect(),
            })
            .filter(|c| !c.resources.is_empty())
            .collect()
    }

    /// The apps an account holding `products` sees, in display order.
    pub fn apps_for(&self, products: &[String]) -> Vec<App> {
        self.apps
            .iter()
            .filter(|a| applies(&a.products, products))
            .cloned()
            .collect()
    }
}

/// The resource library port.
///
/// Guarantees (checked by the conformance suite):
/// - [`ResourceLibrary::library`] answers every entry, in display order
///   ([`Library::sort`]), each resource in a category the library has;
/// - [`ResourceLibrary::product_names`] is scoped: an account outside the
///   scope is [`crate::Error::NotFound`], exactly like one that does not
///   exist.
#[async_trait]
pub trait ResourceLibrary: Send + Sync {
    /// The whole library, unfiltered.
    async fn library(&self) -> Result<Library>;

    /// The distinct names of the products an account has, sorted.
    async fn product_names(&self, scope: &Scope, account_id: &str) -> Result<Vec<String>>;

    /// The resource library as `account_id` sees it.
    async fn resources_for(
        &self,
        scope: &Scope,
        account_id: &str,
    ) -> Result<Vec<CategoryResources>> {
        let products = self.product_names(scope, account_id).await?;
        Ok(self.library().await?.resources_for(&products))
    }

    /// My Apps as `account_id` sees it.
    async fn apps_for(&self, scope: &Scope, account_id: &str) -> Result<Vec<App>> {
        let products = self.product_names(scope, account_id).await?;
        Ok(self.library().await?.apps_for(&products))
    }
}

/// A [`ResourceLibrary`] whose library is another's with extra entries
/// (from configuration) laid over it.
pub struct Extended {
    inner: Arc<dyn ResourceLibrary>,
    extra: Library,
}

impl Extended {
    /// `inner`'s library with `extra` merged in ([`Library::merged`]).
    pub fn new(inner: Arc<dyn ResourceLibrary>, extra: Library) -> Self {
        Self { inner, extra }
    }
}

#[async_trait]
impl ResourceLibrary for Extended {
    async fn library(&self) -> Result<Library> {
        Ok(self.inner.library().await?.merged(&self.extra))
    }

    async fn product_names(&self, scope: &Scope, account_id: &str) -> Result<Vec<String>> {
        self.inner.product_names(scope, account_id).await
    }
}

/// A [`ResourceLibrary`] whose library, and each account's product names,
/// are read once per `ttl` and shared by every request meanwhile: the
/// overview and the resources page read both on every request, and the
/// gateway writes neither, so an edit made in the backend shows within
/// `ttl`. An account outside the caller's scope is never answered from
/// memory: it goes to the backend, which refuses it as it always does.
pub struct CachedLibrary {
    inner: Arc<dyn ResourceLibrary>,
    ttl: Duration,
    library: Mutex<Option<Kept<Library>>>,
    products: Mutex<HashMap<String, Kept<Vec<String>>>>,
}

/// A value and when it was read.
type Kept<T> = (Instant, Arc<T>);

/// Accounts whose product names are kept at most; past it, the oldest
/// half is forgotten.
const KEPT_ACCOUNTS: usize = 4096;

impl CachedLibrary {
    /// `inner`'s library and product names, read again once older than `ttl`.
    pub fn new(inner: Arc<dyn ResourceLibrary>, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            library: Mutex::new(None),
            products: Mutex::new(HashMap::new()),
        }
    }

    async fn shared(&self) -> Result<Arc<Library>> {
        let fresh = lock(&self.library)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, library)| library.clone());
        if let Some(library) = fresh {
            return Ok(library);
        }
        let library = Arc::new(self.inner.library().await?);
        *lock(&self.library) = Some((Instant::now(), library.clone()));
        Ok(library)
    }

    async fn shared_names(&self, scope: &Scope, account_id: &str) -> Result<Arc<Vec<String>>> {
        if scope.contains(account_id) {
            let fresh = lock(&self.products)
                .get(account_id)
                .filter(|(at, _)| at.elapsed() < self.ttl)
                .map(|(_, names)| names.clone());
            if let Some(names) = fresh {
                return Ok(names);
            }
        }
        let names = Arc::new(self.inner.product_names(scope, account_id).await?);
        let mut kept = lock(&self.products);
        if kept.len() >= KEPT_ACCOUNTS && !kept.contains_key(account_id) {
            let mut by_age: Vec<(Instant, String)> =
                kept.iter().map(|(id, (at, _))| (*at, id.clone())).collect();
            by_age.sort_unstable();
            for (_, id) in by_age.into_iter().take(KEPT_ACCOUNTS / 2) {
                kept.remove(&id);
            }
        }
        kept.insert(account_id.to_string(), (Instant::now(), names.clone()));
        Ok(names)
    }
}

/// The data behind `mutex`, even if a holder panicked (what it holds is
/// replaced whole, never left half-written).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[async_trait]
impl ResourceLibrary for CachedLibrary {
    async fn library(&self) -> Result<Library> {
        Ok(Library::clone(&*self.shared().await?))
    }

    async fn product_names(&self, scope: &Scope, account_id: &str) -> Result<Vec<String>> {
        Ok(Vec::clone(&*self.shared_names(scope, account_id).await?))
    }

    async fn resources_for(
        &self,
        scope: &Scope,
        account_id: &str,
    ) -> Result<Vec<CategoryResources>> {
        let products = self.shared_names(scope, account_id).await?;
        Ok(self.shared().await?.resources_for(&products))
    }

    async fn apps_for(&self, scope: &Scope, account_id: &str) -> Result<Vec<App>> {
        let products = self.shared_names(scope, account_id).await?;
        Ok(self.shared().await?.apps_for(&products))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(id: &str, products: &[&str], position: i32) -> App {
        App {
            id: id.into(),
            name: id.to_uppercase(),
            description: String::new(),
            url: format!("https://{id}.example"),
            products: products.iter().map(|p| p.to_string()).collect(),
            position,
        }
    }

    #[test]
    fn entries_apply_to_their_products_or_everyone() {
        let held = vec!["UCx".to_string(), "Virtual Fax".to_string()];
        assert!(applies(&[], &held));
        assert!(applies(&[" ucx ".into()], &held));
        assert!(!applies(&["SmartVoice".into()], &held));
        assert!(!applies(&["UCx".into()], &[]));
    }

    #[test]
    fn extra_entries_replace_by_id_and_keep_display_order() {
        let base = Library {
            apps: vec![app("a", &[], 1), app("b", &["UCx"], 2)],
            ..Library::default()
        };
        let extra = Library {
            apps: vec![app("b", &[], 0), app("c", &["Nothing"], 3)],
            ..Library::default()
        };
        let merged = base.merged(&extra);
        let ids: Vec<&str> = merged.apps.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
        let seen: Vec<String> = merged.apps_for(&[]).into_iter().map(|a| a.id).collect();
        assert_eq!(seen, ["b", "a"]);
    }

    /// A library of one app that counts how often it is read.
    struct Counting(std::sync::atomic::AtomicUsize);

    #[async_trait]
    impl ResourceLibrary for Counting {
        async fn library(&self) -> Result<Library> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Library {
                apps: vec![app("a", &["UCx"], 1)],
                ..Library::default()
            })
        }

        async fn product_names(&self, scope: &Scope, account_id: &str) -> Result<Vec<String>> {
            self.0.fetch_add(100, std::sync::atomic::Ordering::SeqCst);
            if !scope.contains(account_id) {
                return Err(crate::Error::not_found("account"));
            }
            Ok(vec!["UCx".into()])
        }
    }

    #[tokio::test]
    async fn a_cached_library_is_read_once_per_ttl_and_stays_scoped() {
        // Library reads count 1, product-name reads 100.
        let source = Arc::new(Counting(Default::default()));
        let reads = || source.0.load(std::sync::atomic::Ordering::SeqCst);
        let mine = Scope::new(vec!["1".into()]);
        let cached = CachedLibrary::new(source.clone(), Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(cached.apps_for(&mine, "1").await.unwrap().len(), 1);
        }
        assert_eq!(cached.library().await.unwrap().apps.len(), 1);
        assert_eq!(reads(), 101, "one read of each");

        // Someone else asking for the account kept for "1" is refused by
        // the backend, as always.
        let theirs = Scope::new(vec!["2".into()]);
        assert!(matches!(
            cached.apps_for(&theirs, "1").await,
            Err(crate::Error::NotFound { .. })
        ));
        assert_eq!(reads(), 201);

        let expiring = CachedLibrary::new(source.clone(), Duration::ZERO);
        expiring.apps_for(&mine, "1").await.unwrap();
        expiring.apps_for(&mine, "1").await.unwrap();
        assert_eq!(reads(), 403);
    }

    #[tokio::test]
    async fn at_most_so_many_accounts_are_kept() {
        let source = Arc::new(Counting(Default::default()));
        let ids: Vec<String> = (0..=KEPT_ACCOUNTS).map(|i| i.to_string()).collect();
        let everyone = Scope::new(ids.clone());
        let cached = CachedLibrary::new(source, Duration::from_secs(60));
        for id in &ids {
            cached.product_names(&everyone, id).await.unwrap();
        }
        let kept = lock(&cached.products);
        assert!(kept.len() <= KEPT_ACCOUNTS / 2 + 1, "{} kept", kept.len());
        assert!(
            kept.contains_key(&KEPT_ACCOUNTS.to_string()),
            "the newest stays"
        );
    }

    #[test]
    fn empty_categories_are_left_out() {
        let category = |id: &str, position| ResourceCategory {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            position,
        };
        let library = Library {
            categories: vec![category("guides", 1), category("voice", 2)],
            resources: vec![Resource {
                id: "1".into(),
                category_id: "voice".into(),
                title: "UCx guide".into(),
                description: String::new(),
                url: "https://docs.example/ucx.pdf".into(),
                download: true,
                products: vec!["UCx".into()],
                position: 1,
            }],
            apps: Vec::new(),
        };
        assert!(library.resources_for(&["Broadband".into()]).is_empty());
        let seen = library.resources_for(&["UCx".into()]);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].category.id, "voice");
    }
}
