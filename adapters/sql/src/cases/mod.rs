//! [`CaseStore`] on SQL, one file per capability: [`read`], [`write`]
//! (with [`create`]), [`activity`], [`watch`] and [`files`]. This module
//! holds what they share: cursors, the filtered query and the statements
//! every write makes.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchboard_core::cases::{
    Activity, ActivityKind, Attachment, ByteStream, Case, CaseActivity, CaseFileWrites, CaseFiles,
    CaseFilter, CaseOrder, CaseOrderField, CaseReads, CaseState, CaseType, CaseWrites, Catalog,
    Category, CheckedFile, Created, Direction, NewAttachment, NewCase, NewComment, Priority,
    SearchToken, SupportCaseType, WatchEntry, WatchListWrites, WatchLists, cancel_reason,
    ensure_cancelable, ensure_writable, fingerprint, search_tokens,
};
use switchboard_core::{Actor, Error, Page, PageRequest, Result, Scope, validate};

use crate::among::among;
use crate::cursor::{Cursor, load_in_groups, page_of, seek};
use crate::models::*;
use crate::schema::{
    attachment_chunks, attachments, case_activities, case_categories, case_counts, case_types,
    case_watchers, cases, contacts, locations, products, support_case_types, write_keys,
};
use crate::tx::{TxError, tx_error};
use crate::write_keys::{KeyedWrite, key_row};
use crate::{SqlStore, db_error, scoped_rows_in, transaction, with_conn};

/// Attachments are stored in chunks of this size, so downloads stream.
const CHUNK_BYTES: usize = 256 * 1024;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

fn micros(t: NaiveDateTime) -> String {
    t.and_utc().timestamp_micros().to_string()
}

fn from_micros(c: &Cursor) -> Result<NaiveDateTime> {
    DateTime::from_timestamp_micros(c.key_i64()?)
        .map(|t| t.naive_utc())
        .ok_or_else(|| Error::invalid("after", "this cursor is not valid for this list"))
}

fn sort_key(row: &CaseRow, field: CaseOrderField) -> String {
    match field {
        CaseOrderField::Number => row.number.clone(),
        CaseOrderField::Opened => micros(row.opened_at),
        CaseOrderField::Updated => micros(row.updated_at),
        CaseOrderField::State => row.state.to_string(),
        CaseOrderField::Priority => row.priority.to_string(),
    }
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

/// A boxed query over `cases` selecting `$select`, restricted to `$accounts`
/// and `$filter`. Its text varies with the filter (search words, dates,
/// lists), so it stays out of SQLite's statement cache (diesel's `eq_any`,
/// and `among_once` for the accounts): cached, the shapes a client can ask
/// for would have no useful bound (see [`crate::among`]).
macro_rules! filtered_cases {
    ($select:expr, $filter:expr, $accounts:expr, $DB:ty) => {{
        let filter: &CaseFilter = $filter;
        let mut q = cases::table
            .select($select)
            .filter($crate::among::among_once(cases::account_id, $accounts))
            .into_boxed::<$DB>();
        if !filter.states.is_empty() {
            q = q.filter(
                cases::state.eq_any(filter.states.iter().map(|s| s.rank()).collect::<Vec<_>>()),
            );
        }
        if !filter.priorities.is_empty() {
            q = q.filter(
                cases::priority.eq_any(
                    filter
                        .priorities
                        .iter()
                        .map(|p| p.level())
                        .collect::<Vec<_>>(),
                ),
            );
        }
        if !filter.locations.is_empty() {
            q = q.filter(cases::location_id.eq_any(parse_ids(&filter.locations)));
        }
        if !filter.case_types.is_empty() {
            q = q.filter(cases::case_type.eq_any(filter.case_types.clone()));
        }
        if !filter.categories.is_empty() {
            q = q.filter(cases::category.eq_any(filter.categories.clone()));
        }
        if let Some(from) = filter.opened.from {
            q = q.filter(cases::opened_at.ge(from.naive_utc()));
        }
        if let Some(to) = filter.opened.to {
            q = q.filter(cases::opened_at.lt(to.naive_utc()));
        }
        if let Some(from) = filter.updated.from {
            q = q.filter(cases::updated_at.ge(from.naive_utc()));
        }
        if let Some(to) = filter.updated.to {
            q = q.filter(cases::updated_at.lt(to.naive_utc()));
        }
        for token in search_tokens(filter.text.as_deref().unwrap_or("")) {
            match token {
                SearchToken::NumberPrefix(prefix) => {
                    q = q.filter(
                        cases::number
                            .like(format!("{}%", escape_like(&prefix)))
                            .escape('\\'),
                    );
                }
                SearchToken::Word(word) => {
                    let pattern = format!("%{}%", escape_like(&word.to_lowercase()));
                    q = q.filter(
                        lower(cases::title)
                            .like(pattern.clone())
                            .escape('\\')
                            .or(lower(cases::description).like(pattern).escape('\\')),
                    );
                }
            }
        }
        q
    }};
}

/// Reads the case `id` if it is in scope.
macro_rules! scoped_case {
    ($conn:ident, $scope:expr, $id:expr) => {{
        let id: &str = $id;
        match parse_id(id) {
            None => Err(TxError::Domain(case_not_found(id))),
            Some(key) => cases::table
                .filter(cases::id.eq(key))
                .filter(among(cases::account_id, $scope.accounts()))
                .select(CaseRow::as_select())
                .first::<CaseRow>($conn)
                .await
                .optional()
                .map_err(TxError::Db)?
                .ok_or_else(|| TxError::Domain(case_not_found(id))),
        }
    }};
}

/// Reads the case `id` for a write, if it is in scope. On PostgreSQL the
/// row is locked first (`FOR UPDATE`) for the rest of the transaction, so
/// the state checks that follow and the writes that rely on them see no
/// concurrent change; SQLite needs no lock, as its writers are serialised.
macro_rules! locked_case {
    ($conn:ident, $self:ident, $scope:expr, $id:expr) => {{
        let id: &str = $id;
        if $self.db.backend() == crate::Backend::Postgres
            && let Some(key) = parse_id(id)
        {
            diesel::sql_query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
                .bind::<diesel::sql_types::BigInt, _>(key)
                .execute($conn)
                .await
                .map_err(TxError::Db)?;
        }
        scoped_case!($conn, $scope, id)
    }};
}

/// Appends an entry to the activity stream of the case row `$case` and
/// bumps the case's `updated_at`: what every write records.
macro_rules! record {
    ($conn:ident, $case:expr, $kind:expr, $author:expr, $body:expr, $at:expr) => {{
        let case: &CaseRow = &$case;
        diesel::insert_into(case_activities::table)
            .values(NewActivityRow::new(
                case.id,
                &case.account_id,
                $kind,
                $author,
                $body,
                $at,
            ))
            .execute($conn)
            .await?;
        touch!($conn, case.id, $at);
    }};
}

/// The whole watch list of the case `$case_id`, oldest entry first.
macro_rules! watch_list_of {
    ($conn:ident, $case_id:expr) => {
        case_watchers::table
            .filter(case_watchers::case_id.eq($case_id))
            .order_by((case_watchers::added_at, case_watchers::email))
            .select(WatcherRow::as_select())
            .load::<WatcherRow>($conn)
            .await?
            .into_iter()
            .map(WatcherRow::into_domain)
            .collect::<Vec<_>>()
    };
}

/// Bumps the case's `updated_at` to `$at`.
macro_rules! touch {
    ($conn:ident, $case_id:expr, $at:expr) => {
        diesel::update(cases::table.filter(cases::id.eq($case_id)))
            .set(cases::updated_at.eq($at))
            .execute($conn)
            .await?
    };
}

/// Reads an attachment and its case, if the case is in scope.
macro_rules! scoped_attachment {
    ($conn:ident, $scope:expr, $id:expr) => {{
        let raw: &str = $id;
        let not_found = || TxError::Domain(Error::not_found(format!("attachment {raw}")));
        match parse_id(raw) {
            None => Err(not_found()),
            Some(id) => attachments::table
                .inner_join(cases::table)
                .filter(attachments::id.eq(id))
                .filter(among(cases::account_id, $scope.accounts()))
                .select((AttachmentRow::as_select(), CaseRow::as_select()))
                .first::<(AttachmentRow, CaseRow)>($conn)
                .await
                .optional()
                .map_err(TxError::Db)?
                .ok_or_else(not_found),
        }
    }};
}

/// Inserts rows one statement each: diesel-async has no multi-row insert
/// for SQLite, and these lists are short.
macro_rules! insert_each {
    ($conn:ident, $table:expr, $rows:expr) => {
        for row in $rows {
            diesel::insert_into($table)
                .values(row)
                .execute($conn)
                .await?;
        }
    };
}

mod activity;
mod create;
mod files;
mod read;
mod watch;
mod write;

fn activity_cursor(ordering: &str, a: &ActivityRow) -> Cursor {
    Cursor {
        o: ordering.to_string(),
        k: micros(a.created_at),
        i: a.id,
    }
}
