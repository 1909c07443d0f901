//! Billing's enums and input objects, and their conversion to the port's
//! filters and orderings. Downloads parse the same inputs from a query string.

use async_graphql::{Enum, ID, InputObject, Result};
use serde::{Deserialize, Serialize};
use switchboard_core::billing::{self as core, TimeRange};
use switchboard_core::{Error, validate};

use crate::graphql::errors::to_gql;
use crate::graphql::pagination::{DateRangeInput, OrderDirection};

/// The longest number fragment a usage filter takes.
const MAX_NUMBER_DIGITS: usize = 20;

/// What kind of call a usage record is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "switchboard_core::billing::UsageKind")]
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

/// Fields an invoice list can be ordered by; ties are broken by id.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "switchboard_core::billing::InvoiceOrderField")]
pub enum InvoiceOrderField {
    /// Invoice date ("Newest" is DESC, "Oldest" ASC).
    InvoiceDate,
    /// Due date.
    DueDate,
    /// Invoice number.
    Number,
    /// Total amount due.
    TotalDue,
}

/// Fields a usage list can be ordered by; ties are broken by id.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(remote = "switchboard_core::billing::UsageOrderField")]
pub enum UsageOrderField {
    /// Start time.
    StartedAt,
    /// Duration.
    Duration,
    /// Charge.
    Charge,
}

/// An ordering of an invoice list.
#[derive(InputObject, Clone, Copy, Debug, Serialize, Deserialize)]
#[graphql(name = "InvoiceOrder")]
pub struct InvoiceOrderInput {
    /// The field (INVOICE_DATE when omitted).
    #[graphql(default_with = "InvoiceOrderField::InvoiceDate")]
    pub field: InvoiceOrderField,
    /// The direction (DESC when omitted: newest first).
    #[graphql(default_with = "OrderDirection::Desc")]
    pub direction: OrderDirection,
}

impl InvoiceOrderInput {
    /// The port's ordering (newest first when none is given).
    pub fn to_core(order: Option<Self>) -> core::InvoiceOrder {
        order.map_or_else(core::InvoiceOrder::default, |o| core::InvoiceOrder {
            field: o.field.into(),
            direction: o.direction.into(),
        })
    }
}

/// An ordering of a usage list.
#[derive(InputObject, Clone, Copy, Debug, Serialize, Deserialize)]
#[graphql(name = "UsageOrder")]
pub struct UsageOrderInput {
    /// The field (STARTED_AT when omitted).
    #[graphql(default_with = "UsageOrderField::StartedAt")]
    pub field: UsageOrderField,
    /// The direction (ASC when omitted: oldest call first).
    #[graphql(default_with = "OrderDirection::Asc")]
    pub direction: OrderDirection,
}

impl UsageOrderInput {
    /// The port's ordering (oldest call first when none is given).
    pub fn to_core(order: Option<Self>) -> core::UsageOrder {
        order.map_or_else(core::UsageOrder::default, |o| core::UsageOrder {
            field: o.field.into(),
            direction: o.direction.into(),
        })
    }
}

/// Which usage records a call report includes. Omitted fields do not restrict.
#[derive(InputObject, Clone, Debug, Default, Serialize, Deserialize)]
#[graphql(name = "UsageFilter")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageFilterInput {
    /// Only calls billed on this invoice.
    pub invoice_id: Option<ID>,
    /// Only calls started within this period.
    pub period: Option<DateRangeInput>,
    /// Only these kinds of call.
    pub kinds: Option<Vec<UsageKind>>,
    /// Only calls from or to a number containing these digits.
    pub number: Option<String>,
}

impl UsageFilterInput {
    /// Rejects a backwards period and a number that is not digits.
    pub fn check(&self) -> Result<()> {
        if let Some(DateRangeInput {
            from: Some(from),
            to: Some(to),
        }) = &self.period
            && from > to
        {
            return Err(invalid("filter.period", "`from` must not be after `to`"));
        }
        if let Some(number) = &self.number
            && (number.len() > MAX_NUMBER_DIGITS || !number.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(invalid(
                "filter.number",
                format!("give up to {MAX_NUMBER_DIGITS} digits of a phone number"),
            ));
        }
        Ok(())
    }

    /// The port's filter.
    pub fn to_core(&self) -> core::UsageFilter {
        let mut kinds: Vec<core::UsageKind> =
            self.kinds.iter().flatten().map(|k| (*k).into()).collect();
        kinds.dedup();
        core::UsageFilter {
            invoice_id: self.invoice_id.as_ref().map(|id| id.to_string()),
            period: self
                .period
                .as_ref()
                .map_or_else(TimeRange::default, |p| TimeRange {
                    from: p.from,
                    to: p.to,
                }),
            kinds,
            number: self.number.clone().filter(|n| !n.is_empty()),
        }
    }
}

/// An invoice search (part of an invoice number), checked.
pub fn invoice_filter(search: Option<&str>) -> Result<core::InvoiceFilter> {
    let number = match search {
        None => None,
        Some(text) => {
            let text = validate::search_text("search", text).map_err(|e| to_gql(&e))?;
            Some(text).filter(|t| !t.is_empty())
        }
    };
    Ok(core::InvoiceFilter { number })
}

fn invalid(field: &str, message: impl Into<String>) -> async_graphql::Error {
    to_gql(&Error::invalid(field, message))
}
