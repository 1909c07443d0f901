//! Behaviours of the [`BillingStore`] port: scoping, the summary of charges
//! adding up to the cent, invoice ordering, search and keyset pagination,
//! the latest invoice per account, and usage filters, pages and totals.

use std::cmp::Ordering;

use crate::support::every_item;
use switchboard_core::billing::{
    BillingStore, Direction, Invoice, InvoiceFilter, InvoiceOrder, InvoiceOrderField, Money,
    TimeRange, UsageFilter, UsageKind, UsageOrder, UsageOrderField, UsageRecord,
};
use switchboard_core::{Error, PageRequest, Scope};

mod invoices;
mod search;
mod usage;

pub use invoices::{
    invoice_orderings_paginate, scoping_hides_other_accounts, summary_of_charges_adds_up,
};
pub use search::{invoices_are_searchable_by_number, latest_invoice_is_the_newest};
pub use usage::usage_filters_pages_and_totals;

/// What the billing behaviours need to know about the dataset: two
/// accounts, each with billing details, at least a dozen invoices with
/// charge lines, and usage records billed on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingFixture {
    /// The account the behaviours read.
    pub home: String,
    /// Another account, whose records must stay out of `home`'s reach.
    pub other: String,
}

impl BillingFixture {
    fn home_scope(&self) -> Scope {
        Scope::new([self.home.clone()])
    }
}

fn is_not_found<T: std::fmt::Debug>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::NotFound { .. }))
}

/// Every invoice of `account` matching `filter`, read `size` at a time.
async fn every_invoice(
    store: &dyn BillingStore,
    scope: &Scope,
    account: &str,
    filter: &InvoiceFilter,
    order: InvoiceOrder,
    size: usize,
) -> Vec<Invoice> {
    every_item("invoices", size, |page| async move {
        store
            .list_invoices(scope, account, filter, order, &page)
            .await
    })
    .await
}

/// Every usage record of `account` matching `filter`, read `size` at a time.
async fn every_call(
    store: &dyn BillingStore,
    scope: &Scope,
    account: &str,
    filter: &UsageFilter,
    order: UsageOrder,
    size: usize,
) -> Vec<UsageRecord> {
    every_item("usage", size, |page| async move {
        store.list_usage(scope, account, filter, order, &page).await
    })
    .await
}

fn numeric(id: &str) -> i64 {
    id.parse().unwrap_or(i64::MAX)
}

fn invoice_cmp(field: InvoiceOrderField, a: &Invoice, b: &Invoice) -> Ordering {
    let by_field = match field {
        InvoiceOrderField::InvoiceDate => a.invoice_date.cmp(&b.invoice_date),
        InvoiceOrderField::DueDate => a.due_date.cmp(&b.due_date),
        InvoiceOrderField::Number => a.number.cmp(&b.number),
        InvoiceOrderField::TotalDue => a.total_due().minor.cmp(&b.total_due().minor),
    };
    by_field.then_with(|| numeric(&a.id).cmp(&numeric(&b.id)))
}
