//! The gateway with its cases in ServiceNow (the fake instance): the
//! upstream-request budget of a case list, partial results during an
//! outage, the signed webhook and the polling fallback.

mod common;

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use switchboard_fakes::faults::{Fault, Rule};

use common::{Backend, Gateway, PRIMARY_A, PRIMARY_B};

const SECRET: &str = "a-webhook-secret-for-tests";

async fn gateway(tweak: impl FnOnce(&mut switchboard::config::Config)) -> Gateway {
    common::start_with(Backend::ServiceNow, tweak)
        .await
        .expect("a gateway on the fake ServiceNow")
}

fn fake(gw: &Gateway) -> &switchboard_fakes::servicenow::FakeServiceNow {
    gw.servicenow.as_ref().expect("the fake ServiceNow")
}

/// A case of the first demo account, as the portal lists it.
async fn some_case(gw: &Gateway, token: &str, states: &str) -> Value {
    let list = gw
        .data(
            token,
            &format!("{{ cases(filter: {{ states: [{states}] }}, first: 1) {{ nodes {{ id number }} }} }}"),
            json!({}),
        )
        .await;
    list["cases"]["nodes"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_cases_with_references_cost_three_upstream_requests() {
    let gw = gateway(|_| {}).await;
    let token = gw.token(PRIMARY_A).await;
    let query = "{ cases(first: 50) { nodes { number account { name } \
                 location { name } contact { name email } } } }";
    for round in ["cold", "warm"] {
        fake(&gw).requests().clear();
        let data = gw.data(&token, query, json!({})).await;
        let nodes = data["cases"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), 50, "{round}: a full page");
        assert!(
            nodes.iter().any(|n| !n["location"].is_null()),
            "{round}: locations resolve"
        );
        assert!(
            nodes.iter().all(|n| n["account"]["name"].is_string()),
            "{round}: accounts resolve"
        );
        let requests = fake(&gw).requests().entries();
        assert!(
            requests.len() <= 3,
            "{round}: {} upstream requests: {requests:#?}",
            requests.len()
        );
    }
}

/// The Support page's query (`examples/support-list.graphql`) warm: the
/// case list answers the page and its total in one request (the count
/// comes from its `X-Total-Count`), and the latest activity of the page's
/// cases is read without reading the cases again: two round trips in a
/// row, the second the journal, audit and attachment reads side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_support_list_warm_costs_two_round_trips() {
    let gw = gateway(|_| {}).await;
    let token = gw.token(PRIMARY_A).await;
    let document = include_str!("../examples/support-list.graphql");
    let run = |variables: Value| {
        let body = json!({
            "query": document,
            "operationName": "SupportList",
            "variables": variables,
        });
        let (gw, token) = (&gw, &token);
        async move {
            let response = gw
                .http
                .post(format!("{}/graphql", gw.base))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("an answer");
            let body: Value = response.json().await.expect("JSON");
            assert!(body.get("errors").is_none(), "unexpected errors: {body}");
            body["data"].clone()
        }
    };
    let all = json!({ "filter": { "states": [] }, "first": 20 });
    run(all.clone()).await;
    fake(&gw).requests().clear();
    let page = run(all.clone()).await;
    let requests = fake(&gw).requests().entries();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    let cases: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/sn_customerservice_case"))
        .collect();
    assert_eq!(cases.len(), 1, "one case request: {requests:#?}");
    assert!(
        !cases[0].query.contains("sysparm_no_count=true"),
        "the list asks for its total: {}",
        cases[0].query
    );
    let mut activity: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| !p.ends_with("/sn_customerservice_case"))
        .collect();
    activity.sort();
    assert_eq!(
        activity,
        [
            "/api/now/attachment",
            "/api/now/table/sys_audit",
            "/api/now/table/sys_journal_field",
        ],
        "the second round trip: {requests:#?}"
    );

    // The total from the list's header is the total a separate count gives
    // (asked after a cursor, where the list's header would not be).
    let nodes = page["cases"]["edges"].as_array().expect("edges");
    assert_eq!(nodes.len(), 20, "a full page");
    assert!(
        nodes
            .iter()
            .all(|e| e["node"]["latestActivity"]["body"].is_string()),
        "every case has its latest activity: {nodes:#?}"
    );
    let total = &page["cases"]["totalCount"];
    let after = page["cases"]["pageInfo"]["endCursor"].clone();
    let next = run(json!({ "filter": { "states": [] }, "first": 20, "after": after })).await;
    assert_eq!(&next["cases"]["totalCount"], total);
    assert!(total.as_u64().expect("a total") > 20, "{total}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_nulls_only_the_case_fields() {
    let gw = gateway(|_| {}).await;
    let token = gw.token(PRIMARY_A).await;
    fake(&gw)
        .faults()
        .inject(Rule::new(Fault::Status(503)).times(1_000));
    let (status, body) = gw
        .post(
            &token,
            "{ cases(first: 5) { nodes { id } } systemStatus { indicator } \
               billingSummaries { account { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["cases"].is_null(), "{body}");
    assert!(
        body["data"]["systemStatus"]["indicator"].is_string(),
        "{body}"
    );
    assert!(body["data"]["billingSummaries"].is_array(), "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BACKEND_UNAVAILABLE", "{body}");
    assert_eq!(error["extensions"]["backend"], "servicenow", "{body}");
    assert_eq!(error["path"], json!(["cases"]), "{body}");
    let text = body.to_string();
    assert!(
        !text.contains("127.0.0.1") && !text.contains("fake-password"),
        "no internals leak: {text}"
    );
}

/// Signs a record-change post as a ServiceNow business rule would.
fn signed(body: &Value, timestamp: i64, secret: &str) -> (String, String) {
    let raw = body.to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{raw}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (raw, format!("sha256={hex}"))
}

async fn post_hook(gw: &Gateway, raw: String, timestamp: i64, signature: &str) -> (u16, Value) {
    let response = gw
        .http
        .post(format!("{}/webhooks/servicenow", gw.base))
        .header("content-type", "application/json")
        .header("x-switchboard-timestamp", timestamp.to_string())
        .header("x-switchboard-signature", signature)
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Posts `change`, signed with a fresh timestamp each time, until the
/// subscriber hears of it: a subscription becomes active a moment after its
/// `subscribe` message, so a first post may come too early. Returns the
/// event's payload and the last post (body, timestamp, signature).
async fn deliver(
    gw: &Gateway,
    events: &mut common::Subscription,
    change: &Value,
) -> (Value, (String, i64, String)) {
    for attempt in 0..5 {
        let now = chrono::Utc::now().timestamp() + attempt;
        let (raw, signature) = signed(change, now, SECRET);
        let (status, body) = post_hook(gw, raw.clone(), now, &signature).await;
        assert_eq!((status, &body), (202, &json!({ "accepted": true })));
        if let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_secs(3), events.next_message()).await
        {
            return (message["payload"].clone(), (raw, now, signature));
        }
    }
    panic!("no event after five signed posts of {change}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhooks_reach_subscribers_once() {
    let gw = gateway(|c| c.cases.webhook_secret = Some(SECRET.into())).await;
    let token = gw.token(PRIMARY_A).await;
    let case = some_case(&gw, &token, "OPEN").await;
    let number = case["number"].as_str().unwrap().to_string();
    let mut events = gw
        .subscribe(
            "graphql-transport-ws",
            &token,
            "subscription($n: String) { caseEvents(caseNumber: $n) { kind case { number state } } }",
            json!({ "n": number }),
        )
        .await;
    let sys_id = fake(&gw)
        .agent_comment(&number, "beth.agent", "We are dispatching a technician.")
        .await
        .expect("the agent comments");
    let now = chrono::Utc::now().timestamp();
    let change = json!({
        "table": "sn_customerservice_case", "sys_id": sys_id, "number": number,
        "operation": "update", "changed": ["comments"],
        "sys_updated_on": "2026-11-21 12:00:00",
    });

    let (raw, signature) = signed(&change, now, "not-the-secret-at-all");
    assert_eq!(post_hook(&gw, raw, now, &signature).await.0, 401);
    let (raw, signature) = signed(&change, now - 3_600, SECRET);
    assert_eq!(post_hook(&gw, raw, now - 3_600, &signature).await.0, 401);
    let (event, (raw, now, signature)) = deliver(&gw, &mut events, &change).await;
    assert_eq!(
        event["data"]["caseEvents"]["kind"], "COMMENT_ADDED",
        "{event}"
    );
    assert_eq!(
        event["data"]["caseEvents"]["case"]["number"],
        number.as_str()
    );
    let (status, body) = post_hook(&gw, raw, now, &signature).await;
    assert_eq!(
        (status, &body),
        (202, &json!({ "accepted": false })),
        "a replay is acknowledged and ignored"
    );
    let comments = gw
        .data(
            &token,
            "query($n: String) { case(number: $n) { activity(first: 5) { nodes { body author } } } }",
            json!({ "n": number }),
        )
        .await;
    assert_eq!(
        comments["case"]["activity"]["nodes"][0]["body"], "We are dispatching a technician.",
        "{comments}"
    );

    let other = gw.token(PRIMARY_B).await;
    let mut outsider = gw
        .subscribe(
            "graphql-transport-ws",
            &other,
            "subscription { caseEvents { case { number } } }",
            json!({}),
        )
        .await;
    fake(&gw)
        .agent_set_state(&number, "beth.agent", "18")
        .await
        .expect("the agent asks for information");
    let change = json!({ "sys_id": sys_id, "operation": "update", "changed": ["state"] });
    let mut event = deliver(&gw, &mut events, &change).await.0;
    // A late echo of an earlier post may come first; it names the case too.
    while event["data"]["caseEvents"]["case"]["state"] != "AWAITING_INFO" {
        event = events.next_event().await;
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(500), outsider.next_message())
            .await
            .is_err(),
        "another customer hears nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_webhook_the_adapter_polls() {
    let gw = gateway(|c| {
        let settings = c.cases.servicenow.as_mut().expect("servicenow settings");
        settings.insert("poll_secs".into(), json!(1));
    })
    .await;
    let token = gw.token(PRIMARY_A).await;
    let case = some_case(&gw, &token, "OPEN").await;
    let number = case["number"].as_str().unwrap().to_string();
    let mut events = gw
        .subscribe(
            "graphql-transport-ws",
            &token,
            "subscription($n: String) { caseEvents(caseNumber: $n) { case { number state } } }",
            json!({ "n": number }),
        )
        .await;
    // Let the poller take its first look before the agent acts.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    fake(&gw)
        .agent_set_state(&number, "beth.agent", "18")
        .await
        .expect("the agent asks for information");
    let event = events.next_event().await;
    assert_eq!(
        event["data"]["caseEvents"]["case"]["number"],
        number.as_str()
    );
    assert_eq!(
        event["data"]["caseEvents"]["case"]["state"],
        "AWAITING_INFO"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_and_assets_name_servicenow_locations() {
    let gw = gateway(|_| {}).await;
    let token = gw.token(PRIMARY_A).await;
    let data = gw
        .data(
            &token,
            "{ accounts { id locations { id customerLocationId } products { id }
                services(first: 100) { nodes { id locationId productId location { id customerLocationId } } }
                assets(first: 100) { nodes { id locationId location { id } } } } }",
            json!({}),
        )
        .await;
    let account = &data["accounts"][0];
    let locations: Vec<&str> = account["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    let services = account["services"]["nodes"].as_array().unwrap();
    let assets = account["assets"]["nodes"].as_array().unwrap();
    assert!(!services.is_empty() && !assets.is_empty(), "{data}");
    for item in services.iter().chain(assets) {
        let id = item["locationId"].as_str().unwrap();
        assert!(
            locations.contains(&id),
            "{id} is not one of the account's ServiceNow locations: {item}"
        );
        assert_eq!(item["location"]["id"], id, "{item}");
    }

    let products: Vec<&str> = account["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let with_product: Vec<&str> = services
        .iter()
        .filter_map(|s| s["productId"].as_str())
        .collect();
    assert!(!with_product.is_empty(), "{data}");
    for id in with_product {
        assert!(
            products.contains(&id),
            "{id} is not one of the account's ServiceNow products"
        );
    }

    // A filter by a ServiceNow location keeps exactly the services there,
    // and the location lists them too.
    let at = services[0]["locationId"].as_str().unwrap();
    let expected: Vec<&Value> = services.iter().filter(|s| s["locationId"] == at).collect();
    let filtered = gw
        .data(
            &token,
            "query($a: ID!, $l: ID!) { account(id: $a) {
                services(first: 100, filter: { locationIds: [$l] }) { totalCount nodes { id locationId } }
                locations { id services { id locationId } } } }",
            json!({ "a": account["id"], "l": at }),
        )
        .await;
    let nodes = filtered["account"]["services"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), expected.len(), "{filtered}");
    assert!(nodes.iter().all(|s| s["locationId"] == at), "{filtered}");
    assert_eq!(
        filtered["account"]["services"]["totalCount"],
        expected.len(),
        "{filtered}"
    );
    let here = filtered["account"]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == at)
        .expect("the location is listed");
    let mut listed: Vec<&Value> = here["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    let mut wanted: Vec<&Value> = expected.iter().map(|s| &s["id"]).collect();
    listed.sort_by_key(|v| v.to_string());
    wanted.sort_by_key(|v| v.to_string());
    assert_eq!(
        listed, wanted,
        "Location.services lists the services there: {here}"
    );

    // Another account's location, or none at all, matches nothing.
    let none = gw
        .data(
            &token,
            "query($a: ID!) { account(id: $a) {
                services(first: 10, filter: { locationIds: [\"00000000000000000000000000000000\"] }) { nodes { id } } } }",
            json!({ "a": account["id"] }),
        )
        .await;
    assert_eq!(
        none["account"]["services"]["nodes"],
        json!([]),
        "an unknown location matches nothing: {none}"
    );
}
