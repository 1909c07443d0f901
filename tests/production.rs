//! Running in production: several gateway processes on one PostgreSQL
//! database, as behind a load balancer (what a client of one replica sees
//! of writes made through another), and the metrics operators scrape, read
//! by Prometheus itself.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::Backend;
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

/// `promtool` and `prometheus` from Debian's `prometheus` package, or
/// `None` (a skip) when absent and not required.
fn prometheus_tools() -> Option<()> {
    let present = Command::new("promtool").arg("--version").output().is_ok()
        && Command::new("prometheus").arg("--version").output().is_ok();
    if present {
        return Some(());
    }
    assert!(
        std::env::var("SWITCHBOARD_REQUIRE_CLIENTS").as_deref() != Ok("1"),
        "promtool and prometheus are required (apt-get install prometheus)"
    );
    eprintln!("skipping: no promtool/prometheus (apt-get install prometheus)");
    None
}

/// The value of the first sample of `name` whose labels include every one
/// of `labels` (`key="value"`).
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .find(|(series, _)| {
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            metric == name && labels.iter().all(|label| rest.contains(label))
        })
        .and_then(|(_, value)| value.parse().ok())
}

/// After a query, a refused document and a subscription, `/metrics` shows
/// them with bounded labels and no customer data; promtool finds nothing
/// to lint, and a Prometheus server scraping the gateway stores them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_what_the_gateway_measures() {
    if prometheus_tools().is_none() {
        return;
    }
    let gw = common::start(Backend::Sqlite).await.unwrap();
    let token = gw.token(common::PRIMARY_A).await;
    let (status, body) = gw
        .post(
            &token,
            "query SupportList { cases(first: 2) { totalCount nodes { number } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let number = body["data"]["cases"]["nodes"][0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = gw.post(&token, "query Broken { cases(", json!({})).await;
    assert_eq!(status, 400);
    let _subscribed = gw
        .subscribe(
            "graphql-transport-ws",
            &token,
            "subscription { caseEvents { kind } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let response = gw
        .http
        .get(format!("{}/metrics", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    let has = |name: &str, labels: &[&str]| {
        sample(&text, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{text}"))
    };
    assert!(
        has(
            "switchboard_graphql_operations_total",
            &[
                "graphql_operation_type=\"query\"",
                "graphql_operation_name=\"SupportList\"",
                "outcome=\"ok\""
            ]
        ) >= 1.0
    );
    assert!(
        has(
            "http_server_request_duration_seconds_count",
            &[
                "http_request_method=\"POST\"",
                "http_route=\"/graphql\"",
                "http_response_status_code=\"400\""
            ]
        ) >= 1.0
    );
    assert!(
        has(
            "switchboard_graphql_errors_total",
            &["code=\"BAD_USER_INPUT\""]
        ) >= 1.0
    );
    assert!(has("switchboard_websocket_connections", &[]) >= 1.0);
    assert!(has("switchboard_subscriptions_active", &[]) >= 1.0);
    assert!(
        has(
            "switchboard_backend_call_duration_seconds_count",
            &[
                "backend=\"sqlite\"",
                "operation=\"statement\"",
                "outcome=\"ok\""
            ]
        ) >= 1.0
    );
    assert!(has("switchboard_db_pool_max_connections", &[]) >= 1.0);
    for secret in [
        token.as_str(),
        common::PRIMARY_A,
        common::ACCOUNT_A,
        number.as_str(),
    ] {
        assert!(!text.contains(secret), "/metrics shows {secret}");
    }

    // promtool lints the exposition as Prometheus reads it.
    let mut lint = tokio::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = lint.stdin.take().unwrap();
        stdin.write_all(text.as_bytes()).await.unwrap();
    }
    let lint = lint.wait_with_output().await.unwrap();
    assert!(
        lint.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );

    // A Prometheus server scrapes it and answers a query over what it stored.
    let dir = std::env::temp_dir().join(format!("switchboard-prometheus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: switchboard\n    static_configs:\n      - targets: [\"{}\"]\n",
            gw.addr
        ),
    )
    .unwrap();
    let port = free_port();
    let _prometheus = tokio::process::Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("prometheus starts");
    let query = "switchboard_graphql_operations_total{graphql_operation_name=\"SupportList\",outcome=\"ok\"}";
    let mut stored = Value::Null;
    for _ in 0..150 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let Ok(response) = gw
            .http
            .get(format!("http://127.0.0.1:{port}/api/v1/query"))
            .query(&[("query", query)])
            .send()
            .await
        else {
            continue;
        };
        let Ok(answer) = response.json::<Value>().await else {
            continue;
        };
        if answer["data"]["result"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            stored = answer;
            break;
        }
    }
    let value = &stored["data"]["result"][0]["value"][1];
    assert!(
        value
            .as_str()
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|v| v >= 1.0),
        "Prometheus did not store the operation within 30 s: {stored}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// With `metrics.listen`, `/metrics` is served there and not on the main
/// listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_have_a_listener_of_their_own() {
    let port = free_port();
    let gw = common::start_with(Backend::Sqlite, |config| {
        config.metrics.listen = Some(format!("127.0.0.1:{port}").parse().unwrap());
    })
    .await
    .unwrap();
    let main = gw
        .http
        .get(format!("{}/metrics", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), 404);
    let mut admin = None;
    for _ in 0..50 {
        if let Ok(response) = gw
            .http
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
        {
            admin = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let admin = admin.expect("the metrics listener answers");
    assert_eq!(admin.status(), 200);
    assert!(
        admin
            .text()
            .await
            .unwrap()
            .contains("http_server_request_duration_seconds")
    );
}

/// A TCP proxy to PostgreSQL that can stop passing bytes while keeping
/// every connection open, as a frozen database server (SIGSTOP) looks to
/// its clients.
struct FreezableProxy {
    addr: std::net::SocketAddr,
    frozen: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl FreezableProxy {
    async fn start(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (frozen, watching) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pass(client_read, server_write, watching.clone()));
                tokio::spawn(pass(server_read, client_write, watching.clone()));
            }
        });
        Self { addr, frozen, task }
    }

    fn freeze(&self, frozen: bool) {
        self.frozen.send_replace(frozen);
    }
}

impl Drop for FreezableProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pass(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut frozen: tokio::sync::watch::Receiver<bool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let Ok(read) = from.read(&mut buffer).await else {
            return;
        };
        if read == 0 {
            return;
        }
        // Bytes read while frozen wait until the thaw.
        if frozen.wait_for(|frozen| !*frozen).await.is_err()
            || to.write_all(&buffer[..read]).await.is_err()
        {
            return;
        }
    }
}

async fn readyz(gw: &common::Gateway) -> (u16, Value) {
    let response = gw
        .http
        .get(format!("{}/readyz", gw.base))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// With the database frozen, `/readyz` still answers within about a
/// second, 503 naming the database's state; it is ready again after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_within_a_second_when_the_database_freezes() {
    let Some(probe) = TestDb::postgres().await else {
        return;
    };
    // host:port of the test PostgreSQL, from its URL.
    let authority = probe
        .url
        .split('@')
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    drop(probe);
    let proxy = FreezableProxy::start(authority.clone()).await;
    let proxied = proxy.addr.to_string();
    let gw = common::start_with(Backend::Postgres, |config| {
        let url = config.database.url.take().unwrap();
        config.database.url = Some(url.replacen(&authority, &proxied, 1));
    })
    .await
    .unwrap();
    let (status, body) = readyz(&gw).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["backends"]["database"], "ok", "{body}");
    assert_eq!(body["backends"]["event_relay"], "listening", "{body}");

    proxy.freeze(true);
    let started = std::time::Instant::now();
    let (status, body) = readyz(&gw).await;
    let took = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable", "{body}");
    assert_eq!(body["backends"]["database"], "timeout", "{body}");
    assert!(took < Duration::from_millis(2500), "/readyz took {took:?}");

    proxy.freeze(false);
    let mut last = Value::Null;
    for _ in 0..50 {
        let (status, body) = readyz(&gw).await;
        if status == 200 {
            return;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not ready again after the thaw: {last}");
}
