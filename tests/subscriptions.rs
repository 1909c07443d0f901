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
    let (id, _) = gw.open_case(&token).await;
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
    let url = gw.store.db().url().to_string();
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

// graphql-transport-ws close codes, with a raw WebSocket client.

mod close_codes {
    use std::time::Duration;

    use futures::{SinkExt, StreamExt};
    use serde_json::{Value, json};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    use super::common::{self, Backend, PRIMARY_B};

    type Socket = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    async fn connect(gw: &common::Gateway, protocol: &str) -> Socket {
        let mut request = format!("ws://{}/graphql", gw.addr)
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
        tokio_tungstenite::connect_async(request).await.unwrap().0
    }

    /// The next message, as JSON.
    async fn read(socket: &mut Socket) -> Value {
        let message = socket.next().await.unwrap().unwrap();
        serde_json::from_str(message.to_text().unwrap()).unwrap()
    }

    async fn send(socket: &mut Socket, message: Value) {
        socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
    }

    /// Reads until the close frame: its code and reason, and the text
    /// messages before it.
    async fn closed(socket: &mut Socket) -> (u16, String, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), socket.next())
                .await
                .expect("the server closes within 10 s");
            match next {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (u16::from(frame.code), frame.reason.to_string(), before);
                }
                Some(Ok(Message::Text(text))) => before.push(serde_json::from_str(&text).unwrap()),
                Some(Ok(_)) => {}
                other => panic!("the socket ended without a close frame: {other:?}"),
            }
        }
    }

    fn init(token: &str) -> Value {
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })
    }

    fn subscribe(id: &str) -> Value {
        json!({ "id": id, "type": "subscribe", "payload": { "query": "subscription { caseEvents { kind } }" } })
    }

    async fn acknowledged(gw: &common::Gateway) -> Socket {
        let token = gw.token(PRIMARY_B).await;
        let mut socket = connect(gw, "graphql-transport-ws").await;
        send(&mut socket, init(&token)).await;
        let ack = socket.next().await.unwrap().unwrap();
        assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack}");
        socket
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_protocol_s_close_codes() {
        let gw = common::start_with(Backend::Sqlite, |c| {
            c.server.connection_init_timeout_ms = 300;
        })
        .await
        .unwrap();

        // Subscribe before connection_init: 4401.
        let mut socket = connect(&gw, "graphql-transport-ws").await;
        send(&mut socket, subscribe("1")).await;
        let (code, reason, _) = closed(&mut socket).await;
        assert_eq!((code, reason.as_str()), (4401, "Unauthorized"));

        // No connection_init in time: 4408.
        let mut socket = connect(&gw, "graphql-transport-ws").await;
        let (code, _, _) = closed(&mut socket).await;
        assert_eq!(code, 4408);

        // A refused token: 4403, saying why.
        let mut socket = connect(&gw, "graphql-transport-ws").await;
        send(&mut socket, init("not-a-token")).await;
        let (code, reason, _) = closed(&mut socket).await;
        assert_eq!(code, 4403);
        assert!(
            reason.starts_with("Forbidden: the token is not valid"),
            "{reason}"
        );

        // No token at all: 4403 too.
        let mut socket = connect(&gw, "graphql-transport-ws").await;
        send(&mut socket, json!({ "type": "connection_init" })).await;
        let (code, reason, _) = closed(&mut socket).await;
        assert_eq!(code, 4403, "{reason}");

        // A second connection_init: 4429.
        let mut socket = acknowledged(&gw).await;
        send(&mut socket, init("again")).await;
        let (code, _, _) = closed(&mut socket).await;
        assert_eq!(code, 4429);

        // A running id reused: 4409.
        let mut socket = acknowledged(&gw).await;
        send(&mut socket, subscribe("7")).await;
        send(&mut socket, subscribe("7")).await;
        let (code, reason, _) = closed(&mut socket).await;
        assert_eq!(
            (code, reason.as_str()),
            (4409, "Subscriber for 7 already exists")
        );

        // Not a protocol message: 4400.
        for bad in [
            json!({ "type": "start", "id": "1" }),
            json!({ "id": "1" }),
            json!([1]),
        ] {
            let mut socket = acknowledged(&gw).await;
            send(&mut socket, bad.clone()).await;
            let (code, _, _) = closed(&mut socket).await;
            assert_eq!(code, 4400, "{bad}");
        }

        // Larger than the limit: 1009.
        let mut socket = acknowledged(&gw).await;
        let huge = "x".repeat(300 * 1024);
        socket.send(Message::text(huge)).await.unwrap();
        let (code, reason, _) = closed(&mut socket).await;
        assert_eq!(code, 1009, "{reason}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pings_completes_and_errors_follow_the_protocol() {
        let gw = common::start(Backend::Sqlite).await.unwrap();
        let mut socket = acknowledged(&gw).await;
        send(
            &mut socket,
            json!({ "type": "ping", "payload": { "n": 1 } }),
        )
        .await;
        let pong: Value = read(&mut socket).await;
        assert_eq!(pong, json!({ "type": "pong", "payload": { "n": 1 } }));

        // A query runs once, then completes.
        send(
            &mut socket,
            json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ me { name } }" } }),
        )
        .await;
        let next: Value = read(&mut socket).await;
        assert_eq!(next["type"], "next", "{next}");
        assert_eq!(next["payload"]["data"]["me"]["name"], "Dana Primary");
        let complete: Value = read(&mut socket).await;
        assert_eq!(complete, json!({ "id": "q", "type": "complete" }));

        // A document that does not validate: one `error` message, no complete.
        send(
            &mut socket,
            json!({ "id": "e", "type": "subscribe", "payload": { "query": "subscription { nope }" } }),
        )
        .await;
        let error: Value = read(&mut socket).await;
        assert_eq!(error["type"], "error", "{error}");
        assert_eq!(error["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");

        // The id is free again, and a client's complete stops the stream.
        send(&mut socket, subscribe("e")).await;
        send(&mut socket, json!({ "id": "e", "type": "complete" })).await;
        send(&mut socket, json!({ "type": "ping" })).await;
        let pong: Value = read(&mut socket).await;
        assert_eq!(pong["type"], "pong", "nothing else came first: {pong}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_connection_runs_at_most_a_hundred_operations() {
        let gw = common::start(Backend::Sqlite).await.unwrap();
        let mut socket = acknowledged(&gw).await;
        for n in 0..100 {
            send(&mut socket, subscribe(&n.to_string())).await;
        }
        // The 101st is refused with its own `error`; the connection stays.
        send(&mut socket, subscribe("over")).await;
        let error: Value = tokio::time::timeout(Duration::from_secs(10), read(&mut socket))
            .await
            .expect("the 101st subscribe is answered within 10 s");
        assert_eq!(error["id"], "over", "{error}");
        assert_eq!(error["type"], "error", "{error}");
        assert_eq!(error["payload"][0]["extensions"]["code"], "RATE_LIMITED");
        // Once one completes, another may start, and every running one
        // still hears its events.
        send(&mut socket, json!({ "id": "0", "type": "complete" })).await;
        send(&mut socket, subscribe("over")).await;
        // Every subscribe is handled once the ping is answered; then the
        // shared execution subscribes to the events.
        send(&mut socket, json!({ "type": "ping" })).await;
        assert_eq!(read(&mut socket).await["type"], "pong");
        tokio::time::sleep(Duration::from_millis(200)).await;
        super::comment_on_first_case_of_b(&gw).await;
        let mut heard = std::collections::BTreeSet::new();
        while heard.len() < 100 {
            let next: Value = tokio::time::timeout(Duration::from_secs(10), read(&mut socket))
                .await
                .unwrap_or_else(|_| panic!("{} of 100 heard the event within 10 s", heard.len()));
            assert_eq!(next["type"], "next", "{next}");
            // The case opened first, then the comment: each once per id.
            if next["payload"]["data"]["caseEvents"]["kind"] == "COMMENT_ADDED" {
                assert!(heard.insert(next["id"].as_str().unwrap().to_string()));
            }
        }
        assert!(!heard.contains("0") && heard.contains("over") && heard.contains("99"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_legacy_protocol_says_why_before_closing() {
        let gw = common::start(Backend::Sqlite).await.unwrap();
        let mut socket = connect(&gw, "graphql-ws").await;
        send(&mut socket, init("not-a-token")).await;
        let (code, reason, before) = closed(&mut socket).await;
        assert_eq!(code, 4403, "{reason}");
        assert_eq!(before[0]["type"], "connection_error", "{before:?}");
        assert!(
            before[0]["payload"]["message"]
                .as_str()
                .unwrap()
                .contains("not valid")
        );
    }
}

/// The statements one comment costs while `n` users' subscriptions on its
/// account receive it.
async fn statements_for_an_event(gw: &common::Gateway, n: usize) -> u64 {
    let users = [
        common::PRIMARY_A,
        common::STANDARD_A,
        "alex.alternate@harborfreight.example",
    ];
    let mut subscribers = Vec::new();
    for i in 0..n {
        let token = gw.token(users[i % users.len()]).await;
        subscribers.push(
            gw.subscribe(
                "graphql-transport-ws",
                &token,
                "subscription { caseEvents { kind case { number title } } }",
                json!({}),
            )
            .await,
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let token = gw.token(common::PRIMARY_A).await;
    let (id, _) = gw.open_case(&token).await;
    let before = gw.store.db().statements_run();
    gw.data(
        &token,
        "mutation($id: ID!) { addCaseComment(caseId: $id, body: \"fan out\") { id } }",
        json!({ "id": id }),
    )
    .await;
    for sub in &mut subscribers {
        let event = sub.next_event().await;
        assert_eq!(event["data"]["caseEvents"]["kind"], "COMMENT_ADDED");
    }
    gw.store.db().statements_run() - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_costs_the_same_reads_for_one_subscriber_or_forty() {
    let gw = common::start(Backend::Sqlite).await.unwrap();
    // Warm the principals' cache and the case's first read path.
    statements_for_an_event(&gw, 3).await;
    let one = statements_for_an_event(&gw, 1).await;
    let forty = statements_for_an_event(&gw, 40).await;
    assert_eq!(
        one, forty,
        "one subscriber cost {one} statements, forty cost {forty}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_subscriptions_refuse_alike_and_outlive_a_leaving_member() {
    let gw = common::start(Backend::Sqlite).await.unwrap();
    let token = gw.token(PRIMARY_B).await;
    // Another customer's account: every identical subscription hears the
    // refusal, however late it joined the shared execution.
    let foreign = "subscription { caseEvents(accountId: \"1234567890\") { kind } }";
    let mut refused = Vec::new();
    for _ in 0..6 {
        refused.push(
            gw.subscribe("graphql-transport-ws", &token, foreign, json!({}))
                .await,
        );
    }
    for sub in &mut refused {
        let message = sub.next_message().await.expect("an answer");
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(
            message["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{message}"
        );
        let message = sub.next_message().await.expect("the end");
        assert_eq!(message["type"], "complete", "{message}");
    }

    // Two members of one execution: the first leaves, the second goes on.
    let mut first = gw
        .subscribe("graphql-transport-ws", &token, EVENTS, json!({}))
        .await;
    let mut second = gw
        .subscribe("graphql-transport-ws", &token, EVENTS, json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    comment_on_first_case_of_b(&gw).await;
    for sub in [&mut first, &mut second] {
        assert_eq!(
            sub.next_event().await["data"]["caseEvents"]["kind"],
            "COMMENT_ADDED"
        );
    }
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    comment_on_first_case_of_b(&gw).await;
    assert_eq!(
        second.next_event().await["data"]["caseEvents"]["kind"],
        "COMMENT_ADDED"
    );
}
