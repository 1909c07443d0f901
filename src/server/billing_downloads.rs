//! Authorized GET downloads of billing documents: an invoice as PDF
//! (`/invoices/{id}.pdf`) and the call report as CSV, Excel or PDF
//! (`/usage.csv`, `/usage.xlsx`, `/usage.pdf`, with `account`, and the
//! GraphQL `UsageFilter` and `UsageOrder` as JSON in `filter` and `orderBy`).
//!
//! Another customer's account or invoice is 404 `NOT_FOUND`; an account
//! where the caller's role does not pass [`Rule::Billing`] is 403 `FORBIDDEN`.

mod pdf;
mod render;

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_core::billing::{UsageFilter, UsageOrder, UsageRecord};
use switchboard_core::{Error, PageRequest, Scope};

use super::AppState;
use super::downloads::domain_error;
use super::graphql_http::{Media, authenticate};
use crate::auth::Caller;
use crate::graphql::billing::{ExportFormat, UsageFilterInput, UsageOrderInput};
use crate::graphql::guards::Rule;

/// The most records one call report holds; narrow the filter for more.
const MAX_REPORT_ROWS: usize = 50_000;

/// The call report's query string.
#[derive(Debug, Deserialize)]
pub struct UsageParams {
    account: Option<String>,
    filter: Option<String>,
    #[serde(rename = "orderBy")]
    order_by: Option<String>,
}

/// Whether the caller may read `account`'s billing: not found outside
/// their accounts, forbidden without the role.
fn billing_allowed(caller: &Caller, account: &str) -> Result<(), Error> {
    if !caller.scope.contains(account) {
        return Err(Error::not_found(format!("account {account}")));
    }
    if !Rule::Billing.allows(caller, Some(account)) {
        return Err(Error::Forbidden(format!(
            "this needs {} on account {account}",
            Rule::Billing.describe()
        )));
    }
    Ok(())
}

fn account_name(caller: &Caller, account: &str) -> String {
    caller
        .principal
        .accounts
        .iter()
        .find(|a| a.id == account)
        .map(|a| a.name.clone())
        .unwrap_or_default()
}

/// A file response that is never rendered inline nor cached.
fn file(bytes: Vec<u8>, content_type: &'static str, file_name: &str) -> Response {
    let mut response = bytes.into_response();
    super::downloads::as_download(
        &mut response,
        HeaderValue::from_static(content_type),
        file_name,
    );
    response
}

/// `GET /invoices/{id}.pdf`: the invoice as a PDF.
pub async fn invoice_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let caller = match authenticate(&state, &headers, Media::Json).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    match invoice_document(&state, &caller, &name).await {
        Ok((bytes, number)) => file(bytes, "application/pdf", &format!("{number}.pdf")),
        Err(e) => domain_error(&e),
    }
}

async fn invoice_document(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<(Vec<u8>, String), Error> {
    let not_found = || Error::not_found(format!("invoice {name}"));
    let id = name.strip_suffix(".pdf").ok_or_else(not_found)?;
    let billing = &state.ports.billing;
    let invoice = billing
        .invoices_by_ids(&caller.scope, &[id.to_string()])
        .await?
        .pop()
        .ok_or_else(not_found)?;
    let account = invoice.account_id.clone();
    billing_allowed(caller, &account)?;
    let scope = Scope::new([account.clone()]);
    let ids = [invoice.id.clone()];
    let (lines, details) = futures::join!(
        billing.charges(&scope, &ids),
        billing.billing_details(&scope, std::slice::from_ref(&account)),
    );
    let (lines, details) = (lines?, details?);
    let name = account_name(caller, &account);
    let bytes = render::invoice_pdf(&render::InvoiceDocument {
        invoice: &invoice,
        lines: &lines,
        account_name: &name,
        details: details.first(),
    });
    Ok((bytes, invoice.number))
}

/// `GET /usage.csv`
pub async fn usage_csv(
    state: State<AppState>,
    headers: HeaderMap,
    params: Query<UsageParams>,
) -> Response {
    usage(state, headers, params, ExportFormat::Csv).await
}

/// `GET /usage.xlsx`
pub async fn usage_xlsx(
    state: State<AppState>,
    headers: HeaderMap,
    params: Query<UsageParams>,
) -> Response {
    usage(state, headers, params, ExportFormat::Xlsx).await
}

/// `GET /usage.pdf`
pub async fn usage_pdf(
    state: State<AppState>,
    headers: HeaderMap,
    params: Query<UsageParams>,
) -> Response {
    usage(state, headers, params, ExportFormat::Pdf).await
}

async fn usage(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<UsageParams>,
    format: ExportFormat,
) -> Response {
    let caller = match authenticate(&state, &headers, Media::Json).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    match usage_report(&state, &caller, &params, format).await {
        Ok((bytes, account)) => {
            let name = format!("call-report-{account}.{}", extension(format));
            file(bytes, format.content_type(), &name)
        }
        Err(e) => domain_error(&e),
    }
}

fn extension(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
        ExportFormat::Pdf => "pdf",
    }
}

/// The filter and ordering of the query string, checked like GraphQL's.
fn parse_params(params: &UsageParams) -> Result<(String, UsageFilter, UsageOrder), Error> {
    let account = params
        .account
        .clone()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| Error::invalid("account", "name the account with `account`"))?;
    let filter: UsageFilterInput = match params
        .filter
        .as_deref()
        .filter(|f| !f.is_empty() && *f != "null")
    {
        None => UsageFilterInput::default(),
        Some(raw) => serde_json::from_str(raw)
            .map_err(|e| Error::invalid("filter", format!("the filter is not valid: {e}")))?,
    };
    filter
        .check()
        .map_err(|e| Error::invalid("filter", e.message))?;
    let order: Option<UsageOrderInput> = match params.order_by.as_deref().filter(|o| !o.is_empty())
    {
        None => None,
        Some(raw) => serde_json::from_str(raw)
            .map_err(|e| Error::invalid("orderBy", format!("the ordering is not valid: {e}")))?,
    };
    Ok((account, filter.to_core(), UsageOrderInput::to_core(order)))
}

async fn usage_report(
    state: &AppState,
    caller: &Caller,
    params: &UsageParams,
    format: ExportFormat,
) -> Result<(Vec<u8>, String), Error> {
    let (account, filter, order) = parse_params(params)?;
    billing_allowed(caller, &account)?;
    let scope = Scope::new([account.clone()]);
    let records = every_record(state, &scope, &account, &filter, order).await?;
    let mut invoice_ids: Vec<String> = records
        .iter()
        .filter_map(|r| r.invoice_id.clone())
        .collect();
    invoice_ids.sort();
    invoice_ids.dedup();
    let invoice_numbers: HashMap<String, String> = state
        .ports
        .billing
        .invoices_by_ids(&scope, &invoice_ids)
        .await?
        .into_iter()
        .map(|i| (i.id, i.number))
        .collect();
    let name = account_name(caller, &account);
    let report = render::Report {
        account: &account,
        account_name: &name,
        records: &records,
        invoice_numbers: &invoice_numbers,
    };
    let bytes = match format {
        ExportFormat::Csv => render::usage_csv(&report),
        ExportFormat::Pdf => render::usage_pdf(&report),
        ExportFormat::Xlsx => render::usage_xlsx(&report).map_err(|e| {
            tracing::error!(error = %e, "could not write the call report workbook");
            Error::Internal
        })?,
    };
    Ok((bytes, account))
}

/// Every record matching `filter`, page by page, up to [`MAX_REPORT_ROWS`].
async fn every_record(
    state: &AppState,
    scope: &Scope,
    account: &str,
    filter: &UsageFilter,
    order: UsageOrder,
) -> Result<Vec<UsageRecord>, Error> {
    let mut records = Vec::new();
    let mut after = None;
    loop {
        let page = PageRequest {
            first: switchboard_core::page::MAX_PAGE_SIZE,
            after,
        };
        let page = state
            .ports
            .billing
            .list_usage(scope, account, filter, order, &page)
            .await?;
        after = page.end_cursor().map(str::to_string);
        let more = page.has_next_page;
        records.extend(page.into_items());
        if records.len() > MAX_REPORT_ROWS {
            return Err(Error::invalid(
                "filter",
                format!("a call report holds at most {MAX_REPORT_ROWS} calls; narrow the filter"),
            ));
        }
        if !more {
            return Ok(records);
        }
    }
}
