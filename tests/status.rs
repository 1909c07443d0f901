//! System status end to end: reading the page, operators' writes heard by a
//! WebSocket subscriber, the role rules, opening a case about an incident,
//! constant statement counts, and the gateway over a (fake) Statuspage.

mod common;

use std::time::Duration;

use common::{ACCOUNT_A, ACCOUNT_B, Gateway, PRIMARY_A, STANDARD_A};
use serde_json::json;
use switchboard::config::StatusSourceKind;
use switchboard_fakes::statuspage::FakeStatuspage;

const OPERATOR: &str = "olive.operator@switchboard.example";

const SUMMARY: &str = "{ systemStatus { indicator description writable
    components { id name group status position }
    incidents { id name status impact resolvedAt components { name } updates { status body createdAt } } } }";

fn component_id(status: &serde_json::Value, name: &str) -> String {
    status["systemStatus"]["components"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("component {name} in {status}"))
        .to_string()
}

async fn every_signed_in_caller_reads_the_page(gw: Gateway) {
    let token = gw.token(STANDARD_A).await;
    let data = gw.data(&token, SUMMARY, json!({})).await;
    let status = &data["systemStatus"];
    assert_eq!(status["indicator"], "MINOR", "{data}");
    assert_eq!(status["writable"], true);
    assert_eq!(status["components"].as_array().map(Vec::len), Some(7));
    assert_eq!(status["incidents"][0]["status"], "IDENTIFIED");
    assert_eq!(
        status["incidents"][0]["updates"].as_array().map(Vec::len),
        Some(2)
    );
    let recent = gw
        .data(
            &token,
            "{ recentIncidents(first: 5) { name resolvedAt } }",
            json!({}),
        )
        .await;
    assert_eq!(recent["recentIncidents"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        gw.error_code(&token, "{ incident(id: \"424242\") { id } }", json!({}))
            .await,
        "NOT_FOUND"
    );
}

async fn an_operator_write_reaches_subscribers(gw: Gateway) {
    let reader = gw.token(STANDARD_A).await;
    let operator = gw.token(OPERATOR).await;
    let before = gw.data(&reader, SUMMARY, json!({})).await;
    let id = component_id(&before, "Connectivity");
    let mut sub = gw
        .subscribe(
            "graphql-transport-ws",
            &reader,
            "subscription { systemStatusChanged { indicator components { name status } } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let set = "mutation($id: ID!) { setComponentStatus(componentId: $id, status: MAJOR_OUTAGE) { status } }";
    let data = gw.data(&operator, set, json!({ "id": id })).await;
    assert_eq!(data["setComponentStatus"]["status"], "MAJOR_OUTAGE");
    let event = sub.next_event().await;
    let changed = &event["data"]["systemStatusChanged"];
    assert_eq!(changed["indicator"], "CRITICAL", "{event}");
    assert!(
        changed["components"].as_array().is_some_and(|cs| cs
            .iter()
            .any(|c| c["name"] == "Connectivity" && c["status"] == "MAJOR_OUTAGE")),
        "{event}"
    );
}

async fn only_operators_change_the_status(gw: Gateway) {
    let before = gw
        .data(&gw.token(PRIMARY_A).await, SUMMARY, json!({}))
        .await;
    let id = component_id(&before, "Connectivity");
    let incident = before["systemStatus"]["incidents"][0]["id"].clone();
    let mutations = [
        (
            "mutation($id: ID!) { setComponentStatus(componentId: $id, status: MAJOR_OUTAGE) { status } }",
            json!({ "id": id }),
        ),
        (
            "mutation { postIncident(input: { name: \"x\", impact: MINOR, body: \"y\" }) { id } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { postIncidentUpdate(incidentId: $id, status: RESOLVED, body: \"z\") { id } }",
            json!({ "id": incident }),
        ),
    ];
    for email in [PRIMARY_A, STANDARD_A] {
        let token = gw.token(email).await;
        for (query, variables) in &mutations {
            assert_eq!(
                gw.error_code(&token, query, variables.clone()).await,
                "FORBIDDEN",
                "{email}: {query}"
            );
        }
    }
    let after = gw
        .data(&gw.token(PRIMARY_A).await, SUMMARY, json!({}))
        .await;
    assert_eq!(after, before, "refused writes change nothing");
    let operator = gw.token(OPERATOR).await;
    let posted = gw
        .data(&operator, "mutation($c: [ID!]) { postIncident(input: { name: \"Fiber cut\", impact: MAJOR, body: \"Looking\", componentIds: $c }) { id components { name } } }", json!({ "c": [id] }))
        .await;
    assert_eq!(
        posted["postIncident"]["components"][0]["name"],
        "Connectivity"
    );
    let resolved = gw
        .data(&operator, "mutation($id: ID!) { postIncidentUpdate(incidentId: $id, status: RESOLVED, body: \"Fixed\") { status resolvedAt updates { body } } }", json!({ "id": posted["postIncident"]["id"] }))
        .await;
    assert_eq!(resolved["postIncidentUpdate"]["status"], "RESOLVED");
    assert_eq!(
        resolved["postIncidentUpdate"]["updates"][0]["body"],
        "Fixed"
    );
}

async fn a_case_about_an_incident_names_it(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let status = gw.data(&token, SUMMARY, json!({})).await;
    let incident = &status["systemStatus"]["incidents"][0];
    let open = "mutation($i: ID!, $a: ID!, $k: String) { openCaseAboutIncident(incidentId: $i, accountId: $a, description: \"Our calls are choppy\", idempotencyKey: $k) { number title description } }";
    let vars = json!({ "i": incident["id"], "a": ACCOUNT_A, "k": "incident-case-1" });
    let first = gw.data(&token, open, vars.clone()).await;
    let again = gw.data(&token, open, vars).await;
    assert_eq!(first, again, "the idempotency key replays the first case");
    let case = &first["openCaseAboutIncident"];
    let name = incident["name"].as_str().unwrap_or_default();
    assert!(
        case["title"].as_str().is_some_and(|t| t.contains(name)),
        "{case}"
    );
    assert!(
        case["description"]
            .as_str()
            .is_some_and(|d| d.contains(name)),
        "{case}"
    );
    let cases = gw
        .data(
            &token,
            "{ cases(first: 3) { nodes { number title } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        cases["cases"]["nodes"][0]["number"], case["number"],
        "{cases}"
    );
    let other = json!({ "i": incident["id"], "a": ACCOUNT_B, "k": null });
    assert_eq!(
        gw.error_code(&token, open, other).await,
        "NOT_FOUND",
        "another customer's account"
    );
}

async fn a_summary_costs_the_same_statements_whatever_the_page_holds(gw: Gateway) {
    let token = gw.token(STANDARD_A).await;
    let operator = gw.token(OPERATOR).await;
    let cost = async || {
        let before = gw.store.db().statements_run();
        gw.data(&token, SUMMARY, json!({})).await;
        gw.store.db().statements_run() - before
    };
    let post = async |n: usize| {
        gw.data(&operator, "mutation($n: String!) { postIncident(input: { name: $n, impact: MINOR, body: \"x\" }) { id } }", json!({ "n": format!("Incident {n}") }))
            .await;
    };
    // The first request also looks the caller up; a write (whose own
    // caller look-up is then done) makes the next read go to the database.
    cost().await;
    post(0).await;
    let small = cost().await;
    assert_eq!(small, 3, "components, unresolved incidents, their updates");
    assert_eq!(cost().await, 0, "until something changes, the page is kept");
    for n in 1..4 {
        post(n).await;
    }
    assert_eq!(cost().await, small, "statements do not grow with incidents");
    let names = gw
        .data(&token, "{ systemStatus { incidents { name } } }", json!({}))
        .await;
    let names = names["systemStatus"]["incidents"].to_string();
    assert!(
        names.contains("Incident 3"),
        "the last write is read: {names}"
    );
}

on_both_backends!(
    every_signed_in_caller_reads_the_page,
    an_operator_write_reaches_subscribers,
    only_operators_change_the_status,
    a_case_about_an_incident_names_it,
    a_summary_costs_the_same_statements_whatever_the_page_holds,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_reads_a_statuspage_and_reports_its_outage() {
    let fake = FakeStatuspage::start().await.expect("the fake starts");
    let url = fake.url.clone();
    let Some(gw) = common::start_with(common::Backend::Sqlite, move |c| {
        c.status.source = StatusSourceKind::Statuspage;
        c.status.statuspage_url = Some(url);
        c.status.cache_secs = 0;
        c.status.stale_secs = 0;
        c.status.timeout_ms = 1_000;
    })
    .await
    else {
        return;
    };
    let token = gw.token(STANDARD_A).await;
    let data = gw.data(&token, SUMMARY, json!({})).await;
    assert_eq!(data["systemStatus"]["writable"], false);
    assert_eq!(data["systemStatus"]["indicator"], "MINOR");
    let operator = gw.token(OPERATOR).await;
    let id = component_id(&data, "Connectivity");
    let set = "mutation($id: ID!) { setComponentStatus(componentId: $id, status: MAJOR_OUTAGE) { status } }";
    assert_eq!(
        gw.error_code(&operator, set, json!({ "id": id })).await,
        "NOT_SUPPORTED",
        "read-only source"
    );
    fake.fail_with(Some(503));
    let (_, body) = gw
        .post(
            &token,
            "{ me { name } systemStatus { indicator } }",
            json!({}),
        )
        .await;
    assert!(body["data"]["me"]["name"].is_string(), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BACKEND_UNAVAILABLE",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["backend"], "statuspage",
        "{body}"
    );
}
