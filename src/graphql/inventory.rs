//! An account's inventory: `Account.services` and `Account.assets` (keyset
//! pages with a location filter and search) and `Location.services` /
//! `Location.assets`, which batch every location of a request into one
//! statement each through loaders. Read-only, scoped to the caller's
//! accounts.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use switchboard_core::inventory::{Asset, Inventory, InventoryFilter, Service};
use switchboard_core::{Error, Page, PageRequest, Scope};

use super::context::{Ports, request};
use super::directory::LocationNode;
use super::errors::{IntoGql, to_gql};
use super::pagination::PageInfo;
use crate::auth::Caller;

/// The longest search text a filter takes.
const MAX_SEARCH_CHARS: usize = 100;
/// The most locations a filter names.
const MAX_LOCATIONS: usize = 100;

/// What a service is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::inventory::ServiceKind")]
pub enum ServiceKind {
    /// Internet access (dedicated or broadband).
    Internet,
    /// Voice lines and trunks.
    Voice,
    /// Hosted collaboration (UCx, Microsoft 365).
    Collaboration,
    /// Managed network (SD-WAN, endpoints, backups).
    ManagedNetwork,
    /// Security (managed firewall).
    Security,
    /// Fax.
    Fax,
    /// Toll-free numbers.
    TollFree,
    /// Anything else.
    Other,
}

/// Where a service is in its life.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::inventory::ServiceStatus")]
pub enum ServiceStatus {
    /// In service.
    Active,
    /// Ordered, not yet in service.
    Pending,
    /// Temporarily out of service.
    Suspended,
    /// Disconnected.
    Disconnected,
}

/// What a piece of equipment is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::inventory::AssetKind")]
pub enum AssetKind {
    /// A router or SD-WAN edge.
    Router,
    /// A network switch.
    Switch,
    /// A firewall appliance.
    Firewall,
    /// A wireless access point.
    AccessPoint,
    /// A desk phone.
    Phone,
    /// A voice or fax gateway.
    Gateway,
}

/// The state of a piece of equipment.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::inventory::AssetStatus")]
pub enum AssetStatus {
    /// Installed and working.
    InService,
    /// On site, not in use.
    Spare,
    /// Reported faulty, awaiting replacement.
    Faulty,
    /// Taken out of service.
    Retired,
}

/// Which services or assets a list includes.
#[derive(InputObject, Default)]
pub struct InventoryFilterInput {
    /// Only those at these locations (`Location.id`, as cases use).
    pub location_ids: Option<Vec<ID>>,
    /// Only those whose name or an identifier (circuit id, telephone number
    /// with or without punctuation, serial, model) contains this text.
    pub search: Option<String>,
}

impl InventoryFilterInput {
    /// The port's filter, or BAD_USER_INPUT naming the field at fault.
    pub fn into_filter(self) -> Result<InventoryFilter, Error> {
        let location_ids: Vec<String> = self
            .location_ids
            .unwrap_or_default()
            .into_iter()
            .map(|id| id.to_string())
            .collect();
        if location_ids.len() > MAX_LOCATIONS {
            return Err(Error::invalid(
                "filter.locationIds",
                format!("name at most {MAX_LOCATIONS} locations"),
            ));
        }
        if self
            .search
            .as_deref()
            .is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS)
        {
            return Err(Error::invalid(
                "filter.search",
                format!("search for at most {MAX_SEARCH_CHARS} characters"),
            ));
        }
        Ok(InventoryFilter {
            location_ids,
            search: self.search,
        })
    }
}

/// A service at a location.
pub struct ServiceNode(pub Service);

#[Object(name = "Service")]
impl ServiceNode {
    /// Backend id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Name, e.g. `Dedicated Internet Access 100 Mbps`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it is.
    async fn kind(&self) -> ServiceKind {
        self.0.kind.into()
    }

    /// Where it is in its life.
    async fn status(&self) -> ServiceStatus {
        self.0.status.into()
    }

    /// The circuit id, for circuits.
    async fn circuit_id(&self) -> Option<&str> {
        self.0.circuit_id.as_deref()
    }

    /// Telephone numbers (ten digits each), for voice services.
    async fn phone_numbers(&self) -> &[String] {
        &self.0.phone_numbers
    }

    /// When it went into service, once it has.
    async fn started_on(&self) -> Option<NaiveDate> {
        self.0.started_on
    }

    /// The id of the location it is delivered at (`Location.id`).
    async fn location_id(&self) -> ID {
        ID(self.0.location_id.clone())
    }

    /// The location it is delivered at.
    async fn location(&self, ctx: &Context<'_>) -> Result<Option<LocationNode>> {
        location(ctx, &self.0.location_id).await
    }

    /// The id of the account's product it belongs to (`Product.id`), if any.
    async fn product_id(&self) -> Option<ID> {
        self.0.product_id.clone().map(ID)
    }
}

/// A piece of equipment at a location.
pub struct AssetNode(pub Asset);

#[Object(name = "Asset")]
impl AssetNode {
    /// Backend id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Name, e.g. `Edge router`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it is.
    async fn kind(&self) -> AssetKind {
        self.0.kind.into()
    }

    /// Maker.
    async fn manufacturer(&self) -> &str {
        &self.0.manufacturer
    }

    /// Model.
    async fn model(&self) -> &str {
        &self.0.model
    }

    /// Serial number.
    async fn serial(&self) -> &str {
        &self.0.serial
    }

    /// Its state.
    async fn status(&self) -> AssetStatus {
        self.0.status.into()
    }

    /// The id of the location it is installed at (`Location.id`).
    async fn location_id(&self) -> ID {
        ID(self.0.location_id.clone())
    }

    /// The location it is installed at.
    async fn location(&self, ctx: &Context<'_>) -> Result<Option<LocationNode>> {
        location(ctx, &self.0.location_id).await
    }

    /// The id of the service it delivers (`Service.id`), if any.
    async fn service_id(&self) -> Option<ID> {
        self.0.service_id.clone().map(ID)
    }
}

/// A location by id, through the request's loader.
async fn location(ctx: &Context<'_>, id: &str) -> Result<Option<LocationNode>> {
    let loaders = request(ctx)?.2;
    let found = loaders.locations.load_one(id.to_string()).await.gql()?;
    Ok(found.map(LocationNode))
}

/// A service with its cursor.
#[derive(SimpleObject)]
pub struct ServiceEdge {
    /// Where it is in the list.
    pub cursor: String,
    /// The service.
    pub node: ServiceNode,
}

/// An asset with its cursor.
#[derive(SimpleObject)]
pub struct AssetEdge {
    /// Where it is in the list.
    pub cursor: String,
    /// The asset.
    pub node: AssetNode,
}

/// What a connection needs to count its list when asked.
struct Counting {
    account_id: String,
    filter: InventoryFilter,
}

/// A page of an account's services, by name.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ServiceConnection {
    /// The services with their cursors.
    pub edges: Vec<ServiceEdge>,
    /// Pagination state.
    pub page_info: PageInfo,
    #[graphql(skip)]
    counting: Counting,
}

#[ComplexObject]
impl ServiceConnection {
    /// The services, without cursors.
    async fn nodes(&self) -> Vec<ServiceNode> {
        self.edges
            .iter()
            .map(|e| ServiceNode(e.node.0.clone()))
            .collect()
    }

    /// How many services match in all (counted only when asked).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let (caller, ports, _) = request(ctx)?;
        let c = &self.counting;
        ports
            .inventory
            .count_services(&caller.scope, &c.account_id, &c.filter)
            .await
            .gql()
    }
}

/// A page of an account's assets, by name.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AssetConnection {
    /// The assets with their cursors.
    pub edges: Vec<AssetEdge>,
    /// Pagination state.
    pub page_info: PageInfo,
    #[graphql(skip)]
    counting: Counting,
}

#[ComplexObject]
impl AssetConnection {
    /// The assets, without cursors.
    async fn nodes(&self) -> Vec<AssetNode> {
        self.edges
            .iter()
            .map(|e| AssetNode(e.node.0.clone()))
            .collect()
    }

    /// How many assets match in all (counted only when asked).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let (caller, ports, _) = request(ctx)?;
        let c = &self.counting;
        ports
            .inventory
            .count_assets(&caller.scope, &c.account_id, &c.filter)
            .await
            .gql()
    }
}

/// The page request and filter of a list field's arguments.
fn list_args(
    first: Option<i32>,
    after: Option<String>,
    filter: Option<InventoryFilterInput>,
) -> Result<(PageRequest, InventoryFilter)> {
    let page = PageRequest::new(first, after).map_err(|e| to_gql(&e))?;
    let filter = filter
        .unwrap_or_default()
        .into_filter()
        .map_err(|e| to_gql(&e))?;
    Ok((page, filter))
}

/// `Account.services`: one page of the account's services.
pub async fn account_services(
    ctx: &Context<'_>,
    account_id: &str,
    first: Option<i32>,
    after: Option<String>,
    filter: Option<InventoryFilterInput>,
) -> Result<ServiceConnection> {
    let (caller, ports, _) = request(ctx)?;
    let (page, filter) = list_args(first, after, filter)?;
    let found: Page<Service> = ports
        .inventory
        .services(&caller.scope, account_id, &filter, &page)
        .await
        .gql()?;
    Ok(ServiceConnection {
        page_info: PageInfo::of(&found),
        edges: found
            .items
            .into_iter()
            .map(|(cursor, s)| ServiceEdge {
                cursor,
                node: ServiceNode(s),
            })
            .collect(),
        counting: Counting {
            account_id: account_id.to_string(),
            filter,
        },
    })
}

/// `Account.assets`: one page of the account's assets.
pub async fn account_assets(
    ctx: &Context<'_>,
    account_id: &str,
    first: Option<i32>,
    after: Option<String>,
    filter: Option<InventoryFilterInput>,
) -> Result<AssetConnection> {
    let (caller, ports, _) = request(ctx)?;
    let (page, filter) = list_args(first, after, filter)?;
    let found: Page<Asset> = ports
        .inventory
        .assets(&caller.scope, account_id, &filter, &page)
        .await
        .gql()?;
    Ok(AssetConnection {
        page_info: PageInfo::of(&found),
        edges: found
            .items
            .into_iter()
            .map(|(cursor, a)| AssetEdge {
                cursor,
                node: AssetNode(a),
            })
            .collect(),
        counting: Counting {
            account_id: account_id.to_string(),
            filter,
        },
    })
}

/// `Location.services`: every service at the location, by name.
pub async fn location_services(ctx: &Context<'_>, location_id: &str) -> Result<Vec<ServiceNode>> {
    let loaders = request(ctx)?.2;
    let found = loaders
        .services_at
        .load_one(location_id.to_string())
        .await
        .gql()?;
    Ok(found
        .unwrap_or_default()
        .into_iter()
        .map(ServiceNode)
        .collect())
}

/// `Location.assets`: every asset at the location, by name.
pub async fn location_assets(ctx: &Context<'_>, location_id: &str) -> Result<Vec<AssetNode>> {
    let loaders = request(ctx)?.2;
    let found = loaders
        .assets_at
        .load_one(location_id.to_string())
        .await
        .gql()?;
    Ok(found
        .unwrap_or_default()
        .into_iter()
        .map(AssetNode)
        .collect())
}

/// Groups `items` by location id, with an empty list for every key.
fn by_location<T>(
    keys: &[String],
    items: Vec<T>,
    location: fn(&T) -> &String,
) -> HashMap<String, Vec<T>> {
    let mut out: HashMap<String, Vec<T>> = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    for item in items {
        out.entry(location(&item).clone()).or_default().push(item);
    }
    out
}

/// The services at each location, read in one batch.
pub struct ServicesAtLoader {
    port: Arc<dyn Inventory>,
    scope: Scope,
}

impl ServicesAtLoader {
    /// The loader for one request of `caller`.
    pub fn new(ports: &Ports, caller: &Caller) -> Self {
        Self {
            port: ports.inventory.clone(),
            scope: caller.scope.clone(),
        }
    }
}

impl Loader<String> for ServicesAtLoader {
    type Value = Vec<Service>;
    type Error = Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<Service>>, Error> {
        let items = self.port.services_at(&self.scope, keys).await?;
        Ok(by_location(keys, items, |s| &s.location_id))
    }
}

/// The assets at each location, read in one batch.
pub struct AssetsAtLoader {
    port: Arc<dyn Inventory>,
    scope: Scope,
}

impl AssetsAtLoader {
    /// The loader for one request of `caller`.
    pub fn new(ports: &Ports, caller: &Caller) -> Self {
        Self {
            port: ports.inventory.clone(),
            scope: caller.scope.clone(),
        }
    }
}

impl Loader<String> for AssetsAtLoader {
    type Value = Vec<Asset>;
    type Error = Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<Asset>>, Error> {
        let items = self.port.assets_at(&self.scope, keys).await?;
        Ok(by_location(keys, items, |a| &a.location_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_bounded() {
        let long = InventoryFilterInput {
            location_ids: None,
            search: Some("x".repeat(MAX_SEARCH_CHARS + 1)),
        };
        assert!(matches!(
            long.into_filter(),
            Err(Error::InvalidInput { field, .. }) if field == "filter.search"
        ));
        let many = InventoryFilterInput {
            location_ids: Some((0..=MAX_LOCATIONS).map(|i| ID(i.to_string())).collect()),
            search: None,
        };
        assert!(many.into_filter().is_err());
        let fine = InventoryFilterInput {
            location_ids: Some(vec![ID("7".into())]),
            search: Some("edge".into()),
        };
        assert_eq!(
            fine.into_filter().map(|f| f.location_ids),
            Ok(vec!["7".to_string()])
        );
    }

    #[test]
    fn enums_cover_the_core_names() {
        use switchboard_core::inventory as core;
        for kind in core::ServiceKind::ALL {
            let wire: ServiceKind = (*kind).into();
            assert_eq!(core::ServiceKind::from(wire), *kind);
        }
    }
}
