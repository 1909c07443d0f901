//! Toll-free GraphQL types: enums, numbers, previews, requests and their
//! connections, mapped from the core's domain types.

use async_graphql::{ComplexObject, Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use switchboard_core::tollfree::{self as core, ChangeRequest, Rate, TollFreeNumber};

use crate::graphql::pagination::PageInfo;

/// Where a ring-to number's calls are terminated.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    name = "TollFreeNetwork",
    remote = "switchboard_core::tollfree::Network"
)]
pub enum Network {
    /// On our own network.
    OnNet,
    /// Handed to another carrier.
    OffNet,
}

/// Whether a toll-free number is in service or waiting for a change.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    name = "TollFreeNumberStatus",
    remote = "switchboard_core::tollfree::NumberStatus"
)]
pub enum NumberStatus {
    /// In service; its ring-to may be changed.
    Active,
    /// A ring-to change request for it is pending.
    ChangePending,
}

/// Where a ring-to change request is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    name = "RingToChangeStatus",
    remote = "switchboard_core::tollfree::ChangeStatus"
)]
pub enum ChangeStatus {
    /// Submitted, waiting to be provisioned.
    Pending,
    /// Applied.
    Completed,
    /// Refused; nothing changed.
    Rejected,
}

/// Why one line of a ring-to batch cannot be made.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    name = "RingToErrorCode",
    remote = "switchboard_core::tollfree::LineErrorCode"
)]
pub enum LineErrorCode {
    /// Not a 10-digit NANP number, or an unassigned area code.
    InvalidNumber,
    /// The ring-to number is itself toll-free.
    TollFreeRingTo,
    /// The ring-to number is outside the continental U.S.
    OutsideContinentalUs,
    /// The number must ring within its own state.
    StateMismatch,
    /// The ring-to cannot be changed online; open a case.
    NotChangeableOnline,
    /// The account has no such toll-free number.
    UnknownNumber,
    /// The batch names the number more than once.
    DuplicateInBatch,
    /// A change to the number is already pending.
    ChangePending,
}

/// A price per minute, exact.
#[derive(SimpleObject, Clone, Debug)]
pub struct PerMinuteRate {
    /// Dollars per minute as a decimal string, e.g. `0.059`.
    pub amount: String,
    /// Always `USD`.
    pub currency: String,
}

impl From<Rate> for PerMinuteRate {
    fn from(rate: Rate) -> Self {
        Self {
            amount: rate.to_string(),
            currency: "USD".into(),
        }
    }
}

/// One toll-free number of an account.
#[derive(SimpleObject, Clone, Debug)]
pub struct TollFreeNumberNode {
    /// The toll-free number, 10 digits.
    pub number: String,
    /// The account it belongs to.
    pub account_id: ID,
    /// Where its calls ring ("Ring To Termination"), 10 digits.
    pub ring_to: String,
    /// The network the ring-to number terminates on.
    pub network: Network,
    /// Whether its ring-to can be changed online; if not, open a case.
    pub changeable_online: bool,
    /// The U.S. state the toll-free number is located in.
    pub state: String,
    /// Whether its ring-to number must be in that same state.
    pub same_state_required: bool,
    /// In service, or waiting for a change.
    pub status: NumberStatus,
}

impl From<TollFreeNumber> for TollFreeNumberNode {
    fn from(n: TollFreeNumber) -> Self {
        Self {
            number: n.number,
            account_id: ID(n.account_id),
            ring_to: n.ring_to,
            network: n.network.into(),
            changeable_online: n.changeable_online,
            state: n.state,
            same_state_required: n.same_state_required,
            status: n.status.into(),
        }
    }
}

/// A toll-free number with its cursor.
#[derive(SimpleObject)]
pub struct TollFreeNumberEdge {
    /// Where it is in the list.
    pub cursor: String,
    /// The number.
    pub node: TollFreeNumberNode,
}

/// A page of toll-free numbers, in number order.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TollFreeNumberConnection {
    /// The numbers with their cursors.
    pub edges: Vec<TollFreeNumberEdge>,
    /// Pagination state.
    pub page_info: PageInfo,
    /// How many numbers match in all.
    pub total_count: u64,
}

#[ComplexObject]
impl TollFreeNumberConnection {
    /// The numbers, without cursors.
    async fn nodes(&self) -> Vec<TollFreeNumberNode> {
        self.edges.iter().map(|e| e.node.clone()).collect()
    }
}

/// Which toll-free numbers to list.
#[derive(InputObject, Default)]
pub struct TollFreeNumberFilter {
    /// Digits found in either the toll-free or the ring-to number.
    pub search: Option<String>,
    /// Only numbers ringing on this network.
    pub network: Option<Network>,
    /// Only numbers that can (true) or cannot (false) be changed online.
    pub changeable_online: Option<bool>,
}

impl From<TollFreeNumberFilter> for core::TollFreeFilter {
    fn from(f: TollFreeNumberFilter) -> Self {
        Self {
            search: f.search,
            network: f.network.map(Into::into),
            changeable_online: f.changeable_online,
        }
    }
}

/// One requested ring-to change.
#[derive(InputObject)]
pub struct RingToChangeInput {
    /// The toll-free number (punctuation allowed).
    pub number: String,
    /// The new ring-to number (punctuation allowed).
    pub ring_to: String,
}

impl From<RingToChangeInput> for core::RingToChange {
    fn from(c: RingToChangeInput) -> Self {
        Self {
            number: c.number,
            ring_to: c.ring_to,
        }
    }
}

/// Why a line cannot be made, and what to do.
#[derive(SimpleObject, Clone, Debug)]
pub struct RingToLineError {
    /// The stable code.
    pub code: LineErrorCode,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// One previewed change.
#[derive(SimpleObject, Clone, Debug)]
pub struct RingToPreviewLine {
    /// The toll-free number.
    pub number: String,
    /// Its ring-to number now, when the account has the number.
    pub current_ring_to: Option<String>,
    /// The new ring-to number.
    pub new_ring_to: String,
    /// The network of the current ring-to number.
    pub current_network: Option<Network>,
    /// The network of the new ring-to number, when the line is valid.
    pub network: Option<Network>,
    /// The per-minute rate after the change, when the line is valid.
    pub rate_per_minute: Option<PerMinuteRate>,
    /// Whether that rate differs from the current one.
    pub rate_changes: bool,
    /// The rate-change notice to show, when the rate changes.
    pub notice: Option<String>,
    /// Why the line cannot be made, if it cannot.
    pub error: Option<RingToLineError>,
}

impl From<core::PreviewLine> for RingToPreviewLine {
    fn from(l: core::PreviewLine) -> Self {
        Self {
            number: l.number,
            current_ring_to: l.current_ring_to,
            new_ring_to: l.new_ring_to,
            current_network: l.current_network.map(Into::into),
            network: l.network.map(Into::into),
            rate_per_minute: l.rate.map(Into::into),
            rate_changes: l.rate_changes,
            notice: l.notice,
            error: l.error.map(|e| RingToLineError {
                code: e.code.into(),
                message: e.message,
            }),
        }
    }
}

/// A preview of a batch of ring-to changes.
#[derive(SimpleObject)]
pub struct RingToPreview {
    /// One line per change, in order.
    pub lines: Vec<RingToPreviewLine>,
    /// Whether every line is valid, so the batch can be submitted.
    pub valid: bool,
}

/// One line of a submitted request.
#[derive(SimpleObject, Clone, Debug)]
pub struct RingToChangeLine {
    /// The toll-free number.
    pub number: String,
    /// Its ring-to number when the request was made.
    pub old_ring_to: String,
    /// The ring-to number asked for.
    pub new_ring_to: String,
    /// The network of the old ring-to number.
    pub old_network: Network,
    /// The network of the new one.
    pub new_network: Network,
    /// The per-minute rate once the change is made.
    pub rate_per_minute: PerMinuteRate,
    /// Whether that rate differs from the one before.
    pub rate_changes: bool,
}

/// A submitted batch of ring-to changes, tracked through its case.
#[derive(SimpleObject, Clone, Debug)]
pub struct RingToChangeRequest {
    /// The request's id.
    pub id: ID,
    /// The account.
    pub account_id: ID,
    /// Where it is.
    pub status: ChangeStatus,
    /// Its lines, in submitted order.
    pub lines: Vec<RingToChangeLine>,
    /// The case opened for it (see `case(number:)`).
    pub case_number: String,
    /// Who submitted it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was completed or rejected.
    pub decided_at: Option<DateTime<Utc>>,
    /// The operator's note on the decision.
    pub reason: Option<String>,
}

impl From<ChangeRequest> for RingToChangeRequest {
    fn from(r: ChangeRequest) -> Self {
        Self {
            id: ID(r.id),
            account_id: ID(r.account_id),
            status: r.status.into(),
            lines: r
                .lines
                .into_iter()
                .map(|l| RingToChangeLine {
                    number: l.number,
                    old_ring_to: l.old_ring_to,
                    new_ring_to: l.new_ring_to,
                    old_network: l.old_network.into(),
                    new_network: l.new_network.into(),
                    rate_per_minute: l.rate.into(),
                    rate_changes: l.rate_changes,
                })
                .collect(),
            case_number: r.case_number,
            created_by: r.created_by,
            created_at: r.created_at,
            decided_at: r.decided_at,
            reason: r.reason,
        }
    }
}

/// A request with its cursor.
#[derive(SimpleObject)]
pub struct RingToChangeRequestEdge {
    /// Where it is in the list.
    pub cursor: String,
    /// The request.
    pub node: RingToChangeRequest,
}

/// A page of requests, newest first.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct RingToChangeRequestConnection {
    /// The requests with their cursors.
    pub edges: Vec<RingToChangeRequestEdge>,
    /// Pagination state.
    pub page_info: PageInfo,
}

#[ComplexObject]
impl RingToChangeRequestConnection {
    /// The requests, without cursors.
    async fn nodes(&self) -> Vec<RingToChangeRequest> {
        self.edges.iter().map(|e| e.node.clone()).collect()
    }
}

/// The result of a submit.
#[derive(SimpleObject)]
pub struct SubmitRingToChangesPayload {
    /// The request, pending.
    pub request: RingToChangeRequest,
    /// True when a retry with the same idempotency key returned the first request.
    pub replayed: bool,
}

/// A change request reached a status.
#[derive(SimpleObject)]
pub struct RingToChangeEvent {
    /// The status it reached.
    pub status: ChangeStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// The request as it is now.
    pub request: RingToChangeRequest,
}
