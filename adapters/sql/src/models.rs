//! Rows as diesel reads and writes them, and their conversion to domain types.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use switchboard_core::Error;
use switchboard_core::cases::{
    Activity, ActivityKind, Attachment, Case, CaseState, Priority, WatchEntry,
};
use switchboard_core::directory::{Account, Contact, Location, Product};

use crate::schema::*;

/// Now, to the microsecond (what both databases keep).
pub(crate) fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub(crate) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Parses one of our ids; anything else cannot exist.
pub(crate) fn parse_id(id: &str) -> Option<i64> {
    id.parse().ok()
}

pub(crate) fn parse_ids(ids: &[String]) -> Vec<i64> {
    ids.iter().filter_map(|id| parse_id(id)).collect()
}

/// Lower-case hex of `bytes` (digests are stored this way).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The case number for a row id: `CS` and 11 digits.
pub(crate) fn case_number(id: i64) -> String {
    format!("CS{:011}", 1_600_000 + id)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cases)]
pub(crate) struct CaseRow {
    pub id: i64,
    pub number: String,
    pub account_id: String,
    pub state: i16,
    pub priority: i16,
    pub title: String,
    pub description: String,
    pub case_type: String,
    pub support_case_type: String,
    pub category: String,
    pub location_id: Option<i64>,
    pub location_not_listed: bool,
    pub product_id: Option<i64>,
    pub product_not_listed: bool,
    pub contact_id: Option<i64>,
    pub opened_by: String,
    pub opened_by_subject: String,
    pub opened_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
}

impl CaseRow {
    pub fn state(&self) -> CaseState {
        CaseState::from_rank(self.state).unwrap_or(CaseState::Open)
    }

    pub fn into_domain(self) -> Case {
        Case {
            id: self.id.to_string(),
            state: self.state(),
            priority: Priority::from_level(self.priority).unwrap_or(Priority::Low),
            number: self.number,
            account_id: self.account_id,
            title: self.title,
            description: self.description,
            case_type: self.case_type,
            support_case_type: self.support_case_type,
            category: self.category,
            location_id: self.location_id.map(|i| i.to_string()),
            location_not_listed: self.location_not_listed,
            product_id: self.product_id.map(|i| i.to_string()),
            product_not_listed: self.product_not_listed,
            contact_id: self.contact_id.map(|i| i.to_string()),
            opened_by: self.opened_by,
            opened_at: utc(self.opened_at),
            updated_at: utc(self.updated_at),
            resolved_at: self.resolved_at.map(utc),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = case_activities)]
pub(crate) struct ActivityRow {
    pub id: i64,
    pub case_id: i64,
    pub kind: String,
    pub author: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

impl ActivityRow {
    pub fn into_domain(self, case_number: String) -> Activity {
        Activity {
            id: self.id.to_string(),
            case_id: self.case_id.to_string(),
            case_number,
            kind: ActivityKind::parse(&self.kind).unwrap_or(ActivityKind::System),
            author: self.author,
            body: self.body,
            created_at: utc(self.created_at),
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = case_activities)]
pub(crate) struct NewActivityRow {
    pub case_id: i64,
    pub account_id: String,
    pub kind: String,
    pub author: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

impl NewActivityRow {
    pub fn new(
        case_id: i64,
        account_id: &str,
        kind: ActivityKind,
        author: &str,
        body: impl Into<String>,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            case_id,
            account_id: account_id.to_string(),
            kind: kind.as_str().to_string(),
            author: author.to_string(),
            body: body.into(),
            created_at: at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_watchers)]
pub(crate) struct WatcherRow {
    pub case_id: i64,
    pub email: String,
    pub added_at: NaiveDateTime,
}

impl WatcherRow {
    pub fn into_domain(self) -> WatchEntry {
        WatchEntry {
            case_id: self.case_id.to_string(),
            email: self.email,
            added_at: utc(self.added_at),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub(crate) struct AttachmentRow {
    pub id: i64,
    pub case_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: NaiveDateTime,
}

impl AttachmentRow {
    pub fn into_domain(self) -> Attachment {
        Attachment {
            id: self.id.to_string(),
            case_id: self.case_id.to_string(),
            file_name: self.file_name,
            content_type: self.content_type,
            size_bytes: self.size_bytes.max(0) as u64,
            sha256: self.sha256,
            uploaded_by: self.uploaded_by,
            created_at: utc(self.created_at),
        }
    }
}

/// One idempotency key of a comment or an upload, and what it made.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = write_keys)]
pub(crate) struct WriteKeyRow {
    pub actor_subject: String,
    pub kind: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub case_id: i64,
    pub record_id: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
pub(crate) struct AccountRow {
    pub id: String,
    pub name: String,
}

impl AccountRow {
    pub fn into_domain(self) -> Account {
        Account {
            id: self.id,
            name: self.name,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = locations)]
pub(crate) struct LocationRow {
    pub id: i64,
    pub account_id: String,
    pub customer_location_id: String,
    pub name: String,
    pub address: String,
}

impl LocationRow {
    pub fn into_domain(self) -> Location {
        Location {
            id: self.id.to_string(),
            account_id: self.account_id,
            customer_location_id: self.customer_location_id,
            name: self.name,
            address: self.address,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = products)]
pub(crate) struct ProductRow {
    pub id: i64,
    pub account_id: String,
    pub location_id: Option<i64>,
    pub name: String,
}

impl ProductRow {
    pub fn into_domain(self) -> Product {
        Product {
            id: self.id.to_string(),
            account_id: self.account_id,
            location_id: self.location_id.map(|i| i.to_string()),
            name: self.name,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contacts)]
pub(crate) struct ContactRow {
    pub id: i64,
    pub account_id: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

impl ContactRow {
    pub fn into_domain(self) -> Contact {
        Contact {
            id: self.id.to_string(),
            account_id: self.account_id,
            name: self.name,
            email: self.email,
            phone: self.phone,
        }
    }
}

/// Error for a case id that is missing or outside the scope.
pub(crate) fn case_not_found(id: &str) -> Error {
    Error::not_found(format!("case {id}"))
}
