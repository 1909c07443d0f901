//! Change-request events: the in-process [`TollFreeBus`] that carries them
//! and [`PublishingTollFree`], a [`TollFreeStore`] decorator that publishes
//! one after every write; its reads go through ([`ReadThrough`]).
//!
//! The case [`EventBus`] carries [`CaseEvent`]s only, so change requests
//! have a broadcast of their own. A submit also opens a case, so the
//! decorator announces that case on the case bus too; a decision updates it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    ChangeRequest, ChangeStatus, Created, Decision, NewChangeRequest, ReadThrough, TollFreeStore,
    TollFreeWrites,
};
use crate::{Actor, CaseEvent, CaseEventKind, EventBus, Result, Scope};

/// A change request reached a status. It carries ids only: subscribers read
/// the request again through the store, in their own scope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeRequestEvent {
    /// The request's id.
    pub request_id: String,
    /// Its account, for scoping before any read.
    pub account_id: String,
    /// The status it reached.
    pub status: ChangeStatus,
    /// When.
    pub at: DateTime<Utc>,
}

/// Carries change-request events to subscribers (at-most-once: a
/// subscriber that falls behind misses what it could not keep up with).
pub type TollFreeBus = crate::events::Broadcast<ChangeRequestEvent>;

/// A [`TollFreeStore`] that publishes a [`ChangeRequestEvent`] after every
/// successful write (not after a replayed submit), and the request's case
/// event on the case bus.
pub struct PublishingTollFree {
    inner: Arc<dyn TollFreeStore>,
    bus: TollFreeBus,
    cases: Arc<dyn EventBus>,
}

impl PublishingTollFree {
    /// Wraps `inner`, publishing on `bus` and the case bus `cases`.
    pub fn new(inner: Arc<dyn TollFreeStore>, bus: TollFreeBus, cases: Arc<dyn EventBus>) -> Self {
        Self { inner, bus, cases }
    }

    fn announce(&self, request: &ChangeRequest, case_kind: CaseEventKind) {
        let at = request.decided_at.unwrap_or(request.created_at);
        self.bus.publish(ChangeRequestEvent {
            request_id: request.id.clone(),
            account_id: request.account_id.clone(),
            status: request.status,
            at,
        });
        self.cases.publish(CaseEvent {
            kind: case_kind,
            case_id: request.case_id.clone(),
            case_number: request.case_number.clone(),
            account_id: request.account_id.clone(),
            at,
        });
    }
}

impl ReadThrough for PublishingTollFree {
    fn reads(&self) -> &dyn TollFreeStore {
        self.inner.as_ref()
    }
}

#[async_trait]
impl TollFreeWrites for PublishingTollFree {
    async fn submit(
        &self,
        scope: &Scope,
        actor: &Actor,
        request: NewChangeRequest,
    ) -> Result<Created<ChangeRequest>> {
        let created = self.inner.submit(scope, actor, request).await?;
        if !created.replayed {
            self.announce(&created.record, CaseEventKind::Created);
        }
        Ok(created)
    }

    async fn decide(
        &self,
        operator: &Actor,
        id: &str,
        decision: Decision,
    ) -> Result<ChangeRequest> {
        let request = self.inner.decide(operator, id, decision).await?;
        self.announce(&request, CaseEventKind::Updated);
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn subscribers_receive_events_published_after_they_subscribe() {
        let bus = TollFreeBus::new(4);
        bus.publish(event("before"));
        let mut events = bus.subscribe();
        bus.publish(event("after"));
        assert_eq!(
            events.next().await.map(|e| e.request_id).as_deref(),
            Some("after")
        );
    }

    fn event(id: &str) -> ChangeRequestEvent {
        ChangeRequestEvent {
            request_id: id.into(),
            account_id: "1".into(),
            status: ChangeStatus::Pending,
            at: Utc::now(),
        }
    }
}
