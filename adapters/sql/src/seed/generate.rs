//! The demo rows, generated from a seed.

use super::words::*;
use super::*;

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

pub(super) fn generate(o: &SeedOptions, kinds: &[(String, String, String, String)]) -> Data {
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
