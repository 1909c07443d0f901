//! switchboard as the tools its users bring meet it: GraphiQL in headless
//! Chromium, graphql-js's introspection, graphql-codegen against the URL,
//! Apollo Client's persisted-query link, and graphql-ws's own client. The
//! clients are the npm packages in `tests/clients` (see
//! `common::clients`); each test runs the real server on a port.

mod common;

use std::time::Duration;

use common::clients::{self, Streaming};
use common::{ACCOUNT_A, Backend, PRIMARY_A, PRIMARY_B};
use serde_json::{Value, json};
use switchboard::config::{Documents, Mode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_renders_lists_the_schema_runs_a_query_and_uploads_from_the_browser() {
    if !clients::available(true) {
        return;
    }
    let gw = common::start(Backend::Sqlite).await.unwrap();
    let token = gw.token(PRIMARY_A).await;
    let (case_id, number) = gw.open_case(&token).await;
    let seen = clients::run("graphiql.mjs", &[&gw.base, "token", &token, &case_id]).await;

    let docs = seen["docs"].as_str().unwrap();
    for root in [
        "query: Query",
        "mutation: Mutation",
        "subscription: Subscription",
    ] {
        assert!(docs.contains(root), "the docs pane lacks {root}: {docs}");
    }
    assert!(
        seen["result"].as_str().unwrap().contains("Pat Primary"),
        "{seen}"
    );

    // The browser's own FormData (a WebKit boundary) uploaded the file,
    // and it reads back byte for byte.
    let upload = &seen["upload"];
    assert_eq!(upload["status"], 200, "{upload}");
    assert!(upload["body"].get("errors").is_none(), "{upload}");
    assert_eq!(upload["back"], upload["sent"], "{upload}");
    let detail = gw
        .data(
            &token,
            "query($n: String!) { case(number: $n) { attachments { fileName } } }",
            json!({ "n": number }),
        )
        .await;
    let names: Vec<&Value> = detail["case"]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["fileName"])
        .collect();
    assert!(names.contains(&&json!("from-browser.txt")), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newcomers_sign_in_as_a_demo_user_in_development_only() {
    if !clients::available(true) {
        return;
    }
    let gw = common::start(Backend::Sqlite).await.unwrap();
    let seen = clients::run(
        "graphiql.mjs",
        &[&gw.base, "sign-in-as", "sam.standard@harborfreight.example"],
    )
    .await;
    assert!(
        seen["banner"]
            .as_str()
            .unwrap()
            .contains("Signed in as sam.standard@harborfreight.example"),
        "{seen}"
    );
    assert!(seen["docs"].as_str().unwrap().contains("query: Query"));
    assert!(
        seen["result"].as_str().unwrap().contains("Sam Standard"),
        "{seen}"
    );

    // Another site cannot sign a visitor in.
    let forged = gw
        .http
        .post(format!("{}/graphiql/sign-in-as", gw.base))
        .header("origin", "https://evil.example")
        .form(&[("email", "sam.standard@harborfreight.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert!(forged.headers().get("set-cookie").is_none());
    // Only the demo users are offered.
    let other = gw
        .http
        .post(format!("{}/graphiql/sign-in-as", gw.base))
        .header("origin", gw.base.as_str())
        .form(&[("email", "someone@else.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 400);

    // Never in production, whatever else is set.
    let production = common::start_with(Backend::Sqlite, |c| {
        c.server.mode = Mode::Production;
        c.server.graphiql = Some(switchboard::config::Access::Open);
    })
    .await
    .unwrap();
    let page = production
        .http
        .get(format!("{}/graphiql", production.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("sign-in-as"), "{page}");
    let refused = production
        .http
        .post(format!("{}/graphiql/sign-in-as", production.base))
        .header("origin", production.base.as_str())
        .form(&[("email", "sam.standard@harborfreight.example")])
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_js_introspection_builds_the_schema() {
    if !clients::available(false) {
        return;
    }
    let gw = common::start(Backend::Sqlite).await.unwrap();
    let token = gw.token(PRIMARY_A).await;
    let url = format!("{}/graphql", gw.base);
    let seen = clients::run("introspect.mjs", &[&url, &token]).await;
    for options in ["defaults", "everything"] {
        assert_eq!(
            seen[options]["roots"],
            json!(["Query", "Mutation", "Subscription"]),
            "{seen}"
        );
        assert!(seen[options]["types"].as_u64().unwrap() > 100, "{seen}");
    }
}

/// The operations of the example documents: (name, "Query" | "Mutation" |
/// "Subscription").
fn example_operations() -> Vec<(String, String)> {
    let mut operations = Vec::new();
    for entry in std::fs::read_dir(clients::examples()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "graphql") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = async_graphql::parser::parse_query(&text).unwrap();
        for (name, operation) in doc.operations.iter() {
            let kind = format!("{:?}", operation.node.ty);
            operations.push((name.expect("named operations").to_string(), kind));
        }
    }
    operations
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_codegen_generates_types_for_every_example_from_the_url() {
    if !clients::available(false) {
        return;
    }
    let gw = common::start(Backend::Sqlite).await.unwrap();
    let token = gw.token(PRIMARY_A).await;
    let out = std::env::temp_dir().join(format!("switchboard-codegen-{}.ts", gw.addr.port()));
    let documents = format!("{}/*.graphql", clients::examples().display());
    let url = format!("{}/graphql", gw.base);
    clients::run(
        "codegen.mjs",
        &[&url, &token, &documents, out.to_str().unwrap()],
    )
    .await;
    let generated = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let operations = example_operations();
    assert!(operations.len() >= 20, "{operations:?}");
    for (name, kind) in operations {
        let type_name = format!("export type {name}{kind} ");
        assert!(
            generated.contains(&type_name),
            "codegen made no {type_name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apollo_clients_automatic_persisted_queries_register_then_send_hashes() {
    if !clients::available(false) {
        return;
    }
    let gw = common::start(Backend::Sqlite).await.unwrap();
    let token = gw.token(PRIMARY_A).await;
    let url = format!("{}/graphql", gw.base);
    let examples = clients::examples();
    let seen = clients::run(
        "apollo.mjs",
        &[&url, &token, "apq", examples.to_str().unwrap()],
    )
    .await;
    let requests = seen["requests"].as_array().unwrap();
    let shape: Vec<(String, bool, u64, Value)> = requests
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_string(),
                r["query"].as_bool().unwrap(),
                r["status"].as_u64().unwrap(),
                r["codes"].clone(),
            )
        })
        .collect();
    let miss = json!(["PERSISTED_QUERY_NOT_FOUND"]);
    let clean = json!([]);
    assert_eq!(
        shape,
        vec![
            // A new client: the hash alone misses, the document registers.
            ("POST".into(), false, 200, miss.clone()),
            ("POST".into(), true, 200, clean.clone()),
            // Another client: the hash alone runs.
            ("POST".into(), false, 200, clean.clone()),
            // Hashed queries over GET, as CDNs like them.
            ("GET".into(), false, 200, miss),
            ("POST".into(), true, 200, clean.clone()),
            ("GET".into(), false, 200, clean),
        ],
        "{seen}"
    );
    assert_eq!(requests[0]["messages"], json!(["PersistedQueryNotFound"]));
    assert_eq!(
        requests[0]["cacheControl"],
        "private, no-cache, must-revalidate"
    );
    for result in ["first", "second", "get", "getAgain"] {
        assert!(seen["results"][result]["data"].is_object(), "{seen}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persisted_only_runs_the_frontend_manifest_and_refuses_the_rest() {
    if !clients::available(false) {
        return;
    }
    // The manifest a frontend build makes with Apollo's generator.
    let manifest = std::env::temp_dir().join(format!(
        "switchboard-manifest-{}-{}.json",
        std::process::id(),
        chrono_free_suffix()
    ));
    let examples = clients::examples();
    let made = clients::run(
        "manifest.mjs",
        &[examples.to_str().unwrap(), manifest.to_str().unwrap()],
    )
    .await;
    assert_eq!(
        made["operations"].as_array().unwrap().len(),
        example_operations().len()
    );
    let path = manifest.clone();
    let gw = common::start_with(Backend::Sqlite, move |c| {
        c.server.documents = Documents::PersistedOnly;
        c.server.document_manifests = vec![path];
    })
    .await
    .unwrap();
    let token = gw.token(PRIMARY_A).await;
    let url = format!("{}/graphql", gw.base);
    let seen = clients::run(
        "apollo.mjs",
        &[
            &url,
            &token,
            "manifest",
            examples.to_str().unwrap(),
            manifest.to_str().unwrap(),
        ],
    )
    .await;
    assert!(
        seen["results"]["persisted"]["data"]["systemStatus"].is_object(),
        "{seen}"
    );
    assert!(seen["results"]["arbitrary"]["error"].is_string(), "{seen}");
    let requests = seen["requests"].as_array().unwrap();
    assert_eq!(requests[0]["query"], false, "ids only: {seen}");
    assert_eq!(requests[1]["status"], 404, "{seen}");
    assert_eq!(requests[1]["codes"], json!(["PERSISTED_QUERY_NOT_IN_LIST"]));

    // The draft's documentId, over POST and GET.
    let manifest_json: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let _ = std::fs::remove_file(&manifest);
    let id_of = |name: &str| {
        manifest_json["operations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let overview = json!({
        "documentId": format!("sha256:{}", id_of("Overview")),
        "variables": { "accountId": ACCOUNT_A },
    });
    let response = gw
        .http
        .post(&url)
        .bearer_auth(&token)
        .json(&overview)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["me"]["name"], "Pat Primary", "{body}");
    let get = gw
        .http
        .get(&url)
        .bearer_auth(&token)
        .query(&[("documentId", format!("sha256:{}", id_of("SystemStatus")))])
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 200);
    let mutation_by_get = gw
        .http
        .get(&url)
        .bearer_auth(&token)
        .query(&[("documentId", id_of("CancelCase"))])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation_by_get.status().as_u16(), 405);

    // Arbitrary text: 403, over HTTP and WebSocket alike.
    let (status, body) = gw.post(&token, "{ me { email } }", json!({})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "QUERY_NOT_IN_SAFELIST"
    );
    let mut sub = gw
        .subscribe(
            "graphql-transport-ws",
            &token,
            "subscription { caseEvents { kind } }",
            json!({}),
        )
        .await;
    let refused = sub.next_message().await.unwrap();
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "QUERY_NOT_IN_SAFELIST"
    );
}

fn chrono_free_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_ws_client_receives_events_and_hears_refusals() {
    if !clients::available(false) {
        return;
    }
    let gw = common::start(Backend::Sqlite).await.unwrap();
    let token = gw.token(PRIMARY_B).await;
    let ws = format!("ws://{}/graphql", gw.addr);
    let query = "subscription { caseEvents { kind case { number } } }";
    let mut client = Streaming::start("subscribe.mjs", &[&ws, &token, query, "1"]);
    assert_eq!(client.next().await, json!({ "connected": true }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (case_id, number) = gw.open_case(&token).await;
    gw.data(
        &token,
        "mutation($id: ID!) { addCaseComment(caseId: $id, body: \"from a test\") { id } }",
        json!({ "id": case_id }),
    )
    .await;
    let event = client.next().await;
    assert_eq!(
        event["next"]["data"]["caseEvents"],
        json!({ "kind": "COMMENT_ADDED", "case": { "number": number } }),
        "{event}"
    );

    let mut refused = Streaming::start("subscribe.mjs", &[&ws, "not-a-token", query, "1"]);
    let closed = refused.next().await;
    assert_eq!(closed["closed"]["code"], 4403, "{closed}");
    assert!(
        closed["closed"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("Forbidden: the token is not valid"),
        "{closed}"
    );
}
