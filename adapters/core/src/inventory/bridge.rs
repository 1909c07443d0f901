//! An [`Inventory`] decorator for when services and assets live in the
//! gateway's database and name the database's locations while locations come
//! from another backend (ServiceNow): [`BridgedInventory`] translates
//! location ids at the inventory port's boundary, by the customer location id
//! (`UQCD-0004`) both sides keep. Callers then see one set of location ids,
//! those of the configured account backend, in results and in filters alike.
//!
//! A service's product is translated too: the product of the same account and
//! name at the counterpart of its location.
//!
//! A page costs a fixed number of reads whatever its size: the locations (and
//! products) it names on the database side, and the account's locations (and
//! products) upstream, not a read per item. A location that has no
//! counterpart keeps its database id, so its `location` does not resolve; a
//! filter naming only such ids matches nothing, as a filter naming another
//! account's location does.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::{Asset, Inventory, InventoryFilter, Service};
use crate::directory::{Location, Product};
use crate::{AccountStore, Page, PageRequest, Result, Scope};
use async_trait::async_trait;

/// A location id no account has: a translated filter that matched nothing.
const NO_LOCATION: &str = "-";

/// [`Inventory`] whose location and product ids are those of `remote`.
pub struct BridgedInventory {
    inner: Arc<dyn Inventory>,
    local: Arc<dyn AccountStore>,
    remote: Arc<dyn AccountStore>,
}

impl BridgedInventory {
    /// `inner` names the locations of `local`; callers name `remote`'s.
    pub fn new(
        inner: Arc<dyn Inventory>,
        local: Arc<dyn AccountStore>,
        remote: Arc<dyn AccountStore>,
    ) -> Self {
        Self {
            inner,
            local,
            remote,
        }
    }

    /// The ids in `to` of the locations `from` knows by `ids`, keyed by
    /// those ids; ids with no counterpart are absent.
    async fn translate(
        scope: &Scope,
        ids: &[String],
        from: &dyn AccountStore,
        to: &dyn AccountStore,
    ) -> Result<HashMap<String, String>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let known = from.locations_by_ids(scope, ids).await?;
        let accounts: BTreeSet<&str> = known.iter().map(|l| l.account_id.as_str()).collect();
        let mut counterparts: HashMap<(String, String), String> = HashMap::new();
        for account in accounts {
            for l in to.locations(scope, account).await? {
                counterparts.insert((l.account_id, l.customer_location_id), l.id);
            }
        }
        Ok(known
            .into_iter()
            .filter_map(
                |Location {
                     id,
                     account_id,
                     customer_location_id,
                     ..
                 }| {
                    counterparts
                        .get(&(account_id, customer_location_id))
                        .map(|other| (id, other.clone()))
                },
            )
            .collect())
    }

    /// Callers' location ids as the database's.
    async fn inward(&self, scope: &Scope, ids: &[String]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let map = Self::translate(scope, ids, self.remote.as_ref(), self.local.as_ref()).await?;
        let mut local: Vec<String> = ids.iter().filter_map(|id| map.get(id).cloned()).collect();
        if local.is_empty() {
            local.push(NO_LOCATION.to_string());
        }
        Ok(local)
    }

    /// A filter with callers' location ids as the database's.
    async fn inward_filter(
        &self,
        scope: &Scope,
        filter: &InventoryFilter,
    ) -> Result<InventoryFilter> {
        Ok(InventoryFilter {
            location_ids: self.inward(scope, &filter.location_ids).await?,
            search: filter.search.clone(),
        })
    }

    /// The ids in `remote` of the database's locations `ids`.
    async fn locations_out(
        &self,
        scope: &Scope,
        ids: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut wanted = ids.to_vec();
        wanted.sort();
        wanted.dedup();
        Self::translate(scope, &wanted, self.local.as_ref(), self.remote.as_ref()).await
    }

    /// The ids in `remote` of the database's products `local`: the product
    /// of the same account and name at the counterpart (in `places`) of its
    /// location.
    async fn products_out(
        &self,
        scope: &Scope,
        local: Vec<Product>,
        places: &HashMap<String, String>,
    ) -> Result<HashMap<String, String>> {
        let accounts: BTreeSet<&str> = local.iter().map(|p| p.account_id.as_str()).collect();
        let mut remote: HashMap<(String, String, Option<String>), String> = HashMap::new();
        for account in accounts {
            for p in self.remote.products(scope, account, None).await? {
                remote.insert((p.account_id, p.name, p.location_id), p.id);
            }
        }
        Ok(local
            .into_iter()
            .filter_map(|p| {
                let place = match &p.location_id {
                    None => None,
                    Some(id) => Some(places.get(id)?.clone()),
                };
                let other = remote.get(&(p.account_id, p.name, place))?;
                Some((p.id, other.clone()))
            })
            .collect())
    }

    /// Rewrites the database location and product ids of `services` into
    /// callers': one translation of every location involved (the
    /// services' and their products'), then the products.
    async fn services_outward(&self, scope: &Scope, services: Vec<&mut Service>) -> Result<()> {
        let mut product_ids: Vec<String> = services
            .iter()
            .filter_map(|s| s.product_id.clone())
            .collect();
        product_ids.sort();
        product_ids.dedup();
        let products = if product_ids.is_empty() {
            Vec::new()
        } else {
            self.local.products_by_ids(scope, &product_ids).await?
        };
        let places: Vec<String> = services
            .iter()
            .map(|s| s.location_id.clone())
            .chain(products.iter().filter_map(|p| p.location_id.clone()))
            .collect();
        let places = self.locations_out(scope, &places).await?;
        let products = self.products_out(scope, products, &places).await?;
        for service in services {
            if let Some(other) = places.get(&service.location_id) {
                service.location_id = other.clone();
            }
            if let Some(other) = service.product_id.as_ref().and_then(|id| products.get(id)) {
                service.product_id = Some(other.clone());
            }
        }
        Ok(())
    }

    /// Rewrites the database location ids of `assets` into callers'.
    async fn assets_outward(&self, scope: &Scope, assets: Vec<&mut Asset>) -> Result<()> {
        let places: Vec<String> = assets.iter().map(|a| a.location_id.clone()).collect();
        let places = self.locations_out(scope, &places).await?;
        for asset in assets {
            if let Some(other) = places.get(&asset.location_id) {
                asset.location_id = other.clone();
            }
        }
        Ok(())
    }

    async fn services_out(&self, scope: &Scope, mut items: Vec<Service>) -> Result<Vec<Service>> {
        self.services_outward(scope, items.iter_mut().collect())
            .await?;
        Ok(items)
    }

    async fn assets_out(&self, scope: &Scope, mut items: Vec<Asset>) -> Result<Vec<Asset>> {
        self.assets_outward(scope, items.iter_mut().collect())
            .await?;
        Ok(items)
    }
}

#[async_trait]
impl Inventory for BridgedInventory {
    async fn services(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Service>> {
        let filter = self.inward_filter(scope, filter).await?;
        let mut found = self
            .inner
            .services(scope, account_id, &filter, page)
            .await?;
        self.services_outward(scope, found.items.iter_mut().map(|(_, s)| s).collect())
            .await?;
        Ok(found)
    }

    async fn count_services(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
    ) -> Result<u64> {
        let filter = self.inward_filter(scope, filter).await?;
        self.inner.count_services(scope, account_id, &filter).await
    }

    async fn services_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Service>> {
        let found = self.inner.services_by_ids(scope, ids).await?;
        self.services_out(scope, found).await
    }

    async fn services_at(&self, scope: &Scope, location_ids: &[String]) -> Result<Vec<Service>> {
        let local = self.inward(scope, location_ids).await?;
        let found = self.inner.services_at(scope, &local).await?;
        self.services_out(scope, found).await
    }

    async fn assets(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Asset>> {
        let filter = self.inward_filter(scope, filter).await?;
        let mut found = self.inner.assets(scope, account_id, &filter, page).await?;
        self.assets_outward(scope, found.items.iter_mut().map(|(_, a)| a).collect())
            .await?;
        Ok(found)
    }

    async fn count_assets(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
    ) -> Result<u64> {
        let filter = self.inward_filter(scope, filter).await?;
        self.inner.count_assets(scope, account_id, &filter).await
    }

    async fn assets_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Asset>> {
        let found = self.inner.assets_by_ids(scope, ids).await?;
        self.assets_out(scope, found).await
    }

    async fn assets_at(&self, scope: &Scope, location_ids: &[String]) -> Result<Vec<Asset>> {
        let local = self.inward(scope, location_ids).await?;
        let found = self.inner.assets_at(scope, &local).await?;
        self.assets_out(scope, found).await
    }
}
