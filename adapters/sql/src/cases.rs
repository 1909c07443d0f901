//! [`CaseStore`] on SQL.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use switchboard_core::cases::{
    Activity, ActivityKind, Attachment, ByteStream, Case, CaseFilter, CaseOrder, CaseOrderField,
    CaseState, CaseStore, CaseType, Catalog, Category, Created, Direction, NewAttachment, NewCase,
    NewComment, Priority, SupportCaseType, WatchEntry,
};
use switchboard_core::{Actor, Error, Page, PageRequest, Result, Scope, validate};

use crate::cursor::Cursor;
use crate::models::*;
use crate::schema::{
    attachment_chunks, attachments, case_activities, case_categories, case_types, case_watchers,
    cases, contacts, locations, products, support_case_types, write_keys,
};
use crate::write_keys::{KeyedWrite, checked_key, input_hash, key_row};
use crate::{SqlStore, db_error, scoped_rows_in, with_conn};

/// Attachments are stored in chunks of this size, so downloads stream.
const CHUNK_BYTES: usize = 256 * 1024;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// An error inside a transaction: the database's, or a rule the store enforces.
enum TxError {
    Db(diesel::result::Error),
    Domain(Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Db(e)
    }
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Domain(e)
    }
}

impl From<TxError> for Error {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Db(e) => db_error(e),
            TxError::Domain(e) => e,
        }
    }
}

fn tx_error(e: TxError) -> Error {
    e.into()
}

fn ordering_name(order: CaseOrder) -> String {
    let field = match order.field {
        CaseOrderField::Number => "NUMBER",
        CaseOrderField::Opened => "OPENED",
        CaseOrderField::Updated => "UPDATED",
        CaseOrderField::State => "STATE",
        CaseOrderField::Priority => "PRIORITY",
    };
    let dir = match order.direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    format!("{field}_{dir}")
}

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

/// A free-text search split into what it matches.
enum Token {
    /// `CS…`: a case number or its prefix.
    NumberPrefix(String),
    /// A word to find in the title or description.
    Word(String),
}

fn tokens(text: &str) -> Vec<Token> {
    // Every word counts: dropping some would list cases that lack them.
    text.split_whitespace()
        .map(|t| {
            let upper = t.to_ascii_uppercase();
            if upper.len() > 2
                && upper.starts_with("CS")
                && upper[2..].chars().all(|c| c.is_ascii_digit())
            {
                Token::NumberPrefix(upper)
            } else {
                Token::Word(t.to_lowercase())
            }
        })
        .collect()
}

/// A boxed query over `cases` selecting `$select`, restricted to `$accounts`
/// and `$filter`.
macro_rules! filtered_cases {
    ($select:expr, $filter:expr, $accounts:expr, $DB:ty) => {{
        let filter: &CaseFilter = $filter;
        let mut q = cases::table
            .select($select)
            .filter(cases::account_id.eq_any($accounts))
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
        for token in filter.text.as_deref().map(tokens).unwrap_or_default() {
            match token {
                Token::NumberPrefix(prefix) => {
                    q = q.filter(
                        cases::number
                            .like(format!("{}%", escape_like(&prefix)))
                            .escape('\\'),
                    );
                }
                Token::Word(word) => {
                    let pattern = format!("%{}%", escape_like(&word));
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

/// Orders `$q` by `$col` then id in `$dir`, starting after `$key` if given.
macro_rules! seek {
    ($q:ident, $col:expr, $dir:expr, $key:expr) => {{
        match $dir {
            Direction::Asc => {
                if let Some((k, id)) = $key {
                    $q = $q.filter($col.gt(k.clone()).or($col.eq(k).and(cases::id.gt(id))));
                }
                $q = $q.order_by(($col.asc(), cases::id.asc()));
            }
            Direction::Desc => {
                if let Some((k, id)) = $key {
                    $q = $q.filter($col.lt(k.clone()).or($col.eq(k).and(cases::id.lt(id))));
                }
                $q = $q.order_by(($col.desc(), cases::id.desc()));
            }
        }
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
                .filter(cases::account_id.eq_any($scope.accounts()))
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

/// Runs `$body` in a write transaction (writers serialised on SQLite) and
/// maps its error.
macro_rules! write_tx {
    ($self:ident, |$conn:ident| $body:expr) => {{
        let _guard = $self.db.write_guard().await;
        with_conn!($self.db, |conn| {
            conn.transaction::<_, TxError, _>(async |$conn| $body)
                .await
                .map_err(tx_error)
        })
    }};
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
                .filter(cases::account_id.eq_any($scope.accounts()))
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

/// Refuses writes to cases that are finished.
fn writable(row: &CaseRow) -> std::result::Result<(), TxError> {
    match row.state() {
        CaseState::Closed | CaseState::Canceled => Err(TxError::Domain(Error::Conflict(format!(
            "case {} is {}; open a new case instead",
            row.number,
            row.state().as_str()
        )))),
        _ => Ok(()),
    }
}

/// A write that made `record` now.
fn fresh<T>(record: T) -> Created<T> {
    Created {
        record,
        replayed: false,
    }
}

/// A retry answered with what an earlier write under its key made.
fn replayed<T>(record: T) -> Created<T> {
    Created {
        record,
        replayed: true,
    }
}

/// A digest of what a create asks for (the key aside), stable across
/// releases: each field in a fixed order, with its length, so no two inputs
/// share a digest and a retry after an upgrade still matches.
fn request_hash(new: &NewCase) -> String {
    let mut canonical = String::new();
    let mut field = |value: &str| {
        canonical.push_str(&value.len().to_string());
        canonical.push(':');
        canonical.push_str(value);
        canonical.push(';');
    };
    field(&new.account_id);
    field(&new.case_type);
    field(new.support_case_type.as_deref().unwrap_or(""));
    field(&new.category);
    field(new.title.as_deref().unwrap_or(""));
    field(&new.description);
    field(&new.priority.map_or(0, |p| p.level()).to_string());
    field(new.location_id.as_deref().unwrap_or(""));
    field(if new.location_not_listed { "1" } else { "0" });
    field(new.product_id.as_deref().unwrap_or(""));
    field(if new.product_not_listed { "1" } else { "0" });
    field(new.contact_id.as_deref().unwrap_or(""));
    for email in &new.watch_list {
        field(email);
    }
    hex(&Sha256::digest(canonical.as_bytes()))
}

impl SqlStore {
    async fn load_catalog(&self) -> Result<Catalog> {
        let (types, supports, categories) = with_conn!(self.db, |conn| {
            let types: Vec<(String, String, String, bool)> = case_types::table
                .order(case_types::position)
                .select((
                    case_types::code,
                    case_types::name,
                    case_types::description,
                    case_types::customer_creatable,
                ))
                .load(conn)
                .await
                .map_err(db_error)?;
            let supports: Vec<(String, String, String)> = support_case_types::table
                .order(support_case_types::position)
                .select((
                    support_case_types::code,
                    support_case_types::case_type,
                    support_case_types::name,
                ))
                .load(conn)
                .await
                .map_err(db_error)?;
            let categories: Vec<(String, String, String)> = case_categories::table
                .order(case_categories::position)
                .select((
                    case_categories::support_case_type,
                    case_categories::code,
                    case_categories::name,
                ))
                .load(conn)
                .await
                .map_err(db_error)?;
            Ok::<_, Error>((types, supports, categories))
        })?;
        Ok(Catalog {
            case_types: types
                .into_iter()
                .map(|(code, name, description, customer_creatable)| CaseType {
                    support_case_types: supports
                        .iter()
                        .filter(|(_, parent, _)| *parent == code)
                        .map(|(scode, _, sname)| SupportCaseType {
                            code: scode.clone(),
                            name: sname.clone(),
                            categories: categories
                                .iter()
                                .filter(|(parent, _, _)| parent == scode)
                                .map(|(_, ccode, cname)| Category {
                                    code: ccode.clone(),
                                    name: cname.clone(),
                                })
                                .collect(),
                        })
                        .collect(),
                    code,
                    name,
                    description,
                    customer_creatable,
                })
                .collect(),
        })
    }

    async fn find_replay(&self, actor: &Actor, key: &str, hash: &str) -> Result<Option<Case>> {
        let row: Option<CaseRow> = with_conn!(self.db, |conn| {
            cases::table
                .filter(cases::opened_by_subject.eq(&actor.user_id))
                .filter(cases::idempotency_key.eq(key))
                .select(CaseRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        match row {
            None => Ok(None),
            Some(row) if row.request_hash.as_deref() == Some(hash) => Ok(Some(row.into_domain())),
            Some(row) => Err(Error::Conflict(format!(
                "idempotency key already used for case {} with different input",
                row.number
            ))),
        }
    }
}

#[async_trait]
impl CaseStore for SqlStore {
    fn backend(&self) -> &'static str {
        crate::BACKEND
    }

    async fn catalog(&self) -> Result<Arc<Catalog>> {
        if let Some(catalog) = self.catalog.fresh() {
            return Ok(catalog);
        }
        let catalog = Arc::new(self.load_catalog().await?);
        self.catalog.store(catalog.clone());
        Ok(catalog)
    }

    async fn list_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<Page<Case>> {
        let ordering = ordering_name(order);
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, &ordering))
            .transpose()?;
        let accounts = scope.narrow(&filter.accounts);
        let limit = page.first as i64 + 1;
        let rows: Vec<CaseRow> = with_conn!(self.db, |conn, DB| {
            let mut q = filtered_cases!(CaseRow::as_select(), filter, &accounts, DB);
            let dir = order.direction;
            match order.field {
                CaseOrderField::Number => {
                    let key = cursor.as_ref().map(|c| (c.k.clone(), c.i));
                    seek!(q, cases::number, dir, key);
                }
                CaseOrderField::Opened => {
                    let key = cursor
                        .as_ref()
                        .map(|c| from_micros(c).map(|k| (k, c.i)))
                        .transpose()?;
                    seek!(q, cases::opened_at, dir, key);
                }
                CaseOrderField::Updated => {
                    let key = cursor
                        .as_ref()
                        .map(|c| from_micros(c).map(|k| (k, c.i)))
                        .transpose()?;
                    seek!(q, cases::updated_at, dir, key);
                }
                CaseOrderField::State => {
                    let key = cursor
                        .as_ref()
                        .map(|c| c.key_i64().map(|k| (k as i16, c.i)))
                        .transpose()?;
                    seek!(q, cases::state, dir, key);
                }
                CaseOrderField::Priority => {
                    let key = cursor
                        .as_ref()
                        .map(|c| c.key_i64().map(|k| (k as i16, c.i)))
                        .transpose()?;
                    seek!(q, cases::priority, dir, key);
                }
            }
            q.limit(limit).load(conn).await.map_err(db_error)
        })?;
        Ok(page_of(
            rows,
            page.first,
            |row| {
                let cursor = Cursor {
                    o: ordering.clone(),
                    k: sort_key(row, order.field),
                    i: row.id,
                };
                cursor.encode()
            },
            CaseRow::into_domain,
        ))
    }

    async fn count_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<u64> {
        let accounts = scope.narrow(&filter.accounts);
        let n: i64 = with_conn!(self.db, |conn, DB| {
            filtered_cases!(diesel::dsl::count_star(), filter, &accounts, DB)
                .get_result(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(n.max(0) as u64)
    }

    async fn cases_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Case>> {
        let rows = scoped_rows_in!(self.db, cases, CaseRow, id, ids, scope, cases::id)?;
        Ok(rows.into_iter().map(CaseRow::into_domain).collect())
    }

    async fn case_by_number(&self, scope: &Scope, number: &str) -> Result<Case> {
        let number = number.trim().to_ascii_uppercase();
        let row: Option<CaseRow> = with_conn!(self.db, |conn| {
            cases::table
                .filter(cases::number.eq(&number))
                .filter(cases::account_id.eq_any(scope.accounts()))
                .select(CaseRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        row.map(CaseRow::into_domain)
            .ok_or_else(|| Error::not_found(format!("case {number}")))
    }

    async fn create_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        new: NewCase,
    ) -> Result<Created<Case>> {
        let catalog = self.catalog().await?;
        let new = validate::new_case(&catalog, new)?;
        if !scope.contains(&new.account_id) {
            return Err(Error::not_found(format!("account {}", new.account_id)));
        }
        let hash = request_hash(&new);
        if let Some(key) = &new.idempotency_key
            && let Some(case) = self.find_replay(actor, key, &hash).await?
        {
            return Ok(replayed(case));
        }
        let result = self.insert_case(actor, &new, &hash).await;
        match (result, &new.idempotency_key) {
            // A concurrent retry with the same key won the race: answer with its case.
            (Err(Error::Conflict(_)), Some(key)) => {
                match self.find_replay(actor, key, &hash).await? {
                    Some(case) => Ok(replayed(case)),
                    None => Err(Error::Conflict(
                        "the case could not be created; retry".into(),
                    )),
                }
            }
            (result, _) => result.map(fresh),
        }
    }

    async fn add_comment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        comment: NewComment,
    ) -> Result<Created<Activity>> {
        let body = validate::comment("body", &comment.body)?;
        let key = checked_key(comment.idempotency_key.as_deref())?;
        let case_key = parse_id(case_id).ok_or_else(|| case_not_found(case_id))?;
        let hash = input_hash(&[&case_key.to_string(), &body]);
        if let Some(key) = key
            && let Some(activity) = self.comment_replay(scope, actor, key, &hash).await?
        {
            return Ok(replayed(activity));
        }
        let result = write_tx!(self, |conn| {
            let row = locked_case!(conn, self, scope, case_id)?;
            writable(&row)?;
            let at = now();
            let activity: ActivityRow = diesel::insert_into(case_activities::table)
                .values(NewActivityRow::new(
                    row.id,
                    &row.account_id,
                    ActivityKind::Comment,
                    &actor.name,
                    body.clone(),
                    at,
                ))
                .returning(ActivityRow::as_returning())
                .get_result(conn)
                .await?;
            if let Some(key) = key {
                diesel::insert_into(write_keys::table)
                    .values(key_row(
                        actor,
                        KeyedWrite::Comment,
                        key,
                        &hash,
                        row.id,
                        activity.id,
                        at,
                    ))
                    .execute(conn)
                    .await?;
            }
            touch!(conn, row.id, at);
            Ok(activity.into_domain(row.number))
        });
        match (result, key) {
            // A concurrent retry under the same key committed first: answer with its comment.
            (Err(error @ Error::Conflict(_)), Some(key)) => self
                .comment_replay(scope, actor, key, &hash)
                .await?
                .map(replayed)
                .ok_or(error),
            (result, _) => result.map(fresh),
        }
    }

    async fn activity(
        &self,
        scope: &Scope,
        case_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Activity>> {
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, "ACTIVITY"))
            .transpose()?;
        let key = cursor
            .as_ref()
            .map(|c| from_micros(c).map(|k| (k, c.i)))
            .transpose()?;
        let limit = page.first as i64 + 1;
        let (number, rows) = with_conn!(self.db, |conn| {
            let row = scoped_case!(conn, scope, case_id).map_err(tx_error)?;
            let mut q = case_activities::table
                .filter(case_activities::case_id.eq(row.id))
                .select(ActivityRow::as_select())
                .into_boxed();
            if let Some((k, id)) = key {
                q = q.filter(
                    case_activities::created_at
                        .lt(k)
                        .or(case_activities::created_at
                            .eq(k)
                            .and(case_activities::id.lt(id))),
                );
            }
            let rows: Vec<ActivityRow> = q
                .order_by((
                    case_activities::created_at.desc(),
                    case_activities::id.desc(),
                ))
                .limit(limit)
                .load(conn)
                .await
                .map_err(db_error)?;
            Ok::<_, Error>((row.number, rows))
        })?;
        Ok(page_of(
            rows,
            page.first,
            |a| activity_cursor("ACTIVITY", a),
            |a| a.into_domain(number.clone()),
        ))
    }

    async fn latest_activity(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Activity>> {
        let ids = parse_ids(case_ids);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(ActivityRow, String)> = with_conn!(self.db, |conn| {
            let newest = diesel::alias!(case_activities as newest);
            let latest = newest
                .filter(newest.field(case_activities::case_id).eq_any(&ids))
                .group_by(newest.field(case_activities::case_id))
                .select(diesel::dsl::max(newest.field(case_activities::id)));
            case_activities::table
                .inner_join(cases::table)
                .filter(case_activities::id.nullable().eq_any(latest))
                .filter(cases::account_id.eq_any(scope.accounts()))
                .select((ActivityRow::as_select(), cases::number))
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows
            .into_iter()
            .map(|(a, number)| a.into_domain(number))
            .collect())
    }

    async fn recent_updates(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>> {
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, "UPDATES"))
            .transpose()?;
        let key = cursor
            .as_ref()
            .map(|c| from_micros(c).map(|k| (k, c.i)))
            .transpose()?;
        let limit = page.first as i64 + 1;
        let rows: Vec<(ActivityRow, String)> = with_conn!(self.db, |conn| {
            let mut q = case_activities::table
                .inner_join(cases::table)
                .filter(case_activities::account_id.eq_any(scope.accounts()))
                .select((ActivityRow::as_select(), cases::number))
                .into_boxed();
            if let Some((k, id)) = key {
                q = q.filter(
                    case_activities::created_at
                        .lt(k)
                        .or(case_activities::created_at
                            .eq(k)
                            .and(case_activities::id.lt(id))),
                );
            }
            q.order_by((
                case_activities::created_at.desc(),
                case_activities::id.desc(),
            ))
            .limit(limit)
            .load(conn)
            .await
            .map_err(db_error)
        })?;
        Ok(page_of(
            rows,
            page.first,
            |(a, _)| activity_cursor("UPDATES", a),
            |(a, n)| a.into_domain(n),
        ))
    }

    async fn watch_lists(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<WatchEntry>> {
        let ids = parse_ids(case_ids);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<WatcherRow> = with_conn!(self.db, |conn| {
            case_watchers::table
                .inner_join(cases::table)
                .filter(case_watchers::case_id.eq_any(&ids))
                .filter(cases::account_id.eq_any(scope.accounts()))
                .order_by((
                    case_watchers::case_id,
                    case_watchers::added_at,
                    case_watchers::email,
                ))
                .select(WatcherRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(WatcherRow::into_domain).collect())
    }

    async fn add_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
    ) -> Result<Vec<WatchEntry>> {
        let emails = validate::watch_list("emails", emails)?;
        if emails.is_empty() {
            return Err(Error::invalid("emails", "name at least one address"));
        }
        write_tx!(self, |conn| {
            let row = locked_case!(conn, self, scope, case_id)?;
            writable(&row)?;
            let at = now();
            let existing: Vec<String> = case_watchers::table
                .filter(case_watchers::case_id.eq(row.id))
                .select(case_watchers::email)
                .load(conn)
                .await?;
            let added: Vec<WatcherRow> = emails
                .iter()
                .filter(|e| !existing.contains(e))
                .map(|e| WatcherRow {
                    case_id: row.id,
                    email: e.clone(),
                    added_at: at,
                })
                .collect();
            if existing.len() + added.len() > validate::MAX_WATCH_LIST {
                return Err(TxError::Domain(Error::invalid(
                    "emails",
                    format!(
                        "a watch list holds at most {} addresses",
                        validate::MAX_WATCH_LIST
                    ),
                )));
            }
            if !added.is_empty() {
                insert_each!(conn, case_watchers::table, &added);
                let names: Vec<&str> = added.iter().map(|w| w.email.as_str()).collect();
                record!(
                    conn,
                    row,
                    ActivityKind::WatchList,
                    &actor.name,
                    format!("Added {} to the watch list", names.join(", ")),
                    at
                );
            }
            Ok(watch_list_of!(conn, row.id))
        })
    }

    async fn remove_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
    ) -> Result<Vec<WatchEntry>> {
        let emails = validate::watch_list("emails", emails)?;
        write_tx!(self, |conn| {
            let row = locked_case!(conn, self, scope, case_id)?;
            writable(&row)?;
            let at = now();
            let present: Vec<String> = case_watchers::table
                .filter(case_watchers::case_id.eq(row.id))
                .filter(case_watchers::email.eq_any(&emails))
                .order_by(case_watchers::email)
                .select(case_watchers::email)
                .load(conn)
                .await?;
            if !present.is_empty() {
                diesel::delete(
                    case_watchers::table
                        .filter(case_watchers::case_id.eq(row.id))
                        .filter(case_watchers::email.eq_any(&present)),
                )
                .execute(conn)
                .await?;
                record!(
                    conn,
                    row,
                    ActivityKind::WatchList,
                    &actor.name,
                    format!("Removed {} from the watch list", present.join(", ")),
                    at
                );
            }
            Ok(watch_list_of!(conn, row.id))
        })
    }

    async fn cancel_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        reason: Option<&str>,
    ) -> Result<Case> {
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| validate::comment("reason", r))
            .transpose()?;
        let row = write_tx!(self, |conn| {
            let mut row = locked_case!(conn, self, scope, case_id)?;
            let state = row.state();
            if !state.cancelable() {
                return Err(TxError::Domain(Error::Conflict(format!(
                    "case {} is {}; only NEW, OPEN or AWAITING_INFO cases can be canceled",
                    row.number,
                    state.as_str()
                ))));
            }
            let at = now();
            let mut entries = vec![NewActivityRow::new(
                row.id,
                &row.account_id,
                ActivityKind::StateChange,
                &actor.name,
                format!(
                    "State changed from {} to {}",
                    state.label(),
                    CaseState::Canceled.label()
                ),
                at,
            )];
            if let Some(reason) = &reason {
                entries.push(NewActivityRow::new(
                    row.id,
                    &row.account_id,
                    ActivityKind::Comment,
                    &actor.name,
                    format!("Cancel reason: {reason}"),
                    at,
                ));
            }
            insert_each!(conn, case_activities::table, &entries);
            diesel::update(cases::table.filter(cases::id.eq(row.id)))
                .set((
                    cases::state.eq(CaseState::Canceled.rank()),
                    cases::updated_at.eq(at),
                ))
                .execute(conn)
                .await?;
            row.state = CaseState::Canceled.rank();
            row.updated_at = at;
            Ok(row)
        })?;
        Ok(row.into_domain())
    }

    async fn attachments(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Attachment>> {
        let ids = parse_ids(case_ids);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<AttachmentRow> = with_conn!(self.db, |conn| {
            attachments::table
                .inner_join(cases::table)
                .filter(attachments::case_id.eq_any(&ids))
                .filter(cases::account_id.eq_any(scope.accounts()))
                .order_by((attachments::case_id, attachments::id))
                .select(AttachmentRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(AttachmentRow::into_domain).collect())
    }

    async fn add_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        file: NewAttachment,
    ) -> Result<Created<Attachment>> {
        let file_name = validate::file_name("file", &file.file_name)?;
        let content_type = if file.content_type.trim().is_empty() {
            "application/octet-stream".to_string()
        } else {
            file.content_type.trim().to_string()
        };
        let key = checked_key(file.idempotency_key.as_deref())?;
        let case_key = parse_id(case_id).ok_or_else(|| case_not_found(case_id))?;
        let sha256 = hex(&Sha256::digest(&file.data));
        let hash = input_hash(&[&case_key.to_string(), &file_name, &content_type, &sha256]);
        if let Some(key) = key
            && let Some(attachment) = self.attachment_replay(scope, actor, key, &hash).await?
        {
            return Ok(replayed(attachment));
        }
        let data = file.data;
        let result = write_tx!(self, |conn| {
            let case = locked_case!(conn, self, scope, case_id)?;
            writable(&case)?;
            let at = now();
            let row: AttachmentRow = diesel::insert_into(attachments::table)
                .values((
                    attachments::case_id.eq(case.id),
                    attachments::file_name.eq(&file_name),
                    attachments::content_type.eq(&content_type),
                    attachments::size_bytes.eq(data.len() as i64),
                    attachments::sha256.eq(&sha256),
                    attachments::uploaded_by.eq(&actor.name),
                    attachments::created_at.eq(at),
                ))
                .returning(AttachmentRow::as_returning())
                .get_result(conn)
                .await?;
            if let Some(key) = key {
                // Before the content: a losing concurrent retry stops here.
                diesel::insert_into(write_keys::table)
                    .values(key_row(
                        actor,
                        KeyedWrite::Attachment,
                        key,
                        &hash,
                        case.id,
                        row.id,
                        at,
                    ))
                    .execute(conn)
                    .await?;
            }
            for (seq, chunk) in data.chunks(CHUNK_BYTES).enumerate() {
                diesel::insert_into(attachment_chunks::table)
                    .values((
                        attachment_chunks::attachment_id.eq(row.id),
                        attachment_chunks::seq.eq(seq as i32),
                        attachment_chunks::data.eq(chunk),
                    ))
                    .execute(conn)
                    .await?;
            }
            record!(
                conn,
                case,
                ActivityKind::Attachment,
                &actor.name,
                format!("Attached {file_name}"),
                at
            );
            Ok(row.into_domain())
        });
        match (result, key) {
            // A concurrent retry under the same key committed first: answer with its file.
            (Err(error @ Error::Conflict(_)), Some(key)) => self
                .attachment_replay(scope, actor, key, &hash)
                .await?
                .map(replayed)
                .ok_or(error),
            (result, _) => result.map(fresh),
        }
    }

    async fn rename_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        attachment_id: &str,
        file_name: &str,
    ) -> Result<Attachment> {
        let file_name = validate::file_name("fileName", file_name)?;
        let row = write_tx!(self, |conn| {
            let (mut row, case) = scoped_attachment!(conn, scope, attachment_id)?;
            writable(&case)?;
            let at = now();
            diesel::update(attachments::table.filter(attachments::id.eq(row.id)))
                .set(attachments::file_name.eq(&file_name))
                .execute(conn)
                .await?;
            record!(
                conn,
                case,
                ActivityKind::Attachment,
                &actor.name,
                format!("Renamed {} to {file_name}", row.file_name),
                at
            );
            row.file_name = file_name.clone();
            Ok(row)
        })?;
        Ok(row.into_domain())
    }

    async fn delete_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        attachment_id: &str,
    ) -> Result<Attachment> {
        let row = write_tx!(self, |conn| {
            let (row, case) = scoped_attachment!(conn, scope, attachment_id)?;
            writable(&case)?;
            let at = now();
            diesel::delete(
                attachment_chunks::table.filter(attachment_chunks::attachment_id.eq(row.id)),
            )
            .execute(conn)
            .await?;
            diesel::delete(attachments::table.filter(attachments::id.eq(row.id)))
                .execute(conn)
                .await?;
            record!(
                conn,
                case,
                ActivityKind::Attachment,
                &actor.name,
                format!("Removed {}", row.file_name),
                at
            );
            Ok(row)
        })?;
        Ok(row.into_domain())
    }

    async fn attachment_content(
        &self,
        scope: &Scope,
        attachment_id: &str,
    ) -> Result<(Attachment, ByteStream)> {
        let row = with_conn!(self.db, |conn| {
            scoped_attachment!(conn, scope, attachment_id).map_err(tx_error)
        })?
        .0;
        let db = self.db.clone();
        let id = row.id;
        let stream = futures::stream::try_unfold(0i32, move |seq| {
            let db = db.clone();
            async move {
                let chunk: Option<Vec<u8>> = with_conn!(db, |conn| {
                    attachment_chunks::table
                        .filter(attachment_chunks::attachment_id.eq(id))
                        .filter(attachment_chunks::seq.eq(seq))
                        .select(attachment_chunks::data)
                        .first(conn)
                        .await
                        .optional()
                        .map_err(db_error)
                })?;
                Ok(chunk.map(|c| (Bytes::from(c), seq + 1)))
            }
        });
        Ok((row.into_domain(), Box::pin(stream)))
    }
}

impl SqlStore {
    async fn insert_case(&self, actor: &Actor, new: &NewCase, hash: &str) -> Result<Case> {
        let title = new.title.clone().unwrap_or_default();
        let row = write_tx!(self, |conn| {
            let location_id = match &new.location_id {
                None => None,
                Some(raw) => {
                    let id = parse_id(raw);
                    let found: Option<i64> = locations::table
                        .filter(locations::id.eq(id.unwrap_or(-1)))
                        .filter(locations::account_id.eq(&new.account_id))
                        .select(locations::id)
                        .first(conn)
                        .await
                        .optional()?;
                    Some(found.ok_or_else(|| {
                        Error::invalid("input.locationId", "no such location on this account")
                    })?)
                }
            };
            let product_id = match &new.product_id {
                None => None,
                Some(raw) => {
                    let found: Option<(i64, Option<i64>)> = products::table
                        .filter(products::id.eq(parse_id(raw).unwrap_or(-1)))
                        .filter(products::account_id.eq(&new.account_id))
                        .select((products::id, products::location_id))
                        .first(conn)
                        .await
                        .optional()?;
                    let (id, at_location) = found.ok_or_else(|| {
                        Error::invalid("input.productId", "no such product on this account")
                    })?;
                    if let (Some(chosen), Some(at)) = (location_id, at_location)
                        && chosen != at
                    {
                        return Err(TxError::Domain(Error::invalid(
                            "input.productId",
                            "this product is not at the chosen location",
                        )));
                    }
                    Some(id)
                }
            };
            let contact_id = match &new.contact_id {
                Some(raw) => {
                    let found: Option<i64> = contacts::table
                        .filter(contacts::id.eq(parse_id(raw).unwrap_or(-1)))
                        .filter(contacts::account_id.eq(&new.account_id))
                        .select(contacts::id)
                        .first(conn)
                        .await
                        .optional()?;
                    found.ok_or_else(|| {
                        Error::invalid("input.contactId", "no such contact on this account")
                    })?
                }
                None => {
                    let email = actor.email.to_ascii_lowercase();
                    let found: Option<i64> = contacts::table
                        .filter(contacts::account_id.eq(&new.account_id))
                        .filter(contacts::email.eq(&email))
                        .select(contacts::id)
                        .first(conn)
                        .await
                        .optional()?;
                    match found {
                        Some(id) => id,
                        None => {
                            diesel::insert_into(contacts::table)
                                .values((
                                    contacts::account_id.eq(&new.account_id),
                                    contacts::name.eq(&actor.name),
                                    contacts::email.eq(&email),
                                ))
                                .returning(contacts::id)
                                .get_result(conn)
                                .await?
                        }
                    }
                }
            };
            let at = now();
            let placeholder = format!("PENDING-{}-{}", actor.user_id, hash);
            let id: i64 = diesel::insert_into(cases::table)
                .values((
                    cases::number.eq(&placeholder),
                    cases::account_id.eq(&new.account_id),
                    cases::state.eq(CaseState::New.rank()),
                    cases::priority.eq(new.priority.unwrap_or(Priority::Low).level()),
                    cases::title.eq(&title),
                    cases::description.eq(&new.description),
                    cases::case_type.eq(&new.case_type),
                    cases::support_case_type
                        .eq(new.support_case_type.as_deref().unwrap_or_default()),
                    cases::category.eq(&new.category),
                    cases::location_id.eq(location_id),
                    cases::location_not_listed.eq(new.location_not_listed),
                    cases::product_id.eq(product_id),
                    cases::product_not_listed.eq(new.product_not_listed),
                    cases::contact_id.eq(Some(contact_id)),
                    cases::opened_by.eq(&actor.name),
                    cases::opened_by_subject.eq(&actor.user_id),
                    cases::opened_at.eq(at),
                    cases::updated_at.eq(at),
                    cases::idempotency_key.eq(&new.idempotency_key),
                    cases::request_hash.eq(hash),
                ))
                .returning(cases::id)
                .get_result(conn)
                .await?;
            diesel::update(cases::table.filter(cases::id.eq(id)))
                .set(cases::number.eq(case_number(id)))
                .execute(conn)
                .await?;
            let watchers: Vec<WatcherRow> = new
                .watch_list
                .iter()
                .map(|e| WatcherRow {
                    case_id: id,
                    email: e.clone(),
                    added_at: at,
                })
                .collect();
            if !watchers.is_empty() {
                insert_each!(conn, case_watchers::table, &watchers);
            }
            diesel::insert_into(case_activities::table)
                .values(NewActivityRow::new(
                    id,
                    &new.account_id,
                    ActivityKind::System,
                    "System",
                    "Case created",
                    at,
                ))
                .execute(conn)
                .await?;
            let row: CaseRow = cases::table
                .filter(cases::id.eq(id))
                .select(CaseRow::as_select())
                .first(conn)
                .await?;
            Ok(row)
        })?;
        Ok(row.into_domain())
    }
}

fn activity_cursor(ordering: &str, a: &ActivityRow) -> String {
    Cursor {
        o: ordering.to_string(),
        k: micros(a.created_at),
        i: a.id,
    }
    .encode()
}

/// Turns `first + 1` rows into a page of at most `first` items.
fn page_of<R, T>(
    mut rows: Vec<R>,
    first: usize,
    cursor: impl Fn(&R) -> String,
    convert: impl Fn(R) -> T,
) -> Page<T> {
    let has_next_page = rows.len() > first;
    rows.truncate(first);
    Page {
        items: rows
            .into_iter()
            .map(|r| (cursor(&r), r))
            .map(|(c, r)| (c, convert(r)))
            .collect(),
        has_next_page,
    }
}
