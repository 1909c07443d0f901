//! Billing rows as diesel reads and writes them, and their domain types.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use switchboard_core::billing::{
    BillingDetails, ChargeLine, Invoice, Money, UsageKind, UsageRecord,
};

use crate::schema::{billing_accounts, invoice_charges, invoices, usage_records};

/// A row of `billing_accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = billing_accounts)]
pub struct DetailsRow {
    pub account_id: String,
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub phone: String,
    pub notification_email: String,
}

impl DetailsRow {
    pub fn into_domain(self) -> BillingDetails {
        BillingDetails {
            account_id: self.account_id,
            address: self.address,
            city: self.city,
            state: self.state,
            zip: self.zip,
            phone: self.phone,
            notification_email: self.notification_email,
        }
    }
}

/// A row of `invoices`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = invoices)]
pub struct InvoiceRow {
    pub id: i64,
    pub account_id: String,
    pub number: String,
    pub invoice_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: String,
    pub previous_minor: i64,
    pub payments_minor: i64,
    pub adjustments_minor: i64,
    pub late_fee_minor: i64,
    pub current_minor: i64,
    pub total_due_minor: i64,
}

impl InvoiceRow {
    /// The sum the database's check constraint holds `total_due_minor` to.
    pub fn parts_sum(&self) -> i64 {
        self.previous_minor
            + self.payments_minor
            + self.adjustments_minor
            + self.late_fee_minor
            + self.current_minor
    }

    pub fn into_domain(self) -> Invoice {
        let money = |minor| Money::new(minor, self.currency.clone());
        Invoice {
            id: self.id.to_string(),
            previous_amount: money(self.previous_minor),
            payments: money(self.payments_minor),
            adjustments: money(self.adjustments_minor),
            late_fee: money(self.late_fee_minor),
            current_charges: money(self.current_minor),
            number: self.number,
            account_id: self.account_id,
            invoice_date: self.invoice_date,
            due_date: self.due_date,
        }
    }
}

/// A row of `invoice_charges`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = invoice_charges)]
pub struct ChargeRow {
    pub id: i64,
    pub invoice_id: i64,
    pub position: i32,
    pub category: String,
    pub description: String,
    pub amount_minor: i64,
}

impl ChargeRow {
    /// The line, in its invoice's `currency`.
    pub fn into_domain(self, currency: String) -> ChargeLine {
        ChargeLine {
            id: self.id.to_string(),
            invoice_id: self.invoice_id.to_string(),
            category: self.category,
            description: self.description,
            amount: Money::new(self.amount_minor, currency),
            position: self.position,
        }
    }
}

/// A row of `usage_records`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = usage_records)]
pub struct UsageRow {
    pub id: i64,
    pub account_id: String,
    pub invoice_id: Option<i64>,
    pub started_at: NaiveDateTime,
    pub from_number: String,
    pub to_number: String,
    pub duration_secs: i32,
    pub kind: String,
    pub currency: String,
    pub charge_minor: i64,
}

impl UsageRow {
    pub fn into_domain(self) -> UsageRecord {
        UsageRecord {
            id: self.id.to_string(),
            account_id: self.account_id,
            invoice_id: self.invoice_id.map(|id| id.to_string()),
            started_at: self.started_at.and_utc(),
            from: self.from_number,
            to: self.to_number,
            duration_secs: self.duration_secs,
            // Rows are written by this adapter with known kinds only.
            kind: UsageKind::parse(&self.kind).unwrap_or(UsageKind::Local),
            charge: Money::new(self.charge_minor, self.currency),
        }
    }
}
