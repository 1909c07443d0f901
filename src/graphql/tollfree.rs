//! Toll-free ring-to: the account's toll-free numbers (any signed-in user of
//! the account), previews and submits of ring-to changes (account admins,
//! [`Rule::AccountAdmin`]: the preview is the first step of a submit), the
//! requests and their progress (signed in, scoped), and the operators'
//! decision that completes or rejects a request.
//!
//! Rates come from configuration (`[tollfree]`, [`Ports::tollfree_rates`]).

mod nodes;
mod subscription;

use async_graphql::{Context, ErrorExtensions, ID, Object, Result};
use switchboard_core::tollfree::{
    Decision, NewChangeRequest, RingToChange, TollFreeFilter, preview_changes,
};
use switchboard_core::{Error, PageRequest};

use super::context::{Ports, request};
use super::errors::{IntoGql, to_gql};
use super::guards::{Require, Rule};
use super::pagination::PageInfo;
use crate::auth::Caller;
pub use nodes::{
    ChangeStatus, LineErrorCode, Network, NumberStatus, PerMinuteRate, RingToChangeEvent,
    RingToChangeInput, RingToChangeLine, RingToChangeRequest, RingToChangeRequestConnection,
    RingToChangeRequestEdge, RingToLineError, RingToPreview, RingToPreviewLine,
    SubmitRingToChangesPayload, TollFreeNumberConnection, TollFreeNumberEdge, TollFreeNumberFilter,
    TollFreeNumberNode,
};
pub use subscription::TollFreeSubscription;

/// Toll-free queries.
#[derive(Default)]
pub struct TollFreeQuery;

#[Object(guard = "Require::signed_in()")]
impl TollFreeQuery {
    /// An account's toll-free numbers in number order, with their ring-to
    /// termination, network, whether they can be changed online and their
    /// status; `filter.search` finds digits in either number.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn toll_free_numbers(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        filter: Option<TollFreeNumberFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<TollFreeNumberConnection> {
        let (caller, ports, _) = request(ctx)?;
        let filter: TollFreeFilter = filter.unwrap_or_default().into();
        let page = PageRequest::new(first, after).gql()?;
        let store = &ports.tollfree;
        let wants_count = ctx.look_ahead().field("totalCount").exists();
        let (page, count) = futures::join!(
            store.list_numbers(&caller.scope, &account_id, &filter, &page),
            async {
                if wants_count {
                    store
                        .count_numbers(&caller.scope, &account_id, &filter)
                        .await
                } else {
                    Ok(0)
                }
            }
        );
        let page = page.gql()?;
        Ok(TollFreeNumberConnection {
            page_info: PageInfo::of(&page),
            edges: page
                .items
                .into_iter()
                .map(|(cursor, n)| TollFreeNumberEdge {
                    cursor,
                    node: n.into(),
                })
                .collect(),
            total_count: count.gql()?,
        })
    }

    /// Checks a batch of ring-to changes without writing anything: each
    /// line's current and new ring-to, its validity, network, rate and
    /// rate-change notice.
    #[graphql(guard = "Require::on(Rule::AccountAdmin, account_id.as_str())")]
    async fn preview_ring_to_changes(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        changes: Vec<RingToChangeInput>,
    ) -> Result<RingToPreview> {
        let (caller, ports, _) = request(ctx)?;
        let changes: Vec<RingToChange> = changes.into_iter().map(Into::into).collect();
        let lines = preview_changes(
            ports.tollfree.as_ref(),
            &caller.scope,
            &account_id,
            &changes,
            &ports.tollfree_rates,
        )
        .await
        .gql()?;
        Ok(RingToPreview {
            valid: lines.iter().all(|l| l.error.is_none()),
            lines: lines.into_iter().map(Into::into).collect(),
        })
    }

    /// One ring-to change request.
    async fn ring_to_change_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<RingToChangeRequest> {
        let (caller, ports, _) = request(ctx)?;
        find_request(ports, caller, &id).await
    }

    /// An account's ring-to change requests, newest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn ring_to_change_requests(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<RingToChangeRequestConnection> {
        let (caller, ports, _) = request(ctx)?;
        let page = PageRequest::new(first, after).gql()?;
        let page = ports
            .tollfree
            .list_change_requests(&caller.scope, &account_id, &page)
            .await
            .gql()?;
        Ok(RingToChangeRequestConnection {
            page_info: PageInfo::of(&page),
            edges: page
                .items
                .into_iter()
                .map(|(cursor, r)| RingToChangeRequestEdge {
                    cursor,
                    node: r.into(),
                })
                .collect(),
        })
    }
}

async fn find_request(ports: &Ports, caller: &Caller, id: &ID) -> Result<RingToChangeRequest> {
    ports
        .tollfree
        .change_requests(&caller.scope, std::slice::from_ref(&id.0))
        .await
        .gql()?
        .pop()
        .map(Into::into)
        .ok_or_else(|| {
            to_gql(&Error::not_found(format!(
                "ring-to change request {}",
                id.as_str()
            )))
        })
}

/// Toll-free mutations.
#[derive(Default)]
pub struct TollFreeMutation;

#[Object(guard = "Require::writer()")]
impl TollFreeMutation {
    /// Submits a batch of ring-to changes: every line valid or nothing is
    /// written (a `BAD_USER_INPUT` error lists each bad line in
    /// `extensions.lines`). Opens a case and a pending request. A retry
    /// with the same `idempotencyKey` returns the first request.
    #[graphql(guard = "Require::on(Rule::AccountAdmin, account_id.as_str())")]
    async fn submit_ring_to_changes(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
        changes: Vec<RingToChangeInput>,
        idempotency_key: Option<String>,
    ) -> Result<SubmitRingToChangesPayload> {
        let (caller, ports, _) = request(ctx)?;
        let changes: Vec<RingToChange> = changes.into_iter().map(Into::into).collect();
        let submitted = ports
            .tollfree
            .submit(
                &caller.scope,
                &caller.actor,
                NewChangeRequest {
                    account_id: account_id.to_string(),
                    changes: changes.clone(),
                    rates: ports.tollfree_rates,
                    idempotency_key,
                },
            )
            .await;
        match submitted {
            Ok(created) => Ok(SubmitRingToChangesPayload {
                request: created.record.into(),
                replayed: created.replayed,
            }),
            Err(e @ Error::InvalidInput { .. }) => {
                Err(with_line_errors(ports, caller, &account_id, &changes, &e).await)
            }
            Err(e) => Err(to_gql(&e)),
        }
    }

    /// Completes (applying the new ring-to numbers) or rejects a pending
    /// request; operators only.
    #[graphql(guard = "Require::operator()")]
    async fn decide_ring_to_change(
        &self,
        ctx: &Context<'_>,
        id: ID,
        approve: bool,
        reason: Option<String>,
    ) -> Result<RingToChangeRequest> {
        let (caller, ports, _) = request(ctx)?;
        let decided = ports
            .tollfree
            .decide(&caller.actor, &id, Decision { approve, reason })
            .await
            .gql()?;
        Ok(decided.into())
    }
}

/// `error` as a GraphQL error, with each bad line of the batch (as a
/// preview sees it now) in `extensions.lines`.
async fn with_line_errors(
    ports: &Ports,
    caller: &Caller,
    account_id: &str,
    changes: &[RingToChange],
    error: &Error,
) -> async_graphql::Error {
    let base = to_gql(error);
    let Ok(lines) = preview_changes(
        ports.tollfree.as_ref(),
        &caller.scope,
        account_id,
        changes,
        &ports.tollfree_rates,
    )
    .await
    else {
        return base;
    };
    let bad: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| {
            let e = line.error.as_ref()?;
            Some(serde_json::json!({
                "index": index,
                "number": line.number,
                "code": e.code.as_str(),
                "message": e.message,
            }))
        })
        .collect();
    let bad = async_graphql::Value::from_json(serde_json::Value::Array(bad)).unwrap_or_default();
    base.extend_with(|_, ext| ext.set("lines", bad.clone()))
}
