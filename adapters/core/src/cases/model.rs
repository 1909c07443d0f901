//! The case record, its state and priority, and how lists filter and order it.

use chrono::{DateTime, Utc};

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

impl CaseOrder {
    /// The ordering's stable name, e.g. `UPDATED_DESC`: cursors carry it,
    /// so a cursor of one ordering is refused by another.
    pub fn name(self) -> String {
        let field = match self.field {
            CaseOrderField::Number => "NUMBER",
            CaseOrderField::Opened => "OPENED",
            CaseOrderField::Updated => "UPDATED",
            CaseOrderField::State => "STATE",
            CaseOrderField::Priority => "PRIORITY",
        };
        let direction = match self.direction {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        };
        format!("{field}_{direction}")
    }
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

impl CaseFilter {
    /// Whether the filter narrows by accounts and states alone: the counts
    /// the portal shows everywhere (open cases, cases per state), which a
    /// store may keep counted instead of counting rows.
    pub fn by_accounts_and_states_only(&self) -> bool {
        let Self {
            states: _,
            accounts: _,
            locations,
            case_types,
            categories,
            priorities,
            opened,
            updated,
            text,
        } = self;
        locations.is_empty()
            && case_types.is_empty()
            && categories.is_empty()
            && priorities.is_empty()
            && *opened == TimeRange::default()
            && *updated == TimeRange::default()
            && text
                .as_deref()
                .is_none_or(|t| super::search::search_tokens(t).next().is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_account_and_state_filters_may_be_counted_from_counters() {
        let by_state = CaseFilter {
            states: vec![CaseState::New],
            accounts: vec!["ACC-1".into()],
            text: Some("  ".into()),
            ..CaseFilter::default()
        };
        assert!(by_state.by_accounts_and_states_only());
        assert!(CaseFilter::default().by_accounts_and_states_only());
        let narrower = [
            CaseFilter {
                locations: vec!["1".into()],
                ..by_state.clone()
            },
            CaseFilter {
                case_types: vec!["T".into()],
                ..by_state.clone()
            },
            CaseFilter {
                categories: vec!["C".into()],
                ..by_state.clone()
            },
            CaseFilter {
                priorities: vec![Priority::High],
                ..by_state.clone()
            },
            CaseFilter {
                opened: TimeRange {
                    from: Some(Utc::now()),
                    to: None,
                },
                ..by_state.clone()
            },
            CaseFilter {
                updated: TimeRange {
                    from: None,
                    to: Some(Utc::now()),
                },
                ..by_state.clone()
            },
            CaseFilter {
                text: Some("router".into()),
                ..by_state.clone()
            },
        ];
        for filter in narrower {
            assert!(!filter.by_accounts_and_states_only(), "{filter:?}");
        }
    }
}
