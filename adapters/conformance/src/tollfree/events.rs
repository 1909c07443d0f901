//! The [`PublishingTollFree`] decorator announces each write once.

use std::sync::Arc;

use futures::FutureExt;
use futures::stream::{BoxStream, StreamExt};
use switchboard_core::tollfree::{
    ChangeRequest, ChangeRequestEvent, PublishingTollFree, TollFreeBus,
};
use switchboard_core::{CaseEvent, CaseEventKind, InProcessBus};

use super::*;

/// What a stream holds already: the decorator publishes before the write
/// returns, so anything not there yet was never sent.
fn ready<T>(events: &mut BoxStream<'static, T>) -> Vec<T> {
    let mut out = Vec::new();
    while let Some(Some(event)) = tokio::task::coop::unconstrained(events.next()).now_or_never() {
        out.push(event);
    }
    out
}

#[track_caller]
fn assert_announced(
    (requests, cases): (Vec<ChangeRequestEvent>, Vec<CaseEvent>),
    request: &ChangeRequest,
    case_kind: CaseEventKind,
    write: &str,
) {
    match requests.as_slice() {
        [event] => assert_eq!(
            (&event.request_id, &event.account_id, event.status),
            (&request.id, &request.account_id, request.status),
            "{write} announced the wrong request"
        ),
        other => panic!(
            "{write} announced {} request events: {other:?}",
            other.len()
        ),
    }
    match cases.as_slice() {
        [event] => assert_eq!(
            (event.kind, &event.case_id, &event.account_id),
            (case_kind, &request.case_id, &request.account_id),
            "{write} announced the wrong case event"
        ),
        other => panic!("{write} announced {} case events: {other:?}", other.len()),
    }
}

/// A submit announces the pending request and its new case; a replayed or
/// refused submit announces nothing; a decision announces the decided
/// request and an update of its case.
pub async fn writes_are_announced_once(store: Arc<dyn TollFreeStore>, f: &TollFreeFixture) {
    let (bus, cases) = (TollFreeBus::new(16), Arc::new(InProcessBus::new(16)));
    let publishing = PublishingTollFree::new(store.clone(), bus.clone(), cases.clone());
    let (mut requests, mut case_events) = (bus.subscribe(), cases.subscribe());
    let mut drain = || (ready(&mut requests), ready(&mut case_events));
    let scope = f.scope();
    let open = changeable(store.as_ref(), f).await;
    let a = &open[5];
    let batch = vec![change(a, nearby(a, 51))];
    let created = publishing
        .submit(
            &scope,
            &f.actor,
            request(f, batch.clone(), Some("tf-events")),
        )
        .await
        .expect("a valid batch is submitted");
    assert_announced(drain(), &created.record, CaseEventKind::Created, "a submit");

    let replay = publishing
        .submit(&scope, &f.actor, request(f, batch, Some("tf-events")))
        .await
        .expect("a retried submit");
    assert!(replay.replayed, "the retry was not a replay");
    let refused = publishing
        .submit(
            &scope,
            &f.actor,
            request(f, vec![change(a, nearby(a, 52))], None),
        )
        .await;
    assert!(
        refused.is_err(),
        "a second change of a pending number was accepted"
    );
    let (r, c) = drain();
    assert!(
        r.is_empty() && c.is_empty(),
        "a replayed or refused submit announced {r:?} {c:?}"
    );

    let decided = publishing
        .decide(
            &f.operator,
            &created.record.id,
            Decision {
                approve: false,
                reason: Some("conformance".into()),
            },
        )
        .await
        .expect("the operator rejects the request");
    assert_eq!(decided.status, ChangeStatus::Rejected);
    assert_announced(drain(), &decided, CaseEventKind::Updated, "a decision");
}
