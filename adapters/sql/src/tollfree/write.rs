//! The two toll-free writes, each one transaction.
//!
//! A submit locks the account's numbers (PostgreSQL `FOR UPDATE`; SQLite
//! writers are serialised by the `Db`'s write lock), validates every line
//! again with the core's pure preview, and only if all are valid writes the
//! request, its lines, the numbers' pending status and the request's case
//! (type Change Existing Service, category Toll Free Ring To), so the case
//! exists exactly when the request does. A decision locks the request row,
//! applies or discards its lines and resolves the case.
//!
//! When cases live in another backend ([`super::external`]), the case is
//! opened there before the transaction, which then writes the request
//! pointing at it and no case; a decision resolves it there first.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};
use switchboard_core::cases::{ActivityKind, CaseState, Priority};
use switchboard_core::tollfree::preview::{check_batch, require_valid};
use switchboard_core::tollfree::request_cases::{CASE_TYPE, decision_note};
use switchboard_core::tollfree::{
    ChangeRequest, ChangeStatus, Created, Decision, NewChangeRequest, NumberStatus, PreviewLine,
    RequestCase, numbering, preview,
};
use switchboard_core::{Actor, Error, Result, Scope, validate};

use super::external;
use super::rows::{LineRow, NumberRow, RequestRow};
use super::with_lines;
use crate::among::among;
use crate::models::{NewActivityRow, case_number, hex, now, parse_id};
use crate::schema::{
    case_activities, cases, tollfree_change_lines, tollfree_change_requests, tollfree_numbers,
};
use crate::tx::TxError;
use crate::{Backend, SqlStore, db_error, transaction, with_conn};

/// The longest reason an operator may give.
const MAX_REASON_CHARS: usize = 1_000;

/// A digest of what a submit asks for, stable across releases: each part
/// with its length, so no two inputs share a digest.
fn request_hash(request: &NewChangeRequest) -> String {
    let mut canonical = String::new();
    let parts = std::iter::once(request.account_id.as_str()).chain(
        request
            .changes
            .iter()
            .flat_map(|c| [c.number.trim(), c.ring_to.trim()]),
    );
    for part in parts {
        canonical.push_str(&format!("{}:{part};", part.len()));
    }
    hex(&Sha256::digest(canonical.as_bytes()))
}

/// The request `actor` made under `key`, if any; a different input under
/// the same key is a conflict.
pub(super) async fn find_replay(
    store: &SqlStore,
    scope: &Scope,
    actor: &Actor,
    key: &str,
    hash: &str,
) -> Result<Option<ChangeRequest>> {
    let row: Option<RequestRow> = with_conn!(store.db(), |conn| {
        tollfree_change_requests::table
            .filter(tollfree_change_requests::created_by_subject.eq(&actor.user_id))
            .filter(tollfree_change_requests::idempotency_key.eq(key))
            .select(RequestRow::as_select())
            .first(conn)
            .await
            .optional()
            .map_err(db_error)
    })?;
    let Some(row) = row else { return Ok(None) };
    if row.request_hash.as_deref() != Some(hash) {
        return Err(Error::Conflict(format!(
            "idempotency key already used for ring-to change request {} with different input",
            row.id
        )));
    }
    let id = row.id.to_string();
    let mut found = store_requests(store, scope, &id).await?;
    Ok(found.pop())
}

async fn store_requests(store: &SqlStore, scope: &Scope, id: &str) -> Result<Vec<ChangeRequest>> {
    switchboard_core::tollfree::TollFreeReads::change_requests(store, scope, &[id.to_string()])
        .await
}

/// See the module's documentation.
pub(super) async fn submit(
    store: &SqlStore,
    scope: &Scope,
    actor: &Actor,
    request: NewChangeRequest,
) -> Result<Created<ChangeRequest>> {
    check_batch(&request.changes)?;
    if !scope.contains(&request.account_id) {
        return Err(Error::not_found(format!("account {}", request.account_id)));
    }
    if let Some(key) = &request.idempotency_key {
        validate::idempotency_key("idempotencyKey", key)?;
    }
    let hash = request_hash(&request);
    if let Some(key) = &request.idempotency_key
        && let Some(found) = find_replay(store, scope, actor, key, &hash).await?
    {
        return Ok(Created {
            record: found,
            replayed: true,
        });
    }
    if let Some(cases) = store.request_cases.clone() {
        return external::submit(store, cases.as_ref(), scope, actor, &request, &hash).await;
    }
    match (
        insert(store, scope, actor, &request, &hash, None).await,
        &request.idempotency_key,
    ) {
        // A concurrent retry under the same key won the race: answer with its request.
        (Err(Error::Conflict(_)), Some(key)) => find_replay(store, scope, actor, key, &hash)
            .await?
            .map(|record| Created {
                record,
                replayed: true,
            })
            .ok_or_else(|| Error::Conflict("the request could not be submitted; retry".into())),
        (result, _) => result.map(|record| Created {
            record,
            replayed: false,
        }),
    }
}

/// The transaction of a submit. With `external`, the request points at that
/// case and no case is written here.
pub(super) async fn insert(
    store: &SqlStore,
    scope: &Scope,
    actor: &Actor,
    request: &NewChangeRequest,
    hash: &str,
    external: Option<&RequestCase>,
) -> Result<ChangeRequest> {
    let account = request.account_id.as_str();
    let wanted: Vec<String> = request
        .changes
        .iter()
        .filter_map(|c| numbering::normalize(&c.number))
        .collect();
    let postgres = store.db().backend() == Backend::Postgres;
    let id: i64 = transaction!(store.db(), |conn| {
        if postgres {
            diesel::sql_query("SELECT id FROM tollfree_numbers WHERE account_id = $1 FOR UPDATE")
                .bind::<diesel::sql_types::Text, _>(account)
                .execute(conn)
                .await?;
        }
        let numbers: Vec<NumberRow> = tollfree_numbers::table
            .filter(tollfree_numbers::account_id.eq(account))
            .filter(among(tollfree_numbers::number, &wanted))
            .select(NumberRow::as_select())
            .load(conn)
            .await?;
        let numbers: Vec<_> = numbers.into_iter().map(NumberRow::into_domain).collect();
        let lines = preview(&numbers, &request.changes, &request.rates);
        require_valid(&lines)?;
        let at = now();
        let (case_id, case_ref, number) = match external {
            Some(case) => (None, Some(case.id.clone()), case.number.clone()),
            None => {
                let case_id: i64 = diesel::insert_into(cases::table)
                    .values((
                        cases::number.eq(format!("PENDING-{}-{hash}", actor.user_id)),
                        cases::account_id.eq(account),
                        cases::state.eq(CaseState::New.rank()),
                        cases::priority.eq(Priority::Low.level()),
                        cases::title.eq(case_title(&lines)),
                        cases::description.eq(case_description(&lines)),
                        cases::case_type.eq(CASE_TYPE.case_type),
                        cases::support_case_type.eq(CASE_TYPE.support_case_type),
                        cases::category.eq(CASE_TYPE.category),
                        cases::location_not_listed.eq(false),
                        cases::product_not_listed.eq(false),
                        cases::opened_by.eq(&actor.name),
                        cases::opened_by_subject.eq(&actor.user_id),
                        cases::opened_at.eq(at),
                        cases::updated_at.eq(at),
                    ))
                    .returning(cases::id)
                    .get_result(conn)
                    .await?;
                let number = case_number(case_id);
                diesel::update(cases::table.filter(cases::id.eq(case_id)))
                    .set(cases::number.eq(&number))
                    .execute(conn)
                    .await?;
                diesel::insert_into(case_activities::table)
                    .values(NewActivityRow::new(
                        case_id,
                        account,
                        ActivityKind::System,
                        "System",
                        "Case created for a toll-free ring-to change request",
                        at,
                    ))
                    .execute(conn)
                    .await?;
                (Some(case_id), None, number)
            }
        };
        let id: i64 = diesel::insert_into(tollfree_change_requests::table)
            .values((
                tollfree_change_requests::account_id.eq(account),
                tollfree_change_requests::status.eq(ChangeStatus::Pending.as_str()),
                tollfree_change_requests::case_id.eq(case_id),
                tollfree_change_requests::case_ref.eq(case_ref),
                tollfree_change_requests::case_number.eq(&number),
                tollfree_change_requests::created_by.eq(&actor.name),
                tollfree_change_requests::created_by_subject.eq(&actor.user_id),
                tollfree_change_requests::created_at.eq(at),
                tollfree_change_requests::idempotency_key.eq(&request.idempotency_key),
                tollfree_change_requests::request_hash.eq(hash),
            ))
            .returning(tollfree_change_requests::id)
            .get_result(conn)
            .await?;
        for (position, line) in lines.iter().enumerate() {
            diesel::insert_into(tollfree_change_lines::table)
                .values(line_row(id, position, line)?)
                .execute(conn)
                .await?;
        }
        diesel::update(
            tollfree_numbers::table
                .filter(tollfree_numbers::account_id.eq(account))
                .filter(among(tollfree_numbers::number, &wanted)),
        )
        .set(tollfree_numbers::status.eq(NumberStatus::ChangePending.as_str()))
        .execute(conn)
        .await?;
        Ok(id)
    })?;
    store_requests(store, scope, &id.to_string())
        .await?
        .pop()
        .ok_or(Error::Internal)
}

/// The stored line for a valid previewed `line`.
fn line_row(request_id: i64, position: usize, line: &PreviewLine) -> Result<LineRow> {
    let (Some(old_network), Some(new_network), Some(rate), Some(old_ring_to)) = (
        line.current_network,
        line.network,
        line.rate,
        line.current_ring_to.clone(),
    ) else {
        return Err(Error::Internal);
    };
    Ok(LineRow {
        request_id,
        position: i32::try_from(position).map_err(|_| Error::Internal)?,
        number: line.number.clone(),
        old_ring_to,
        new_ring_to: line.new_ring_to.clone(),
        old_network: old_network.as_str().into(),
        new_network: new_network.as_str().into(),
        rate_micros: rate.micros(),
        rate_changes: line.rate_changes,
    })
}

pub(super) fn case_title(lines: &[PreviewLine]) -> String {
    match lines {
        [one] => format!("Toll-free ring-to change for {}", one.number),
        many => format!("Toll-free ring-to change for {} numbers", many.len()),
    }
}

pub(super) fn case_description(lines: &[PreviewLine]) -> String {
    let mut text = String::from("Ring-to changes requested through the portal:\n");
    for line in lines {
        let network = line.network.map_or("", |n| n.as_str());
        text.push_str(&format!(
            "- {}: {} -> {} ({network})\n",
            line.number,
            line.current_ring_to.as_deref().unwrap_or("?"),
            line.new_ring_to
        ));
    }
    text
}

/// See the module's documentation.
pub(super) async fn decide(
    store: &SqlStore,
    operator: &Actor,
    id: &str,
    decision: Decision,
) -> Result<ChangeRequest> {
    let reason = decision
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(Error::invalid(
            "reason",
            format!("a reason has at most {MAX_REASON_CHARS} characters"),
        ));
    }
    let not_found = || Error::not_found(format!("ring-to change request {id}"));
    let key = parse_id(id).ok_or_else(not_found)?;
    let postgres = store.db().backend() == Backend::Postgres;
    let status = if decision.approve {
        ChangeStatus::Completed
    } else {
        ChangeStatus::Rejected
    };
    let body = decision_note(status, reason.as_deref());
    // An external case is resolved before the transaction, so a request is
    // never decided while its case stays open.
    let external = match store.request_cases.clone() {
        Some(cases) => {
            let case_ref =
                external::resolve_case(store, cases.as_ref(), operator, key, &body).await?;
            case_ref.map(|case_ref| (cases, case_ref))
        }
        None => None,
    };
    let decided: Result<ChangeRequest> = transaction!(store.db(), |conn| {
        if postgres {
            diesel::sql_query("SELECT id FROM tollfree_change_requests WHERE id = $1 FOR UPDATE")
                .bind::<diesel::sql_types::BigInt, _>(key)
                .execute(conn)
                .await?;
        }
        let row: RequestRow = tollfree_change_requests::table
            .filter(tollfree_change_requests::id.eq(key))
            .select(RequestRow::as_select())
            .first(conn)
            .await
            .optional()?
            .ok_or_else(not_found)?;
        if row.status != ChangeStatus::Pending.as_str() {
            return Err(TxError::Domain(already_decided(id, &row.status)));
        }
        let account = row.account_id.clone();
        let case_id = row.case_id;
        let lines: Vec<LineRow> = tollfree_change_lines::table
            .filter(tollfree_change_lines::request_id.eq(key))
            .select(LineRow::as_select())
            .load(conn)
            .await?;
        for line in &lines {
            let target = tollfree_numbers::table
                .filter(tollfree_numbers::account_id.eq(&account))
                .filter(tollfree_numbers::number.eq(&line.number));
            if decision.approve {
                diesel::update(target)
                    .set((
                        tollfree_numbers::ring_to.eq(&line.new_ring_to),
                        tollfree_numbers::network.eq(&line.new_network),
                        tollfree_numbers::status.eq(NumberStatus::Active.as_str()),
                    ))
                    .execute(conn)
                    .await?;
            } else {
                diesel::update(target)
                    .set(tollfree_numbers::status.eq(NumberStatus::Active.as_str()))
                    .execute(conn)
                    .await?;
            }
        }
        let at = now();
        diesel::update(
            tollfree_change_requests::table.filter(tollfree_change_requests::id.eq(key)),
        )
        .set((
            tollfree_change_requests::status.eq(status.as_str()),
            tollfree_change_requests::decided_at.eq(Some(at)),
            tollfree_change_requests::reason.eq(&reason),
        ))
        .execute(conn)
        .await?;
        // A request made while cases lived elsewhere has no case here.
        if let Some(case_id) = case_id {
            diesel::update(cases::table.filter(cases::id.eq(case_id)))
                .set((
                    cases::state.eq(CaseState::Resolved.rank()),
                    cases::resolved_at.eq(Some(at)),
                    cases::updated_at.eq(at),
                ))
                .execute(conn)
                .await?;
            diesel::insert_into(case_activities::table)
                .values(NewActivityRow::new(
                    case_id,
                    &account,
                    ActivityKind::StateChange,
                    &operator.name,
                    &body,
                    at,
                ))
                .execute(conn)
                .await?;
        } else if external.is_none() {
            tracing::warn!(
                request.id = key,
                "a ring-to change request's case lives in another case backend, which is not \
                 configured now; resolve that case there"
            );
        }
        let rows: Vec<RequestRow> = tollfree_change_requests::table
            .filter(tollfree_change_requests::id.eq(key))
            .select(RequestRow::as_select())
            .load(conn)
            .await?;
        let mut requests = with_lines!(conn, rows);
        requests.pop().ok_or(TxError::Domain(Error::Internal))
    });
    if let (Err(Error::Conflict(_)), Some((cases, case_ref))) = (&decided, &external) {
        // Another decision won the race after this one resolved the case:
        // leave the case with the winner's note.
        external::restore_note(store, cases.as_ref(), operator, key, case_ref).await;
    }
    decided
}

/// The conflict of deciding a request that is no longer pending.
pub(super) fn already_decided(id: impl std::fmt::Display, status: &str) -> Error {
    Error::Conflict(format!("ring-to change request {id} is already {status}"))
}
