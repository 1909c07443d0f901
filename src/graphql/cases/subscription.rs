//! The case-event subscription.

use async_graphql::{Context, ID, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use switchboard_core::Error;

use super::CaseEventKind;
use super::nodes::CaseNode;
use crate::graphql::errors::{IntoGql, to_gql};
use crate::graphql::request;

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

#[Subscription]
impl CaseSubscription {
    /// Events on the caller's cases, optionally of one account or one case.
    async fn case_events(
        &self,
        ctx: &Context<'_>,
        account_id: Option<ID>,
        case_number: Option<String>,
    ) -> Result<impl Stream<Item = CaseEvent> + use<>> {
        let (caller, ports, _) = request(ctx)?;
        let scope = caller.scope.clone();
        if let Some(account) = &account_id
            && !scope.contains(account)
        {
            return Err(to_gql(&Error::not_found(format!(
                "account {}",
                account.as_str()
            ))));
        }
        let case_number = match case_number {
            Some(n) => Some(ports.cases.case_by_number(&scope, &n).await.gql()?.number),
            None => None,
        };
        let store = ports.cases.clone();
        let events = ports.bus.subscribe().filter(move |e| {
            let wanted = scope.contains(&e.account_id)
                && account_id
                    .as_ref()
                    .is_none_or(|a| a.as_str() == e.account_id)
                && case_number.as_ref().is_none_or(|n| *n == e.case_number);
            futures::future::ready(wanted)
        });
        let scope = caller.scope.clone();
        Ok(events.filter_map(move |event| {
            let store = store.clone();
            let scope = scope.clone();
            async move {
                let case = store
                    .cases_by_ids(&scope, std::slice::from_ref(&event.case_id))
                    .await
                    .ok()?
                    .pop()?;
                Some(CaseEvent {
                    kind: event.kind.into(),
                    at: event.at,
                    case: CaseNode(case),
                })
            }
        }))
    }
}
