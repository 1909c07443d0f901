//! Converting demo data, read through the public ports of the store that
//! holds it (the SQL adapter's seed, in practice), into the profile's
//! tables (see the [`super::seed`] module doc for what is carried over).

use std::collections::HashMap;

use futures::TryStreamExt;
use switchboard_core::cases::{
    ActivityKind, CaseFilter, CaseOrder, CaseOrderField, CaseState, Direction,
};
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_core::{AccountStore, CaseStore, Error, PageRequest, Scope};

use super::attachment_api::NewFile;
use super::schema::{ACCOUNT, CASE, CHOICE, CONTACT, LOCATION, PRODUCT, USER};
use super::seed::{DEMO_AGENTS, choice, row, state_by_label, state_value, time, user};
use super::store::{Tables, set};
use super::writes::Writer;

/// What the demo data is read through: the account and case ports.
pub trait DemoSource: AccountStore + CaseStore {}

impl<T: AccountStore + CaseStore> DemoSource for T {}

/// `base` plus everything `store` holds for its first `accounts` accounts.
pub(super) async fn convert(
    base: Tables,
    store: &dyn DemoSource,
    accounts: usize,
) -> Result<Tables, Error> {
    let mut builder = Builder {
        tables: base,
        users_by_name: DEMO_AGENTS
            .iter()
            .map(|(u, n)| (n.to_string(), u.to_string()))
            .collect(),
        ..Builder::default()
    };
    builder.load(store, accounts).await?;
    Ok(builder.tables)
}

/// The account numbers the SQL seed gives: the demo accounts, then
/// `3000000000 + i * 7919` for the i-th further account.
fn account_numbers(accounts: usize) -> Vec<String> {
    let mut ids: Vec<String> = DEMO_ACCOUNTS.iter().map(|(id, _)| id.to_string()).collect();
    for i in DEMO_ACCOUNTS.len()..accounts.max(DEMO_ACCOUNTS.len()) {
        ids.push(format!("{}", 3_000_000_000u64 + i as u64 * 7919));
    }
    ids
}

/// Conversion state: the sys_ids given to each SQL id.
#[derive(Default)]
struct Builder {
    tables: Tables,
    accounts: HashMap<String, String>,
    locations: HashMap<String, String>,
    products: HashMap<String, String>,
    /// SQL contact id -> (sys_id, user_name).
    contacts: HashMap<String, (String, String)>,
    /// (account, contact name) -> user_name; contact e-mail -> sys_id.
    contact_names: HashMap<(String, String), String>,
    contact_emails: HashMap<String, String>,
    /// Display name -> user_name of agents and made-up users.
    users_by_name: HashMap<String, String>,
}

impl Builder {
    async fn load(&mut self, store: &dyn DemoSource, accounts: usize) -> Result<(), Error> {
        let scope = Scope::new(account_numbers(accounts));
        let found = store.accounts_by_ids(&scope, scope.accounts()).await?;
        let scope = Scope::new(found.iter().map(|a| a.id.clone()));
        for account in &found {
            self.account(store, &scope, account).await?;
        }
        self.catalog(store).await?;
        let mut after = None;
        let order = CaseOrder {
            field: CaseOrderField::Number,
            direction: Direction::Asc,
        };
        loop {
            let page = PageRequest {
                first: 100,
                after: after.take(),
            };
            let page = store
                .list_cases(&scope, &CaseFilter::default(), order, &page)
                .await?;
            let next = page
                .has_next_page
                .then(|| page.end_cursor().map(str::to_owned))
                .flatten();
            for (_, case) in page.items {
                self.case(store, &scope, case).await?;
            }
            match next {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        Ok(())
    }

    async fn account(
        &mut self,
        store: &dyn DemoSource,
        scope: &Scope,
        account: &switchboard_core::directory::Account,
    ) -> Result<(), Error> {
        let at = "2020-01-01 00:00:00";
        let acc = row(
            ACCOUNT,
            &[("number", &account.id), ("name", &account.name)],
            at,
            "admin",
        );
        let acc_id = super::store::get(&acc, "sys_id").to_owned();
        self.accounts.insert(account.id.clone(), acc_id.clone());
        self.tables.push(ACCOUNT, acc);
        for l in store.locations(scope, &account.id).await? {
            let r = row(
                LOCATION,
                &[
                    ("name", &l.name),
                    ("u_customer_location_id", &l.customer_location_id),
                    ("street", &l.address),
                    ("company", &acc_id),
                ],
                at,
                "admin",
            );
            self.locations
                .insert(l.id.clone(), super::store::get(&r, "sys_id").to_owned());
            self.tables.push(LOCATION, r);
        }
        for p in store.products(scope, &account.id, None).await? {
            let location = p
                .location_id
                .as_ref()
                .and_then(|l| self.locations.get(l))
                .cloned()
                .unwrap_or_default();
            let r = row(
                PRODUCT,
                &[
                    ("name", &p.name),
                    ("account", &acc_id),
                    ("location", &location),
                ],
                at,
                "admin",
            );
            self.products
                .insert(p.id.clone(), super::store::get(&r, "sys_id").to_owned());
            self.tables.push(PRODUCT, r);
        }
        for c in store.contacts(scope, &account.id).await? {
            let taken = self.tables.find_by(USER, "user_name", &c.email).is_some();
            let user_name = if taken {
                format!("{}.{}", c.email, account.id)
            } else {
                c.email.clone()
            };
            let (first, last) = c.name.split_once(' ').unwrap_or((&c.name, ""));
            let r = row(
                CONTACT,
                &[
                    ("user_name", &user_name),
                    ("name", &c.name),
                    ("first_name", first),
                    ("last_name", last),
                    ("email", &c.email),
                    ("phone", c.phone.as_deref().unwrap_or("")),
                    ("active", "true"),
                    ("sys_class_name", CONTACT),
                    ("account", &acc_id),
                ],
                at,
                "admin",
            );
            let sys_id = super::store::get(&r, "sys_id").to_owned();
            self.contacts
                .insert(c.id.clone(), (sys_id.clone(), user_name.clone()));
            self.contact_names
                .insert((account.id.clone(), c.name.clone()), user_name);
            self.contact_emails.entry(c.email.clone()).or_insert(sys_id);
            self.tables.push(CONTACT, r);
        }
        Ok(())
    }

    async fn catalog(&mut self, store: &dyn DemoSource) -> Result<(), Error> {
        let catalog = store.catalog().await?;
        for (i, t) in catalog.case_types.iter().enumerate() {
            self.tables.push(
                CHOICE,
                choice("u_case_type", &t.code, &t.name, i + 1, "", &t.description),
            );
            for (j, s) in t.support_case_types.iter().enumerate() {
                self.tables.push(
                    CHOICE,
                    choice("u_support_case_type", &s.code, &s.name, j + 1, &t.code, ""),
                );
                for (k, c) in s.categories.iter().enumerate() {
                    self.tables.push(
                        CHOICE,
                        choice("category", &c.code, &c.name, k + 1, &s.code, ""),
                    );
                }
            }
        }
        Ok(())
    }

    /// The user_name standing for the author `name` on `account`'s case.
    fn author(&mut self, account: &str, name: &str) -> String {
        if name == "System" {
            return DEMO_AGENTS[0].0.to_owned();
        }
        if let Some(u) = self
            .contact_names
            .get(&(account.to_owned(), name.to_owned()))
        {
            return u.clone();
        }
        if let Some(u) = self.users_by_name.get(name) {
            return u.clone();
        }
        let slug: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
            .collect();
        let user_name = slug
            .split('.')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(".");
        self.tables.push(USER, user(&user_name, name, ""));
        self.users_by_name
            .insert(name.to_owned(), user_name.clone());
        user_name
    }

    fn user_sys_id(&self, user_name: &str) -> String {
        self.tables
            .find_by(USER, "user_name", user_name)
            .map(|u| super::store::get(u, "sys_id").to_owned())
            .unwrap_or_default()
    }

    async fn case(
        &mut self,
        store: &dyn DemoSource,
        scope: &Scope,
        case: switchboard_core::cases::Case,
    ) -> Result<(), Error> {
        let state = state_value(case.state);
        let closed = matches!(case.state, CaseState::Closed | CaseState::Canceled);
        let opened_by = self.author(&case.account_id, &case.opened_by);
        let opened_at = time(case.opened_at);
        let updated_at = time(case.updated_at);
        let account = self
            .accounts
            .get(&case.account_id)
            .cloned()
            .unwrap_or_default();
        let pick = |map: &HashMap<String, String>, id: &Option<String>| {
            id.as_ref()
                .and_then(|i| map.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let location = pick(&self.locations, &case.location_id);
        let product = pick(&self.products, &case.product_id);
        let contact = case
            .contact_id
            .as_ref()
            .and_then(|c| self.contacts.get(c))
            .map(|(id, _)| id.clone())
            .unwrap_or_default();
        let (close_notes, resolution_code) = match case.state {
            CaseState::Closed => (
                "Resolved by support; confirmed by the customer.",
                "Solved (Permanently)",
            ),
            CaseState::Canceled => ("Canceled at the customer's request.", "Canceled"),
            _ => ("", ""),
        };
        let opened_by_id = self.user_sys_id(&opened_by);
        let resolved = case.resolved_at.map(time).unwrap_or_default();
        let mut r = row(
            CASE,
            &[
                ("number", &case.number),
                ("account", &account),
                ("contact", &contact),
                ("location", &location),
                ("install_base_item", &product),
                ("state", state),
                ("priority", &case.priority.level().to_string()),
                ("short_description", &case.title),
                ("description", &case.description),
                ("opened_at", &opened_at),
                ("opened_by", &opened_by_id),
                ("resolved_at", &resolved),
                ("closed_at", if closed { &updated_at } else { "" }),
                ("active", if closed { "false" } else { "true" }),
                ("close_notes", close_notes),
                ("resolution_code", resolution_code),
                ("u_case_type", &case.case_type),
                ("u_support_case_type", &case.support_case_type),
                ("category", &case.category),
                (
                    "u_location_not_listed",
                    if case.location_not_listed {
                        "true"
                    } else {
                        "false"
                    },
                ),
                (
                    "u_product_not_listed",
                    if case.product_not_listed {
                        "true"
                    } else {
                        "false"
                    },
                ),
            ],
            &opened_at,
            &opened_by,
        );
        set(&mut r, "sys_updated_on", updated_at.clone());
        let sys_id = super::store::get(&r, "sys_id").to_owned();
        let ids = [case.id.clone()];
        let watch: Vec<String> = store
            .watch_lists(scope, &ids)
            .await?
            .into_iter()
            .map(|w| {
                self.contact_emails
                    .get(&w.email)
                    .cloned()
                    .unwrap_or(w.email)
            })
            .collect();
        set(&mut r, "watch_list", watch.join(","));
        let mut writes = 0u64;
        let mut last_author = opened_by.clone();
        let mut after = None;
        loop {
            let request = PageRequest {
                first: 100,
                after: after.take(),
            };
            let page = store.activity(scope, &case.id, &request).await?;
            let next = page
                .has_next_page
                .then(|| page.end_cursor().map(str::to_owned))
                .flatten();
            for (_, a) in page.items {
                let author = self.author(&case.account_id, &a.author);
                let w = Writer {
                    user: &author,
                    now: time(a.created_at),
                };
                let wrote = match a.kind {
                    ActivityKind::Comment => {
                        self.tables.journal(CASE, &sys_id, "comments", &a.body, &w);
                        true
                    }
                    ActivityKind::StateChange => {
                        let (old, new) = parse_state_change(&a.body).unwrap_or(("10", state));
                        self.tables.audit(CASE, &sys_id, "state", old, new, &w);
                        true
                    }
                    ActivityKind::System => {
                        match parse_priority_change(&a.body) {
                            Some((new, old)) => {
                                self.tables.audit(CASE, &sys_id, "priority", &old, &new, &w)
                            }
                            None => self
                                .tables
                                .journal(CASE, &sys_id, "work_notes", &a.body, &w),
                        }
                        true
                    }
                    ActivityKind::WatchList => {
                        self.tables
                            .audit(CASE, &sys_id, "watch_list", "", &watch.join(","), &w);
                        true
                    }
                    ActivityKind::Attachment => false,
                };
                if wrote {
                    writes += 1;
                    last_author = author;
                }
            }
            match next {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        set(&mut r, "sys_mod_count", writes.to_string());
        set(&mut r, "sys_updated_by", last_author);
        self.tables.push(CASE, r);
        for att in store.attachments(scope, &ids).await? {
            let (_, stream) = store.attachment_content(scope, &att.id).await?;
            let chunks: Vec<bytes::Bytes> = stream.try_collect().await?;
            let data: bytes::Bytes = chunks.concat().into();
            let uploader = self.author(&case.account_id, &att.uploaded_by);
            let w = Writer {
                user: &uploader,
                now: time(att.created_at),
            };
            self.tables
                .add_attachment(
                    NewFile {
                        table_name: CASE,
                        table_sys_id: &sys_id,
                        file_name: &att.file_name,
                        content_type: &att.content_type,
                        data,
                    },
                    &w,
                )
                .map_err(|_| Error::Internal)?;
        }
        Ok(())
    }
}

/// "State changed from Open to Resolved" -> ("10", "6").
fn parse_state_change(body: &str) -> Option<(&'static str, &'static str)> {
    let rest = body.strip_prefix("State changed from ")?;
    let (old, new) = rest.split_once(" to ")?;
    Some((state_by_label(old)?, state_by_label(new)?))
}

/// "Priority 2 - High was 4 - Low" -> ("2", "4").
fn parse_priority_change(body: &str) -> Option<(String, String)> {
    let rest = body.strip_prefix("Priority ")?;
    let (new, old) = rest.split_once(" was ")?;
    let level = |s: &str| {
        s.split(" - ")
            .next()
            .filter(|n| n.parse::<u8>().is_ok())
            .map(str::to_owned)
    };
    Some((level(new)?, level(old)?))
}
