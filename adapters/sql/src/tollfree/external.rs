//! Toll-free writes when the request's case lives in another backend
//! ([`RequestCases`], e.g. ServiceNow), set with
//! [`SqlStore::with_request_cases`].
//!
//! A submit previews its lines without writing, opens the case upstream
//! (keyed by the submitter's idempotency key, so a retry finds the same
//! case), and then runs the usual transaction, which re-validates the lines
//! under lock and writes the request pointing at that case. When the
//! transaction refuses (the numbers changed meanwhile), the case is
//! resolved again with a note saying nothing was submitted.
//!
//! A decision checks that the request is pending, resolves the case
//! upstream with the outcome's note, and then runs the usual transaction.
//! When another decision wins the race, the case gets the winner's note.

use switchboard_core::tollfree::TollFreeReads;
use switchboard_core::tollfree::preview::require_valid;
use switchboard_core::tollfree::request_cases::{NOT_SUBMITTED_NOTE, decision_note};
use switchboard_core::tollfree::{
    ChangeRequest, ChangeStatus, Created, NewChangeRequest, NewRequestCase, RequestCase,
    RequestCases, numbering, preview,
};
use switchboard_core::validate::MAX_DESCRIPTION_CHARS;
use switchboard_core::{Actor, Error, Result, Scope};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::rows::RequestRow;
use super::write::{self, already_decided, case_description, case_title};
use crate::schema::tollfree_change_requests;
use crate::{SqlStore, db_error, with_conn};
use switchboard_core::cases::fingerprint;

/// What a retry hears when its key's case was resolved without a request.
const SPENT_KEY: &str = "this idempotency key belongs to a ring-to change request that was \
     not submitted; review the numbers and submit again with a new key";

/// The upstream key of a submit: the submitter's own key, namespaced so it
/// never meets a key the same user gave to an ordinary case.
pub(super) fn case_key(actor: &Actor, key: &str) -> String {
    format!(
        "tollfree:{}",
        fingerprint(["tollfree-ring-to", &actor.user_id, key])
    )
}

/// `text` cut at a line boundary to fit a case description, saying how
/// many lines were left out (the request itself lists them all).
pub(super) fn bounded_description(text: String) -> String {
    if text.chars().count() <= MAX_DESCRIPTION_CHARS {
        return text;
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = String::new();
    for (i, line) in lines.iter().enumerate() {
        let left = lines.len() - i;
        let tail = format!("... and {left} more (the request lists every line)\n");
        if kept.chars().count() + line.chars().count() + 1 + tail.chars().count()
            > MAX_DESCRIPTION_CHARS
        {
            kept.push_str(&tail);
            return kept;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// See the module's documentation.
pub(super) async fn submit(
    store: &SqlStore,
    cases: &dyn RequestCases,
    scope: &Scope,
    actor: &Actor,
    request: &NewChangeRequest,
    hash: &str,
) -> Result<Created<ChangeRequest>> {
    let wanted: Vec<String> = request
        .changes
        .iter()
        .filter_map(|c| numbering::normalize(&c.number))
        .collect();
    let numbers = TollFreeReads::numbers(store, scope, &request.account_id, &wanted).await?;
    let lines = preview(&numbers, &request.changes, &request.rates);
    require_valid(&lines)?;
    let case = cases
        .open(
            scope,
            actor,
            NewRequestCase {
                account_id: request.account_id.clone(),
                title: case_title(&lines),
                description: bounded_description(case_description(&lines)),
                key: request
                    .idempotency_key
                    .as_deref()
                    .map(|key| case_key(actor, key)),
            },
        )
        .await?;
    if !case.open {
        return Err(Error::Conflict(SPENT_KEY.into()));
    }
    let error = match write::insert(store, scope, actor, request, hash, Some(&case)).await {
        Ok(record) => {
            return Ok(Created {
                record,
                replayed: false,
            });
        }
        Err(error) => error,
    };
    // A concurrent retry under the same key won: it holds the same case.
    if let Some(key) = &request.idempotency_key
        && let Some(record) = write::find_replay(store, scope, actor, key, hash).await?
    {
        return Ok(Created {
            record,
            replayed: true,
        });
    }
    // A refused submit will not be retried as it was, and a keyless one
    // cannot find its case again: either way the case is done. A keyed
    // submit that failed otherwise keeps its case for the retry.
    let refused = matches!(error, Error::InvalidInput { .. });
    if refused || request.idempotency_key.is_none() {
        release(store, cases, actor, &case).await;
    }
    Err(match error {
        Error::Conflict(_) if request.idempotency_key.is_some() => {
            Error::Conflict("the request could not be submitted; retry".into())
        }
        other => other,
    })
}

/// Resolves `case` as not submitted, unless a request points at it (logged,
/// never failing: the submit's own error is what the caller hears).
async fn release(store: &SqlStore, cases: &dyn RequestCases, actor: &Actor, case: &RequestCase) {
    match requests_of_case(store, &case.id).await {
        Ok(0) => {
            if let Err(error) = cases.resolve(actor, &case.id, NOT_SUBMITTED_NOTE).await {
                tracing::warn!(
                    adapter.name = cases.backend(),
                    case.number = %case.number,
                    %error,
                    "the case of a refused ring-to change request could not be resolved"
                );
            }
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(
            case.number = %case.number,
            %error,
            "could not learn whether a refused ring-to change request's case is in use"
        ),
    }
}

/// How many requests point at the external case `case_ref` (0 or 1).
async fn requests_of_case(store: &SqlStore, case_ref: &str) -> Result<i64> {
    with_conn!(store.db(), |conn| {
        tollfree_change_requests::table
            .filter(tollfree_change_requests::case_ref.eq(case_ref))
            .count()
            .get_result(conn)
            .await
            .map_err(db_error)
    })
}

/// The request `key`, read without a lock.
async fn request_row(store: &SqlStore, key: i64) -> Result<Option<RequestRow>> {
    with_conn!(store.db(), |conn| {
        tollfree_change_requests::table
            .filter(tollfree_change_requests::id.eq(key))
            .select(RequestRow::as_select())
            .first(conn)
            .await
            .optional()
            .map_err(db_error)
    })
}

/// Before a decision: the request must be pending; its external case (if
/// any) is resolved with `note`. Answers that case's id.
pub(super) async fn resolve_case(
    store: &SqlStore,
    cases: &dyn RequestCases,
    operator: &Actor,
    key: i64,
    note: &str,
) -> Result<Option<String>> {
    let row = request_row(store, key)
        .await?
        .ok_or_else(|| Error::not_found(format!("ring-to change request {key}")))?;
    if row.status != ChangeStatus::Pending.as_str() {
        return Err(already_decided(key, &row.status));
    }
    if let Some(case_ref) = &row.case_ref {
        cases.resolve(operator, case_ref, note).await?;
    }
    Ok(row.case_ref)
}

/// After a decision lost the race: resolves the case again with the note of
/// the decision that won (logged, never failing).
pub(super) async fn restore_note(
    store: &SqlStore,
    cases: &dyn RequestCases,
    operator: &Actor,
    key: i64,
    case_ref: &str,
) {
    let note = match request_row(store, key).await {
        Ok(Some(row)) => match ChangeStatus::parse(&row.status) {
            Some(status) if status != ChangeStatus::Pending => {
                decision_note(status, row.reason.as_deref())
            }
            _ => return,
        },
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(%error, "a decided ring-to change request could not be read again");
            return;
        }
    };
    if let Err(error) = cases.resolve(operator, case_ref, &note).await {
        tracing::warn!(
            adapter.name = cases.backend(),
            %error,
            "the case of a ring-to change request could not be given its decision's note"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_descriptions_are_cut_at_a_line() {
        let short = "Ring-to changes:\n- 8005550100: a -> b\n".to_string();
        assert_eq!(bounded_description(short.clone()), short);
        let mut long = String::from("Ring-to changes requested through the portal:\n");
        for i in 0..100 {
            long.push_str(&format!(
                "- 80055501{i:02}: 4045550100 -> 4045550199 (ON_NET)\n"
            ));
        }
        let cut = bounded_description(long.clone());
        assert!(
            cut.chars().count() <= MAX_DESCRIPTION_CHARS,
            "{}",
            cut.len()
        );
        assert!(long.starts_with(cut.lines().next().unwrap_or_default()));
        let last = cut.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("... and ") && last.contains("more"),
            "{last}"
        );
        let kept = cut.lines().filter(|l| l.starts_with("- ")).count();
        assert_eq!(
            last,
            format!(
                "... and {} more (the request lists every line)",
                101 - 1 - kept
            )
        );
    }

    #[test]
    fn upstream_keys_are_per_user_and_bounded() {
        let a = Actor {
            user_id: "1".into(),
            name: "A".into(),
            email: "a@example.com".into(),
        };
        let b = Actor {
            user_id: "2".into(),
            ..a.clone()
        };
        assert_ne!(case_key(&a, "k"), case_key(&b, "k"));
        assert_eq!(case_key(&a, "k"), case_key(&a, "k"));
        let long = "x".repeat(128);
        assert!(case_key(&a, &long).len() <= switchboard_core::validate::MAX_IDEMPOTENCY_KEY_CHARS);
    }
}
