//! Billing: invoices with their summary of charges and charge lines, usage
//! records (calls), the accounts' billing details, and the [`BillingStore`]
//! port.
//!
//! Money is exact everywhere: an integer count of minor units (cents) and a
//! currency code ([`Money`]); no float ever holds an amount.

mod money;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

pub use crate::cases::{Direction, TimeRange};
use crate::{Page, PageRequest, Result, Scope};
pub use money::Money;

/// An account's billing contact details, as "View My Invoices" shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingDetails {
    /// The account (its account number).
    pub account_id: String,
    /// Street address the bill goes to.
    pub address: String,
    /// City.
    pub city: String,
    /// Two-letter state code.
    pub state: String,
    /// ZIP code.
    pub zip: String,
    /// Billing phone number.
    pub phone: String,
    /// Where bill notifications are emailed.
    pub notification_email: String,
}

/// One invoice and its summary of charges.
///
/// The parts (previous amount, payments, adjustments, late fee, current
/// charges) are stored; the total due is stored too and the database checks
/// that it equals their sum, so [`Invoice::total_due`] and
/// [`Invoice::balance_forward`] are exact derivations that never disagree
/// with what lists are sorted by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// The backend's id.
    pub id: String,
    /// `INV` followed by 8 digits.
    pub number: String,
    /// The account billed.
    pub account_id: String,
    /// The invoice date.
    pub invoice_date: NaiveDate,
    /// The payment due date.
    pub due_date: NaiveDate,
    /// The previous invoice's total amount due.
    pub previous_amount: Money,
    /// Payments received since (negative or zero).
    pub payments: Money,
    /// Credits (negative) and debits (positive) applied.
    pub adjustments: Money,
    /// Fee for a balance carried past its due date.
    pub late_fee: Money,
    /// This period's charges: the sum of the invoice's charge lines.
    pub current_charges: Money,
}

impl Invoice {
    /// What is left of earlier invoices: previous amount + payments + adjustments.
    pub fn balance_forward(&self) -> Money {
        self.previous_amount
            .plus(&self.payments)
            .plus(&self.adjustments)
    }

    /// Balance forward + late fee + current charges.
    pub fn total_due(&self) -> Money {
        self.balance_forward()
            .plus(&self.late_fee)
            .plus(&self.current_charges)
    }
}

/// One line of an invoice's charges breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeLine {
    /// The backend's id.
    pub id: String,
    /// The invoice it belongs to.
    pub invoice_id: String,
    /// The category it is listed under, e.g. `Monthly Recurring Charges`.
    pub category: String,
    /// What it is for.
    pub description: String,
    /// The amount.
    pub amount: Money,
    /// Display order within the invoice.
    pub position: i32,
}

/// The lines of one category of an invoice's breakdown, and their total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeCategory {
    /// The category's name.
    pub name: String,
    /// Its lines, in position order.
    pub lines: Vec<ChargeLine>,
    /// The exact sum of its lines.
    pub total: Money,
}

/// Groups `lines` (in position order) by category, categories in the order
/// they first appear.
pub fn charge_categories(lines: &[ChargeLine]) -> Vec<ChargeCategory> {
    let mut out: Vec<ChargeCategory> = Vec::new();
    for line in lines {
        match out.iter_mut().find(|c| c.name == line.category) {
            Some(category) => {
                category.total = category.total.plus(&line.amount);
                category.lines.push(line.clone());
            }
            None => out.push(ChargeCategory {
                name: line.category.clone(),
                lines: vec![line.clone()],
                total: line.amount.clone(),
            }),
        }
    }
    out
}

/// What kind of call a usage record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsageKind {
    /// A local call.
    Local,
    /// A long-distance call within the country.
    LongDistance,
    /// An international call.
    International,
    /// A call received on a toll-free number.
    TollFree,
}

impl UsageKind {
    /// Every kind.
    pub const ALL: [UsageKind; 4] = [
        UsageKind::Local,
        UsageKind::LongDistance,
        UsageKind::International,
        UsageKind::TollFree,
    ];

    /// The stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageKind::Local => "LOCAL",
            UsageKind::LongDistance => "LONG_DISTANCE",
            UsageKind::International => "INTERNATIONAL",
            UsageKind::TollFree => "TOLL_FREE",
        }
    }

    /// The label reports show.
    pub fn label(self) -> &'static str {
        match self {
            UsageKind::Local => "Local",
            UsageKind::LongDistance => "Long Distance",
            UsageKind::International => "International",
            UsageKind::TollFree => "Toll Free",
        }
    }

    /// Parses [`UsageKind::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One call: the bill charges and call reports' rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    /// The backend's id.
    pub id: String,
    /// The account billed.
    pub account_id: String,
    /// The invoice it was billed on, once billed.
    pub invoice_id: Option<String>,
    /// When the call started.
    pub started_at: DateTime<Utc>,
    /// The calling number.
    pub from: String,
    /// The called number.
    pub to: String,
    /// Length in whole seconds.
    pub duration_secs: i32,
    /// Kind of call.
    pub kind: UsageKind,
    /// What it cost.
    pub charge: Money,
}

/// Fields an invoice list can be ordered by. Ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceOrderField {
    /// Invoice date (the portal's "Newest" / "Oldest").
    InvoiceDate,
    /// Due date.
    DueDate,
    /// Invoice number.
    Number,
    /// Total amount due.
    TotalDue,
}

/// An ordering of an invoice list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvoiceOrder {
    /// The field to sort by.
    pub field: InvoiceOrderField,
    /// The direction.
    pub direction: Direction,
}

impl Default for InvoiceOrder {
    /// Newest first.
    fn default() -> Self {
        Self {
            field: InvoiceOrderField::InvoiceDate,
            direction: Direction::Desc,
        }
    }
}

/// Which invoices a list includes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    /// Only invoices whose number contains this text (case-insensitive).
    pub number: Option<String>,
}

/// Fields a usage list can be ordered by. Ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsageOrderField {
    /// Start time.
    StartedAt,
    /// Duration.
    Duration,
    /// Charge.
    Charge,
}

/// An ordering of a usage list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UsageOrder {
    /// The field to sort by.
    pub field: UsageOrderField,
    /// The direction.
    pub direction: Direction,
}

impl Default for UsageOrder {
    /// Oldest call first, as call reports read.
    fn default() -> Self {
        Self {
            field: UsageOrderField::StartedAt,
            direction: Direction::Asc,
        }
    }
}

/// Which usage records a list includes. Empty lists mean "no restriction".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageFilter {
    /// Only records billed on this invoice.
    pub invoice_id: Option<String>,
    /// Only calls started within this range.
    pub period: TimeRange,
    /// Only these kinds.
    pub kinds: Vec<UsageKind>,
    /// Only calls from or to a number containing these digits.
    pub number: Option<String>,
}

/// Sums over the usage records a filter selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageTotals {
    /// How many records.
    pub count: u64,
    /// Their total duration in seconds.
    pub duration_secs: i64,
    /// Their total charge.
    pub charge: Money,
}

/// The billing port.
///
/// Guarantees every implementation gives (checked by the conformance suite):
/// - every method filters by the [`Scope`]; an account, invoice or record
///   outside it is [`crate::Error::NotFound`] (or simply absent from a
///   batch), never [`crate::Error::Forbidden`]. Roles are not the port's
///   business: callers narrow the scope to the accounts where the caller
///   may see billing data;
/// - an invoice's charge lines add up exactly to its current charges, and
///   its total due to the parts of its summary;
/// - lists are ordered exactly as asked, ties broken by id, and a cursor
///   resumes right after its item; a cursor made for another ordering is
///   [`crate::Error::InvalidInput`] on field `after`.
#[async_trait]
pub trait BillingStore: Send + Sync {
    /// The backend's name for logs and errors.
    fn backend(&self) -> &'static str;

    /// The billing details of these accounts that are in scope, in any order.
    async fn billing_details(
        &self,
        scope: &Scope,
        account_ids: &[String],
    ) -> Result<Vec<BillingDetails>>;

    /// The newest invoice (by invoice date, then id) of each of these
    /// accounts that is in scope and has one.
    async fn latest_invoices(&self, scope: &Scope, account_ids: &[String]) -> Result<Vec<Invoice>>;

    /// One page of an account's invoices.
    async fn list_invoices(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InvoiceFilter,
        order: InvoiceOrder,
        page: &PageRequest,
    ) -> Result<Page<Invoice>>;

    /// How many of an account's invoices match `filter`.
    async fn count_invoices(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InvoiceFilter,
    ) -> Result<u64>;

    /// The invoices with these ids that are in scope, in any order.
    async fn invoices_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Invoice>>;

    /// The invoice with this number.
    async fn invoice_by_number(&self, scope: &Scope, number: &str) -> Result<Invoice>;

    /// The charge lines of these invoices (those in scope), ordered by
    /// invoice then position.
    async fn charges(&self, scope: &Scope, invoice_ids: &[String]) -> Result<Vec<ChargeLine>>;

    /// One page of an account's usage records.
    async fn list_usage(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &UsageFilter,
        order: UsageOrder,
        page: &PageRequest,
    ) -> Result<Page<UsageRecord>>;

    /// Count, duration and charge of an account's usage records matching `filter`.
    async fn usage_totals(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &UsageFilter,
    ) -> Result<UsageTotals>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, "USD")
    }

    #[test]
    fn the_summary_of_charges_adds_up() {
        let day = NaiveDate::from_ymd_opt(2026, 4, 23).unwrap_or_default();
        let invoice = Invoice {
            id: "1".into(),
            number: "INV00001234".into(),
            account_id: "1".into(),
            invoice_date: day,
            due_date: day,
            previous_amount: usd(66_678),
            payments: usd(-66_678),
            adjustments: usd(0),
            late_fee: usd(0),
            current_charges: usd(177_621),
        };
        assert_eq!(invoice.balance_forward(), usd(0));
        assert_eq!(invoice.total_due().to_string(), "1776.21");
    }

    #[test]
    fn categories_keep_their_first_order_and_sum_exactly() {
        let line = |category: &str, minor: i64, position: i32| ChargeLine {
            id: position.to_string(),
            invoice_id: "1".into(),
            category: category.into(),
            description: "x".into(),
            amount: usd(minor),
            position,
        };
        let groups = charge_categories(&[line("B", 10, 1), line("A", 5, 2), line("B", 1, 3)]);
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["B", "A"]);
        assert_eq!(groups[0].total, usd(11));
        assert_eq!(groups[0].lines.len(), 2);
    }

    #[test]
    fn usage_kinds_round_trip() {
        for kind in UsageKind::ALL {
            assert_eq!(UsageKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(UsageKind::parse("FAX"), None);
    }
}
