//! The status conformance suite on the Statuspage adapter over its fake,
//! and the adapter's own guarantees: caching, change detection,
//! stale-while-error and outages.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use switchboard_conformance::status;
use switchboard_core::Error;
use switchboard_core::status::{ComponentStatus, StatusBus, StatusSource};
use switchboard_fakes::statuspage::FakeStatuspage;
use switchboard_statuspage::{Options, StatuspageSource};

async fn source(ttl: Duration, stale: Duration) -> (FakeStatuspage, StatuspageSource, StatusBus) {
    let fake = FakeStatuspage::start().await.expect("the fake starts");
    let bus = StatusBus::default();
    let options = Options {
        url: fake.url.clone(),
        ttl,
        stale_for: stale,
        timeout: Duration::from_millis(500),
    };
    let source = StatuspageSource::new(
        options,
        bus.clone(),
        Arc::new(switchboard_core::lease::Local::default()),
    )
    .expect("a source");
    (fake, source, bus)
}

async fn fresh() -> (FakeStatuspage, StatuspageSource, StatusBus) {
    source(Duration::ZERO, Duration::ZERO).await
}

#[tokio::test]
async fn summary_lists_the_components_in_order() {
    let (_fake, s, _) = fresh().await;
    status::summary_lists_the_components_in_order(&s).await;
}

#[tokio::test]
async fn summary_holds_unresolved_incidents_only() {
    let (_fake, s, _) = fresh().await;
    status::summary_holds_unresolved_incidents_only(&s).await;
}

#[tokio::test]
async fn incidents_are_found_by_id() {
    let (_fake, s, _) = fresh().await;
    status::incidents_are_found_by_id(&s).await;
}

#[tokio::test]
async fn writes_follow_the_capability() {
    let (_fake, s, _) = fresh().await;
    status::writes_follow_the_capability(&s, false).await;
}

#[tokio::test]
async fn summaries_are_cached_for_the_ttl() {
    let (fake, s, _) = source(Duration::from_secs(60), Duration::from_secs(60)).await;
    s.summary().await.expect("first");
    s.summary().await.expect("second");
    assert_eq!(
        fake.requests(),
        1,
        "the second read is served from the cache"
    );
}

#[tokio::test]
async fn a_changed_summary_is_published_and_an_outage_is_unavailable() {
    let (fake, s, bus) = fresh().await;
    let mut changes = bus.subscribe();
    s.summary().await.expect("first");
    fake.set_component_status("Connectivity", ComponentStatus::MajorOutage);
    let after = s.summary().await.expect("second");
    assert!(
        after
            .components
            .iter()
            .any(|c| c.name == "Connectivity" && c.status == ComponentStatus::MajorOutage)
    );
    let change = tokio::time::timeout(Duration::from_secs(2), changes.next()).await;
    assert!(change.is_ok(), "a difference is published");
    fake.fail_with(Some(503));
    let error = s.summary().await.expect_err("the page fails");
    assert_eq!(error, Error::unavailable("statuspage"));
    fake.fail_with(None);
    fake.delay(Duration::from_secs(2));
    assert_eq!(
        s.summary().await.expect_err("too slow"),
        Error::unavailable("statuspage")
    );
}

#[tokio::test]
async fn the_last_good_summary_is_served_while_the_page_fails_briefly() {
    let (fake, s, _) = source(Duration::ZERO, Duration::from_secs(60)).await;
    let good = s.summary().await.expect("good");
    fake.fail_with(Some(500));
    assert_eq!(s.summary().await.expect("stale"), good);
}
