//! The fake's datasets: [`Dataset::empty`] (choices, the integration user,
//! agents) and [`Dataset::demo`], the SQL adapter's demo data converted to
//! the instance profile's tables.
//!
//! `demo` reads a store holding the SQL adapter's seed (a throw-away SQLite
//! database, made by the caller) only through the public ports
//! (`AccountStore`, `CaseStore`), so the fakes do not depend on the SQL
//! adapter. Carried over:
//! - accounts (number = portal account id), locations (whole address in
//!   `street`), products, contacts (`customer_contact`, user_name = e-mail;
//!   a person who is a contact of several accounts gets one row per account,
//!   the later ones with user_name `<email>.<account number>`);
//! - the catalog as `sys_choice` rows (u_case_type, u_support_case_type,
//!   category) plus the state and priority choices;
//! - cases with fresh sys_ids, the same numbers, states (New 1, Open 10,
//!   Awaiting Info 18, Resolved 6, Closed 3, Canceled 7), priorities,
//!   texts, catalog codes, location/product/contact, "not listed" flags,
//!   opened/updated/resolved times (closed_at = updated time for closed and
//!   canceled cases, which get close notes and a resolution code);
//! - activity: comments as `sys_journal_field` comments by their author's
//!   user (contacts by e-mail, agents by their agent user, anyone else by a
//!   `sys_user` row made for the name); state changes as `sys_audit` state
//!   rows; "Priority X was Y" as `sys_audit` priority rows; other system
//!   posts ("Case created", "Case Assigned") as internal work notes; watch
//!   list entries as `sys_audit` watch_list rows;
//! - watch lists (contacts by sys_id, other addresses as e-mail) and
//!   attachments (`sys_attachment` rows and content).
//!
//! Not carried over: portal users without a contact row, entitlements and
//! roles (the gateway's business), idempotency keys, and attachment
//! activity entries (the `sys_attachment` rows stand for them). Accounts
//! beyond the two demo ones are found by the numbers the SQL seed gives
//! them (`demo::account_numbers`); the ports offer no way to list accounts.

use chrono::{DateTime, Utc};
use switchboard_core::Error;
use switchboard_core::cases::{CaseState, Priority};

use super::demo::DemoSource;
use super::schema::{self, CASE, CHOICE, USER};
use super::store::{Record, Tables, format_time, new_sys_id, set};

/// The integration user the adapter authenticates as.
pub(crate) const INTEGRATION_USER: &str = "switchboard.integration";

/// The agents every dataset has: (user_name, name).
pub const DEMO_AGENTS: &[(&str, &str)] = &[
    ("chris.support", "Chris (TPx Support)"),
    ("morgan.noc", "Morgan (TPx NOC)"),
    ("lee.billing", "Lee (TPx Billing)"),
    ("robin.support", "Robin (TPx Support)"),
];

/// Case types customers may not open in the demo catalog (adapter configuration).
pub const DEMO_PROACTIVE_CASE_TYPES: &[&str] = &["CUSTOMER_HEALTH"];

/// The case states: (value, label).
pub(super) const STATES: &[(&str, &str)] = &[
    ("1", "New"),
    ("10", "Open"),
    ("18", "Awaiting Info"),
    ("6", "Resolved"),
    ("3", "Closed"),
    ("7", "Canceled"),
];

/// Tables of records for [`super::FakeServiceNow::start`].
#[derive(Debug, Clone)]
pub struct Dataset {
    tables: Tables,
}

pub(super) fn state_value(state: CaseState) -> &'static str {
    match state {
        CaseState::New => "1",
        CaseState::Open => "10",
        CaseState::AwaitingInfo => "18",
        CaseState::Resolved => "6",
        CaseState::Closed => "3",
        CaseState::Canceled => "7",
    }
}

pub(super) fn state_by_label(label: &str) -> Option<&'static str> {
    STATES
        .iter()
        .find(|(_, l)| *l == label.trim())
        .map(|(v, _)| *v)
}

pub(super) fn time(t: DateTime<Utc>) -> String {
    format_time(t)
}

/// A row of `table` with these fields set and system stamps at `at` by `by`.
pub(super) fn row(table: &str, fields: &[(&str, &str)], at: &str, by: &str) -> Record {
    let def = schema::table(table).expect("a table of the profile");
    let mut r = Tables::blank(def, &new_sys_id());
    for (f, v) in fields {
        set(&mut r, f, *v);
    }
    for (f, v) in [
        ("sys_created_on", at),
        ("sys_updated_on", at),
        ("sys_created_by", by),
        ("sys_updated_by", by),
    ] {
        set(&mut r, f, v);
    }
    r
}

pub(super) fn choice(
    element: &str,
    value: &str,
    label: &str,
    sequence: usize,
    dependent: &str,
    hint: &str,
) -> Record {
    row(
        CHOICE,
        &[
            ("name", CASE),
            ("element", element),
            ("value", value),
            ("label", label),
            ("sequence", &sequence.to_string()),
            ("dependent_value", dependent),
            ("inactive", "false"),
            ("language", "en"),
            ("hint", hint),
        ],
        "2020-01-01 00:00:00",
        "admin",
    )
}

pub(super) fn user(user_name: &str, name: &str, email: &str) -> Record {
    let (first, last) = name.split_once(' ').unwrap_or((name, ""));
    row(
        USER,
        &[
            ("user_name", user_name),
            ("name", name),
            ("first_name", first),
            ("last_name", last),
            ("email", email),
            ("active", "true"),
            ("sys_class_name", USER),
        ],
        "2020-01-01 00:00:00",
        "admin",
    )
}

impl Dataset {
    /// Only `sys_choice` (states, priorities), the integration user and the agents.
    pub fn empty() -> Self {
        let mut tables = Tables::default();
        for (i, (value, label)) in STATES.iter().enumerate() {
            tables.push(CHOICE, choice("state", value, label, i + 1, "", ""));
        }
        for p in Priority::ALL {
            let level = p.level().to_string();
            tables.push(
                CHOICE,
                choice("priority", &level, &p.label(), p.level() as usize, "", ""),
            );
        }
        tables.push(
            USER,
            user(
                INTEGRATION_USER,
                "Switchboard Integration",
                "switchboard.integration@example.invalid",
            ),
        );
        for (user_name, name) in DEMO_AGENTS {
            tables.push(
                USER,
                user(user_name, name, &format!("{user_name}@tpx.example")),
            );
        }
        Self { tables }
    }

    pub(crate) fn into_tables(self) -> Tables {
        self.tables
    }

    /// The demo data of `source`'s first `accounts` accounts (the SQL
    /// adapter's seed, read through its ports) converted to the profile's
    /// tables.
    pub async fn demo(source: &dyn DemoSource, accounts: usize) -> Result<Self, Error> {
        let tables = super::demo::convert(Self::empty().tables, source, accounts).await?;
        Ok(Self { tables })
    }
}
