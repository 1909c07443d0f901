//! Several gateway processes on one PostgreSQL database, as behind a load
//! balancer: what a client of one replica sees of writes made through
//! another.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::clients::{self, Streaming};
use serde_json::{Value, json};
use switchboard_sql::testing::TestDb;

/// A gateway process, killed when the test ends.
struct Replica {
    child: Child,
    base: String,
    ws: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn switchboard(data: &Path, url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .arg("--data-dir")
        .arg(data)
        .env("DATABASE_URL", url)
        .env("SWITCHBOARD_DATABASE__DEMO_DATA", "true")
        .env("SWITCHBOARD_DATABASE__DEMO_CASES", "60")
        .env("SWITCHBOARD_DATABASE__POOL_SIZE", "4")
        .env("SWITCHBOARD_LOG__FILTER", "warn")
        .env_remove("SWITCHBOARD_CONFIG");
    command
}

/// Starts a replica and waits until `/readyz` answers 200 (its event relay
/// listening included).
async fn replica(data: &Path, url: &str, http: &reqwest::Client) -> Replica {
    let port = free_port();
    let child = switchboard(data, url)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .expect("the gateway starts");
    let replica = Replica {
        child,
        base: format!("http://127.0.0.1:{port}"),
        ws: format!("ws://127.0.0.1:{port}/graphql"),
    };
    for _ in 0..300 {
        if let Ok(response) = http.get(format!("{}/readyz", replica.base)).send().await
            && response.status() == 200
        {
            return replica;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replica at {} was not ready within 30 s", replica.base);
}

async fn data(
    http: &reqwest::Client,
    replica: &Replica,
    token: &str,
    query: &str,
    variables: Value,
) -> Value {
    let body: Value = http
        .post(format!("{}/graphql", replica.base))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}

/// A subscriber connected to replica B (with graphql-ws's own client) hears
/// a comment added through replica A, and one added through B, once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_one_replica_hears_writes_made_through_another() {
    if !clients::available(false) {
        return;
    }
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let data_dir =
        std::env::temp_dir().join(format!("switchboard-replicas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let http = reqwest::Client::new();
    // A first: it migrates, seeds and makes the signing key B shares.
    let a = replica(&data_dir, &test_db.url, &http).await;
    let b = replica(&data_dir, &test_db.url, &http).await;
    let token = switchboard(&data_dir, &test_db.url)
        .args(["token", common::PRIMARY_A])
        .output()
        .expect("the token command runs");
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();

    let list = data(
        &http,
        &a,
        &token,
        "{ cases(filter: { states: [NEW, OPEN] }, first: 1) { nodes { id number } } }",
        json!({}),
    )
    .await;
    let case = &list["cases"]["nodes"][0];
    let (id, number) = (case["id"].clone(), case["number"].clone());

    let query = format!(
        "subscription {{ caseEvents(accountId: \"{}\") {{ kind at case {{ number }} }} }}",
        common::ACCOUNT_A
    );
    let mut at_b = Streaming::start("subscribe.mjs", &[&b.ws, &token, &query, "2"]);
    assert_eq!(at_b.next().await, json!({ "connected": true }));
    // The subscribe message follows the acknowledgement.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let comment =
        "mutation($id: ID!, $body: String!) { addCaseComment(caseId: $id, body: $body) { id } }";
    let mut times = Vec::new();
    for through in [&a, &b] {
        data(
            &http,
            through,
            &token,
            comment,
            json!({ "id": id, "body": "across replicas" }),
        )
        .await;
        let event = at_b.next().await;
        let heard = &event["next"]["data"]["caseEvents"];
        assert_eq!(heard["kind"], "COMMENT_ADDED", "{event}");
        assert_eq!(heard["case"]["number"], number, "{event}");
        times.push(heard["at"].clone());
    }
    // A repeat of the first event would have come second, with its time.
    assert_ne!(times[0], times[1], "the first comment's event came twice");
    drop((a, b));
    let _ = std::fs::remove_dir_all(&data_dir);
}
