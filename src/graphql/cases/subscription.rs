//! The case-event subscription.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_graphql::{Context, ID, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use switchboard_core::Error;

use super::CaseEventKind;
use super::nodes::CaseNode;
use crate::graphql::context::request;
use crate::graphql::errors::{IntoGql, to_gql};
use crate::graphql::guards::Require;

/// An event about a case the subscriber may see.
#[derive(SimpleObject)]
pub struct CaseEvent {
    /// What happened.
    pub kind: CaseEventKind,
    /// When.
    pub at: DateTime<Utc>,
    /// The case as it is now.
    pub case: CaseNode,
}

/// Case subscriptions.
#[derive(Default)]
pub struct CaseSubscription;

#[Subscription(guard = "Require::signed_in()")]
impl CaseSubscription {
    /// Events on the caller's cases, optionally of one account or one case.
    async fn case_events(
        &self,
        ctx: &Context<'_>,
        account_id: Option<ID>,
        case_number: Option<String>,
    ) -> Result<impl Stream<Item = CaseEvent> + use<>> {
        let (caller, ports, _) = request(ctx)?;
        let scope = &caller.scope;
        if let Some(account) = &account_id
            && !scope.contains(account)
        {
            return Err(to_gql(&Error::not_found(format!(
                "account {}",
                account.as_str()
            ))));
        }
        let case_number = match case_number {
            Some(n) => Some(ports.cases.case_by_number(scope, &n).await.gql()?.number),
            None => None,
        };
        let callers = ports.callers.clone();
        let caller = caller.clone();
        let events = ports.feeds.cases.subscribe().filter(move |shared| {
            let e = &shared.event;
            let wanted = account_id
                .as_ref()
                .is_none_or(|a| a.as_str() == e.account_id)
                && case_number.as_ref().is_none_or(|n| *n == e.case_number);
            futures::future::ready(wanted)
        });
        // The stream ends when the token expires; the client reconnects with a new one.
        let lifetime = Duration::from_secs(caller.expires_at.saturating_sub(unix_now()));
        Ok(events
            .filter_map(move |shared| {
                let (callers, caller) = (callers.clone(), caller.clone());
                async move {
                    // Access is checked again for every event: entitlements may
                    // have been withdrawn since the subscription started.
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
                    let case = shared.record().await?.clone();
                    Some(CaseEvent {
                        kind: event.kind.into(),
                        at: event.at,
                        case: CaseNode(case),
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
