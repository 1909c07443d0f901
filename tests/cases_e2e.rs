//! Support cases end to end against the running server: the portal pages'
//! operations, the full life of a case observed by subscribers on both
//! WebSocket protocols, exports, downloads, and isolation between accounts.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{ACCOUNT_A, ACCOUNT_B, Gateway, PRIMARY_A, PRIMARY_B, STANDARD_A};
use serde_json::{Value, json};

const OVERVIEW: &str = include_str!("../examples/overview.graphql");
const SUPPORT_LIST: &str = include_str!("../examples/support-list.graphql");
const CASE_DETAIL: &str = include_str!("../examples/case-detail.graphql");
const CASE_ACTIONS: &str = include_str!("../examples/case-actions.graphql");
const CASE_EVENTS: &str = include_str!("../examples/case-events.graphql");

impl Gateway {
    async fn op(
        &self,
        token: &str,
        document: &str,
        operation: &str,
        variables: Value,
    ) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": document, "operationName": operation, "variables": variables }))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn op_data(
        &self,
        token: &str,
        document: &str,
        operation: &str,
        variables: Value,
    ) -> Value {
        let (status, body) = self.op(token, document, operation, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{operation}: {body}");
        body["data"].clone()
    }

    async fn upload(&self, token: &str, case_id: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
        let operations = json!({
            "query": "mutation ($caseId: ID!, $file: Upload!) { addCaseAttachment(caseId: $caseId, file: $file) { id fileName sizeBytes sha256 downloadUrl } }",
            "variables": { "caseId": case_id, "file": null },
        });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(name.to_string())
                    .mime_str("text/plain")
                    .unwrap(),
            );
        let response = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// A valid create input on `account` using its first location and product.
    async fn create_input(&self, token: &str, account: &str, key: &str) -> Value {
        let form = self
            .op_data(
                token,
                CASE_ACTIONS,
                "CaseForm",
                json!({ "accountId": account }),
            )
            .await;
        let location = &form["account"]["locations"][0];
        let product = form["account"]["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["locationId"] == location["id"])
            .cloned();
        json!({
            "accountId": account,
            "caseType": "TECHNICAL_SUPPORT",
            "supportCaseType": "DATA_AND_NETWORKING",
            "category": "NETWORKING",
            "title": "Circuit down at the Guilford store",
            "description": "All registers lost connectivity at 9:02.",
            "priority": "HIGH",
            "locationId": location["id"],
            "productId": product.as_ref().map(|p| p["id"].clone()),
            "productNotListed": product.is_none(),
            "watchList": ["noc@harborfreight.example"],
            "idempotencyKey": key,
        })
    }
}

/// The code of a refused subscription: an `error` message, or a `next`
/// carrying only errors (as the resolver's own error is delivered).
fn refusal_code(message: &Value) -> String {
    let errors = match message["type"].as_str() {
        Some("error") => &message["payload"],
        Some("next") | Some("data") => {
            assert!(message["payload"]["data"].is_null(), "{message}");
            &message["payload"]["errors"]
        }
        _ => panic!("expected a refusal: {message}"),
    };
    errors[0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn overview_page_in_one_request(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let data = gw
        .op_data(
            &token,
            OVERVIEW,
            "Overview",
            json!({ "accountId": ACCOUNT_A }),
        )
        .await;
    assert_eq!(data["me"]["initials"], "PP");
    assert_eq!(data["me"]["accounts"][0]["account"]["id"], ACCOUNT_A);
    let open = &data["openCases"];
    assert!(open["totalCount"].as_u64().unwrap() > 0);
    for case in open["nodes"].as_array().unwrap() {
        assert!(["NEW", "OPEN", "AWAITING_INFO"].contains(&case["state"].as_str().unwrap()));
        assert_eq!(case["account"]["name"], "Harbor Freight Tools USA Inc.");
    }
    let updates = data["caseUpdates"]["nodes"].as_array().unwrap();
    assert_eq!(updates.len(), 6);
    let times: Vec<&str> = updates
        .iter()
        .map(|u| u["createdAt"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "updates are newest first");
    // Every update belongs to one of the caller's cases.
    for u in updates {
        let number = u["caseNumber"].as_str().unwrap();
        let found = gw
            .data(
                &token,
                "query($n: String!) { case(number: $n) { account { id } } }",
                json!({ "n": number }),
            )
            .await;
        assert_eq!(found["case"]["account"]["id"], ACCOUNT_A);
    }
}

async fn support_list_filters_orders_and_pages(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let mut seen = HashSet::new();
    let mut numbers = Vec::new();
    let mut after: Option<String> = None;
    let mut total = None;
    loop {
        let variables = json!({
            "filter": { "states": ["NEW", "OPEN"] },
            "orderBy": { "field": "NUMBER", "direction": "ASC" },
            "first": 7,
            "after": after,
        });
        let data = gw
            .op_data(&token, SUPPORT_LIST, "SupportList", variables)
            .await;
        let cases = &data["cases"];
        total = total.or(cases["totalCount"].as_u64());
        for edge in cases["edges"].as_array().unwrap() {
            let node = &edge["node"];
            assert!(
                ["NEW", "OPEN"].contains(&node["state"].as_str().unwrap()),
                "{node}"
            );
            assert_eq!(node["account"]["id"], ACCOUNT_A);
            assert!(
                seen.insert(node["id"].as_str().unwrap().to_string()),
                "a case came twice"
            );
            numbers.push(node["number"].as_str().unwrap().to_string());
        }
        if !cases["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = cases["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(Some(numbers.len() as u64), total);
    let mut sorted = numbers.clone();
    sorted.sort();
    assert_eq!(numbers, sorted);

    // Search by number prefix and by words.
    let first = &numbers[0];
    let data = gw
        .op_data(
            &token,
            SUPPORT_LIST,
            "Search",
            json!({ "text": first.to_lowercase() }),
        )
        .await;
    assert_eq!(data["search"]["nodes"][0]["number"], first.as_str());
    let data = gw
        .op_data(
            &token,
            SUPPORT_LIST,
            "Search",
            json!({ "text": "PACKET loss", "first": 50 }),
        )
        .await;
    for node in data["search"]["nodes"].as_array().unwrap() {
        assert!(
            node["title"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("packet loss"),
            "{node}"
        );
    }
}

async fn export_streams_every_matching_row(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let filter = json!({ "states": ["CLOSED", "RESOLVED", "CANCELED"] });
    let data = gw
        .op_data(
            &token,
            SUPPORT_LIST,
            "SupportList",
            json!({ "filter": filter, "first": 1 }),
        )
        .await;
    let total = data["cases"]["totalCount"].as_u64().unwrap();
    assert!(
        total > 20,
        "the dataset has enough finished cases to span pages"
    );
    let url = data["casesExport"]["url"].as_str().unwrap().to_string();
    let response = gw.http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "Number");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, total);
    let state = headers.iter().position(|h| h == "State").unwrap();
    let account = headers.iter().position(|h| h == "Account").unwrap();
    for row in &rows {
        assert!(["CLOSED", "RESOLVED", "CANCELED"].contains(&&row[state]));
        assert_eq!(&row[account], ACCOUNT_A);
    }
    // Without a token the export is refused.
    assert_eq!(
        gw.http.get(&url).send().await.unwrap().status().as_u16(),
        401
    );
}

async fn a_case_from_creation_to_cancellation(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let mut events = gw
        .subscribe(
            "graphql-transport-ws",
            &token,
            CASE_EVENTS,
            json!({ "accountId": ACCOUNT_A }),
        )
        .await;
    let other_token = gw.token(PRIMARY_B).await;
    let mut other = gw
        .subscribe("graphql-transport-ws", &other_token, CASE_EVENTS, json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let input = gw.create_input(&token, ACCOUNT_A, "lifecycle-1").await;
    let created = gw
        .op_data(
            &token,
            CASE_ACTIONS,
            "CreateCase",
            json!({ "input": input }),
        )
        .await;
    let case = &created["createCase"]["case"];
    assert_eq!(created["createCase"]["replayed"], false);
    assert_eq!(case["state"], "NEW");
    let number = case["number"].as_str().unwrap().to_string();
    let id = case["id"].as_str().unwrap().to_string();
    assert!(number.starts_with("CS") && number.len() == 13, "{number}");
    let event = events.next_event().await;
    assert_eq!(event["data"]["caseEvents"]["kind"], "CREATED");
    assert_eq!(
        event["data"]["caseEvents"]["case"]["number"],
        number.as_str()
    );

    // A retried create returns the same case and publishes nothing.
    let again = gw
        .op_data(
            &token,
            CASE_ACTIONS,
            "CreateCase",
            json!({ "input": input }),
        )
        .await;
    assert_eq!(again["createCase"]["replayed"], true);
    assert_eq!(again["createCase"]["case"]["id"], id.as_str());

    gw.op_data(
        &token,
        CASE_ACTIONS,
        "AddComment",
        json!({ "caseId": id, "body": "Any news?" }),
    )
    .await;
    assert_eq!(
        events.next_event().await["data"]["caseEvents"]["kind"],
        "COMMENT_ADDED"
    );

    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (status, body) = gw.upload(&token, &id, "trace.txt", content.clone()).await;
    assert_eq!(status, 200, "{body}");
    let attachment = &body["data"]["addCaseAttachment"];
    assert_eq!(attachment["sizeBytes"], 300_000);
    assert_eq!(
        events.next_event().await["data"]["caseEvents"]["kind"],
        "ATTACHMENT_ADDED"
    );
    let download = gw
        .http
        .get(attachment["downloadUrl"].as_str().unwrap())
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status().as_u16(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(download.bytes().await.unwrap().to_vec(), content);
    let attachment_id = attachment["id"].as_str().unwrap().to_string();

    gw.op_data(
        &token,
        CASE_ACTIONS,
        "RenameAttachment",
        json!({ "id": attachment_id, "fileName": "trace-1.txt" }),
    )
    .await;
    assert_eq!(
        events.next_event().await["data"]["caseEvents"]["kind"],
        "UPDATED"
    );

    let watched = gw
        .op_data(
            &token,
            CASE_ACTIONS,
            "AddToWatchList",
            json!({ "caseId": id, "emails": ["Ops@HarborFreight.example"] }),
        )
        .await;
    let emails: Vec<&str> = watched["addToWatchList"]["watchList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["noc@harborfreight.example", "ops@harborfreight.example"]
    );
    assert_eq!(
        events.next_event().await["data"]["caseEvents"]["kind"],
        "WATCH_LIST_CHANGED"
    );
    gw.op_data(
        &token,
        CASE_ACTIONS,
        "RemoveFromWatchList",
        json!({ "caseId": id, "emails": ["noc@harborfreight.example"] }),
    )
    .await;
    assert_eq!(
        events.next_event().await["data"]["caseEvents"]["kind"],
        "WATCH_LIST_CHANGED"
    );

    gw.op_data(
        &token,
        CASE_ACTIONS,
        "DeleteAttachment",
        json!({ "id": attachment_id }),
    )
    .await;
    assert_eq!(
        events.next_event().await["data"]["caseEvents"]["kind"],
        "ATTACHMENT_REMOVED"
    );

    let canceled = gw
        .op_data(
            &token,
            CASE_ACTIONS,
            "CancelCase",
            json!({ "caseId": id, "reason": "Fixed itself" }),
        )
        .await;
    assert_eq!(canceled["cancelCase"]["state"], "CANCELED");
    let event = events.next_event().await;
    assert_eq!(event["data"]["caseEvents"]["kind"], "CANCELED");
    assert_eq!(event["data"]["caseEvents"]["case"]["state"], "CANCELED");

    let code = gw
        .error_code(
            &token,
            "mutation($id: ID!) { cancelCase(caseId: $id) { state } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    let code = gw
        .error_code(
            &token,
            "mutation($id: ID!) { addCaseComment(caseId: $id, body: \"x\") { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code, "CONFLICT");

    // The detail page shows the whole story, newest first.
    let detail = gw
        .op_data(
            &token,
            CASE_DETAIL,
            "CaseDetail",
            json!({ "number": number, "first": 50 }),
        )
        .await;
    let bodies: Vec<&str> = detail["case"]["activity"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies.first().copied(),
        Some("Cancel reason: Fixed itself").or(Some(bodies[0]))
    );
    assert!(bodies.contains(&"Any news?"));
    // On ServiceNow, which keeps no history of a renamed or removed
    // attachment, the gateway's ledger tells that part of the story.
    assert!(bodies.contains(&"Attached trace.txt"), "{bodies:?}");
    assert!(
        bodies.contains(&"Renamed trace.txt to trace-1.txt"),
        "{bodies:?}"
    );
    assert!(bodies.contains(&"Removed trace-1.txt"), "{bodies:?}");
    assert_eq!(bodies.last().copied(), Some("Case created"), "{bodies:?}");
    assert_eq!(detail["case"]["cancelable"], false);
    assert!(detail["case"]["attachments"].as_array().unwrap().is_empty());

    // The other account's subscriber heard nothing of it.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), other.next_message())
            .await
            .is_err(),
        "another account's subscriber received an event"
    );
}

async fn legacy_websocket_protocol_delivers_events(gw: Gateway) {
    let token = gw.token(STANDARD_A).await;
    let list = gw
        .data(
            &token,
            "{ cases(filter: { states: [OPEN] }, first: 1) { nodes { id number } } }",
            json!({}),
        )
        .await;
    let case = &list["cases"]["nodes"][0];
    let mut events = gw
        .subscribe(
            "graphql-ws",
            &token,
            CASE_EVENTS,
            json!({ "caseNumber": case["number"] }),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    gw.data(
        &token,
        "mutation($id: ID!) { addCaseComment(caseId: $id, body: \"hello\") { id } }",
        json!({ "id": case["id"] }),
    )
    .await;
    let event = events.next_event().await;
    assert_eq!(event["data"]["caseEvents"]["kind"], "COMMENT_ADDED");
    assert_eq!(
        event["data"]["caseEvents"]["case"]["latestActivity"]["body"],
        "hello"
    );
}

async fn accounts_are_isolated(gw: Gateway) {
    let owner = gw.token(PRIMARY_A).await;
    let intruder = gw.token(PRIMARY_B).await;
    let input = gw.create_input(&owner, ACCOUNT_A, "isolation-1").await;
    let created = gw
        .op_data(
            &owner,
            CASE_ACTIONS,
            "CreateCase",
            json!({ "input": input }),
        )
        .await;
    let id = created["createCase"]["case"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let number = created["createCase"]["case"]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, body) = gw
        .upload(&owner, &id, "secret.txt", b"secret".to_vec())
        .await;
    let attachment_id = body["data"]["addCaseAttachment"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Reads: by id, by number, search, filter by the other account, export.
    for (query, vars) in [
        (
            "query($v: ID!) { case(id: $v) { number } }",
            json!({ "v": id }),
        ),
        (
            "query($v: String!) { case(number: $v) { number } }",
            json!({ "v": number }),
        ),
    ] {
        assert_eq!(gw.error_code(&intruder, query, vars).await, "NOT_FOUND");
    }
    let found = gw
        .data(
            &intruder,
            "query($t: String!) { search(text: $t) { totalCount } }",
            json!({ "t": number }),
        )
        .await;
    assert_eq!(found["search"]["totalCount"], 0);
    let filtered = gw
        .data(
            &intruder,
            "query($a: ID!) { cases(filter: { accountIds: [$a] }) { totalCount } }",
            json!({ "a": ACCOUNT_A }),
        )
        .await;
    assert_eq!(filtered["cases"]["totalCount"], 0);
    let export = gw
        .data(&intruder, "{ casesExport { url } }", json!({}))
        .await;
    let csv = gw
        .http
        .get(export["casesExport"]["url"].as_str().unwrap())
        .bearer_auth(&intruder)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains(&number));
    assert!(!csv.contains(ACCOUNT_A));
    assert!(csv.contains(ACCOUNT_B));

    // Downloads.
    let download = gw
        .http
        .get(format!("{}/attachments/{attachment_id}", gw.base))
        .bearer_auth(&intruder)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status().as_u16(), 404);

    // Subscriptions.
    let mut sub = gw
        .subscribe(
            "graphql-transport-ws",
            &intruder,
            CASE_EVENTS,
            json!({ "caseNumber": number }),
        )
        .await;
    let message = sub.next_message().await.unwrap();
    assert_eq!(refusal_code(&message), "NOT_FOUND", "{message}");
    let mut sub = gw
        .subscribe(
            "graphql-transport-ws",
            &intruder,
            CASE_EVENTS,
            json!({ "accountId": ACCOUNT_A }),
        )
        .await;
    let message = sub.next_message().await.unwrap();
    assert_eq!(refusal_code(&message), "NOT_FOUND", "{message}");

    // Writes.
    let writes = [
        (
            "mutation($v: ID!) { addCaseComment(caseId: $v, body: \"x\") { id } }",
            json!({ "v": id }),
        ),
        (
            "mutation($v: ID!) { cancelCase(caseId: $v) { state } }",
            json!({ "v": id }),
        ),
        (
            "mutation($v: ID!) { addToWatchList(caseId: $v, emails: [\"spy@x.example\"]) { id } }",
            json!({ "v": id }),
        ),
        (
            "mutation($v: ID!) { removeFromWatchList(caseId: $v, emails: [\"noc@harborfreight.example\"]) { id } }",
            json!({ "v": id }),
        ),
        (
            "mutation($v: ID!) { renameCaseAttachment(id: $v, fileName: \"x\") { id } }",
            json!({ "v": attachment_id }),
        ),
        (
            "mutation($v: ID!) { deleteCaseAttachment(id: $v) { id } }",
            json!({ "v": attachment_id }),
        ),
    ];
    for (query, vars) in writes {
        assert_eq!(
            gw.error_code(&intruder, query, vars).await,
            "NOT_FOUND",
            "{query}"
        );
    }
    let (status, body) = gw.upload(&intruder, &id, "x.txt", b"x".to_vec()).await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (200, Some("NOT_FOUND"))
    );
    let mut foreign = gw.create_input(&owner, ACCOUNT_A, "isolation-2").await;
    foreign["idempotencyKey"] = json!("intruder-1");
    let (_, body) = gw
        .op(
            &intruder,
            CASE_ACTIONS,
            "CreateCase",
            json!({ "input": foreign }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");

    // Nothing changed.
    let detail = gw
        .op_data(
            &owner,
            CASE_DETAIL,
            "CaseDetail",
            json!({ "number": number }),
        )
        .await;
    assert_eq!(detail["case"]["state"], "NEW");
    assert_eq!(detail["case"]["attachments"][0]["fileName"], "secret.txt");
    assert_eq!(detail["case"]["watchList"].as_array().unwrap().len(), 1);
}

async fn bad_input_changes_nothing(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let count = || async {
        gw.data(&token, "{ cases { totalCount } }", json!({})).await["cases"]["totalCount"]
            .as_u64()
            .unwrap()
    };
    let before = count().await;
    let good = gw.create_input(&token, ACCOUNT_A, "bad-input").await;
    let cases = [
        ("category", json!("FRAUD"), "input.category"),
        ("description", json!("   "), "input.description"),
        ("watchList", json!(["not-an-email"]), "input.watchList[0]"),
        ("locationId", json!("999999"), "input.locationId"),
        ("caseType", json!("CUSTOMER_HEALTH"), "input.caseType"),
    ];
    for (field, value, reported) in cases {
        let mut input = good.clone();
        input[field] = value;
        input["idempotencyKey"] = json!(format!("bad-{field}"));
        let (status, body) = gw
            .op(
                &token,
                CASE_ACTIONS,
                "CreateCase",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{field}: {body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], reported, "{body}");
    }
    assert_eq!(count().await, before, "a rejected create wrote a case");
}

async fn a_retried_comment_posts_once(gw: Gateway) {
    const COMMENT: &str = "mutation($id: ID!, $body: String!, $key: String) {
  addCaseComment(caseId: $id, body: $body, idempotencyKey: $key) { id body createdAt }
}";
    let token = gw.token(PRIMARY_A).await;
    let list = gw
        .data(
            &token,
            "{ cases(filter: { states: [OPEN] }, first: 1) { nodes { id number } } }",
            json!({}),
        )
        .await;
    let case = &list["cases"]["nodes"][0];
    let mut events = gw
        .subscribe(
            "graphql-transport-ws",
            &token,
            CASE_EVENTS,
            json!({ "caseNumber": case["number"] }),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The first attempt and two retries race (the client gave up waiting),
    // then one more retry arrives after they all answered.
    let body = "Posted once, however often the client retries.";
    let vars = json!({ "id": case["id"], "body": body, "key": "e2e-comment-retry-1" });
    let (a, b, c) = tokio::join!(
        gw.data(&token, COMMENT, vars.clone()),
        gw.data(&token, COMMENT, vars.clone()),
        gw.data(&token, COMMENT, vars.clone()),
    );
    let late = gw.data(&token, COMMENT, vars.clone()).await;
    let comment = &a["addCaseComment"];
    assert_eq!(comment["body"], body);
    for answer in [&b, &c, &late] {
        assert_eq!(
            &answer["addCaseComment"], comment,
            "a retry answered with another comment"
        );
    }

    // The same key with another body is refused.
    let mut changed = vars.clone();
    changed["body"] = json!("Something else under the same key.");
    assert_eq!(gw.error_code(&token, COMMENT, changed).await, "CONFLICT");

    let detail = gw
        .data(
            &token,
            "query($id: ID!) { case(id: $id) { activity(first: 50) { nodes { id body } } } }",
            json!({ "id": case["id"] }),
        )
        .await;
    let posted: Vec<&Value> = detail["case"]["activity"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["body"] == body)
        .collect();
    assert_eq!(posted.len(), 1, "the activity stream holds {posted:?}");
    assert_eq!(posted[0]["id"], comment["id"]);

    let event = events.next_event().await;
    assert_eq!(event["data"]["caseEvents"]["kind"], "COMMENT_ADDED");
    assert_eq!(
        event["data"]["caseEvents"]["case"]["latestActivity"]["body"],
        body
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(500), events.next_message())
            .await
            .is_err(),
        "a retried comment published another event"
    );
}

/// Sends `createCase` as a multipart request with `files` attached.
async fn create_with_files(
    gw: &Gateway,
    token: &str,
    input: &Value,
    files: &[(&str, &[u8])],
) -> Value {
    let nulls: Vec<Value> = files.iter().map(|_| Value::Null).collect();
    let mut input = input.clone();
    input["attachments"] = Value::Array(nulls);
    let operations = json!({
        "query": "mutation ($input: CreateCaseInput!) { createCase(input: $input) { replayed case { id } attachments { id fileName } } }",
        "variables": { "input": input },
    });
    let map: serde_json::Map<String, Value> = (0..files.len())
        .map(|i| {
            (
                i.to_string(),
                json!([format!("variables.input.attachments.{i}")]),
            )
        })
        .collect();
    let mut form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", Value::Object(map).to_string());
    for (i, (name, bytes)) in files.iter().enumerate() {
        form = form.part(
            i.to_string(),
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
    }
    let response = gw
        .http
        .post(format!("{}/graphql", gw.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

async fn a_retried_create_with_files_attaches_each_once(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let count = || async {
        gw.data(&token, "{ cases { totalCount } }", json!({})).await["cases"]["totalCount"].clone()
    };
    let before = count().await;

    // A bad file name is refused before anything is written.
    let input = gw.create_input(&token, ACCOUNT_A, "with-files-bad").await;
    let body = create_with_files(
        &gw,
        &token,
        &input,
        &[("ok.txt", b"ok"), ("../escape.txt", b"x")],
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "input.attachments[1]",
        "{body}"
    );
    assert_eq!(count().await, before, "a refused create left a case behind");

    let input = gw.create_input(&token, ACCOUNT_A, "with-files").await;
    let files: [(&str, &[u8]); 2] = [("a.txt", b"first"), ("b.txt", b"second")];
    let first = create_with_files(&gw, &token, &input, &files).await;
    assert_eq!(first["data"]["createCase"]["replayed"], false, "{first}");
    let again = create_with_files(&gw, &token, &input, &files).await;
    assert_eq!(again["data"]["createCase"]["replayed"], true, "{again}");
    assert_eq!(
        again["data"]["createCase"]["case"],
        first["data"]["createCase"]["case"]
    );
    assert_eq!(
        again["data"]["createCase"]["attachments"],
        first["data"]["createCase"]["attachments"]
    );
    let id = &first["data"]["createCase"]["case"]["id"];
    let stored = gw
        .data(
            &token,
            "query($id: ID!) { case(id: $id) { attachments { fileName } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        stored["case"]["attachments"],
        json!([{ "fileName": "a.txt" }, { "fileName": "b.txt" }])
    );
}

on_every_case_backend!(
    a_retried_create_with_files_attaches_each_once,
    overview_page_in_one_request,
    support_list_filters_orders_and_pages,
    export_streams_every_matching_row,
    a_case_from_creation_to_cancellation,
    legacy_websocket_protocol_delivers_events,
    accounts_are_isolated,
    bad_input_changes_nothing,
    a_retried_comment_posts_once,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_limit_are_refused() {
    let gw = common::start_with(common::Backend::Sqlite, |c| {
        c.server.upload_limit_bytes = 1024
    })
    .await
    .unwrap();
    let token = gw.token(PRIMARY_A).await;
    let list = gw
        .data(
            &token,
            "{ cases(filter: { states: [NEW] }, first: 1) { nodes { id attachments { id } } } }",
            json!({}),
        )
        .await;
    let case = &list["cases"]["nodes"][0];
    let (status, body) = gw
        .upload(
            &token,
            case["id"].as_str().unwrap(),
            "big.bin",
            vec![0u8; 4096],
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");
    let after = gw
        .data(
            &token,
            "query($id: ID!) { case(id: $id) { attachments { id } } }",
            json!({ "id": case["id"] }),
        )
        .await;
    assert_eq!(after["case"]["attachments"], case["attachments"]);
}
