//! The [`Relay`](switchboard_core::Relay) port: what one replica publishes
//! on its [`Buses`] reaches every replica's subscribers once, on the bus it
//! was published on, in the order one replica published it; the publishing
//! replica's own subscribers hear it once too (not again as an echo).
//!
//! Each behaviour takes `replica`, which makes one more replica joined to
//! the same cluster (its buses, relayed by the adapter under test).

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use futures::stream::BoxStream;
use switchboard_core::status::StatusChange;
use switchboard_core::tollfree::{ChangeRequestEvent, ChangeStatus};
use switchboard_core::{Buses, CaseEvent, CaseEventKind};

/// How long a relayed message may take to arrive.
const ARRIVAL: Duration = Duration::from_secs(10);
/// How long to wait for a message that must not come.
const SILENCE: Duration = Duration::from_millis(700);

fn case_event(case_id: &str) -> CaseEvent {
    CaseEvent {
        kind: CaseEventKind::CommentAdded,
        case_id: case_id.into(),
        case_number: format!("CS{case_id:0>11}"),
        account_id: "1234567890".into(),
        at: Utc::now(),
    }
}

async fn next<T>(stream: &mut BoxStream<'static, T>, what: &str) -> T {
    tokio::time::timeout(ARRIVAL, stream.next())
        .await
        .unwrap_or_else(|_| panic!("{what} did not arrive within {ARRIVAL:?}"))
        .unwrap_or_else(|| panic!("the bus closed before {what}"))
}

async fn nothing_more<T: std::fmt::Debug>(stream: &mut BoxStream<'static, T>, what: &str) {
    if let Ok(Some(extra)) = tokio::time::timeout(SILENCE, stream.next()).await {
        panic!("{what}: a message arrived twice or out of nowhere: {extra:?}");
    }
}

/// A case event published on one replica reaches the subscribers of every
/// replica exactly once, the publisher's own included.
pub async fn a_message_reaches_every_replica_once<F, Fut>(replica: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Buses>,
{
    let (a, b, c) = (replica().await, replica().await, replica().await);
    let mut heard: Vec<_> = [&a, &b, &c].iter().map(|r| r.cases.subscribe()).collect();
    a.cases.publish(case_event("41"));
    for (i, stream) in heard.iter_mut().enumerate() {
        let event = next(stream, &format!("the event at replica {i}")).await;
        assert_eq!(event, case_event_at("41", &event), "replica {i}");
    }
    for (i, stream) in heard.iter_mut().enumerate() {
        nothing_more(stream, &format!("replica {i}")).await;
    }
}

/// The same event with `event`'s time (times are compared apart).
fn case_event_at(case_id: &str, event: &CaseEvent) -> CaseEvent {
    CaseEvent {
        at: event.at,
        ..case_event(case_id)
    }
}

/// Toll-free and status messages arrive on their own buses at the other
/// replica, not on the case bus.
pub async fn each_bus_keeps_its_messages<F, Fut>(replica: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Buses>,
{
    let (a, b) = (replica().await, replica().await);
    let mut cases = b.cases.subscribe();
    let mut requests = b.tollfree.subscribe();
    let mut status = b.status.subscribe();
    let request = ChangeRequestEvent {
        request_id: "9".into(),
        account_id: "1234567890".into(),
        status: ChangeStatus::Completed,
        at: Utc::now(),
    };
    a.tollfree.publish(request.clone());
    a.status.publish(StatusChange::Incident { id: "3".into() });
    assert_eq!(next(&mut requests, "the change request").await, request);
    assert_eq!(
        next(&mut status, "the status change").await,
        StatusChange::Incident { id: "3".into() }
    );
    nothing_more(&mut cases, "the case bus").await;
}

/// Many messages from one replica arrive at another in the order published,
/// none lost, none twice.
pub async fn order_is_kept_from_one_publisher<F, Fut>(replica: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Buses>,
{
    let (a, b) = (replica().await, replica().await);
    let mut heard = b.cases.subscribe();
    let ids: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    for id in &ids {
        a.cases.publish(case_event(id));
    }
    let mut arrived = Vec::new();
    while arrived.len() < ids.len() {
        arrived.push(next(&mut heard, "the next of 300 events").await.case_id);
    }
    assert_eq!(arrived, ids);
    nothing_more(&mut heard, "after 300 events").await;
}
