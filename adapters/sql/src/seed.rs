//! The demo dataset: accounts, locations, products, contacts, users with
//! every role, and cases with activity. Deterministic for a given seed and
//! anchor time, so demos and benchmarks are reproducible.

use chrono::{Duration, NaiveDateTime};
use diesel::{Connection, ExpressionMethods, QueryDsl};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use switchboard_core::cases::prelude::*;
use switchboard_core::cases::{ActivityKind, CaseState, Priority};
use switchboard_core::{Error, Result, Role};

use crate::models::*;
use crate::schema::*;
use crate::{Backend, SqlStore};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// How many accounts (at least 2: the demo users span two).
    pub accounts: usize,
    /// How many cases in all.
    pub cases: usize,
    /// The random seed.
    pub seed: u64,
    /// "Now" for the dataset: cases are opened in the 18 months before it.
    pub anchor: NaiveDateTime,
}

/// A user the README lists, with the role they have on which account.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// Login email.
    pub email: &'static str,
    /// Display name.
    pub name: &'static str,
    /// (account id, role) pairs.
    pub entitlements: &'static [(&'static str, Role)],
}

/// The demo accounts every dataset starts with.
pub const DEMO_ACCOUNTS: [(&str, &str); 2] = [
    ("1234567890", "Harbor Freight Tools USA Inc."),
    ("2345678901", "Disney Springs Hospitality LLC"),
];

/// The demo users: every role, over two accounts.
pub const DEMO_USERS: [DemoUser; 7] = [
    DemoUser {
        email: "pat.primary@harborfreight.example",
        name: "Pat Primary",
        entitlements: &[("1234567890", Role::PrimaryAuthority)],
    },
    DemoUser {
        email: "alex.alternate@harborfreight.example",
        name: "Alex Alternate",
        entitlements: &[("1234567890", Role::AlternateAuthority)],
    },
    DemoUser {
        email: "bailey.billing@harborfreight.example",
        name: "Bailey Billing",
        entitlements: &[("1234567890", Role::Billing)],
    },
    DemoUser {
        email: "sam.standard@harborfreight.example",
        name: "Sam Standard",
        entitlements: &[("1234567890", Role::Standard)],
    },
    DemoUser {
        email: "dana.primary@disneysprings.example",
        name: "Dana Primary",
        entitlements: &[("2345678901", Role::PrimaryAuthority)],
    },
    DemoUser {
        email: "riley.standard@disneysprings.example",
        name: "Riley Standard",
        entitlements: &[("2345678901", Role::Standard)],
    },
    DemoUser {
        email: "morgan.multi@partner.example",
        name: "Morgan Multi",
        entitlements: &[
            ("1234567890", Role::AlternateAuthority),
            ("2345678901", Role::Billing),
        ],
    },
];

/// The demo operators: gateway staff with the OPERATOR role and no
/// customer account.
pub const DEMO_OPERATORS: [(&str, &str); 1] =
    [("olive.operator@switchboard.example", "Olive Operator")];

const EXTRA_ACCOUNT_NAMES: &[&str] = &[
    "Zz Fast Ion Corp",
    "1 Fine Tune",
    "Pacific Coast Dental Group",
    "Summit Logistics Inc.",
    "Bayview Credit Union",
    "Redwood Family Clinics",
    "Golden State Builders",
    "Cascade Legal LLP",
];
const CITIES: &[&str] = &[
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
const STREETS: &[&str] = &[
    "Main St",
    "Tilgus St",
    "Commerce Dr",
    "Harbor Blvd",
    "Market St",
    "Oak Ave",
    "Industrial Pkwy",
];
const PRODUCTS: &[&str] = &[
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
const FIRST: &[&str] = &[
    "Jordan", "Casey", "Taylor", "Avery", "Quinn", "Jamie", "Drew", "Reese", "Skyler", "Harper",
];
const LAST: &[&str] = &[
    "Nguyen", "Garcia", "Smith", "Patel", "Kim", "Lopez", "Fish", "Brown", "Rossi", "Cohen",
];
const AGENTS: &[&str] = &[
    "Chris (TPx Support)",
    "Morgan (TPx NOC)",
    "Lee (TPx Billing)",
    "Robin (TPx Support)",
];

struct Data {
    accounts: Vec<AccountRow>,
    locations: Vec<LocationRow>,
    products: Vec<ProductRow>,
    contacts: Vec<ContactRow>,
    users: Vec<(i64, String, String)>,
    entitlements: Vec<(i64, String, String)>,
    operators: Vec<i64>,
    cases: Vec<CaseRow>,
    activities: Vec<NewActivityRow>,
    watchers: Vec<WatcherRow>,
    identity: crate::identity::demo::DemoIdentity,
    billing: crate::billing::demo::DemoBilling,
    library: crate::resources::demo::DemoLibrary,
    inventory: crate::inventory::demo::DemoInventory,
    tollfree: Vec<crate::tollfree::demo::NewNumberRow>,
}

/// What a seed run wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Accounts written.
    pub accounts: usize,
    /// Users written.
    pub users: usize,
    /// Cases written.
    pub cases: usize,
    /// Activity entries written.
    pub activities: usize,
}

/// Whether the database holds no accounts yet.
pub async fn is_empty(store: &SqlStore) -> Result<bool> {
    use diesel_async::RunQueryDsl;
    let n: i64 = crate::with_conn!(store.db(), |conn| {
        accounts::table
            .count()
            .get_result(conn)
            .await
            .map_err(crate::db_error)
    })?;
    Ok(n == 0)
}

/// Fills an empty, migrated database with the demo dataset.
pub async fn seed(store: &SqlStore, options: &SeedOptions) -> Result<SeedReport> {
    if !is_empty(store).await? {
        return Err(Error::Conflict(
            "the database already holds data; seed an empty database".into(),
        ));
    }
    let catalog = store.catalog().await?;
    let kinds: Vec<(String, String, String, String)> = catalog
        .case_types
        .iter()
        .flat_map(|t| {
            t.support_case_types.iter().flat_map(move |s| {
                s.categories.iter().map(move |c| {
                    (
                        t.code.clone(),
                        s.code.clone(),
                        c.code.clone(),
                        c.name.clone(),
                    )
                })
            })
        })
        .collect();
    if kinds.is_empty() {
        return Err(Error::Conflict(
            "the case catalog is empty; run the migrations".into(),
        ));
    }
    let mut data = generate(options, &kinds);
    let account_ids: Vec<String> = data.accounts.iter().map(|a| a.id.clone()).collect();
    data.identity =
        crate::identity::demo::generate(&data.users, &account_ids, options.anchor, options.seed)?;
    let named: Vec<(String, String)> = data
        .accounts
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    data.billing =
        crate::billing::demo::generate(&named, DEMO_ACCOUNTS.len(), options.anchor, options.seed);
    data.tollfree =
        crate::tollfree::demo::generate(&account_ids, DEMO_ACCOUNTS.len(), options.seed);
    data.library = crate::resources::demo::generate();
    let installed: Vec<crate::inventory::demo::Installed<'_>> = data
        .products
        .iter()
        .filter_map(|p| Some((p.id, p.account_id.as_str(), p.location_id?, p.name.as_str())))
        .collect();
    data.inventory = crate::inventory::demo::generate(&installed, options.anchor, options.seed);
    let report = SeedReport {
        accounts: data.accounts.len(),
        users: data.users.len(),
        cases: data.cases.len(),
        activities: data.activities.len(),
    };
    match store.db().backend() {
        Backend::Sqlite => {
            let path = store
                .db()
                .url()
                .strip_prefix("sqlite://")
                .unwrap_or(store.db().url())
                .to_string();
            tokio::task::spawn_blocking(move || write_sqlite(&path, &data))
                .await
                .map_err(|_| Error::Internal)??;
        }
        Backend::Postgres => write_postgres(store.db().url(), &data).await?,
    }
    crate::status::write_demo(store, options.anchor).await?;
    Ok(report)
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn generate(o: &SeedOptions, kinds: &[(String, String, String, String)]) -> Data {
    let mut rng = StdRng::seed_from_u64(o.seed);
    let mut d = Data {
        accounts: Vec::new(),
        locations: Vec::new(),
        products: Vec::new(),
        contacts: Vec::new(),
        users: Vec::new(),
        operators: Vec::new(),
        entitlements: Vec::new(),
        cases: Vec::new(),
        activities: Vec::new(),
        watchers: Vec::new(),
        identity: Default::default(),
        billing: Default::default(),
        library: Default::default(),
        inventory: Default::default(),
        tollfree: Vec::new(),
    };
    for (i, (id, name)) in DEMO_ACCOUNTS.iter().enumerate() {
        let _ = i;
        d.accounts.push(AccountRow {
            id: id.to_string(),
            name: name.to_string(),
        });
    }
    for i in DEMO_ACCOUNTS.len()..o.accounts.max(DEMO_ACCOUNTS.len()) {
        let base = EXTRA_ACCOUNT_NAMES[(i - DEMO_ACCOUNTS.len()) % EXTRA_ACCOUNT_NAMES.len()];
        let name = if i - DEMO_ACCOUNTS.len() < EXTRA_ACCOUNT_NAMES.len() {
            base.to_string()
        } else {
            format!("{base} #{i}")
        };
        d.accounts.push(AccountRow {
            id: format!("{}", 3_000_000_000u64 + i as u64 * 7919),
            name,
        });
    }
    // Users: the demo set, and a primary authority for every further account.
    let mut user_id = 0i64;
    for u in DEMO_USERS {
        user_id += 1;
        d.users
            .push((user_id, u.email.to_string(), u.name.to_string()));
        for (account, role) in u.entitlements {
            d.entitlements
                .push((user_id, account.to_string(), role.as_str().to_string()));
        }
    }
    for (email, name) in DEMO_OPERATORS {
        user_id += 1;
        d.users.push((user_id, email.to_string(), name.to_string()));
        d.operators.push(user_id);
    }
    for a in d.accounts.iter().skip(DEMO_ACCOUNTS.len()) {
        user_id += 1;
        d.users.push((
            user_id,
            format!("primary@acct{}.example", a.id),
            format!("Primary {}", a.id),
        ));
        d.entitlements.push((
            user_id,
            a.id.clone(),
            Role::PrimaryAuthority.as_str().to_string(),
        ));
    }
    // Locations, products and contacts per account.
    let (mut loc_id, mut prod_id, mut contact_id) = (0i64, 0i64, 0i64);
    let prefixes = ["UQCD", "UQUS", "XGUS", "TPCA", "TPNV"];
    for (ai, a) in d.accounts.iter().enumerate() {
        let n_locations = rng.random_range(6..=12);
        for li in 0..n_locations {
            loc_id += 1;
            let city = pick(&mut rng, CITIES);
            d.locations.push(LocationRow {
                id: loc_id,
                account_id: a.id.clone(),
                customer_location_id: format!(
                    "{}-{:04}",
                    prefixes[(ai + li) % prefixes.len()],
                    4 + li * 11 + ai
                ),
                name: city.to_string(),
                address: format!(
                    "{} {}, {}",
                    rng.random_range(100..9999),
                    pick(&mut rng, STREETS),
                    city
                ),
            });
            for _ in 0..rng.random_range(2..=4) {
                prod_id += 1;
                d.products.push(ProductRow {
                    id: prod_id,
                    account_id: a.id.clone(),
                    location_id: Some(loc_id),
                    name: pick(&mut rng, PRODUCTS).to_string(),
                });
            }
        }
        prod_id += 1;
        d.products.push(ProductRow {
            id: prod_id,
            account_id: a.id.clone(),
            location_id: None,
            name: "Account Services".into(),
        });
        let users_here: Vec<(String, String)> = d
            .entitlements
            .iter()
            .filter(|(_, acc, _)| *acc == a.id)
            .filter_map(|(uid, _, _)| d.users.iter().find(|(id, _, _)| id == uid))
            .map(|(_, email, name)| (email.clone(), name.clone()))
            .collect();
        for (email, name) in users_here {
            contact_id += 1;
            d.contacts.push(ContactRow {
                id: contact_id,
                account_id: a.id.clone(),
                name,
                email,
                phone: Some(phone(&mut rng)),
            });
        }
        for _ in 0..3 {
            contact_id += 1;
            let (f, l) = (pick(&mut rng, FIRST), pick(&mut rng, LAST));
            let email = format!(
                "{}.{}{}@customer{}.example",
                f.to_lowercase(),
                l.to_lowercase(),
                contact_id,
                ai
            );
            d.contacts.push(ContactRow {
                id: contact_id,
                account_id: a.id.clone(),
                name: format!("{f} {l}"),
                email,
                phone: Some(phone(&mut rng)),
            });
        }
    }
    // Cases: half on the first account, a third on the second, the rest spread.
    for i in 0..o.cases {
        let id = i as i64 + 1;
        let roll = rng.random_range(0..100);
        let account = if roll < 50 || d.accounts.len() == 1 {
            &d.accounts[0]
        } else if roll < 80 || d.accounts.len() == 2 {
            &d.accounts[1]
        } else {
            &d.accounts[rng.random_range(2..d.accounts.len())]
        };
        let locs: Vec<&LocationRow> = d
            .locations
            .iter()
            .filter(|l| l.account_id == account.id)
            .collect();
        let location = if rng.random_range(0..100) < 88 {
            Some(*pick(&mut rng, &locs))
        } else {
            None
        };
        let prods: Vec<&ProductRow> = d
            .products
            .iter()
            .filter(|p| p.location_id == location.map(|l| l.id) && p.account_id == account.id)
            .collect();
        let product = if !prods.is_empty() && rng.random_range(0..100) < 85 {
            Some(*pick(&mut rng, &prods))
        } else {
            None
        };
        let contacts: Vec<&ContactRow> = d
            .contacts
            .iter()
            .filter(|c| c.account_id == account.id)
            .collect();
        let contact = *pick(&mut rng, &contacts);
        let (case_type, support, category, category_name) = pick(&mut rng, kinds).clone();
        let state = match rng.random_range(0..100) {
            0..25 => CaseState::New,
            25..50 => CaseState::Open,
            50..58 => CaseState::AwaitingInfo,
            58..70 => CaseState::Resolved,
            70..95 => CaseState::Closed,
            _ => CaseState::Canceled,
        };
        let priority = match rng.random_range(0..100) {
            0..5 => Priority::Critical,
            5..20 => Priority::High,
            20..55 => Priority::Moderate,
            _ => Priority::Low,
        };
        let opened = o.anchor - Duration::seconds(rng.random_range(3_600..(540 * 86_400)));
        let span = (o.anchor - opened).num_seconds().clamp(60, 30 * 86_400);
        let updated = opened + Duration::seconds(rng.random_range(60..=span));
        let where_ = location
            .map(|l| format!("{} - {}", l.customer_location_id, l.name))
            .unwrap_or_else(|| "our office".into());
        let (title, description) = text_for(
            &mut rng,
            &category_name,
            product.map(|p| p.name.as_str()),
            &where_,
        );
        let resolved = matches!(state, CaseState::Resolved | CaseState::Closed).then_some(updated);
        d.cases.push(CaseRow {
            id,
            number: case_number(id),
            account_id: account.id.clone(),
            state: state.rank(),
            priority: priority.level(),
            title,
            description,
            case_type: case_type.clone(),
            support_case_type: support,
            category,
            location_id: location.map(|l| l.id),
            location_not_listed: location.is_none(),
            product_id: product.map(|p| p.id),
            product_not_listed: product.is_none(),
            contact_id: Some(contact.id),
            opened_by: contact.name.clone(),
            opened_by_subject: "seed".into(),
            opened_at: opened,
            updated_at: updated,
            resolved_at: resolved,
            idempotency_key: None,
            request_hash: None,
        });
        // Activity, oldest first, ending at `updated`.
        let mut entries: Vec<(NaiveDateTime, ActivityKind, String, String)> = vec![(
            opened,
            ActivityKind::System,
            "System".into(),
            "Case created".into(),
        )];
        let step =
            |k: i64| opened + Duration::seconds(((updated - opened).num_seconds() * k / 5).max(1));
        if state != CaseState::New {
            entries.push((
                step(1),
                ActivityKind::System,
                "System".into(),
                "Case Assigned".into(),
            ));
        }
        if rng.random_range(0..100) < 30 && priority != Priority::Low {
            entries.push((
                step(2),
                ActivityKind::System,
                "System".into(),
                format!(
                    "Priority {} was {}",
                    priority.label(),
                    Priority::Low.label()
                ),
            ));
        }
        if rng.random_range(0..100) < 60 {
            entries.push((
                step(3),
                ActivityKind::Comment,
                pick(&mut rng, AGENTS).to_string(),
                "We are looking into this and will update you shortly.".into(),
            ));
        }
        if rng.random_range(0..100) < 40 {
            entries.push((
                step(4),
                ActivityKind::Comment,
                contact.name.clone(),
                "Thanks, let us know if you need anything from our side.".into(),
            ));
        }
        if state != CaseState::New && state != CaseState::Open {
            entries.push((
                updated,
                ActivityKind::StateChange,
                "System".into(),
                format!("State changed from Open to {}", state.label()),
            ));
        } else if let Some(last) = entries.last_mut() {
            last.0 = updated.max(last.0);
        }
        for (at, kind, author, body) in entries {
            d.activities.push(NewActivityRow::new(
                id,
                &account.id,
                kind,
                &author,
                body,
                at,
            ));
        }
        if rng.random_range(0..100) < 30 {
            let other = *pick(&mut rng, &contacts);
            d.watchers.push(WatcherRow {
                case_id: id,
                email: other.email.clone(),
                added_at: opened,
            });
        }
    }
    d
}

fn phone(rng: &mut StdRng) -> String {
    format!(
        "({}) {}-{:04}",
        rng.random_range(201..989),
        rng.random_range(200..999),
        rng.random_range(0..10_000)
    )
}

fn text_for(
    rng: &mut StdRng,
    category: &str,
    product: Option<&str>,
    place: &str,
) -> (String, String) {
    let product = product.unwrap_or("service");
    let templates: [(String, String); 8] = [
        (
            category.to_string(),
            format!("Please help with {category} for {product} at {place}."),
        ),
        (
            format!("{product} down at {place}"),
            format!(
                "Our {product} at {place} has been down since this morning. Users cannot connect."
            ),
        ),
        (
            format!("Intermittent packet loss - {product}"),
            format!(
                "We see intermittent packet loss on {product} at {place}, mostly in the afternoon."
            ),
        ),
        (
            format!("Account Maintenance - {category}"),
            format!("Please update the account records related to {category}."),
        ),
        (
            format!("Bill inquiry - {product}"),
            format!("The latest invoice shows unexpected charges for {product}. Please review."),
        ),
        (
            format!(
                "Proactive - | {product} | Metrics Alert | Exceeding metrics: [{:.2} % of Bandwidth Rx]",
                80.0 + rng.random_range(0..2000) as f64 / 100.0
            ),
            format!("Monitoring detected high utilisation on {product} at {place}."),
        ),
        (
            format!("Request change to {product}"),
            format!("We would like to change the configuration of {product} at {place}."),
        ),
        (
            format!("Suspicious calls on {product}"),
            format!("We received unusual international calls on {product} overnight at {place}."),
        ),
    ];
    pick(rng, &templates).clone()
}

fn write_sqlite(path: &str, d: &Data) -> Result<()> {
    use diesel::RunQueryDsl;
    let mut conn = diesel::SqliteConnection::establish(path).map_err(|e| {
        tracing::error!(error = %e, "cannot open the SQLite database to seed");
        Error::unavailable(crate::BACKEND)
    })?;
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        diesel::insert_into(accounts::table)
            .values(&d.accounts)
            .execute(conn)?;
        for chunk in d.locations.chunks(500) {
            diesel::insert_into(locations::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in d.products.chunks(500) {
            diesel::insert_into(products::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in d.contacts.chunks(500) {
            diesel::insert_into(contacts::table)
                .values(chunk)
                .execute(conn)?;
        }
        for (id, email, name) in &d.users {
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(id),
                    users::email.eq(email),
                    users::name.eq(name),
                ))
                .execute(conn)?;
        }
        for (user, account, role) in &d.entitlements {
            diesel::insert_into(user_entitlements::table)
                .values((
                    user_entitlements::user_id.eq(user),
                    user_entitlements::account_id.eq(account),
                    user_entitlements::role.eq(role),
                ))
                .execute(conn)?;
        }
        for user in &d.operators {
            diesel::insert_into(operators::table)
                .values(operators::user_id.eq(user))
                .execute(conn)?;
        }
        for chunk in d.cases.chunks(500) {
            diesel::insert_into(cases::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in d.activities.chunks(1000) {
            diesel::insert_into(case_activities::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in d.watchers.chunks(1000) {
            diesel::insert_into(case_watchers::table)
                .values(chunk)
                .execute(conn)?;
        }
        crate::write_demo_identity!(conn, d.identity);
        crate::write_demo_billing!(conn, d.billing);
        crate::write_demo_library!(conn, d.library);
        crate::write_demo_inventory!(conn, d.inventory);
        crate::write_demo_tollfree!(conn, d.tollfree);
        Ok(())
    })
    .map_err(crate::db_error)?;
    // Fresh statistics let the planner pick the right index for each scope.
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "ANALYZE")
        .map_err(crate::db_error)
}

async fn write_postgres(url: &str, d: &Data) -> Result<()> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(url).await.map_err(|e| {
        tracing::error!(error = %e, "cannot connect to PostgreSQL to seed");
        Error::unavailable(crate::BACKEND)
    })?;
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        diesel::insert_into(accounts::table).values(&d.accounts).execute(conn).await?;
        for chunk in d.locations.chunks(500) {
            diesel::insert_into(locations::table).values(chunk).execute(conn).await?;
        }
        for chunk in d.products.chunks(500) {
            diesel::insert_into(products::table).values(chunk).execute(conn).await?;
        }
        for chunk in d.contacts.chunks(500) {
            diesel::insert_into(contacts::table).values(chunk).execute(conn).await?;
        }
        for (id, email, name) in &d.users {
            diesel::insert_into(users::table).values((users::id.eq(id), users::email.eq(email), users::name.eq(name))).execute(conn).await?;
        }
        for (user, account, role) in &d.entitlements {
            diesel::insert_into(user_entitlements::table)
                .values((user_entitlements::user_id.eq(user), user_entitlements::account_id.eq(account), user_entitlements::role.eq(role)))
                .execute(conn)
                .await?;
        }
        for user in &d.operators {
            diesel::insert_into(operators::table).values(operators::user_id.eq(user)).execute(conn).await?;
        }
        for chunk in d.cases.chunks(500) {
            diesel::insert_into(cases::table).values(chunk).execute(conn).await?;
        }
        for chunk in d.activities.chunks(1000) {
            diesel::insert_into(case_activities::table).values(chunk).execute(conn).await?;
        }
        for chunk in d.watchers.chunks(1000) {
            diesel::insert_into(case_watchers::table).values(chunk).execute(conn).await?;
        }
        crate::write_demo_identity!(conn, d.identity, await);
        crate::write_demo_billing!(conn, d.billing, await);
        crate::write_demo_library!(conn, d.library, await);
        crate::write_demo_inventory!(conn, d.inventory, await);
        crate::write_demo_tollfree!(conn, d.tollfree, await);
        // Explicit ids were written: move the identity sequences past them.
        conn.batch_execute(
            "SELECT setval(pg_get_serial_sequence('locations', 'id'), (SELECT MAX(id) FROM locations));
             SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT MAX(id) FROM products));
             SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT MAX(id) FROM contacts));
             SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users));
             SELECT setval(pg_get_serial_sequence('cases', 'id'), GREATEST((SELECT MAX(id) FROM cases), 1));
             SELECT setval(pg_get_serial_sequence('invoices', 'id'), GREATEST((SELECT MAX(id) FROM invoices), 1));
             SELECT setval(pg_get_serial_sequence('invoice_charges', 'id'), GREATEST((SELECT MAX(id) FROM invoice_charges), 1));
             SELECT setval(pg_get_serial_sequence('usage_records', 'id'), GREATEST((SELECT MAX(id) FROM usage_records), 1));",
        )
        .await?;
        conn.batch_execute(
            "SELECT setval(pg_get_serial_sequence('resource_categories', 'id'), GREATEST((SELECT MAX(id) FROM resource_categories), 1));
             SELECT setval(pg_get_serial_sequence('resources', 'id'), GREATEST((SELECT MAX(id) FROM resources), 1));
             SELECT setval(pg_get_serial_sequence('portal_apps', 'id'), GREATEST((SELECT MAX(id) FROM portal_apps), 1));
             SELECT setval(pg_get_serial_sequence('services', 'id'), GREATEST((SELECT MAX(id) FROM services), 1));
             SELECT setval(pg_get_serial_sequence('assets', 'id'), GREATEST((SELECT MAX(id) FROM assets), 1));",
        )
        .await?;
        Ok(())
    })
    .await
    .map_err(crate::db_error)?;
    // VACUUM sets the visibility map, so counts can be answered from indexes alone.
    conn.batch_execute("VACUUM ANALYZE")
        .await
        .map_err(crate::db_error)
}
