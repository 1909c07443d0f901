//! Support cases: the records, their catalog and the [`CaseStore`] port.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use crate::{Actor, Page, PageRequest, Result, Scope};

/// Where a case is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseState {
    /// Submitted, not yet taken up.
    New,
    /// Being worked on.
    Open,
    /// Waiting for the customer.
    AwaitingInfo,
    /// Solved; closes by itself later.
    Resolved,
    /// Closed for good.
    Closed,
    /// Withdrawn by the customer.
    Canceled,
}

impl CaseState {
    /// Every state, in life-cycle order (the order `orderBy: STATE` uses).
    pub const ALL: [CaseState; 6] = [
        CaseState::New,
        CaseState::Open,
        CaseState::AwaitingInfo,
        CaseState::Resolved,
        CaseState::Closed,
        CaseState::Canceled,
    ];

    /// The stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::New => "NEW",
            CaseState::Open => "OPEN",
            CaseState::AwaitingInfo => "AWAITING_INFO",
            CaseState::Resolved => "RESOLVED",
            CaseState::Closed => "CLOSED",
            CaseState::Canceled => "CANCELED",
        }
    }

    /// The human label the portal shows.
    pub fn label(self) -> &'static str {
        match self {
            CaseState::New => "New",
            CaseState::Open => "Open",
            CaseState::AwaitingInfo => "Awaiting Info",
            CaseState::Resolved => "Resolved",
            CaseState::Closed => "Closed",
            CaseState::Canceled => "Canceled",
        }
    }

    /// A small integer in life-cycle order, for storage and sorting.
    pub fn rank(self) -> i16 {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0) as i16 + 1
    }

    /// The inverse of [`CaseState::rank`].
    pub fn from_rank(rank: i16) -> Option<Self> {
        usize::try_from(rank - 1)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }

    /// Whether the customer may still cancel a case in this state.
    pub fn cancelable(self) -> bool {
        matches!(
            self,
            CaseState::New | CaseState::Open | CaseState::AwaitingInfo
        )
    }

    /// Whether the case is still being worked (the overview's "open" snapshot).
    pub fn is_active(self) -> bool {
        self.cancelable()
    }
}

/// How urgent a case is: 1 is the most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// 1 - Critical
    Critical,
    /// 2 - High
    High,
    /// 3 - Moderate
    Moderate,
    /// 4 - Low
    Low,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] = [
        Priority::Critical,
        Priority::High,
        Priority::Moderate,
        Priority::Low,
    ];

    /// 1 for critical … 4 for low.
    pub fn level(self) -> i16 {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(3) as i16 + 1
    }

    /// The inverse of [`Priority::level`].
    pub fn from_level(level: i16) -> Option<Self> {
        usize::try_from(level - 1)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }

    /// The label the activity stream uses, e.g. `2 - High`.
    pub fn label(self) -> String {
        let name = match self {
            Priority::Critical => "Critical",
            Priority::High => "High",
            Priority::Moderate => "Moderate",
            Priority::Low => "Low",
        };
        format!("{} - {name}", self.level())
    }
}

/// A support case as the portal shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The backend's id of the case.
    pub id: String,
    /// `CS` followed by 11 digits.
    pub number: String,
    /// The account it belongs to.
    pub account_id: String,
    /// Life-cycle state.
    pub state: CaseState,
    /// Urgency.
    pub priority: Priority,
    /// Short title.
    pub title: String,
    /// The customer's description.
    pub description: String,
    /// Catalog code of the case type.
    pub case_type: String,
    /// Catalog code of the support case type.
    pub support_case_type: String,
    /// Catalog code of the category.
    pub category: String,
    /// The service location, unless the customer said it is not listed.
    pub location_id: Option<String>,
    /// The customer could not find the location.
    pub location_not_listed: bool,
    /// The affected product, unless the customer said it is not listed.
    pub product_id: Option<String>,
    /// The customer could not find the product.
    pub product_not_listed: bool,
    /// The case's contact.
    pub contact_id: Option<String>,
    /// Display name of whoever opened the case.
    pub opened_by: String,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was resolved, if it was.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Fields a case list can be ordered by. Ties are always broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseOrderField {
    /// Case number.
    Number,
    /// Opening time.
    Opened,
    /// Last update time.
    Updated,
    /// Life-cycle state ([`CaseState::rank`]).
    State,
    /// Priority level.
    Priority,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// An ordering of a case list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaseOrder {
    /// The field to sort by.
    pub field: CaseOrderField,
    /// The direction.
    pub direction: Direction,
}

impl Default for CaseOrder {
    /// Most recently updated first.
    fn default() -> Self {
        Self {
            field: CaseOrderField::Updated,
            direction: Direction::Desc,
        }
    }
}

/// A closed interval of time; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// Inclusive lower bound.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub to: Option<DateTime<Utc>>,
}

/// Which cases a list includes. Empty lists mean "no restriction".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Only these states.
    pub states: Vec<CaseState>,
    /// Only these accounts (always narrowed to the caller's scope).
    pub accounts: Vec<String>,
    /// Only these locations.
    pub locations: Vec<String>,
    /// Only these case type codes.
    pub case_types: Vec<String>,
    /// Only these category codes.
    pub categories: Vec<String>,
    /// Only these priorities.
    pub priorities: Vec<Priority>,
    /// Opened within this range.
    pub opened: TimeRange,
    /// Last updated within this range.
    pub updated: TimeRange,
    /// Free text: a case number (exact or prefix) or words that must all
    /// appear in the title or description, case-insensitively.
    pub text: Option<String>,
}

/// What a customer supplies to open a case. Validated by
/// [`crate::validate::new_case`] against the catalog before it is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCase {
    /// The account the case is for; must be in scope.
    pub account_id: String,
    /// Case type code.
    pub case_type: String,
    /// Support case type code; may be omitted when the case type has one.
    pub support_case_type: Option<String>,
    /// Category code; must belong to the support case type.
    pub category: String,
    /// Short title; the category's name when omitted.
    pub title: Option<String>,
    /// Problem description (required).
    pub description: String,
    /// Urgency; low when omitted.
    pub priority: Option<Priority>,
    /// Service location, or `location_not_listed`.
    pub location_id: Option<String>,
    /// The location is not in the list.
    pub location_not_listed: bool,
    /// Affected product, or `product_not_listed`.
    pub product_id: Option<String>,
    /// The product is not in the list.
    pub product_not_listed: bool,
    /// Contact; the caller's own contact when omitted.
    pub contact_id: Option<String>,
    /// Extra email addresses to notify.
    pub watch_list: Vec<String>,
    /// A client-chosen key: a create retried with the same key returns the
    /// first case instead of opening another.
    pub idempotency_key: Option<String>,
}

/// The result of a write an idempotency key makes safe to retry (a create,
/// a comment, an upload): the record, and whether an earlier write under
/// the same key made it, in which case nothing was written and no event is
/// published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created<T> {
    /// The record.
    pub record: T,
    /// True when an earlier write with the same key made it.
    pub replayed: bool,
}

/// A customer comment to add to a case's activity stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewComment {
    /// The text; stored trimmed (see [`crate::validate::comment`]).
    pub body: String,
    /// A client-chosen key: a comment retried with the same key returns the
    /// first comment instead of posting another.
    pub idempotency_key: Option<String>,
}

impl NewComment {
    /// A comment with `body` and no idempotency key.
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            idempotency_key: None,
        }
    }
}

/// The kinds of entry in a case's activity stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    /// A comment by a person.
    Comment,
    /// A post by the system ("Case Assigned", "Priority 2 - High was 4 - Low").
    System,
    /// The state changed.
    StateChange,
    /// An attachment was added, renamed or removed.
    Attachment,
    /// The watch list changed.
    WatchList,
}

impl ActivityKind {
    /// Every kind.
    pub const ALL: [ActivityKind; 5] = [
        ActivityKind::Comment,
        ActivityKind::System,
        ActivityKind::StateChange,
        ActivityKind::Attachment,
        ActivityKind::WatchList,
    ];

    /// The stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Comment => "COMMENT",
            ActivityKind::System => "SYSTEM",
            ActivityKind::StateChange => "STATE_CHANGE",
            ActivityKind::Attachment => "ATTACHMENT",
            ActivityKind::WatchList => "WATCH_LIST",
        }
    }

    /// Parses [`ActivityKind::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry of a case's activity stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The entry's id.
    pub id: String,
    /// The case it belongs to.
    pub case_id: String,
    /// That case's number.
    pub case_number: String,
    /// What kind of entry.
    pub kind: ActivityKind,
    /// Who wrote it (`System` for system posts).
    pub author: String,
    /// The text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// One address on a case's watch list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEntry {
    /// The case.
    pub case_id: String,
    /// The address notified.
    pub email: String,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

/// A file attached to a case (metadata; the content is read separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The attachment's id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// File name shown to users.
    pub file_name: String,
    /// Media type as uploaded.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A file to attach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAttachment {
    /// File name as the client sent it.
    pub file_name: String,
    /// Media type as the client sent it.
    pub content_type: String,
    /// The content.
    pub data: Bytes,
    /// A client-chosen key: an upload retried with the same key returns the
    /// first attachment instead of storing the file again.
    pub idempotency_key: Option<String>,
}

/// A stream of an attachment's content, chunk by chunk.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// A category of a support case type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Stable code.
    pub code: String,
    /// Name shown to users.
    pub name: String,
}

/// A support case type and its categories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportCaseType {
    /// Stable code.
    pub code: String,
    /// Name shown to users.
    pub name: String,
    /// Its categories, in display order.
    pub categories: Vec<Category>,
}

/// A case type (the first choice on the case form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseType {
    /// Stable code.
    pub code: String,
    /// Name shown to users.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether customers may open cases of this type (proactive types are
    /// opened by the provider).
    pub customer_creatable: bool,
    /// The support case types offered under it, in display order.
    pub support_case_types: Vec<SupportCaseType>,
}

/// Everything the case form offers, served by the backend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Case types in display order.
    pub case_types: Vec<CaseType>,
}

impl Catalog {
    /// The case type with `code`.
    pub fn case_type(&self, code: &str) -> Option<&CaseType> {
        self.case_types.iter().find(|t| t.code == code)
    }

    /// The support case type with `code`, under any case type.
    pub fn support_case_type(&self, code: &str) -> Option<&SupportCaseType> {
        self.case_types
            .iter()
            .flat_map(|t| &t.support_case_types)
            .find(|s| s.code == code)
    }

    /// The category with `code`, under any support case type.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.case_types
            .iter()
            .flat_map(|t| &t.support_case_types)
            .flat_map(|s| &s.categories)
            .find(|c| c.code == code)
    }
}

/// The support-case port.
///
/// Guarantees every implementation gives (checked by the conformance suite):
/// - every method filters by the [`Scope`]; a case outside it is
///   [`crate::Error::NotFound`], never [`crate::Error::Forbidden`];
/// - lists are ordered exactly as asked, ties broken by id, and a cursor
///   from a page resumes right after its item even when rows are added;
/// - writes append to the activity stream and bump `updated_at`;
/// - creates, comments and uploads take an optional idempotency key (1 to
///   [`crate::validate::MAX_IDEMPOTENCY_KEY_CHARS`] characters; otherwise
///   [`crate::Error::InvalidInput`] on field `idempotencyKey`, or
///   `input.idempotencyKey` for a create). Keys belong to the actor
///   (its `user_id`) and to the kind of write: one key may name one case,
///   one comment and one upload of that actor, and other actors' keys never
///   interfere. A write whose key the actor already used for that kind:
///   - with the same input (same case, same normalised content) returns the
///     first record with `replayed = true` and writes nothing, even if the
///     case has since stopped accepting writes; when that case is outside
///     the [`Scope`] it is [`crate::Error::NotFound`], as always;
///   - with other input is [`crate::Error::Conflict`] and writes nothing.
///
///   Concurrent retries under one key make exactly one record: one of them
///   reports `replayed = false`, the others the same record with
///   `replayed = true`.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// The backend's name for logs and errors (`sql`, `servicenow`).
    fn backend(&self) -> &'static str;

    /// The case form's catalog. Backends may cache it briefly; it is shared,
    /// not copied, by the many fields that name catalog entries.
    async fn catalog(&self) -> Result<std::sync::Arc<Catalog>>;

    /// One page of cases matching `filter`, in `order`.
    async fn list_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<Page<Case>>;

    /// How many cases match `filter`.
    async fn count_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<u64>;

    /// The cases with these ids that are in scope, in any order.
    async fn cases_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Case>>;

    /// The case with this number.
    async fn case_by_number(&self, scope: &Scope, number: &str) -> Result<Case>;

    /// Opens a case. The store validates the input itself (with
    /// [`crate::validate::new_case`] against its catalog) and checks the
    /// references (location, product, contact) against the account.
    async fn create_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        new: NewCase,
    ) -> Result<Created<Case>>;

    /// Adds a customer comment (its body validated with
    /// [`crate::validate::comment`] on field `body`) to a case that is not
    /// closed or canceled; see the trait's idempotency rules.
    async fn add_comment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        comment: NewComment,
    ) -> Result<Created<Activity>>;

    /// The case's activity stream, newest first.
    async fn activity(
        &self,
        scope: &Scope,
        case_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Activity>>;

    /// The newest activity entry of each of these cases (none for a case without any).
    async fn latest_activity(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Activity>>;

    /// Activity across every case in scope, newest first.
    async fn recent_updates(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>>;

    /// The watch lists of these cases.
    async fn watch_lists(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<WatchEntry>>;

    /// Adds addresses to a watch list (already present ones are kept once);
    /// returns the whole list.
    async fn add_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
    ) -> Result<Vec<WatchEntry>>;

    /// Removes addresses from a watch list; returns the whole list.
    async fn remove_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
    ) -> Result<Vec<WatchEntry>>;

    /// Cancels a case in a cancelable state; anything else is a conflict.
    async fn cancel_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        reason: Option<&str>,
    ) -> Result<Case>;

    /// The attachments of these cases, oldest first.
    async fn attachments(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Attachment>>;

    /// Stores a file on a case that is not closed or canceled; see the
    /// trait's idempotency rules (the input is the case, the file name, the
    /// media type and the content). A replay whose attachment has since been
    /// deleted is [`crate::Error::NotFound`]; the file is not stored again.
    async fn add_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        file: NewAttachment,
    ) -> Result<Created<Attachment>>;

    /// Renames an attachment.
    async fn rename_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        attachment_id: &str,
        file_name: &str,
    ) -> Result<Attachment>;

    /// Deletes an attachment; returns what it was.
    async fn delete_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        attachment_id: &str,
    ) -> Result<Attachment>;

    /// An attachment's metadata and its content as a stream.
    async fn attachment_content(
        &self,
        scope: &Scope,
        attachment_id: &str,
    ) -> Result<(Attachment, ByteStream)>;
}
