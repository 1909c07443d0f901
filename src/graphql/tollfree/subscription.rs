//! The ring-to change subscription: a request's progress, re-checking the
//! subscriber's access before every event, as `caseEvents` does.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_graphql::{Context, ID, Result, Subscription};
use futures::{Stream, StreamExt};
use switchboard_core::Error;

use super::nodes::RingToChangeEvent;
use crate::graphql::context::request;
use crate::graphql::errors::to_gql;
use crate::graphql::guards::Require;

/// Toll-free subscriptions.
#[derive(Default)]
pub struct TollFreeSubscription;

#[Subscription(guard = "Require::signed_in()")]
impl TollFreeSubscription {
    /// Status changes of ring-to change requests: of one request
    /// (`requestId`), of one account's requests (`accountId`), or of all the
    /// caller's.
    async fn ring_to_change_updates(
        &self,
        ctx: &Context<'_>,
        request_id: Option<ID>,
        account_id: Option<ID>,
    ) -> Result<impl Stream<Item = RingToChangeEvent> + use<>> {
        let (caller, ports, _) = request(ctx)?;
        if let Some(account) = &account_id
            && !caller.scope.contains(account)
        {
            return Err(to_gql(&Error::not_found(format!(
                "account {}",
                account.as_str()
            ))));
        }
        if let Some(id) = &request_id {
            let found = ports
                .tollfree
                .change_requests(&caller.scope, std::slice::from_ref(&id.0))
                .await
                .map_err(|e| to_gql(&e))?;
            if found.is_empty() {
                return Err(to_gql(&Error::not_found(format!(
                    "ring-to change request {}",
                    id.as_str()
                ))));
            }
        }
        let callers = ports.callers.clone();
        let caller = caller.clone();
        let events = ports.feeds.tollfree.subscribe().filter(move |shared| {
            let e = &shared.event;
            let wanted = request_id
                .as_ref()
                .is_none_or(|r| r.as_str() == e.request_id)
                && account_id
                    .as_ref()
                    .is_none_or(|a| a.as_str() == e.account_id);
            futures::future::ready(wanted)
        });
        // The stream ends when the token expires; the client reconnects with a new one.
        let lifetime = Duration::from_secs(caller.expires_at.saturating_sub(unix_now()));
        Ok(events
            .filter_map(move |shared| {
                let (callers, caller) = (callers.clone(), caller.clone());
                async move {
                    // Entitlements may have been withdrawn since the subscription started.
                    let scope = match callers.current_scope(&caller).await {
                        Ok(scope) => scope,
                        Err(error) => {
                            tracing::warn!(%error, user.id = %caller.actor.user_id, "cannot re-check a subscriber's access");
                            return None;
                        }
                    };
                    let event = &shared.event;
                    if !scope.contains(&event.account_id) {
                        return None;
                    }
                    // Read once for every subscriber of the event.
                    let request = shared.record().await?.clone();
                    Some(RingToChangeEvent {
                        status: event.status.into(),
                        at: event.at,
                        request: request.into(),
                    })
                }
            })
            .take_until(tokio::time::sleep(lifetime)))
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
