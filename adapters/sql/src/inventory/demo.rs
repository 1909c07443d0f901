//! The demo inventory: a service for every product installed at a location
//! (circuits with circuit ids, voice services with numbers) and the
//! equipment that delivers them. Deterministic for a seed and anchor time.

use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use switchboard_core::inventory::{
    Asset, AssetKind, AssetStatus, Service, ServiceKind, ServiceStatus, asset_search_text,
    service_search_text,
};

use super::{AssetRow, ServiceRow};

/// How a product is delivered: service name, kind, whether it is a circuit,
/// how many numbers it carries (range), and the equipment it needs.
struct Delivery {
    name: &'static str,
    kind: ServiceKind,
    circuit: bool,
    numbers: (usize, usize),
    equipment: &'static [Equipment],
}

/// A piece of equipment: name, kind, maker, model.
type Equipment = (&'static str, AssetKind, &'static str, &'static str);

const EDGE: Equipment = ("Edge router", AssetKind::Router, "Cisco", "ISR 1111-8P");
const SDWAN: Equipment = (
    "SD-WAN edge",
    AssetKind::Router,
    "Fortinet",
    "FortiGate 40F",
);
const FIREWALL: Equipment = ("Firewall", AssetKind::Firewall, "Fortinet", "FortiGate 60F");
const SWITCH: Equipment = (
    "Access switch",
    AssetKind::Switch,
    "Cisco",
    "Catalyst 1000-24T",
);
const PHONE: Equipment = ("Desk phone", AssetKind::Phone, "Poly", "VVX 450");
const WIFI: Equipment = (
    "Wireless access point",
    AssetKind::AccessPoint,
    "Cisco",
    "Meraki MR36",
);
const VOICE_GW: Equipment = (
    "Voice gateway",
    AssetKind::Gateway,
    "AudioCodes",
    "Mediant 500",
);
const FAX_GW: Equipment = ("Fax gateway", AssetKind::Gateway, "AudioCodes", "MP-112");

/// How the seed's products are delivered.
fn delivery(product: &str) -> Delivery {
    let d = |name, kind, circuit, numbers, equipment| Delivery {
        name,
        kind,
        circuit,
        numbers,
        equipment,
    };
    match product {
        "MSx Managed WAN" => d(
            "MSx Managed WAN",
            ServiceKind::ManagedNetwork,
            true,
            (0, 0),
            &[SDWAN],
        ),
        "MSx Managed Endpoints" => d(
            "MSx Managed Endpoints",
            ServiceKind::ManagedNetwork,
            false,
            (0, 0),
            &[],
        ),
        "MSx Backups" => d(
            "MSx Backups 1 TB",
            ServiceKind::ManagedNetwork,
            false,
            (0, 0),
            &[],
        ),
        "Managed Firewall" => d(
            "Managed Firewall",
            ServiceKind::Security,
            false,
            (0, 0),
            &[FIREWALL],
        ),
        "UCx" => d(
            "UCx Hosted Seats",
            ServiceKind::Collaboration,
            false,
            (2, 4),
            &[PHONE, PHONE],
        ),
        "SmartVoice" => d(
            "SmartVoice Lines",
            ServiceKind::Voice,
            false,
            (1, 3),
            &[PHONE],
        ),
        "Dedicated Internet Access" => d(
            "Dedicated Internet Access 100 Mbps",
            ServiceKind::Internet,
            true,
            (0, 0),
            &[EDGE, SWITCH],
        ),
        "Broadband" => d(
            "Business Broadband 300 Mbps",
            ServiceKind::Internet,
            true,
            (0, 0),
            &[EDGE, WIFI],
        ),
        "PRI" => d("PRI 23B+D", ServiceKind::Voice, true, (3, 5), &[VOICE_GW]),
        "Toll Free" => d(
            "Toll Free Service",
            ServiceKind::TollFree,
            false,
            (1, 2),
            &[],
        ),
        "Microsoft 365" => d(
            "Microsoft 365 Business",
            ServiceKind::Collaboration,
            false,
            (0, 0),
            &[],
        ),
        "Virtual Fax" => d("Virtual Fax", ServiceKind::Fax, false, (1, 1), &[FAX_GW]),
        _ => d("Managed Service", ServiceKind::Other, false, (0, 0), &[]),
    }
}

const AREA_CODES: &[&str] = &["201", "310", "407", "470", "512", "720", "818", "973"];
const CIRCUIT_CODES: &[&str] = &["KGFN", "LGGS", "HCGS", "KRGN"];

/// The rows to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoInventory {
    /// Services.
    pub services: Vec<ServiceRow>,
    /// Assets.
    pub assets: Vec<AssetRow>,
}

/// A product installed at a location: product id, account, location id, name.
pub type Installed<'a> = (i64, &'a str, i64, &'a str);

fn service_status(rng: &mut StdRng) -> ServiceStatus {
    match rng.random_range(0..20) {
        0 => ServiceStatus::Pending,
        1 => ServiceStatus::Suspended,
        2 => ServiceStatus::Disconnected,
        _ => ServiceStatus::Active,
    }
}

fn asset_status(rng: &mut StdRng) -> AssetStatus {
    match rng.random_range(0..20) {
        0 => AssetStatus::Spare,
        1 => AssetStatus::Faulty,
        2 => AssetStatus::Retired,
        _ => AssetStatus::InService,
    }
}

fn number(rng: &mut StdRng, kind: ServiceKind) -> String {
    let area = match kind {
        ServiceKind::TollFree => "800",
        _ => AREA_CODES[rng.random_range(0..AREA_CODES.len())],
    };
    format!("{area}555{:04}", rng.random_range(100..10_000))
}

/// The inventory of the `installed` products, relative to `anchor`.
pub fn generate(installed: &[Installed<'_>], anchor: NaiveDateTime, seed: u64) -> DemoInventory {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x1e7e_17a5);
    let mut d = DemoInventory::default();
    let mut seen_locations: Vec<i64> = Vec::new();
    for &(product_id, account, location_id, product) in installed {
        // Every location has an edge router on the first product there.
        if !seen_locations.contains(&location_id) {
            seen_locations.push(location_id);
            push_asset(&mut d, &mut rng, account, location_id, None, EDGE);
        }
        let how = delivery(product);
        let status = service_status(&mut rng);
        let n = rng.random_range(how.numbers.0..=how.numbers.1);
        let service = Service {
            id: (d.services.len() + 1).to_string(),
            account_id: account.to_string(),
            location_id: location_id.to_string(),
            product_id: Some(product_id.to_string()),
            name: how.name.to_string(),
            kind: how.kind,
            status,
            circuit_id: how.circuit.then(|| {
                let code = CIRCUIT_CODES[rng.random_range(0..CIRCUIT_CODES.len())];
                format!(
                    "{:02}.{code}.{:06}..TPX",
                    rng.random_range(10..99),
                    rng.random_range(0..1_000_000)
                )
            }),
            phone_numbers: (0..n).map(|_| number(&mut rng, how.kind)).collect(),
            started_on: (status != ServiceStatus::Pending)
                .then(|| (anchor - Duration::days(rng.random_range(30..1500))).date()),
        };
        let service_id = d.services.len() as i64 + 1;
        d.services.push(ServiceRow {
            id: service_id,
            account_id: service.account_id.clone(),
            location_id,
            product_id: Some(product_id),
            search_text: service_search_text(&service),
            name: service.name,
            kind: service.kind.as_str().to_string(),
            status: service.status.as_str().to_string(),
            circuit_id: service.circuit_id,
            phone_numbers: service.phone_numbers.join(" "),
            started_on: service.started_on,
        });
        for &equipment in how.equipment {
            push_asset(
                &mut d,
                &mut rng,
                account,
                location_id,
                Some(service_id),
                equipment,
            );
        }
    }
    d
}

fn push_asset(
    d: &mut DemoInventory,
    rng: &mut StdRng,
    account: &str,
    location_id: i64,
    service_id: Option<i64>,
    (name, kind, manufacturer, model): Equipment,
) {
    let id = d.assets.len() as i64 + 1;
    let asset = Asset {
        id: id.to_string(),
        account_id: account.to_string(),
        location_id: location_id.to_string(),
        service_id: service_id.map(|s| s.to_string()),
        name: name.to_string(),
        kind,
        manufacturer: manufacturer.to_string(),
        model: model.to_string(),
        serial: format!(
            "{}{:09}",
            &manufacturer[..3].to_uppercase(),
            rng.random_range(0..1_000_000_000u32)
        ),
        status: asset_status(rng),
    };
    d.assets.push(AssetRow {
        id,
        account_id: asset.account_id.clone(),
        location_id,
        service_id,
        search_text: asset_search_text(&asset),
        name: asset.name,
        kind: asset.kind.as_str().to_string(),
        manufacturer: asset.manufacturer,
        model: asset.model,
        serial: asset.serial,
        status: asset.status.as_str().to_string(),
    });
}

/// Writes a [`DemoInventory`] on `$conn`; pass `await` for an async connection.
#[macro_export]
#[doc(hidden)]
macro_rules! write_demo_inventory {
    ($conn:ident, $d:expr $(, $aw:tt)?) => {{
        use $crate::schema::{assets, services};
        for chunk in $d.services.chunks(500) {
            let written = diesel::insert_into(services::table)
                .values(chunk)
                .execute($conn)$(.$aw)?;
            written?;
        }
        for chunk in $d.assets.chunks(500) {
            let written = diesel::insert_into(assets::table)
                .values(chunk)
                .execute($conn)$(.$aw)?;
            written?;
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_location_gets_a_router_and_services_follow_products() {
        let anchor = chrono::DateTime::from_timestamp(1_780_000_000, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_default();
        let installed = [
            (1, "A", 10, "UCx"),
            (2, "A", 10, "PRI"),
            (3, "A", 11, "Broadband"),
        ];
        let d = generate(&installed, anchor, 7);
        assert_eq!(d.services.len(), 3);
        assert_eq!(generate(&installed, anchor, 7), d, "deterministic");
        for location in [10, 11] {
            assert!(
                d.assets
                    .iter()
                    .any(|a| a.location_id == location && a.kind == "ROUTER")
            );
        }
        let pri = &d.services[1];
        assert!(pri.circuit_id.is_some());
        assert!(pri.phone_numbers.split(' ').all(|n| n.len() == 10));
        assert!(pri.search_text.contains(&pri.phone_numbers[..10]));
    }
}
