//! The case that tracks a change request, when cases live outside the
//! gateway's database ([`RequestCases`]).
//!
//! Toll-free numbers and their change requests always live in the
//! gateway's database. Their case lives wherever cases do: in the same
//! database (the request and its case are written in one transaction), or
//! in an external case backend such as ServiceNow. In the second case the
//! toll-free store opens the case through this port before it writes the
//! request, and resolves it through this port when an operator decides.

use async_trait::async_trait;

use super::ChangeStatus;
use crate::{Actor, Result, Scope};

/// A case catalog entry: case type, support case type and category codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The case type's code.
    pub case_type: &'static str,
    /// The support case type's code.
    pub support_case_type: &'static str,
    /// The category's code.
    pub category: &'static str,
}

/// Where a change request's case is filed: Change Existing Service, Make a
/// change to my service, Toll Free Ring To.
pub const CASE_TYPE: CatalogEntry = CatalogEntry {
    case_type: "CHANGE_EXISTING_SERVICE",
    support_case_type: "MAKE_A_CHANGE",
    category: "TOLL_FREE_RING_TO",
};

/// The note a decision leaves on its request's case (the case's activity
/// entry on SQL, the resolution note and a comment elsewhere).
pub fn decision_note(status: ChangeStatus, reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("Ring-to change request {}: {r}", status.as_str()),
        None => format!("Ring-to change request {}", status.as_str()),
    }
}

/// The note that resolves a case whose request could not be written after
/// the case was opened (its numbers changed in the meantime).
pub const NOT_SUBMITTED_NOTE: &str = "Ring-to change request not submitted: the numbers \
     changed while it was being submitted, so nothing will be changed. Review the numbers \
     and submit again.";

/// The case to open for a change request, on behalf of the submitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequestCase {
    /// The account whose numbers change.
    pub account_id: String,
    /// The case's title.
    pub title: String,
    /// The requested changes, as text.
    pub description: String,
    /// A key, unique to the submitter and their submit: opening again with
    /// the same key and input answers the first case and opens nothing.
    /// None when the client sent no idempotency key.
    pub key: Option<String>,
}

/// A case opened (or found again) for a change request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCase {
    /// The backend's id of the case.
    pub id: String,
    /// Its number, shown to the customer.
    pub number: String,
    /// False when the case is already resolved, closed or canceled: the
    /// key found an earlier case whose request was never written.
    pub open: bool,
}

/// The cases of change requests in an external case backend.
///
/// Guarantees:
/// - [`RequestCases::open`] files the case under [`CASE_TYPE`] with low
///   priority, for the submitter on `account_id` (which must be in
///   `scope`, else [`crate::Error::NotFound`]), and is idempotent under
///   [`NewRequestCase::key`]: a retry with the same key, even after an
///   answer was lost, answers the same case; the same key with other input
///   is a [`crate::Error::Conflict`];
/// - [`RequestCases::resolve`] resolves the case with `note` as its
///   resolution and a customer-visible comment, recorded as `author`'s;
///   repeating it with the same note changes nothing, and a case already
///   closed or canceled is left as it is.
#[async_trait]
pub trait RequestCases: Send + Sync {
    /// The backend's name for logs and errors.
    fn backend(&self) -> &'static str;

    /// Opens (or finds again, under its key) the case of a new request.
    async fn open(&self, scope: &Scope, actor: &Actor, case: NewRequestCase)
    -> Result<RequestCase>;

    /// Resolves the case `case_id` with `note`. This is the provisioning
    /// side's action, so it takes no customer scope.
    async fn resolve(&self, author: &Actor, case_id: &str, note: &str) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_notes_name_the_outcome_and_the_reason() {
        assert_eq!(
            decision_note(ChangeStatus::Completed, Some("provisioned")),
            "Ring-to change request COMPLETED: provisioned"
        );
        assert_eq!(
            decision_note(ChangeStatus::Rejected, None),
            "Ring-to change request REJECTED"
        );
    }
}
