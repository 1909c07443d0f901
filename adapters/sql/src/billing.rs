//! [`BillingStore`] on SQL: billing details, invoices with their charge
//! lines, and usage records, keyset-paginated over indexed orderings.

pub mod demo;
mod rows;

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::RunQueryDsl;
use switchboard_core::billing::{
    BillingDetails, BillingStore, ChargeLine, Direction, Invoice, InvoiceFilter, InvoiceOrder,
    InvoiceOrderField, Money, UsageFilter, UsageOrder, UsageOrderField, UsageRecord, UsageTotals,
};
use switchboard_core::{Error, Page, PageRequest, Result, Scope};

use crate::among::among;
use crate::cursor::{Cursor, page_of, seek};
use crate::models::parse_ids;
use crate::schema::{billing_accounts, invoice_charges, invoices, usage_records};
use crate::{SqlStore, db_error, scoped_rows_in, with_conn};
pub use rows::{ChargeRow, DetailsRow, InvoiceRow, UsageRow};

/// The currency usage totals report when no record matched.
const DEFAULT_CURRENCY: &str = "USD";

/// A boxed query over one account's invoices selecting `$select`, narrowed by `$filter`.
macro_rules! filtered_invoices {
    ($select:expr, $account:expr, $filter:expr, $DB:ty) => {{
        let filter: &InvoiceFilter = $filter;
        let mut q = invoices::table
            .select($select)
            .filter(invoices::account_id.eq($account))
            .into_boxed::<$DB>();
        if let Some(number) = filter
            .number
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let pattern = format!("%{}%", escape_like(&number.to_ascii_uppercase()));
            q = q.filter(invoices::number.like(pattern).escape('\\'));
        }
        q
    }};
}

/// A boxed query over one account's usage selecting `$select`, narrowed by `$filter`.
macro_rules! filtered_usage {
    ($select:expr, $account:expr, $filter:expr, $DB:ty) => {{
        let filter: &UsageFilter = $filter;
        let mut q = usage_records::table
            .select($select)
            .filter(usage_records::account_id.eq($account))
            .into_boxed::<$DB>();
        if let Some(invoice) = &filter.invoice_id {
            let id = invoice.parse::<i64>().unwrap_or(-1);
            q = q.filter(usage_records::invoice_id.eq(id));
        }
        if let Some(from) = filter.period.from {
            q = q.filter(usage_records::started_at.ge(from.naive_utc()));
        }
        if let Some(to) = filter.period.to {
            q = q.filter(usage_records::started_at.lt(to.naive_utc()));
        }
        if !filter.kinds.is_empty() {
            let kinds: Vec<&str> = filter.kinds.iter().map(|k| k.as_str()).collect();
            q = q.filter(among(usage_records::kind, kinds));
        }
        if let Some(number) = filter
            .number
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let pattern = format!("%{}%", escape_like(number));
            q = q.filter(
                usage_records::from_number
                    .like(pattern.clone())
                    .escape('\\')
                    .or(usage_records::to_number.like(pattern).escape('\\')),
            );
        }
        q
    }};
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as the escape.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn account_in_scope(scope: &Scope, account_id: &str) -> Result<()> {
    if scope.contains(account_id) {
        Ok(())
    } else {
        Err(Error::not_found(format!("account {account_id}")))
    }
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    }
}

fn invoice_ordering(order: InvoiceOrder) -> String {
    let field = match order.field {
        InvoiceOrderField::InvoiceDate => "INVOICE_DATE",
        InvoiceOrderField::DueDate => "DUE_DATE",
        InvoiceOrderField::Number => "NUMBER",
        InvoiceOrderField::TotalDue => "TOTAL_DUE",
    };
    format!("INVOICES_{field}_{}", direction_name(order.direction))
}

fn usage_ordering(order: UsageOrder) -> String {
    let field = match order.field {
        UsageOrderField::StartedAt => "STARTED_AT",
        UsageOrderField::Duration => "DURATION",
        UsageOrderField::Charge => "CHARGE",
    };
    format!("USAGE_{field}_{}", direction_name(order.direction))
}

fn bad_cursor() -> Error {
    Error::invalid("after", "this cursor is not valid for this list")
}

fn date_key(cursor: &Cursor) -> Result<NaiveDate> {
    let days = i32::try_from(cursor.key_i64()?).map_err(|_| bad_cursor())?;
    NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(bad_cursor)
}

fn invoice_key(row: &InvoiceRow, field: InvoiceOrderField) -> String {
    match field {
        InvoiceOrderField::InvoiceDate => row.invoice_date.num_days_from_ce().to_string(),
        InvoiceOrderField::DueDate => row.due_date.num_days_from_ce().to_string(),
        InvoiceOrderField::Number => row.number.clone(),
        InvoiceOrderField::TotalDue => row.total_due_minor.to_string(),
    }
}

fn usage_key(row: &UsageRow, field: UsageOrderField) -> String {
    match field {
        UsageOrderField::StartedAt => row.started_at.and_utc().timestamp_micros().to_string(),
        UsageOrderField::Duration => row.duration_secs.to_string(),
        UsageOrderField::Charge => row.charge_minor.to_string(),
    }
}

#[async_trait]
impl BillingStore for SqlStore {
    fn backend(&self) -> &'static str {
        crate::BACKEND
    }

    async fn billing_details(
        &self,
        scope: &Scope,
        account_ids: &[String],
    ) -> Result<Vec<BillingDetails>> {
        let ids: Vec<&String> = account_ids.iter().filter(|a| scope.contains(a)).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<DetailsRow> = with_conn!(self.db, |conn| {
            billing_accounts::table
                .filter(among(billing_accounts::account_id, ids))
                .select(DetailsRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(DetailsRow::into_domain).collect())
    }

    async fn latest_invoices(&self, scope: &Scope, account_ids: &[String]) -> Result<Vec<Invoice>> {
        let ids: Vec<&String> = account_ids.iter().filter(|a| scope.contains(a)).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let newer = diesel::alias!(invoices as newer);
        let rows: Vec<InvoiceRow> = with_conn!(self.db, |conn| {
            // An invoice is the latest when no invoice of its account is newer.
            let later = newer
                .filter(newer.field(invoices::account_id).eq(invoices::account_id))
                .filter(
                    newer
                        .field(invoices::invoice_date)
                        .gt(invoices::invoice_date)
                        .or(newer
                            .field(invoices::invoice_date)
                            .eq(invoices::invoice_date)
                            .and(newer.field(invoices::id).gt(invoices::id))),
                );
            invoices::table
                .filter(among(invoices::account_id, ids))
                .filter(diesel::dsl::not(diesel::dsl::exists(later)))
                .select(InvoiceRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(InvoiceRow::into_domain).collect())
    }

    async fn list_invoices(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InvoiceFilter,
        order: InvoiceOrder,
        page: &PageRequest,
    ) -> Result<Page<Invoice>> {
        account_in_scope(scope, account_id)?;
        let ordering = invoice_ordering(order);
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, &ordering))
            .transpose()?;
        let limit = page.first as i64 + 1;
        let rows: Vec<InvoiceRow> = with_conn!(self.db, |conn, DB| {
            let mut q = filtered_invoices!(InvoiceRow::as_select(), account_id, filter, DB);
            let dir = order.direction;
            match order.field {
                InvoiceOrderField::InvoiceDate => {
                    let key = cursor.as_ref().map(|c| date_key(c).map(|k| (k, c.i)));
                    seek!(q, invoices::invoice_date, dir, key.transpose()?);
                }
                InvoiceOrderField::DueDate => {
                    let key = cursor.as_ref().map(|c| date_key(c).map(|k| (k, c.i)));
                    seek!(q, invoices::due_date, dir, key.transpose()?);
                }
                InvoiceOrderField::Number => {
                    let key = cursor.as_ref().map(|c| (c.k.clone(), c.i));
                    seek!(q, invoices::number, dir, key);
                }
                InvoiceOrderField::TotalDue => {
                    let key = cursor.as_ref().map(|c| c.key_i64().map(|k| (k, c.i)));
                    seek!(q, invoices::total_due_minor, dir, key.transpose()?);
                }
            }
            q.limit(limit).load(conn).await.map_err(db_error)
        })?;
        Ok(page_of(
            rows,
            page.first,
            |row| Cursor {
                o: ordering.clone(),
                k: invoice_key(row, order.field),
                i: row.id,
            },
            InvoiceRow::into_domain,
        ))
    }

    async fn count_invoices(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InvoiceFilter,
    ) -> Result<u64> {
        account_in_scope(scope, account_id)?;
        let n: i64 = with_conn!(self.db, |conn, DB| {
            filtered_invoices!(diesel::dsl::count_star(), account_id, filter, DB)
                .get_result(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn invoices_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Invoice>> {
        let rows = scoped_rows_in!(self.db, invoices, InvoiceRow, id, ids, scope, invoices::id)?;
        Ok(rows.into_iter().map(InvoiceRow::into_domain).collect())
    }

    async fn invoice_by_number(&self, scope: &Scope, number: &str) -> Result<Invoice> {
        let wanted = number.trim().to_ascii_uppercase();
        let row: Option<InvoiceRow> = with_conn!(self.db, |conn| {
            invoices::table
                .filter(invoices::number.eq(&wanted))
                .filter(among(invoices::account_id, scope.accounts()))
                .select(InvoiceRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        row.map(InvoiceRow::into_domain)
            .ok_or_else(|| Error::not_found(format!("invoice {number}")))
    }

    async fn charges(&self, scope: &Scope, invoice_ids: &[String]) -> Result<Vec<ChargeLine>> {
        let ids = parse_ids(invoice_ids);
        if ids.is_empty() || scope.accounts().is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(ChargeRow, String)> = with_conn!(self.db, |conn| {
            invoice_charges::table
                .inner_join(invoices::table)
                .filter(among(invoices::id, &ids))
                .filter(among(invoices::account_id, scope.accounts()))
                .order_by((invoice_charges::invoice_id, invoice_charges::position))
                .select((ChargeRow::as_select(), invoices::currency))
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows
            .into_iter()
            .map(|(row, currency)| row.into_domain(currency))
            .collect())
    }

    async fn list_usage(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &UsageFilter,
        order: UsageOrder,
        page: &PageRequest,
    ) -> Result<Page<UsageRecord>> {
        account_in_scope(scope, account_id)?;
        let ordering = usage_ordering(order);
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, &ordering))
            .transpose()?;
        let limit = page.first as i64 + 1;
        let rows: Vec<UsageRow> = with_conn!(self.db, |conn, DB| {
            let mut q = filtered_usage!(UsageRow::as_select(), account_id, filter, DB);
            let dir = order.direction;
            match order.field {
                UsageOrderField::StartedAt => {
                    let key = cursor.as_ref().map(|c| {
                        chrono::DateTime::from_timestamp_micros(c.key_i64()?)
                            .map(|t| (t.naive_utc(), c.i))
                            .ok_or_else(bad_cursor)
                    });
                    seek!(q, usage_records::started_at, dir, key.transpose()?);
                }
                UsageOrderField::Duration => {
                    let key = cursor.as_ref().map(|c| {
                        let k = i32::try_from(c.key_i64()?).map_err(|_| bad_cursor())?;
                        Ok::<_, Error>((k, c.i))
                    });
                    seek!(q, usage_records::duration_secs, dir, key.transpose()?);
                }
                UsageOrderField::Charge => {
                    let key = cursor.as_ref().map(|c| c.key_i64().map(|k| (k, c.i)));
                    seek!(q, usage_records::charge_minor, dir, key.transpose()?);
                }
            }
            q.limit(limit).load(conn).await.map_err(db_error)
        })?;
        Ok(page_of(
            rows,
            page.first,
            |row| Cursor {
                o: ordering.clone(),
                k: usage_key(row, order.field),
                i: row.id,
            },
            UsageRow::into_domain,
        ))
    }

    async fn usage_totals(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &UsageFilter,
    ) -> Result<UsageTotals> {
        account_in_scope(scope, account_id)?;
        // SUM over BIGINT is NUMERIC on PostgreSQL; the cast keeps it an integer.
        let sums = diesel::dsl::sql::<(BigInt, Nullable<BigInt>, Nullable<BigInt>, Nullable<Text>)>(
            "COUNT(*), CAST(SUM(duration_secs) AS BIGINT), \
             CAST(SUM(charge_minor) AS BIGINT), MIN(currency)",
        );
        type Sums = (i64, Option<i64>, Option<i64>, Option<String>);
        let (count, duration, charge, currency): Sums = with_conn!(self.db, |conn, DB| {
            filtered_usage!(sums, account_id, filter, DB)
                .get_result(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(UsageTotals {
            count: u64::try_from(count).unwrap_or(0),
            duration_secs: duration.unwrap_or(0),
            charge: Money::new(
                charge.unwrap_or(0),
                currency.unwrap_or_else(|| DEFAULT_CURRENCY.to_string()),
            ),
        })
    }
}
