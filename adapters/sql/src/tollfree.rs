//! [`TollFreeStore`] on SQL: toll-free numbers keyset-paginated by number,
//! change requests with their lines (read in one extra statement per
//! page), and the submit and decide transactions ([`write`]), with the
//! request's case here or in another backend ([`external`]).

pub mod demo;
mod external;
mod rows;
mod write;

use std::sync::Arc;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchboard_core::cases::Direction;
use switchboard_core::tollfree::{
    ChangeRequest, Created, Decision, NewChangeRequest, RequestCases, TollFreeFilter,
    TollFreeNumber, TollFreeReads, TollFreeWrites,
};
use switchboard_core::{Actor, Error, Page, PageRequest, Result, Scope};

use crate::among::among;
use crate::cursor::{Cursor, page_of, seek};
use crate::models::parse_ids;
use crate::schema::{tollfree_change_lines, tollfree_change_requests, tollfree_numbers};
use crate::{SqlStore, db_error, with_conn};
pub use rows::{LineRow, NumberRow, RequestRow};

/// The ordering name number cursors carry.
const NUMBER_ORDER: &str = "TOLLFREE_NUMBER_ASC";
/// The ordering name request cursors carry.
const REQUEST_ORDER: &str = "TOLLFREE_REQUEST_DESC";

/// A boxed query over one account's numbers selecting `$select`, narrowed by `$filter`.
macro_rules! filtered_numbers {
    ($select:expr, $account:expr, $filter:expr, $DB:ty) => {{
        let filter: &TollFreeFilter = $filter;
        let mut q = tollfree_numbers::table
            .select($select)
            .filter(tollfree_numbers::account_id.eq($account))
            .into_boxed::<$DB>();
        if let Some(digits) = filter.search_digits() {
            // Digits only, so the pattern needs no escaping.
            let pattern = format!("%{digits}%");
            q = q.filter(
                tollfree_numbers::number
                    .like(pattern.clone())
                    .or(tollfree_numbers::ring_to.like(pattern)),
            );
        }
        if let Some(network) = filter.network {
            q = q.filter(tollfree_numbers::network.eq(network.as_str()));
        }
        if let Some(changeable) = filter.changeable_online {
            q = q.filter(tollfree_numbers::changeable_online.eq(changeable));
        }
        q
    }};
}

/// Reads the lines of the request rows `$rows` in one statement and joins them up.
macro_rules! with_lines {
    ($conn:ident, $rows:expr) => {{
        let rows: Vec<RequestRow> = $rows;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut lines: Vec<LineRow> = if ids.is_empty() {
            Vec::new()
        } else {
            tollfree_change_lines::table
                .filter(among(tollfree_change_lines::request_id, &ids))
                .order_by((
                    tollfree_change_lines::request_id,
                    tollfree_change_lines::position,
                ))
                .select(LineRow::as_select())
                .load($conn)
                .await?
        };
        rows.into_iter()
            .map(|row| {
                let mine: Vec<LineRow> = lines.extract_if(.., |l| l.request_id == row.id).collect();
                row.into_domain(mine)
            })
            .collect::<Vec<ChangeRequest>>()
    }};
}
pub(crate) use with_lines;

impl SqlStore {
    /// This store, opening and resolving the cases of toll-free change
    /// requests through `cases` (the backend that serves cases) instead of
    /// in its own `cases` table. Requests made before keep their case here.
    pub fn with_request_cases(mut self, cases: Arc<dyn RequestCases>) -> Self {
        self.request_cases = Some(cases);
        self
    }
}

fn account_in_scope(scope: &Scope, account_id: &str) -> Result<()> {
    if scope.contains(account_id) {
        Ok(())
    } else {
        Err(Error::not_found(format!("account {account_id}")))
    }
}

fn decode(page: &PageRequest, ordering: &str) -> Result<Option<Cursor>> {
    page.after
        .as_deref()
        .map(|raw| Cursor::decode(raw, ordering))
        .transpose()
}

#[async_trait]
impl TollFreeReads for SqlStore {
    fn backend(&self) -> &'static str {
        crate::BACKEND
    }

    async fn list_numbers(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &TollFreeFilter,
        page: &PageRequest,
    ) -> Result<Page<TollFreeNumber>> {
        account_in_scope(scope, account_id)?;
        let cursor = decode(page, NUMBER_ORDER)?;
        let limit = page.first as i64 + 1;
        let rows: Vec<NumberRow> = with_conn!(self.db, |conn, DB| {
            let mut q = filtered_numbers!(NumberRow::as_select(), account_id, filter, DB);
            let key = cursor.as_ref().map(|c| (c.k.clone(), c.i));
            seek!(q, tollfree_numbers::number, Direction::Asc, key);
            q.limit(limit).load(conn).await.map_err(db_error)
        })?;
        Ok(page_of(
            rows,
            page.first,
            |r| Cursor {
                o: NUMBER_ORDER.into(),
                k: r.number.clone(),
                i: r.id,
            },
            NumberRow::into_domain,
        ))
    }

    async fn count_numbers(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &TollFreeFilter,
    ) -> Result<u64> {
        account_in_scope(scope, account_id)?;
        let n: i64 = with_conn!(self.db, |conn, DB| {
            filtered_numbers!(diesel::dsl::count_star(), account_id, filter, DB)
                .get_result(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn numbers(
        &self,
        scope: &Scope,
        account_id: &str,
        numbers: &[String],
    ) -> Result<Vec<TollFreeNumber>> {
        account_in_scope(scope, account_id)?;
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<NumberRow> = with_conn!(self.db, |conn| {
            tollfree_numbers::table
                .filter(tollfree_numbers::account_id.eq(account_id))
                .filter(among(tollfree_numbers::number, numbers))
                .select(NumberRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(NumberRow::into_domain).collect())
    }

    async fn change_requests(&self, scope: &Scope, ids: &[String]) -> Result<Vec<ChangeRequest>> {
        let ids = parse_ids(ids);
        if ids.is_empty() || scope.accounts().is_empty() {
            return Ok(Vec::new());
        }
        with_conn!(self.db, |conn| {
            async {
                let rows: Vec<RequestRow> = tollfree_change_requests::table
                    .filter(among(tollfree_change_requests::id, &ids))
                    .filter(among(
                        tollfree_change_requests::account_id,
                        scope.accounts(),
                    ))
                    .select(RequestRow::as_select())
                    .load(conn)
                    .await?;
                Ok::<_, diesel::result::Error>(with_lines!(conn, rows))
            }
            .await
            .map_err(db_error)
        })
    }

    async fn list_change_requests(
        &self,
        scope: &Scope,
        account_id: &str,
        page: &PageRequest,
    ) -> Result<Page<ChangeRequest>> {
        account_in_scope(scope, account_id)?;
        let cursor = decode(page, REQUEST_ORDER)?;
        let limit = page.first as i64 + 1;
        let requests: Vec<ChangeRequest> = with_conn!(self.db, |conn, DB| {
            async {
                let mut q = tollfree_change_requests::table
                    .filter(tollfree_change_requests::account_id.eq(account_id))
                    .select(RequestRow::as_select())
                    .order_by(tollfree_change_requests::id.desc())
                    .limit(limit)
                    .into_boxed::<DB>();
                if let Some(c) = &cursor {
                    q = q.filter(tollfree_change_requests::id.lt(c.i));
                }
                let rows: Vec<RequestRow> = q.load(conn).await?;
                Ok::<_, diesel::result::Error>(with_lines!(conn, rows))
            }
            .await
            .map_err(db_error)
        })?;
        Ok(page_of(
            requests,
            page.first,
            |r| Cursor {
                o: REQUEST_ORDER.into(),
                k: r.id.clone(),
                i: r.id.parse().unwrap_or(0),
            },
            |r| r,
        ))
    }
}

#[async_trait]
impl TollFreeWrites for SqlStore {
    async fn submit(
        &self,
        scope: &Scope,
        actor: &Actor,
        request: NewChangeRequest,
    ) -> Result<Created<ChangeRequest>> {
        write::submit(self, scope, actor, request).await
    }

    async fn decide(
        &self,
        operator: &Actor,
        id: &str,
        decision: Decision,
    ) -> Result<ChangeRequest> {
        write::decide(self, operator, id, decision).await
    }
}
