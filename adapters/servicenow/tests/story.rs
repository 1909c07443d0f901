//! What the gateway adds to ServiceNow's own records: the attachment story
//! kept in the write ledger (read by any adapter sharing the ledger), the
//! recent-updates feed read a batch of cases at a time, and watch-list
//! changes of one process taking turns.

mod common;

use std::sync::Arc;
use std::time::Duration;
use switchboard_core::cases::prelude::*;

use bytes::Bytes;
use common::{home, open_case};
use switchboard_core::cases::ActivityKind;
use switchboard_core::cases::{NewAttachment, NewComment};
use switchboard_core::ledger::{InMemoryLedger, WriteLedger};
use switchboard_core::{Actor, Error, PageRequest, Result};
use switchboard_fakes::servicenow::{Dataset, FakeOptions, FakeServiceNow};
use switchboard_servicenow::{Auth, ServiceNow, Settings};
use switchboard_sql::testing::TestDb;

const CASES: usize = 60;

async fn fake() -> Result<FakeServiceNow> {
    let (_db, source) = TestDb::demo_source(2, CASES, 20_261_121, (2026, 1, 1)).await?;
    let dataset = Dataset::demo(&source, 2).await?;
    FakeServiceNow::start(dataset, FakeOptions::default())
        .await
        .map_err(|_| Error::unavailable("fake"))
}

async fn adapter(fake: &FakeServiceNow, ledger: Arc<dyn WriteLedger>) -> Result<ServiceNow> {
    let mut settings = Settings::new(
        fake.url(),
        Auth::Basic {
            username: "switchboard.integration".into(),
            password: "fake-password".into(),
        },
    );
    settings.poll_secs = 0;
    ServiceNow::connect(settings, ledger).await
}

fn actor() -> Actor {
    Actor {
        user_id: "u-story".into(),
        email: "pat.primary@harborfreight.example".into(),
        name: "Pat Primary".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_attachment_story_is_read_by_any_adapter_sharing_the_ledger() -> Result<()> {
    let fake = fake().await?;
    let ledger: Arc<dyn WriteLedger> = Arc::new(InMemoryLedger::new());
    let first = adapter(&fake, ledger.clone()).await?;
    let case = open_case(&first).await?;
    let file = first
        .add_attachment(
            &home(),
            &actor(),
            &case.id,
            NewAttachment {
                file_name: "trace.txt".into(),
                content_type: "text/plain".into(),
                data: Bytes::from_static(b"trace"),
                ..NewAttachment::default()
            },
        )
        .await?
        .record;
    first
        .rename_attachment(&home(), &actor(), &file.id, "trace-1.txt")
        .await?;
    first.delete_attachment(&home(), &actor(), &file.id).await?;

    // Another process (a restart, or a second instance) reads the story.
    let second = adapter(&fake, ledger).await?;
    let entries = second
        .activity(&home(), &case.id, &PageRequest::first(100))
        .await?
        .into_items();
    let story: Vec<(&str, &str)> = entries
        .iter()
        .filter(|a| a.kind == ActivityKind::Attachment)
        .map(|a| (a.body.as_str(), a.author.as_str()))
        .collect();
    assert_eq!(
        story,
        [
            ("Removed trace-1.txt", "Pat Primary"),
            ("Renamed trace.txt to trace-1.txt", "Pat Primary"),
            ("Attached trace.txt", "Pat Primary"),
        ]
    );
    assert_eq!(
        entries.last().map(|a| a.body.as_str()),
        Some("Case created"),
        "the story starts with the case"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn recent_updates_read_a_batch_of_cases_not_all_of_them() -> Result<()> {
    let fake = fake().await?;
    let store = adapter(&fake, Arc::new(InMemoryLedger::new())).await?;
    let case = open_case(&store).await?;
    let comment = store
        .add_comment(
            &home(),
            &actor(),
            &case.id,
            NewComment::new("The newest word."),
        )
        .await?
        .record;

    fake.requests().clear();
    let page = store
        .recent_updates(&home(), &PageRequest::first(10))
        .await?;
    let requests = fake.requests().entries();
    assert_eq!(page.items.len(), 10);
    assert!(page.has_next_page);
    assert_eq!(
        page.items.first().map(|(_, a)| a),
        Some(&comment),
        "the feed leads with the newest comment"
    );
    // One batch: the case list (and its references), then the journal,
    // audit and attachments of its cases; never the whole account.
    assert!(
        requests.len() <= 8,
        "a page of 10 updates cost {} upstream requests: {:#?}",
        requests.len(),
        requests
    );
    let case_lists: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/sn_customerservice_case"))
        .collect();
    assert_eq!(case_lists.len(), 1, "{case_lists:#?}");
    assert!(
        case_lists[0].query.contains("sysparm_limit=11")
            || case_lists[0].query.contains("sysparm_limit=12"),
        "the batch is sized to the page, not the account: {}",
        case_lists[0].query
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_list_changes_of_one_process_take_turns() -> Result<()> {
    let fake = fake().await?;
    let store = Arc::new(adapter(&fake, Arc::new(InMemoryLedger::new())).await?);
    let case = open_case(&store).await?;
    // A slow instance widens the window between each change's read and
    // write; without turns, one of the concurrent additions would be lost.
    fake.faults().set_latency(Duration::from_millis(150));
    let emails = ["one@harborfreight.example", "two@harborfreight.example"];
    let tasks: Vec<_> = emails
        .iter()
        .map(|email| {
            let (store, id) = (store.clone(), case.id.clone());
            let email = email.to_string();
            tokio::spawn(async move { store.add_watchers(&home(), &actor(), &id, &[email]).await })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|_| Error::Internal)??;
    }
    fake.faults().clear();
    let listed = store
        .watch_lists(&home(), std::slice::from_ref(&case.id))
        .await?;
    for email in emails {
        assert!(
            listed.iter().any(|w| w.email == email),
            "{email} was lost from the watch list: {listed:?}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn quick_changes_of_one_field_are_each_credited_to_their_author() -> Result<()> {
    let fake = fake().await?;
    let store = adapter(&fake, Arc::new(InMemoryLedger::new())).await?;
    let case = open_case(&store).await?;
    let (a, b) = (
        "quick.a@harborfreight.example".to_string(),
        "quick.b@harborfreight.example".to_string(),
    );
    // Four changes, most likely within one second: ServiceNow keeps whole
    // seconds, so their audit rows tie on time.
    let actor = actor();
    let scope = home();
    let id = case.id.as_str();
    store
        .add_watchers(&scope, &actor, id, std::slice::from_ref(&a))
        .await?;
    store
        .add_watchers(&scope, &actor, id, std::slice::from_ref(&b))
        .await?;
    store
        .remove_watchers(&scope, &actor, id, std::slice::from_ref(&a))
        .await?;
    store
        .remove_watchers(&scope, &actor, id, std::slice::from_ref(&b))
        .await?;
    let entries = store
        .activity(&scope, id, &PageRequest::first(100))
        .await?
        .into_items();
    let watch: Vec<(String, &str)> = entries
        .iter()
        .filter(|e| e.kind == ActivityKind::WatchList && e.body.contains("quick."))
        .map(|e| (e.body.clone(), e.author.as_str()))
        .collect();
    let entry = |body: String| (body, "Pat Primary");
    assert_eq!(
        watch,
        [
            entry(format!("Removed {b} from the watch list")),
            entry(format!("Removed {a} from the watch list")),
            entry(format!("Added {b} to the watch list")),
            entry(format!("Added {a} to the watch list")),
        ],
        "newest first, each by its author"
    );
    Ok(())
}
