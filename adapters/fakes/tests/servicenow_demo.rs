//! The demo dataset and the agent helpers (with the webhook) of the
//! ServiceNow fake.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::http::HeaderMap;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use switchboard_fakes::servicenow::{
    DEMO_AGENTS, Dataset, FakeOptions, FakeServiceNow, webhook_signature,
};
use switchboard_sql::testing::TestDb;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn field(row: &serde_json::Map<String, Value>, name: &str) -> String {
    row.get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn demo_has_both_accounts_with_cases_in_every_state() -> Result {
    let started = Instant::now();
    let (_db, source) = TestDb::demo_source(2, 150, 20_261_121, (2026, 1, 1)).await?;
    let dataset = Dataset::demo(&source, 2).await?;
    eprintln!(
        "the demo source and Dataset::demo(2, 150) built in {:?}",
        started.elapsed()
    );
    let fake = FakeServiceNow::start(dataset, FakeOptions::default()).await?;

    let accounts = fake.records("customer_account");
    let numbers: BTreeSet<String> = accounts.iter().map(|a| field(a, "number")).collect();
    assert_eq!(
        numbers,
        BTreeSet::from(["1234567890".to_owned(), "2345678901".to_owned()])
    );
    let cases = fake.records("sn_customerservice_case");
    assert_eq!(cases.len(), 150);
    for account in &accounts {
        let id = field(account, "sys_id");
        let states: BTreeSet<String> = cases
            .iter()
            .filter(|c| field(c, "account") == id)
            .map(|c| field(c, "state"))
            .collect();
        assert_eq!(
            states,
            ["1", "10", "18", "3", "6", "7"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            "states of {}",
            field(account, "number")
        );
    }
    assert!(
        cases
            .iter()
            .all(|c| field(c, "number").starts_with("CS") && field(c, "sys_id").len() == 32)
    );
    assert!(
        cases
            .iter()
            .filter(|c| matches!(field(c, "state").as_str(), "3" | "7"))
            .all(|c| !field(c, "close_notes").is_empty() && field(c, "active") == "false")
    );

    let journal = fake.records("sys_journal_field");
    assert!(journal.iter().any(|j| field(j, "element") == "comments"));
    let audit = fake.records("sys_audit");
    assert!(audit.iter().any(|a| field(a, "fieldname") == "state"));
    let contacts = fake.records("customer_contact");
    assert!(
        contacts
            .iter()
            .any(|c| field(c, "user_name") == "pat.primary@harborfreight.example")
    );
    let choices = fake.records("sys_choice");
    assert!(choices
        .iter()
        .any(|c| field(c, "element") == "u_case_type" && field(c, "value") == "CUSTOMER_HEALTH"));
    assert!(
        choices
            .iter()
            .any(|c| field(c, "element") == "category" && !field(c, "dependent_value").is_empty())
    );

    // The demo data answers queries over HTTP like any other.
    let response = Client::new()
        .get(format!(
            "{}/api/now/table/sn_customerservice_case",
            fake.url()
        ))
        .query(&[
            ("sysparm_query", "account.number=1234567890^stateNOT IN3,7"),
            ("sysparm_limit", "5"),
        ])
        .basic_auth("switchboard.integration", Some("fake-password"))
        .header("accept", "application/json")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("link"));
    Ok(())
}

#[derive(Default, Clone)]
struct Received(Arc<Mutex<Vec<(HeaderMap, String)>>>);

#[tokio::test]
async fn agent_changes_are_stored_and_signed_to_the_webhook() -> Result {
    let received = Received::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                sink.0.lock().expect("the sink").push((headers, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/hook", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let options = FakeOptions {
        webhook: Some((hook_url, "hook-secret".into())),
        ..FakeOptions::default()
    };
    let (_db, source) = TestDb::demo_source(2, 20, 7, (2026, 1, 1)).await?;
    let dataset = Dataset::demo(&source, 2).await?;
    let fake = FakeServiceNow::start(dataset, options).await?;
    let case = fake
        .records("sn_customerservice_case")
        .into_iter()
        .find(|c| field(c, "state") == "10")
        .ok_or("an open case")?;
    let number = field(&case, "number");
    let agent = DEMO_AGENTS[0].0;

    let id = fake.agent_comment(&number, agent, "We are on it.").await;
    assert_eq!(id.as_deref(), Some(field(&case, "sys_id").as_str()));
    fake.agent_work_note(&number, agent, "internal only").await;
    fake.agent_set_state(&number, agent, "18").await;
    assert!(
        fake.agent_comment("CS99999999999", agent, "x")
            .await
            .is_none()
    );

    let stored = fake
        .record("sn_customerservice_case", &field(&case, "sys_id"))
        .ok_or("the case")?;
    assert_eq!(field(&stored, "state"), "18");
    let audit = fake.records("sys_audit");
    assert!(
        audit
            .iter()
            .any(|a| field(a, "documentkey") == field(&case, "sys_id")
                && field(a, "newvalue") == "18"
                && field(a, "user") == agent)
    );

    let events = received.0.lock().expect("the sink").clone();
    assert_eq!(events.len(), 3);
    for (headers, body) in &events {
        let timestamp: i64 = headers["x-switchboard-timestamp"].to_str()?.parse()?;
        assert_eq!(
            headers["x-switchboard-signature"].to_str()?,
            webhook_signature("hook-secret", timestamp, body.as_bytes())
        );
    }
    let changed: Vec<Value> = events
        .iter()
        .map(|(_, b)| serde_json::from_str::<Value>(b).map(|v| v["changed"].clone()))
        .collect::<std::result::Result<_, _>>()?;
    assert_eq!(changed[0], serde_json::json!(["comments"]));
    assert_eq!(changed[2], serde_json::json!(["state"]));
    let last: Value = serde_json::from_str(&events[2].1)?;
    assert_eq!(last["number"], number.as_str());
    assert_eq!(last["operation"], "update");
    server.abort();
    Ok(())
}
