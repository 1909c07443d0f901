//! Toll-free ring-to: an account's toll-free numbers and where they ring,
//! previews of a batch of ring-to changes, and the change requests a
//! submitted batch becomes ([`TollFreeStore`]).
//!
//! - [`numbering`]: NANP number rules and the area-code and on-net tables.
//! - [`port`]: the port, its reads and writes apart ([`TollFreeReads`],
//!   [`TollFreeWrites`]), and [`ReadThrough`] for decorators of writes.
//! - [`preview`]: rates and the per-line validation of a batch (pure).
//! - [`publishing`]: change-request events, their bus, and a decorator that
//!   publishes them after every write.
//! - [`request_cases`]: the case that tracks a request when cases live in an
//!   external backend ([`RequestCases`]).

pub mod numbering;
pub mod port;
pub mod preview;
pub mod publishing;
pub mod request_cases;

use chrono::{DateTime, Utc};

pub use crate::cases::Created;
use crate::{Result, Scope};
pub use port::{ReadThrough, TollFreeReads, TollFreeStore, TollFreeWrites};

/// The port's traits, to call its methods on a concrete store:
/// `use switchboard_core::tollfree::prelude::*;`.
pub mod prelude {
    pub use super::port::{TollFreeReads as _, TollFreeWrites as _};
}
pub use preview::{LineError, LineErrorCode, PreviewLine, Rate, Rates, preview};
pub use publishing::{ChangeRequestEvent, PublishingTollFree, TollFreeBus};
pub use request_cases::{NewRequestCase, RequestCase, RequestCases};

/// Where a ring-to number's calls are terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// On our own network.
    OnNet,
    /// Handed to another carrier.
    OffNet,
}

impl Network {
    /// The stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::OnNet => "ON_NET",
            Network::OffNet => "OFF_NET",
        }
    }

    /// Parses [`Network::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        [Network::OnNet, Network::OffNet]
            .into_iter()
            .find(|n| n.as_str() == s)
    }

    /// The network a ring-to number (10 digits) terminates on.
    pub fn of(ring_to: &str) -> Self {
        if numbering::is_on_net(ring_to) {
            Network::OnNet
        } else {
            Network::OffNet
        }
    }
}

/// Whether a toll-free number is in service or waiting for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberStatus {
    /// In service; its ring-to may be changed.
    Active,
    /// A change request for it is pending.
    ChangePending,
}

impl NumberStatus {
    /// The stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberStatus::Active => "ACTIVE",
            NumberStatus::ChangePending => "CHANGE_PENDING",
        }
    }

    /// Parses [`NumberStatus::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        [NumberStatus::Active, NumberStatus::ChangePending]
            .into_iter()
            .find(|n| n.as_str() == s)
    }
}

/// One toll-free number of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TollFreeNumber {
    /// The toll-free number, 10 digits.
    pub number: String,
    /// The account it belongs to.
    pub account_id: String,
    /// Where its calls ring, 10 digits.
    pub ring_to: String,
    /// The network the ring-to number terminates on.
    pub network: Network,
    /// Whether its ring-to may be changed through the portal.
    pub changeable_online: bool,
    /// The U.S. state the toll-free number is located in.
    pub state: String,
    /// Whether its ring-to number must be in that same state.
    pub same_state_required: bool,
    /// In service, or waiting for a change.
    pub status: NumberStatus,
}

/// Which toll-free numbers a list includes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TollFreeFilter {
    /// Only numbers whose toll-free or ring-to number contains these digits
    /// (punctuation is ignored).
    pub search: Option<String>,
    /// Only numbers ringing on this network.
    pub network: Option<Network>,
    /// Only numbers that can (or cannot) be changed online.
    pub changeable_online: Option<bool>,
}

impl TollFreeFilter {
    /// The digits of [`TollFreeFilter::search`], if it has any.
    pub fn search_digits(&self) -> Option<String> {
        let digits: String = self
            .search
            .as_deref()?
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        (!digits.is_empty()).then_some(digits)
    }
}

/// One requested change: ring `number` to `ring_to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingToChange {
    /// The toll-free number, as the client wrote it.
    pub number: String,
    /// The new ring-to number, as the client wrote it.
    pub ring_to: String,
}

/// Where a change request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ChangeStatus {
    /// Submitted, waiting for provisioning.
    Pending,
    /// Applied: the numbers ring to their new numbers.
    Completed,
    /// Refused; nothing changed.
    Rejected,
}

impl ChangeStatus {
    /// The stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Pending => "PENDING",
            ChangeStatus::Completed => "COMPLETED",
            ChangeStatus::Rejected => "REJECTED",
        }
    }

    /// Parses [`ChangeStatus::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        [
            ChangeStatus::Pending,
            ChangeStatus::Completed,
            ChangeStatus::Rejected,
        ]
        .into_iter()
        .find(|n| n.as_str() == s)
    }
}

/// One line of a change request, as it was validated when submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLine {
    /// The toll-free number.
    pub number: String,
    /// Its ring-to number when the request was made.
    pub old_ring_to: String,
    /// The ring-to number asked for.
    pub new_ring_to: String,
    /// The network of the old ring-to number.
    pub old_network: Network,
    /// The network of the new ring-to number.
    pub new_network: Network,
    /// The per-minute rate that applies once the change is made.
    pub rate: Rate,
    /// Whether that rate differs from the one before.
    pub rate_changes: bool,
}

/// A submitted batch of ring-to changes, tracked through its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRequest {
    /// The backend's id.
    pub id: String,
    /// The account the numbers belong to.
    pub account_id: String,
    /// Where it is.
    pub status: ChangeStatus,
    /// Its lines, in the order they were submitted.
    pub lines: Vec<ChangeLine>,
    /// The number of the case opened for it.
    pub case_number: String,
    /// The id of that case in the backend that serves cases (the
    /// database's id, or an external backend's such as a ServiceNow sys_id).
    pub case_id: String,
    /// Who submitted it (display name).
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was completed or rejected.
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected (or a note on its completion).
    pub reason: Option<String>,
}

/// A batch to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChangeRequest {
    /// The account whose numbers change.
    pub account_id: String,
    /// The changes, in order.
    pub changes: Vec<RingToChange>,
    /// The rates in force (from configuration).
    pub rates: Rates,
    /// A retry with the same key returns the first request and writes nothing.
    pub idempotency_key: Option<String>,
}

/// An operator's decision on a pending request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Complete (apply the new ring-to numbers) or reject.
    pub approve: bool,
    /// Why, shown to the customer on the request and its case.
    pub reason: Option<String>,
}

/// Previews `changes` on `account_id`'s numbers: one line per change, in order.
pub async fn preview_changes(
    store: &dyn TollFreeReads,
    scope: &Scope,
    account_id: &str,
    changes: &[RingToChange],
    rates: &Rates,
) -> Result<Vec<PreviewLine>> {
    preview::check_batch(changes)?;
    let wanted: Vec<String> = changes
        .iter()
        .filter_map(|c| numbering::normalize(&c.number))
        .collect();
    let numbers = store.numbers(scope, account_id, &wanted).await?;
    Ok(preview(&numbers, changes, rates))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for n in [Network::OnNet, Network::OffNet] {
            assert_eq!(Network::parse(n.as_str()), Some(n));
        }
        for s in [NumberStatus::Active, NumberStatus::ChangePending] {
            assert_eq!(NumberStatus::parse(s.as_str()), Some(s));
        }
        for s in [
            ChangeStatus::Pending,
            ChangeStatus::Completed,
            ChangeStatus::Rejected,
        ] {
            assert_eq!(ChangeStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(Network::parse("ELSEWHERE"), None);
    }

    #[test]
    fn search_keeps_only_digits() {
        let filter = TollFreeFilter {
            search: Some("(800) 383".into()),
            ..Default::default()
        };
        assert_eq!(filter.search_digits().as_deref(), Some("800383"));
        let empty = TollFreeFilter {
            search: Some(" - ".into()),
            ..Default::default()
        };
        assert_eq!(empty.search_digits(), None);
    }
}
