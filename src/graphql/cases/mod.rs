//! Support cases: types, queries, mutations and the case-event
//! subscription. Resolvers stay thin: they read the caller, call a port or
//! a loader, and map the result.

mod catalog;
mod connection;
mod mutation;
mod nodes;
mod query;
mod subscription;

use async_graphql::{Enum, ID, InputObject, Result};
use serde::{Deserialize, Serialize};
use switchboard_core::cases::{self as core, TimeRange};
use switchboard_core::{Error, validate};

use super::errors::to_gql;
use super::pagination::{DateRangeInput, OrderDirection};

pub use catalog::{CaseCatalog, CatalogEntry};
pub use connection::{ActivityConnection, CaseConnection};
pub use mutation::{CaseMutation, CreateCaseInput, CreateCasePayload};
pub use nodes::{ActivityNode, AttachmentNode, CaseNode, WatchListEntry};
pub use query::CaseQuery;
pub use subscription::{CaseEvent, CaseSubscription};

/// Where a case is in its life.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "switchboard_core::cases::CaseState")]
pub enum CaseState {
    /// Submitted, not yet taken up.
    New,
    /// Being worked on.
    Open,
    /// Waiting for the customer.
    AwaitingInfo,
    /// Solved.
    Resolved,
    /// Closed for good.
    Closed,
    /// Withdrawn by the customer.
    Canceled,
}

/// How urgent a case is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "switchboard_core::cases::Priority")]
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

/// Fields a case list can be ordered by; ties are broken by id.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "switchboard_core::cases::CaseOrderField")]
pub enum CaseOrderField {
    /// Case number.
    Number,
    /// Opening time.
    Opened,
    /// Last update.
    Updated,
    /// Life-cycle state (NEW first).
    State,
    /// Priority (CRITICAL first).
    Priority,
}

/// Kinds of activity entry.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::cases::ActivityKind")]
pub enum ActivityKind {
    /// A person's comment.
    Comment,
    /// A system post ("Case Assigned").
    System,
    /// The state changed.
    StateChange,
    /// An attachment was added, renamed or removed.
    Attachment,
    /// The watch list changed.
    WatchList,
}

/// What happened to a case.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::CaseEventKind")]
pub enum CaseEventKind {
    /// Opened.
    Created,
    /// Changed.
    Updated,
    /// A comment was added.
    CommentAdded,
    /// A file was attached.
    AttachmentAdded,
    /// A file was removed.
    AttachmentRemoved,
    /// The watch list changed.
    WatchListChanged,
    /// Canceled.
    Canceled,
}

/// Most values one filter list may hold.
pub const MAX_FILTER_VALUES: usize = 100;

/// Which cases a list includes. Omitted fields do not restrict.
#[derive(InputObject, Clone, Debug, Default, Serialize, Deserialize)]
#[graphql(name = "CaseFilter")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseFilterInput {
    /// Only these states (the portal's support list starts with `[NEW]`).
    pub states: Option<Vec<CaseState>>,
    /// Only these accounts (ids outside the caller's accounts match nothing).
    pub account_ids: Option<Vec<ID>>,
    /// Only these locations.
    pub location_ids: Option<Vec<ID>>,
    /// Only these case type codes.
    pub case_types: Option<Vec<String>>,
    /// Only these category codes.
    pub categories: Option<Vec<String>>,
    /// Only these priorities.
    pub priorities: Option<Vec<Priority>>,
    /// Opened within this range.
    pub opened: Option<DateRangeInput>,
    /// Last updated within this range.
    pub updated: Option<DateRangeInput>,
    /// A case number (or its prefix), or words to find in title and description.
    pub text: Option<String>,
}

impl CaseFilterInput {
    /// The port's filter.
    pub fn to_core(&self) -> core::CaseFilter {
        let range = |r: &Option<DateRangeInput>| {
            r.as_ref().map_or_else(TimeRange::default, |r| TimeRange {
                from: r.from,
                to: r.to,
            })
        };
        let ids = |v: &Option<Vec<ID>>| v.iter().flatten().map(|id| id.to_string()).collect();
        core::CaseFilter {
            states: self.states.iter().flatten().map(|s| (*s).into()).collect(),
            accounts: ids(&self.account_ids),
            locations: ids(&self.location_ids),
            case_types: self.case_types.clone().unwrap_or_default(),
            categories: self.categories.clone().unwrap_or_default(),
            priorities: self
                .priorities
                .iter()
                .flatten()
                .map(|p| (*p).into())
                .collect(),
            opened: range(&self.opened),
            updated: range(&self.updated),
            text: self.text.clone().filter(|t| !t.trim().is_empty()),
        }
    }

    /// Rejects malformed ranges and oversized searches. Accounts outside the
    /// caller's are not an error: they simply match nothing.
    pub fn check(&self) -> Result<()> {
        for (name, range) in [
            ("filter.opened", &self.opened),
            ("filter.updated", &self.updated),
        ] {
            if let Some(DateRangeInput {
                from: Some(from),
                to: Some(to),
            }) = range
                && from > to
            {
                return Err(to_gql(&Error::invalid(
                    name,
                    "`from` must not be after `to`",
                )));
            }
        }
        if let Some(text) = &self.text {
            validate::search_text("filter.text", text).map_err(|e| to_gql(&e))?;
        }
        let lengths = [
            ("filter.states", self.states.as_ref().map_or(0, Vec::len)),
            (
                "filter.accountIds",
                self.account_ids.as_ref().map_or(0, Vec::len),
            ),
            (
                "filter.locationIds",
                self.location_ids.as_ref().map_or(0, Vec::len),
            ),
            (
                "filter.caseTypes",
                self.case_types.as_ref().map_or(0, Vec::len),
            ),
            (
                "filter.categories",
                self.categories.as_ref().map_or(0, Vec::len),
            ),
            (
                "filter.priorities",
                self.priorities.as_ref().map_or(0, Vec::len),
            ),
        ];
        for (field, length) in lengths {
            if length > MAX_FILTER_VALUES {
                return Err(to_gql(&Error::invalid(
                    field,
                    format!("a filter takes at most {MAX_FILTER_VALUES} values"),
                )));
            }
        }
        Ok(())
    }
}

/// An ordering of a case list.
#[derive(InputObject, Clone, Copy, Debug, Serialize, Deserialize)]
#[graphql(name = "CaseOrder")]
pub struct CaseOrderInput {
    /// The field (UPDATED when omitted).
    #[graphql(default_with = "CaseOrderField::Updated")]
    pub field: CaseOrderField,
    /// The direction (DESC when omitted).
    #[graphql(default_with = "OrderDirection::Desc")]
    pub direction: OrderDirection,
}

impl CaseOrderInput {
    /// The port's ordering.
    pub fn to_core(order: Option<Self>) -> core::CaseOrder {
        order.map_or_else(core::CaseOrder::default, |o| core::CaseOrder {
            field: o.field.into(),
            direction: o.direction.into(),
        })
    }
}
