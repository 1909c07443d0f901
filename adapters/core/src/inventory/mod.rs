//! An account's inventory: the services (circuits, lines, managed products)
//! at its locations and the equipment (assets) installed there, read-only,
//! through the [`Inventory`] port. Locations are the directory's
//! ([`crate::directory::Location`]), the same ids cases use.

pub mod bridge;

pub use bridge::BridgedInventory;

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::{Page, PageRequest, Result, Scope};

/// Declares a closed set of stable names with `ALL`, `as_str` and `parse`.
macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable storage and wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses [`Self::as_str`]'s output.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

names!(
    /// What a service is.
    ServiceKind {
        /// Internet access (dedicated or broadband).
        Internet => "INTERNET",
        /// Voice lines and trunks.
        Voice => "VOICE",
        /// Hosted collaboration (UCx, Microsoft 365).
        Collaboration => "COLLABORATION",
        /// Managed network (SD-WAN, endpoints, backups).
        ManagedNetwork => "MANAGED_NETWORK",
        /// Security (managed firewall).
        Security => "SECURITY",
        /// Fax.
        Fax => "FAX",
        /// Toll-free numbers.
        TollFree => "TOLL_FREE",
        /// Anything else.
        Other => "OTHER",
    }
);

names!(
    /// Where a service is in its life.
    ServiceStatus {
        /// In service.
        Active => "ACTIVE",
        /// Ordered, not yet in service.
        Pending => "PENDING",
        /// Temporarily out of service.
        Suspended => "SUSPENDED",
        /// Disconnected.
        Disconnected => "DISCONNECTED",
    }
);

names!(
    /// What a piece of equipment is.
    AssetKind {
        /// A router or SD-WAN edge.
        Router => "ROUTER",
        /// A network switch.
        Switch => "SWITCH",
        /// A firewall appliance.
        Firewall => "FIREWALL",
        /// A wireless access point.
        AccessPoint => "ACCESS_POINT",
        /// A desk phone.
        Phone => "PHONE",
        /// A voice or fax gateway.
        Gateway => "GATEWAY",
    }
);

names!(
    /// The state of a piece of equipment.
    AssetStatus {
        /// Installed and working.
        InService => "IN_SERVICE",
        /// On site, not in use.
        Spare => "SPARE",
        /// Reported faulty, awaiting replacement.
        Faulty => "FAULTY",
        /// Taken out of service.
        Retired => "RETIRED",
    }
);

/// A service at one of an account's locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Backend id.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// The location it is delivered at (a directory location id).
    pub location_id: String,
    /// The account's product it belongs to, if any.
    pub product_id: Option<String>,
    /// Name, e.g. `Dedicated Internet Access 100 Mbps`.
    pub name: String,
    /// What it is.
    pub kind: ServiceKind,
    /// Where it is in its life.
    pub status: ServiceStatus,
    /// The circuit id, for circuits.
    pub circuit_id: Option<String>,
    /// Telephone numbers (ten digits each), for voice services.
    pub phone_numbers: Vec<String>,
    /// When it went into service, once it has.
    pub started_on: Option<NaiveDate>,
}

/// A piece of equipment at one of an account's locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Backend id.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// The location it is installed at (a directory location id).
    pub location_id: String,
    /// The service it delivers, if any.
    pub service_id: Option<String>,
    /// Name, e.g. `Edge router`.
    pub name: String,
    /// What it is.
    pub kind: AssetKind,
    /// Maker.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial: String,
    /// Its state.
    pub status: AssetStatus,
}

/// Which services or assets a list includes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryFilter {
    /// Only those at these locations (none: every location).
    pub location_ids: Vec<String>,
    /// Only those whose name or an identifier (circuit id, telephone
    /// number, serial, model) contains this text, without regard to case;
    /// telephone numbers match with or without punctuation.
    pub search: Option<String>,
}

impl InventoryFilter {
    /// The search text, trimmed and lower-cased, when there is one.
    pub fn search_text(&self) -> Option<String> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase)
    }

    /// The search's digits when it reads as a telephone number (digits with
    /// spaces, dots, dashes, parentheses or a plus), e.g. `(310) 555-01`.
    pub fn search_digits(&self) -> Option<String> {
        let text = self.search_text()?;
        let phone_like = text
            .chars()
            .all(|c| c.is_ascii_digit() || " .-()+".contains(c));
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        (phone_like && digits.len() >= 3).then_some(digits)
    }
}

/// The text a search matches a service against: its name, circuit id and
/// numbers, lower-cased. Adapters that store it keep it in step with the
/// service.
pub fn service_search_text(service: &Service) -> String {
    let mut parts = vec![service.name.to_lowercase()];
    parts.extend(service.circuit_id.iter().map(|c| c.to_lowercase()));
    parts.extend(service.phone_numbers.iter().cloned());
    parts.join(" ")
}

/// The text a search matches an asset against: name, maker, model, serial.
pub fn asset_search_text(asset: &Asset) -> String {
    [
        &asset.name,
        &asset.manufacturer,
        &asset.model,
        &asset.serial,
    ]
    .map(|s| s.to_lowercase())
    .join(" ")
}

/// The inventory port: services and assets of an account, read-only.
///
/// Guarantees (checked by the conformance suite):
/// - every method filters by the [`Scope`]; an account outside it is
///   [`crate::Error::NotFound`] for lists, and its records are simply absent
///   from batches;
/// - lists are ordered by name, ties broken by id, and a cursor resumes
///   right after its item; a cursor from another list is
///   [`crate::Error::InvalidInput`] on field `after`;
/// - a location id that is not the account's matches nothing.
#[async_trait]
pub trait Inventory: Send + Sync {
    /// One page of an account's services.
    async fn services(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Service>>;

    /// How many of an account's services match `filter`.
    async fn count_services(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
    ) -> Result<u64>;

    /// The services with these ids that are in scope, in any order.
    async fn services_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Service>>;

    /// Every service at these locations (those in scope), ordered by
    /// location, then name and id.
    async fn services_at(&self, scope: &Scope, location_ids: &[String]) -> Result<Vec<Service>>;

    /// One page of an account's assets.
    async fn assets(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Asset>>;

    /// How many of an account's assets match `filter`.
    async fn count_assets(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
    ) -> Result<u64>;

    /// The assets with these ids that are in scope, in any order.
    async fn assets_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Asset>>;

    /// Every asset at these locations (those in scope), ordered by
    /// location, then name and id.
    async fn assets_at(&self, scope: &Scope, location_ids: &[String]) -> Result<Vec<Asset>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ServiceKind::ALL {
            assert_eq!(ServiceKind::parse(kind.as_str()), Some(*kind));
        }
        for status in AssetStatus::ALL {
            assert_eq!(AssetStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(AssetKind::parse("TOASTER"), None);
    }

    #[test]
    fn phone_like_searches_keep_their_digits() {
        let filter = |s: &str| InventoryFilter {
            location_ids: Vec::new(),
            search: Some(s.into()),
        };
        assert_eq!(
            filter(" (310) 555-01 ").search_digits().as_deref(),
            Some("31055501")
        );
        assert_eq!(filter("Edge Router").search_digits(), None);
        assert_eq!(filter("12").search_digits(), None);
        assert_eq!(filter(" Edge ").search_text().as_deref(), Some("edge"));
        assert_eq!(filter("   ").search_text(), None);
    }
}
