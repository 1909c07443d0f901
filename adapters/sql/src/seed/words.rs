//! Word lists the generated rows draw from.

pub(super) const EXTRA_ACCOUNT_NAMES: &[&str] = &[
    "Zz Fast Ion Corp",
    "1 Fine Tune",
    "Pacific Coast Dental Group",
    "Summit Logistics Inc.",
    "Bayview Credit Union",
    "Redwood Family Clinics",
    "Golden State Builders",
    "Cascade Legal LLP",
];
pub(super) const CITIES: &[&str] = &[
    "Guilford",
    "Hildale",
    "Dallas Galleria",
    "Lyndhurst",
    "Atlanta",
    "Orlando",
    "Burbank",
    "Fresno",
    "San Jose",
    "Sacramento",
    "Irvine",
    "Tempe",
    "Reno",
    "Boise",
    "Denver",
    "Austin",
    "Plano",
    "Tulsa",
];
pub(super) const STREETS: &[&str] = &[
    "Main St",
    "Tilgus St",
    "Commerce Dr",
    "Harbor Blvd",
    "Market St",
    "Oak Ave",
    "Industrial Pkwy",
];
pub(super) const PRODUCTS: &[&str] = &[
    "MSx Managed WAN",
    "MSx Managed Endpoints",
    "MSx Backups",
    "Managed Firewall",
    "UCx",
    "SmartVoice",
    "Dedicated Internet Access",
    "Broadband",
    "PRI",
    "Toll Free",
    "Microsoft 365",
    "Virtual Fax",
];
pub(super) const FIRST: &[&str] = &[
    "Jordan", "Casey", "Taylor", "Avery", "Quinn", "Jamie", "Drew", "Reese", "Skyler", "Harper",
];
pub(super) const LAST: &[&str] = &[
    "Nguyen", "Garcia", "Smith", "Patel", "Kim", "Lopez", "Fish", "Brown", "Rossi", "Cohen",
];
pub(super) const AGENTS: &[&str] = &[
    "Chris (TPx Support)",
    "Morgan (TPx NOC)",
    "Lee (TPx Billing)",
    "Robin (TPx Support)",
];
