//! Subscriptions follow the subscriber's access while they run: they end
//! when the token expires, and stop delivering an account's events as soon
//! as the subscriber loses that account.

mod common;

use std::time::Duration;

use common::{ACCOUNT_B, Backend, PRIMARY_B};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use serde_json::json;
use switchboard_core::UserDirectory;

const EVENTS: &str = "subscription($a: ID) { caseEvents(accountId: $a) { kind case { number } } }";
const MULTI: &str = "morgan.multi@partner.example";

async fn comment_on_first_case_of_b(gw: &common::Gateway) {
    let token = gw.token(PRIMARY_B).await;
    let list = gw
        .data(
            &token,
            "{ cases(filter: { states: [NEW, OPEN] }, first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let id = &list["cases"]["nodes"][0]["id"];
    gw.data(
        &token,
        "mutation($id: ID!) { addCaseComment(caseId: $id, body: \"ping\") { id } }",
        json!({ "id": id }),
    )
    .await;
}

async fn withdraw_from_b(gw: &common::Gateway, backend: Backend) {
    let user = gw
        .store
        .principal_by_email(MULTI)
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    let sql = format!(
        "DELETE FROM user_entitlements WHERE user_id = {user} AND account_id = '{ACCOUNT_B}'"
    );
    let url = gw.app_state.db.url().to_string();
    match backend {
        Backend::Postgres => {
            let mut conn = diesel_async::AsyncPgConnection::establish(&url)
                .await
                .unwrap();
            conn.batch_execute(&sql).await.unwrap();
        }
        Backend::Sqlite | Backend::ServiceNow | Backend::Mixed => {
            let mut conn = diesel_async::sync_connection_wrapper::SyncConnectionWrapper::<
                diesel::SqliteConnection,
            >::establish(&url)
            .await
            .unwrap();
            conn.batch_execute(&sql).await.unwrap();
        }
    }
}

async fn losing_an_account_stops_its_events(backend: Backend) {
    let Some(gw) = common::start_with(backend, |c| c.auth.principal_cache_secs = 0).await else {
        return;
    };
    let token = gw.token(MULTI).await;
    let mut sub = gw
        .subscribe(
            "graphql-transport-ws",
            &token,
            EVENTS,
            json!({ "a": ACCOUNT_B }),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    comment_on_first_case_of_b(&gw).await;
    assert_eq!(
        sub.next_event().await["data"]["caseEvents"]["kind"],
        "COMMENT_ADDED"
    );

    withdraw_from_b(&gw, backend).await;
    comment_on_first_case_of_b(&gw).await;
    assert!(
        tokio::time::timeout(Duration::from_secs(2), sub.next_message())
            .await
            .is_err(),
        "a subscriber who lost the account still received its events"
    );
}

async fn a_subscription_ends_when_its_token_expires(backend: Backend) {
    let Some(gw) = common::start(backend).await else {
        return;
    };
    let principal = gw
        .store
        .principal_by_email(PRIMARY_B)
        .await
        .unwrap()
        .unwrap();
    let token = gw.app_state.issuer.mint(&principal.user, 2).unwrap();
    let mut sub = gw
        .subscribe("graphql-transport-ws", &token, EVENTS, json!({}))
        .await;
    let message = sub
        .next_message()
        .await
        .expect("the server ends the subscription");
    assert_eq!(message["type"], "complete", "{message}");
    // Then the socket closes, saying why.
    let closed = sub
        .next_message()
        .await
        .expect("the server closes the socket");
    assert_eq!(closed["type"], "closed", "{closed}");
    assert_eq!(closed["code"], 4401, "{closed}");
    assert_eq!(closed["reason"], "token expired", "{closed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_losing_an_account_stops_its_events() {
    losing_an_account_stops_its_events(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_losing_an_account_stops_its_events() {
    losing_an_account_stops_its_events(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_subscription_ends_when_its_token_expires() {
    a_subscription_ends_when_its_token_expires(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_subscription_ends_when_its_token_expires() {
    a_subscription_ends_when_its_token_expires(Backend::Postgres).await;
}

/// Reads server-sent events from `response` until `done` says so or 10 s pass.
async fn read_events(response: reqwest::Response, done: impl Fn(&str) -> bool) -> String {
    use futures::StreamExt;
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(&text) {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(Ok(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    text
}

async fn server_sent_events(backend: Backend) {
    let Some(gw) = common::start(backend).await else {
        return;
    };
    let token = gw.token(PRIMARY_B).await;
    let post = |query: &str| {
        gw.http
            .post(format!("{}/graphql", gw.base))
            .bearer_auth(&token)
            .header("accept", "text/event-stream")
            .json(&json!({ "query": query, "variables": { "a": ACCOUNT_B } }))
    };

    // A query is one `next` event, then `complete`.
    let response = post("{ me { name } }").send().await.unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = read_events(response, |t| t.contains("event: complete")).await;
    assert!(
        text.contains("event: next") && text.contains("Dana Primary"),
        "{text}"
    );

    // A subscription streams events as they happen.
    let response = post(EVENTS).send().await.unwrap();
    let reader = tokio::spawn(read_events(response, |t| t.contains("COMMENT_ADDED")));
    tokio::time::sleep(Duration::from_millis(300)).await;
    comment_on_first_case_of_b(&gw).await;
    let text = reader.await.unwrap();
    assert!(
        text.contains("event: next") && text.contains("COMMENT_ADDED"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_server_sent_events() {
    server_sent_events(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_server_sent_events() {
    server_sent_events(Backend::Postgres).await;
}
