//! Per-request data loaders: every by-id look-up the schema exposes batches
//! into one port call, scoped to the caller. They are built per request, so
//! their cache lives as long as one request; on a WebSocket connection,
//! where they live as long as the connection, the cache is off so every
//! event reads fresh data.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use switchboard_core::cases::{Activity, Attachment, Case, WatchEntry};
use switchboard_core::directory::{Account, Contact, Location, Product};
use switchboard_core::{AccountStore, CaseStore, Error, Scope};

use super::Ports;
use crate::auth::Caller;

macro_rules! by_id_loader {
    ($(#[$doc:meta])* $name:ident, $port:ident: $port_ty:ty, $value:ty, $method:ident) => {
        $(#[$doc])*
        pub struct $name {
            port: Arc<$port_ty>,
            scope: Scope,
        }

        impl Loader<String> for $name {
            type Value = $value;
            type Error = Error;

            async fn load(&self, keys: &[String]) -> Result<HashMap<String, $value>, Error> {
                let items = self.port.$method(&self.scope, keys).await?;
                Ok(items.into_iter().map(|v| (v.id.clone(), v)).collect())
            }
        }
    };
}

macro_rules! per_case_loader {
    ($(#[$doc:meta])* $name:ident, $value:ty, $method:ident) => {
        $(#[$doc])*
        pub struct $name {
            port: Arc<dyn CaseStore>,
            scope: Scope,
        }

        impl Loader<String> for $name {
            type Value = Vec<$value>;
            type Error = Error;

            async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<$value>>, Error> {
                let mut out: HashMap<String, Vec<$value>> =
                    keys.iter().map(|k| (k.clone(), Vec::new())).collect();
                for item in self.port.$method(&self.scope, keys).await? {
                    out.entry(item.case_id.clone()).or_default().push(item);
                }
                Ok(out)
            }
        }
    };
}

by_id_loader!(
    /// Cases by id.
    CaseLoader, cases: dyn CaseStore, Case, cases_by_ids
);
by_id_loader!(
    /// Locations by id.
    LocationLoader, accounts: dyn AccountStore, Location, locations_by_ids
);
by_id_loader!(
    /// Products by id.
    ProductLoader, accounts: dyn AccountStore, Product, products_by_ids
);
by_id_loader!(
    /// Contacts by id.
    ContactLoader, accounts: dyn AccountStore, Contact, contacts_by_ids
);
per_case_loader!(
    /// Watch lists by case id.
    WatchListLoader, WatchEntry, watch_lists
);
per_case_loader!(
    /// Attachments by case id.
    AttachmentLoader, Attachment, attachments
);

/// Accounts by id. The caller's own accounts come with their identity, so
/// those cost no backend call; any other id goes to the port (in scope).
pub struct AccountLoader {
    port: Arc<dyn AccountStore>,
    scope: Scope,
    known: HashMap<String, Account>,
}

impl Loader<String> for AccountLoader {
    type Value = Account;
    type Error = Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Account>, Error> {
        let mut out = HashMap::new();
        let mut missing = Vec::new();
        for key in keys {
            match self.known.get(key) {
                Some(account) => {
                    out.insert(key.clone(), account.clone());
                }
                None => missing.push(key.clone()),
            }
        }
        if !missing.is_empty() {
            for account in self.port.accounts_by_ids(&self.scope, &missing).await? {
                out.insert(account.id.clone(), account);
            }
        }
        Ok(out)
    }
}

/// The newest activity entry per case id (`None`: the case has none, or is
/// not in scope).
pub struct LatestActivityLoader {
    port: Arc<dyn CaseStore>,
    scope: Scope,
}

impl LatestActivityLoader {
    /// The entries of `cases`, just read in this loader's scope, by case
    /// id, every case included: what [`Loaders::latest_activity`]'s cache
    /// is fed with, so the store is given the records (it need not read
    /// them again).
    pub async fn of_cases(&self, cases: &[Case]) -> Result<Vec<(String, Option<Activity>)>, Error> {
        let found = self.port.latest_activity_of(&self.scope, cases).await?;
        Ok(per_case(found, cases.iter().map(|c| &c.id)))
    }
}

/// Each of `ids` with its entry among `found`, if any.
fn per_case<'a>(
    found: Vec<Activity>,
    ids: impl Iterator<Item = &'a String>,
) -> Vec<(String, Option<Activity>)> {
    let mut found: HashMap<String, Activity> =
        found.into_iter().map(|a| (a.case_id.clone(), a)).collect();
    ids.map(|id| (id.clone(), found.remove(id))).collect()
}

impl Loader<String> for LatestActivityLoader {
    type Value = Option<Activity>;
    type Error = Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Option<Activity>>, Error> {
        let found = self.port.latest_activity(&self.scope, keys).await?;
        Ok(per_case(found, keys.iter()).into_iter().collect())
    }
}

/// The distinct values `of` gives for `cases`, sorted: the keys of one
/// batch look-up.
pub fn distinct_ids(cases: &[Case], of: fn(&Case) -> Option<&String>) -> Vec<String> {
    let mut ids: Vec<String> = cases.iter().filter_map(of).cloned().collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The record a case refers to by an optional id, through `loader`.
pub async fn related<T>(
    loader: &DataLoader<T, HashMapCache>,
    id: Option<&String>,
) -> Result<Option<T::Value>, Error>
where
    T: Loader<String, Error = Error>,
{
    match id {
        None => Ok(None),
        Some(id) => loader.load_one(id.clone()).await,
    }
}

/// Every loader of one request.
pub struct Loaders {
    /// Cases by id.
    pub cases: DataLoader<CaseLoader, HashMapCache>,
    /// Accounts by id.
    pub accounts: DataLoader<AccountLoader, HashMapCache>,
    /// Locations by id.
    pub locations: DataLoader<LocationLoader, HashMapCache>,
    /// Products by id.
    pub products: DataLoader<ProductLoader, HashMapCache>,
    /// Contacts by id.
    pub contacts: DataLoader<ContactLoader, HashMapCache>,
    /// Newest activity by case id.
    pub latest_activity: DataLoader<LatestActivityLoader, HashMapCache>,
    /// Watch lists by case id.
    pub watch_lists: DataLoader<WatchListLoader, HashMapCache>,
    /// Attachments by case id.
    pub attachments: DataLoader<AttachmentLoader, HashMapCache>,
    /// Invoice charge lines by invoice id (billing accounts only).
    pub charges: DataLoader<super::billing::ChargesLoader, HashMapCache>,
    /// Services by location id.
    pub services_at: DataLoader<super::inventory::ServicesAtLoader, HashMapCache>,
    /// Assets by location id.
    pub assets_at: DataLoader<super::inventory::AssetsAtLoader, HashMapCache>,
}

impl Loaders {
    /// Loaders for one request of `caller`, caching what they load when
    /// `cache` is set (per HTTP request; not for long-lived connections).
    pub fn new(ports: &Ports, caller: &Caller, cache: bool) -> Self {
        fn make<T: Send + Sync + 'static>(loader: T, cache: bool) -> DataLoader<T, HashMapCache> {
            // A batch runs in a task of its own, in the span of the field that
            // asked first (async-graphql's `tracing` feature instruments it).
            let loader = DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default());
            loader.enable_all_cache(cache);
            loader
        }
        let scope = || caller.scope.clone();
        let cases = || ports.cases.clone();
        let accounts = || ports.accounts.clone();
        let known = caller
            .principal
            .accounts
            .iter()
            .map(|a| (a.id.clone(), a.clone()))
            .collect();
        Self {
            cases: make(
                CaseLoader {
                    port: cases(),
                    scope: scope(),
                },
                cache,
            ),
            accounts: make(
                AccountLoader {
                    port: accounts(),
                    scope: scope(),
                    known,
                },
                cache,
            ),
            locations: make(
                LocationLoader {
                    port: accounts(),
                    scope: scope(),
                },
                cache,
            ),
            products: make(
                ProductLoader {
                    port: accounts(),
                    scope: scope(),
                },
                cache,
            ),
            contacts: make(
                ContactLoader {
                    port: accounts(),
                    scope: scope(),
                },
                cache,
            ),
            latest_activity: make(
                LatestActivityLoader {
                    port: cases(),
                    scope: scope(),
                },
                cache,
            ),
            watch_lists: make(
                WatchListLoader {
                    port: cases(),
                    scope: scope(),
                },
                cache,
            ),
            attachments: make(
                AttachmentLoader {
                    port: cases(),
                    scope: scope(),
                },
                cache,
            ),
            charges: make(super::billing::ChargesLoader::new(ports, caller), cache),
            services_at: make(
                super::inventory::ServicesAtLoader::new(ports, caller),
                cache,
            ),
            assets_at: make(super::inventory::AssetsAtLoader::new(ports, caller), cache),
        }
    }
}
