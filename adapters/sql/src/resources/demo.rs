//! The demo resource library and My Apps tiles: the categories the portal's
//! library shows and the product portals of the guide's tile grid, with
//! descriptions of our own and links on `.example` hosts.

use super::{AppRow, CategoryRow, ResourceRow};

/// Categories: id, name, description.
const CATEGORIES: &[(i64, &str, &str)] = &[
    (1, "Portal Guides", "Getting around the customer portal."),
    (
        2,
        "Voice & Collaboration",
        "Phones, voicemail, hosted calling and fax.",
    ),
    (
        3,
        "Network & Internet",
        "Circuits, SD-WAN and internet access.",
    ),
    (
        4,
        "Managed Services",
        "Endpoints, backups and firewalls we run for you.",
    ),
    (
        5,
        "Billing & Account",
        "Reading your invoice and managing your account.",
    ),
];

/// Resources: category, title, description, path, download, products.
type ResourceSpec = (
    i64,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
);

const RESOURCES: &[ResourceSpec] = &[
    (
        1,
        "Customer Portal Guide",
        "Every page of the portal, step by step.",
        "portal/guide.pdf",
        true,
        &[],
    ),
    (
        1,
        "Opening a Support Case",
        "Which case type to pick and what to include.",
        "portal/cases",
        false,
        &[],
    ),
    (
        1,
        "Managing Portal Users",
        "Roles, access requests and password resets.",
        "portal/users",
        false,
        &[],
    ),
    (
        2,
        "UCx Quick Start",
        "Your first day with hosted calling.",
        "ucx/quick-start.pdf",
        true,
        &["UCx"],
    ),
    (
        2,
        "UCx Desk Phone Guide",
        "Transfers, parking and voicemail on your desk phone.",
        "ucx/phones.pdf",
        true,
        &["UCx"],
    ),
    (
        2,
        "SmartVoice Administrator Guide",
        "Activating and configuring SmartVoice features.",
        "smartvoice/admin",
        false,
        &["SmartVoice"],
    ),
    (
        2,
        "Virtual Fax User Guide",
        "Sending, receiving and routing faxes online.",
        "fax/user.pdf",
        true,
        &["Virtual Fax"],
    ),
    (
        2,
        "PRI Troubleshooting Checklist",
        "What to check before calling about a PRI.",
        "voice/pri-checklist.pdf",
        true,
        &["PRI"],
    ),
    (
        3,
        "Managed WAN Overview",
        "How your SD-WAN sites are monitored and changed.",
        "wan/overview",
        false,
        &["MSx Managed WAN"],
    ),
    (
        3,
        "Internet Circuit Handoff",
        "Demarcation, IP blocks and first-day tests.",
        "internet/handoff.pdf",
        true,
        &["Dedicated Internet Access", "Broadband"],
    ),
    (
        4,
        "Managed Endpoints Onboarding",
        "Enrolling devices and reading alerts.",
        "msx/endpoints",
        false,
        &["MSx Managed Endpoints"],
    ),
    (
        4,
        "Backup Restore Requests",
        "Asking for a file or system restore.",
        "msx/backups",
        false,
        &["MSx Backups"],
    ),
    (
        4,
        "Firewall Change Requests",
        "Rules, VPNs and content filtering changes.",
        "security/firewall",
        false,
        &["Managed Firewall"],
    ),
    (
        4,
        "Microsoft 365 Admin Basics",
        "Licences, mailboxes and security defaults.",
        "m365/admin",
        false,
        &["Microsoft 365"],
    ),
    (
        5,
        "Understanding Your Invoice",
        "The summary of charges, line by line.",
        "billing/invoice.pdf",
        true,
        &[],
    ),
    (
        5,
        "Toll-Free Number Changes",
        "Changing where toll-free numbers ring.",
        "voice/toll-free",
        false,
        &["Toll Free"],
    ),
];

/// Apps: name, description, path, products.
type AppSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

const APPS: &[AppSpec] = &[
    (
        "Online Bill Pay",
        "Pay invoices or set up automatic payments.",
        "pay",
        &[],
    ),
    (
        "UCx Real-Time Applications",
        "Call alerts, call-centre reports and workgroup monitoring.",
        "ucx-realtime",
        &["UCx"],
    ),
    (
        "UCx",
        "Set up call handling, voicemail and auto attendants.",
        "ucx",
        &["UCx"],
    ),
    (
        "UCx Call Reporting",
        "Historic and live reports on your calls.",
        "ucx-reports",
        &["UCx"],
    ),
    (
        "MSx Managed Endpoints",
        "Device administration and alert settings.",
        "endpoints",
        &["MSx Managed Endpoints"],
    ),
    (
        "Network Monitor",
        "A live dashboard of your circuits and sites.",
        "monitor",
        &["MSx Managed WAN", "Dedicated Internet Access", "Broadband"],
    ),
    (
        "MSx Managed WAN",
        "Installation, configuration and monitoring of SD-WAN sites.",
        "wan",
        &["MSx Managed WAN"],
    ),
    (
        "Smart Voice",
        "Turn SmartVoice features on and off for users.",
        "smartvoice",
        &["SmartVoice"],
    ),
    (
        "Virtual Fax Admin",
        "Fax users, history and routing settings.",
        "fax-admin",
        &["Virtual Fax"],
    ),
    (
        "Virtual Fax",
        "Send and receive faxes and keep address books.",
        "fax",
        &["Virtual Fax"],
    ),
    (
        "VXView",
        "Voicemail, find-me follow-me and distribution lists.",
        "vxview",
        &["PRI", "SmartVoice"],
    ),
    (
        "Call Recording",
        "Search and play back recorded calls.",
        "recording",
        &["UCx"],
    ),
];

/// Where the demo links point.
const DOCS: &str = "https://docs.portal.example";
const APPS_HOST: &str = "https://apps.portal.example";

/// The rows to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoLibrary {
    /// Categories.
    pub categories: Vec<CategoryRow>,
    /// Resources.
    pub resources: Vec<ResourceRow>,
    /// (resource id, product name).
    pub resource_products: Vec<(i64, String)>,
    /// Apps.
    pub apps: Vec<AppRow>,
    /// (app id, product name).
    pub app_products: Vec<(i64, String)>,
}

/// The demo library; the same for every seed.
pub fn generate() -> DemoLibrary {
    let mut d = DemoLibrary {
        categories: CATEGORIES
            .iter()
            .map(|&(id, name, description)| CategoryRow {
                id,
                name: name.into(),
                description: description.into(),
                position: id as i32,
            })
            .collect(),
        ..DemoLibrary::default()
    };
    for (at, &(category_id, title, description, path, download, products)) in
        RESOURCES.iter().enumerate()
    {
        let id = at as i64 + 1;
        d.resources.push(ResourceRow {
            id,
            category_id,
            title: title.into(),
            description: description.into(),
            url: format!("{DOCS}/{path}"),
            download,
            position: id as i32,
        });
        d.resource_products
            .extend(products.iter().map(|p| (id, p.to_string())));
    }
    for (at, &(name, description, path, products)) in APPS.iter().enumerate() {
        let id = at as i64 + 1;
        d.apps.push(AppRow {
            id,
            name: name.into(),
            description: description.into(),
            url: format!("{APPS_HOST}/{path}"),
            position: id as i32,
        });
        d.app_products
            .extend(products.iter().map(|p| (id, p.to_string())));
    }
    d
}

/// Writes a [`DemoLibrary`] on `$conn`; pass `await` for an async connection.
#[macro_export]
#[doc(hidden)]
macro_rules! write_demo_library {
    ($conn:ident, $d:expr $(, $aw:tt)?) => {{
        use $crate::schema::{
            portal_app_products, portal_apps, resource_categories, resource_products, resources,
        };
        let written = diesel::insert_into(resource_categories::table)
            .values(&$d.categories)
            .execute($conn)$(.$aw)?;
        written?;
        let written = diesel::insert_into(resources::table)
            .values(&$d.resources)
            .execute($conn)$(.$aw)?;
        written?;
        for (id, name) in &$d.resource_products {
            let written = diesel::insert_into(resource_products::table)
                .values((
                    resource_products::resource_id.eq(id),
                    resource_products::product_name.eq(name),
                ))
                .execute($conn)$(.$aw)?;
            written?;
        }
        let written = diesel::insert_into(portal_apps::table)
            .values(&$d.apps)
            .execute($conn)$(.$aw)?;
        written?;
        for (id, name) in &$d.app_products {
            let written = diesel::insert_into(portal_app_products::table)
                .values((
                    portal_app_products::app_id.eq(id),
                    portal_app_products::product_name.eq(name),
                ))
                .execute($conn)$(.$aw)?;
            written?;
        }
    }};
}
