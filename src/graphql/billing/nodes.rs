//! Billing's output types: money, details, invoices with their summary of
//! charges and breakdown, usage records and their totals.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use switchboard_core::Scope;
use switchboard_core::billing::{
    BillingDetails, ChargeCategory, ChargeLine, Invoice, Money, UsageRecord, UsageTotals,
    charge_categories,
};

use super::connection::UsageConnection;
use super::inputs::{UsageFilterInput, UsageKind, UsageOrderInput};
use crate::graphql::context::request;
use crate::graphql::errors::IntoGql;

/// An exact amount of money: never a float.
pub struct MoneyNode(pub Money);

#[Object(name = "Money")]
impl MoneyNode {
    /// The amount as a plain decimal, e.g. `-666.78`.
    async fn amount(&self) -> String {
        self.0.to_string()
    }

    /// ISO 4217 currency code, e.g. `USD`.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// The amount in minor units (cents), as a decimal integer string
    /// (it may exceed GraphQL's 32-bit Int).
    async fn minor_units(&self) -> String {
        self.0.minor.to_string()
    }

    /// As documents show it, e.g. `-$666.78`.
    async fn formatted(&self) -> String {
        self.0.formatted()
    }
}

/// An account's billing contact details.
pub struct BillingDetailsNode(pub BillingDetails);

#[Object(name = "BillingDetails")]
impl BillingDetailsNode {
    /// The account number.
    async fn account_number(&self) -> &str {
        &self.0.account_id
    }

    /// Street address.
    async fn address(&self) -> &str {
        &self.0.address
    }

    /// City.
    async fn city(&self) -> &str {
        &self.0.city
    }

    /// State code.
    async fn state(&self) -> &str {
        &self.0.state
    }

    /// `City, ST`, as the portal shows it.
    async fn city_state(&self) -> String {
        format!("{}, {}", self.0.city, self.0.state)
    }

    /// ZIP code.
    async fn zip(&self) -> &str {
        &self.0.zip
    }

    /// Billing phone.
    async fn phone(&self) -> &str {
        &self.0.phone
    }

    /// Where bill notifications are emailed.
    async fn notification_email(&self) -> &str {
        &self.0.notification_email
    }
}

/// One line of an invoice's charges breakdown.
pub struct ChargeLineNode(pub ChargeLine);

#[Object(name = "ChargeLine")]
impl ChargeLineNode {
    /// The category it is listed under.
    async fn category(&self) -> &str {
        &self.0.category
    }

    /// What it is for.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The amount.
    async fn amount(&self) -> MoneyNode {
        MoneyNode(self.0.amount.clone())
    }

    /// Display order within the invoice.
    async fn position(&self) -> i32 {
        self.0.position
    }
}

/// The lines of one category and their total.
pub struct ChargeCategoryNode(pub ChargeCategory);

#[Object(name = "ChargeCategory")]
impl ChargeCategoryNode {
    /// The category's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The sum of its lines.
    async fn total(&self) -> MoneyNode {
        MoneyNode(self.0.total.clone())
    }

    /// Its lines, in position order.
    async fn lines(&self) -> Vec<ChargeLineNode> {
        self.0.lines.iter().cloned().map(ChargeLineNode).collect()
    }
}

/// An invoice and its summary of charges.
pub struct InvoiceNode(pub Invoice);

#[Object(name = "Invoice")]
impl InvoiceNode {
    /// Backend id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// `INV` and 8 digits.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The account billed.
    async fn account_id(&self) -> ID {
        ID(self.0.account_id.clone())
    }

    /// Invoice date.
    async fn invoice_date(&self) -> NaiveDate {
        self.0.invoice_date
    }

    /// Payment due date.
    async fn due_date(&self) -> NaiveDate {
        self.0.due_date
    }

    /// The previous invoice's total amount due.
    async fn previous_amount(&self) -> MoneyNode {
        MoneyNode(self.0.previous_amount.clone())
    }

    /// Payments received since (negative).
    async fn payments(&self) -> MoneyNode {
        MoneyNode(self.0.payments.clone())
    }

    /// Credits and debits applied.
    async fn adjustments(&self) -> MoneyNode {
        MoneyNode(self.0.adjustments.clone())
    }

    /// Previous amount + payments + adjustments.
    async fn balance_forward(&self) -> MoneyNode {
        MoneyNode(self.0.balance_forward())
    }

    /// Fee for a balance carried past its due date.
    async fn late_fee(&self) -> MoneyNode {
        MoneyNode(self.0.late_fee.clone())
    }

    /// This period's charges (the sum of `charges`).
    async fn current_charges(&self) -> MoneyNode {
        MoneyNode(self.0.current_charges.clone())
    }

    /// Balance forward + late fee + current charges.
    async fn total_due(&self) -> MoneyNode {
        MoneyNode(self.0.total_due())
    }

    /// The charges breakdown, line by line.
    async fn charges(&self, ctx: &Context<'_>) -> Result<Vec<ChargeLineNode>> {
        let lines = self.lines(ctx).await?;
        Ok(lines.into_iter().map(ChargeLineNode).collect())
    }

    /// The charges breakdown by category.
    async fn charge_categories(&self, ctx: &Context<'_>) -> Result<Vec<ChargeCategoryNode>> {
        let lines = self.lines(ctx).await?;
        Ok(charge_categories(&lines)
            .into_iter()
            .map(ChargeCategoryNode)
            .collect())
    }

    /// The calls billed on this invoice.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn usage(
        &self,
        ctx: &Context<'_>,
        filter: Option<UsageFilterInput>,
        order_by: Option<UsageOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UsageConnection> {
        let filter = UsageFilterInput {
            invoice_id: Some(ID(self.0.id.clone())),
            ..filter.unwrap_or_default()
        };
        let scope = Scope::new([self.0.account_id.clone()]);
        UsageConnection::load(
            ctx,
            scope,
            &self.0.account_id,
            filter,
            order_by,
            first,
            after,
        )
        .await
    }

    /// The invoice as a PDF, to GET with the same bearer token.
    async fn download_url(&self, ctx: &Context<'_>) -> Result<String> {
        let ports = request(ctx)?.1;
        Ok(format!("{}/invoices/{}.pdf", ports.public_url, self.0.id))
    }
}

impl InvoiceNode {
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<ChargeLine>> {
        let loaders = request(ctx)?.2;
        Ok(loaders
            .charges
            .load_one(self.0.id.clone())
            .await
            .gql()?
            .unwrap_or_default())
    }
}

/// One call of a call report.
pub struct UsageRecordNode(pub UsageRecord);

#[Object(name = "UsageRecord")]
impl UsageRecordNode {
    /// Backend id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// When the call started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }

    /// The calling number.
    async fn from(&self) -> &str {
        &self.0.from
    }

    /// The called number.
    async fn to(&self) -> &str {
        &self.0.to
    }

    /// Length in seconds.
    async fn duration_seconds(&self) -> i32 {
        self.0.duration_secs
    }

    /// Length as `h:mm:ss`.
    async fn duration(&self) -> String {
        hms(self.0.duration_secs.into())
    }

    /// Kind of call.
    async fn kind(&self) -> UsageKind {
        self.0.kind.into()
    }

    /// What it cost.
    async fn charge(&self) -> MoneyNode {
        MoneyNode(self.0.charge.clone())
    }

    /// The invoice it was billed on.
    async fn invoice_id(&self) -> Option<ID> {
        self.0.invoice_id.clone().map(ID)
    }
}

/// `h:mm:ss` for a number of seconds.
pub fn hms(seconds: i64) -> String {
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// Count, duration and charge of a call report.
pub struct UsageTotalsNode(pub UsageTotals);

#[Object(name = "UsageTotals")]
impl UsageTotalsNode {
    /// How many calls.
    async fn count(&self) -> u64 {
        self.0.count
    }

    /// Their total length in seconds.
    async fn duration_seconds(&self) -> String {
        self.0.duration_secs.to_string()
    }

    /// Their total charge.
    async fn charge(&self) -> MoneyNode {
        MoneyNode(self.0.charge.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_hours_minutes_seconds() {
        assert_eq!(hms(0), "0:00:00");
        assert_eq!(hms(3599), "0:59:59");
        assert_eq!(hms(3661), "1:01:01");
    }
}
