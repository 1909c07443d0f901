//! Changes made inside ServiceNow: agents' comments and work notes, the
//! look-ups webhooks use, the polling fallback, and shared in-flight reads.

mod common;

use std::sync::Arc;
use std::time::Duration;
use switchboard_core::cases::prelude::*;

use common::{home, open_case};
use futures::StreamExt;
use switchboard_core::cases::ActivityKind;
use switchboard_core::ledger::InMemoryLedger;
use switchboard_core::{CaseEventKind, Error, EventBus, InProcessBus, PageRequest, Result};
use switchboard_fakes::servicenow::{DEMO_AGENTS, Dataset, FakeOptions, FakeServiceNow};
use switchboard_servicenow::{Auth, ServiceNow, Settings};
use switchboard_sql::testing::TestDb;

async fn start(poll_secs: u64) -> Result<(FakeServiceNow, ServiceNow)> {
    let (_db, source) = TestDb::demo_source(2, 40, 20_261_121, (2026, 1, 1)).await?;
    let dataset = Dataset::demo(&source, 2).await?;
    let fake = FakeServiceNow::start(dataset, FakeOptions::default())
        .await
        .map_err(|_| Error::unavailable("fake"))?;
    let mut settings = Settings::new(
        fake.url(),
        Auth::Basic {
            username: "switchboard.integration".into(),
            password: "fake-password".into(),
        },
    );
    settings.poll_secs = poll_secs;
    let store = ServiceNow::connect(settings, Arc::new(InMemoryLedger::new())).await?;
    Ok((fake, store))
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_comments_show_with_their_names_and_work_notes_never() -> Result<()> {
    let (fake, store) = start(0).await?;
    let case = open_case(&store).await?;
    let (agent, agent_name) = DEMO_AGENTS[0];
    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    fake.agent_work_note(&case.number, agent, "Internal: customer is difficult.")
        .await
        .ok_or(Error::Internal)?;
    fake.agent_comment(&case.number, agent, "We are on it.")
        .await
        .ok_or(Error::Internal)?;
    let page = store
        .activity(&home(), &case.id, &PageRequest::first(50))
        .await?;
    let entries = page.into_items();
    assert!(
        entries.iter().all(|a| !a.body.contains("Internal")),
        "a work note reached the portal"
    );
    let comment = entries
        .iter()
        .find(|a| a.body == "We are on it.")
        .expect("the agent's comment is in the stream");
    assert_eq!(comment.kind, ActivityKind::Comment);
    assert_eq!(comment.author, agent_name);

    let found = store
        .case_ref(&case.id)
        .await?
        .expect("case_ref finds the case");
    assert_eq!(
        (found.number.as_str(), found.account_id.as_str()),
        (case.number.as_str(), "1234567890")
    );
    assert_eq!(
        store.case_ref("0123456789abcdef0123456789abcdef").await?,
        None
    );
    let changed = store.changed_since(before, 100).await?;
    assert!(
        changed.iter().any(|c| c.id == case.id),
        "changed_since misses the case"
    );
    assert!(
        changed
            .windows(2)
            .all(|w| w[0].updated_at <= w[1].updated_at),
        "changed_since is not oldest first"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_poller_publishes_changes_made_in_servicenow() -> Result<()> {
    let (fake, store) = start(1).await?;
    let case = open_case(&store).await?;
    let bus = Arc::new(InProcessBus::new(64));
    let mut events = bus.subscribe();
    let poller = store
        .spawn_poller(
            bus.clone() as Arc<dyn EventBus>,
            Arc::new(switchboard_core::lease::Local::default()),
        )
        .expect("polling is on");
    // Let the poller take its starting point, then change the case.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    fake.agent_set_state(&case.number, DEMO_AGENTS[0].0, "18")
        .await
        .ok_or(Error::Internal)?;
    let event = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match events.next().await {
                Some(e) if e.case_id == case.id => return Some(e),
                Some(_) => continue,
                None => return None,
            }
        }
    })
    .await
    .map_err(|_| Error::Internal)?
    .expect("an event for the changed case");
    assert_eq!(event.kind, CaseEventKind::Updated);
    assert_eq!(event.case_number, case.number);
    assert_eq!(event.account_id, "1234567890");
    poller.abort();
    assert!(
        start(0)
            .await?
            .1
            .spawn_poller(bus, Arc::new(switchboard_core::lease::Local::default()))
            .is_none(),
        "poll_secs 0 polls"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn identical_reads_in_flight_share_one_request() -> Result<()> {
    let (fake, store) = start(0).await?;
    let case = open_case(&store).await?;
    fake.faults().set_latency(Duration::from_millis(200));
    let before = store.upstream_requests();
    let ids = [case.id.clone()];
    let scope = home();
    let reads = (0..5).map(|_| store.cases_by_ids(&scope, &ids));
    for read in futures::future::join_all(reads).await {
        assert_eq!(read?.len(), 1);
    }
    assert_eq!(
        store.upstream_requests() - before,
        1,
        "identical GETs were not shared"
    );
    Ok(())
}
