//! The support-case port, split by capability and by reads and writes:
//! [`CaseReads`] and [`CaseWrites`], [`CaseActivity`], [`WatchLists`] and
//! [`WatchListWrites`], [`CaseFiles`] and [`CaseFileWrites`]. [`CaseStore`]
//! is all of them; a backend implements each capability in its own file and
//! is a [`CaseStore`] without more. A decorator that changes only writes
//! implements the three write traits and [`ReadThrough`], which sends every
//! read to the store it wraps.

use async_trait::async_trait;

use super::{
    Activity, Attachment, ByteStream, Case, CaseFilter, CaseOrder, Catalog, Created, NewAttachment,
    NewCase, NewComment, WatchEntry,
};
use crate::{Actor, Page, PageRequest, Result, Scope};

/// The support-case port: every capability of a case backend.
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
pub trait CaseStore:
    CaseReads + CaseWrites + CaseActivity + WatchLists + WatchListWrites + CaseFiles + CaseFileWrites
{
}

impl<T> CaseStore for T where
    T: CaseReads
        + CaseWrites
        + CaseActivity
        + WatchLists
        + WatchListWrites
        + CaseFiles
        + CaseFileWrites
{
}

/// Finding cases: the catalog, lists, counts and look-ups. Part of [`CaseStore`], whose rules apply.
#[async_trait]
pub trait CaseReads: Send + Sync {
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

    /// A page of cases and how many match `filter` in all, for a list that
    /// shows both. The default asks for the two at once; a backend whose
    /// list answer carries the total overrides it to ask once.
    async fn list_and_count_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<(Page<Case>, u64)> {
        list_and_count_apart(self, scope, filter, order, page).await
    }

    /// The cases with these ids that are in scope, in any order.
    async fn cases_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Case>>;

    /// The case with this number.
    async fn case_by_number(&self, scope: &Scope, number: &str) -> Result<Case>;
}

/// A page and its total asked for side by side: the default of
/// [`CaseReads::list_and_count_cases`], and what a backend that answers
/// both in one request only for some lists does for the others.
pub async fn list_and_count_apart<S: CaseReads + ?Sized>(
    store: &S,
    scope: &Scope,
    filter: &CaseFilter,
    order: CaseOrder,
    page: &PageRequest,
) -> Result<(Page<Case>, u64)> {
    futures::try_join!(
        store.list_cases(scope, filter, order, page),
        store.count_cases(scope, filter)
    )
}

/// Opening, commenting on and canceling cases. Part of [`CaseStore`], whose rules apply.
#[async_trait]
pub trait CaseWrites: Send + Sync {
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
    /// closed or canceled; see [`CaseStore`]'s idempotency rules.
    async fn add_comment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        comment: NewComment,
    ) -> Result<Created<Activity>>;

    /// Cancels a case in a cancelable state; anything else is a conflict.
    async fn cancel_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        reason: Option<&str>,
    ) -> Result<Case>;
}

/// Reading activity streams. Part of [`CaseStore`], whose rules apply.
#[async_trait]
pub trait CaseActivity: Send + Sync {
    /// The case's activity stream, newest first.
    async fn activity(
        &self,
        scope: &Scope,
        case_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Activity>>;

    /// The newest activity entry of each of these cases (none for a case without any).
    async fn latest_activity(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Activity>>;

    /// Like [`Self::latest_activity`] for cases the caller has just read
    /// from this store in `scope`: a backend may use what the records carry
    /// instead of reading them again (it still answers nothing for a case
    /// outside `scope`). The default looks them up by id.
    async fn latest_activity_of(&self, scope: &Scope, cases: &[Case]) -> Result<Vec<Activity>> {
        let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
        self.latest_activity(scope, &ids).await
    }

    /// Activity across every case in scope, newest first.
    async fn recent_updates(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>>;
}

/// Who is notified of a case's updates. Part of [`CaseStore`], whose rules apply.
#[async_trait]
pub trait WatchLists: Send + Sync {
    /// The watch lists of these cases.
    async fn watch_lists(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<WatchEntry>>;
}

/// Changing who is notified. Part of [`CaseStore`], whose rules apply.
#[async_trait]
pub trait WatchListWrites: Send + Sync {
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
}

/// Files attached to cases. Part of [`CaseStore`], whose rules apply.
#[async_trait]
pub trait CaseFiles: Send + Sync {
    /// The attachments of these cases, oldest first.
    async fn attachments(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Attachment>>;

    /// An attachment's metadata and its content as a stream.
    async fn attachment_content(
        &self,
        scope: &Scope,
        attachment_id: &str,
    ) -> Result<(Attachment, ByteStream)>;
}

/// Adding, renaming and deleting files. Part of [`CaseStore`], whose rules apply.
#[async_trait]
pub trait CaseFileWrites: Send + Sync {
    /// Stores a file on a case that is not closed or canceled; see
    /// [`CaseStore`]'s idempotency rules (the input is the case, the file name, the
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
}

/// A case-store decorator that changes only writes. Implementing it (and
/// the write traits) makes the decorator a [`CaseStore`]: every read goes
/// unchanged to [`ReadThrough::reads`].
pub trait ReadThrough: Send + Sync {
    /// The store that answers reads.
    fn reads(&self) -> &dyn CaseStore;
}

#[async_trait]
impl<T: ReadThrough> CaseReads for T {
    fn backend(&self) -> &'static str {
        self.reads().backend()
    }

    async fn catalog(&self) -> Result<std::sync::Arc<Catalog>> {
        self.reads().catalog().await
    }

    async fn list_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<Page<Case>> {
        self.reads().list_cases(scope, filter, order, page).await
    }

    async fn count_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<u64> {
        self.reads().count_cases(scope, filter).await
    }

    async fn list_and_count_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<(Page<Case>, u64)> {
        self.reads()
            .list_and_count_cases(scope, filter, order, page)
            .await
    }

    async fn cases_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Case>> {
        self.reads().cases_by_ids(scope, ids).await
    }

    async fn case_by_number(&self, scope: &Scope, number: &str) -> Result<Case> {
        self.reads().case_by_number(scope, number).await
    }
}

#[async_trait]
impl<T: ReadThrough> CaseActivity for T {
    async fn activity(
        &self,
        scope: &Scope,
        case_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Activity>> {
        self.reads().activity(scope, case_id, page).await
    }

    async fn latest_activity(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Activity>> {
        self.reads().latest_activity(scope, case_ids).await
    }

    async fn latest_activity_of(&self, scope: &Scope, cases: &[Case]) -> Result<Vec<Activity>> {
        self.reads().latest_activity_of(scope, cases).await
    }

    async fn recent_updates(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>> {
        self.reads().recent_updates(scope, page).await
    }
}

#[async_trait]
impl<T: ReadThrough> WatchLists for T {
    async fn watch_lists(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<WatchEntry>> {
        self.reads().watch_lists(scope, case_ids).await
    }
}

#[async_trait]
impl<T: ReadThrough> CaseFiles for T {
    async fn attachments(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Attachment>> {
        self.reads().attachments(scope, case_ids).await
    }

    async fn attachment_content(
        &self,
        scope: &Scope,
        attachment_id: &str,
    ) -> Result<(Attachment, ByteStream)> {
        self.reads().attachment_content(scope, attachment_id).await
    }
}
