//! Running in production: several gateway processes on one PostgreSQL
//! database, as behind a load balancer (what a client of one replica sees
//! of writes made through another), the metrics operators scrape, read by
//! Prometheus itself, readiness under a frozen database, and the graceful
//! drain after SIGTERM.

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
    replica_with(data, url, http, &[]).await
}

/// [`replica`] with more environment (configuration) variables.
async fn replica_with(
    data: &Path,
    url: &str,
    http: &reqwest::Client,
    env: &[(&str, &str)],
) -> Replica {
    let port = free_port();
    let child = switchboard(data, url)
        .envs(env.iter().copied())
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

/// A token for the primary user of account A, minted by the `token` command
/// with the replicas' data folder.
fn token(data: &Path, url: &str) -> String {
    let token = switchboard(data, url)
        .args(["token", common::PRIMARY_A])
        .output()
        .expect("the token command runs");
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    String::from_utf8(token.stdout).unwrap().trim().to_string()
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
    let token = token(&data_dir, &test_db.url);

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

    let mut at_b = case_events_at(&b, &token, "kind at case { number }", "2").await;

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

/// A gateway on PostgreSQL through a [`FreezableProxy`], after `tweak`.
async fn behind_a_proxy(
    tweak: impl FnOnce(&mut switchboard::config::Config),
) -> Option<(FreezableProxy, common::Gateway)> {
    let probe = TestDb::postgres().await?;
    let authority = authority(&probe.url);
    drop(probe);
    let proxy = FreezableProxy::start(authority.clone()).await;
    let proxied = proxy.addr.to_string();
    let gw = common::start_with(Backend::Postgres, |config| {
        let url = config.database.url.take().unwrap();
        config.database.url = Some(url.replacen(&authority, &proxied, 1));
        tweak(config);
    })
    .await?;
    Some((proxy, gw))
}

/// host:port of a PostgreSQL URL.
fn authority(url: &str) -> String {
    url.split('@')
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string()
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
    let Some((proxy, gw)) = behind_a_proxy(|_| {}).await else {
        return;
    };
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

/// SIGTERM: `/readyz` turns 503 "draining" at once (and answers ask for
/// `Connection: close`); after the grace, the listener refuses new
/// connections, a graphql-ws subscriber (graphql-ws's own client) gets
/// close 1001 and an SSE stream ends without `complete`, while a request
/// waiting on the (frozen) database finishes; then the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_replica_finishes_its_requests_and_sends_subscribers_away() {
    if !clients::available(false) {
        return;
    }
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let upstream = authority(&test_db.url);
    let proxy = FreezableProxy::start(upstream.clone()).await;
    let proxied = test_db.url.replacen(&upstream, &proxy.addr.to_string(), 1);
    let data_dir = std::env::temp_dir().join(format!("switchboard-drain-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let http = reqwest::Client::new();
    let grace = Duration::from_millis(3000);
    let mut gw = replica_with(
        &data_dir,
        &proxied,
        &http,
        &[
            ("SWITCHBOARD_SERVER__DRAIN_GRACE_MS", "3000"),
            ("SWITCHBOARD_SERVER__DRAIN_DEADLINE_MS", "20000"),
        ],
    )
    .await;
    let token = token(&data_dir, &test_db.url);
    let subscription = format!(
        "subscription {{ caseEvents(accountId: \"{}\") {{ kind }} }}",
        common::ACCOUNT_A
    );
    let mut subscriber = Streaming::start("subscribe.mjs", &[&gw.ws, &token, &subscription, "1"]);
    assert_eq!(subscriber.next().await, json!({ "connected": true }));
    let mut events = http
        .post(format!("{}/graphql", gw.base))
        .bearer_auth(&token)
        .header("accept", "text/event-stream")
        .json(&json!({ "query": subscription }))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    // A request that waits on the database until the thaw.
    proxy.freeze(true);
    let waiting = tokio::spawn({
        let (http, base, token) = (http.clone(), gw.base.clone(), token.clone());
        async move {
            http.post(format!("{base}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": "{ cases(first: 1) { totalCount } }" }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = gw.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let signalled = std::time::Instant::now();

    let response = http
        .get(format!("{}/readyz", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["connection"], "close");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "draining", "{body}");
    // A WebSocket handshake during the grace still succeeds (its answer
    // keeps `Connection: Upgrade`).
    let mut late = Streaming::start("subscribe.mjs", &[&gw.ws, &token, &subscription, "1"]);
    assert_eq!(late.next().await, json!({ "connected": true }));
    assert!(
        signalled.elapsed() < grace,
        "the late handshake came after the grace"
    );

    // After the grace: the subscribers are sent away.
    let closed = close_of(&mut subscriber).await;
    assert!(
        signalled.elapsed() >= grace,
        "closed before the grace ended"
    );
    assert_eq!(closed, json!({ "code": 1001, "reason": "going away" }));
    let closed = close_of(&mut late).await;
    assert_eq!(closed, json!({ "code": 1001, "reason": "going away" }));
    let mut streamed = String::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(10), events.chunk())
        .await
        .expect("the event stream ends")
        .expect("the event stream reads")
    {
        streamed.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(!streamed.contains("complete"), "{streamed}");
    assert!(
        reqwest::Client::new()
            .get(format!("{}/healthz", gw.base))
            .send()
            .await
            .is_err(),
        "a new connection was accepted after the grace"
    );
    assert!(!waiting.is_finished(), "the waiting request ended early");

    proxy.freeze(false);
    let answer = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the running request finishes after the thaw")
        .unwrap();
    assert!(answer["errors"].is_null(), "{answer}");
    assert!(
        answer["data"]["cases"]["totalCount"].as_u64().unwrap() > 0,
        "{answer}"
    );
    let mut status = None;
    for _ in 0..100 {
        status = gw.child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status.expect("the process exits once drained");
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// With the database frozen, a mutation answers `BACKEND_UNAVAILABLE`
/// (naming the backend) within the statement timeout instead of the
/// request timeout, and its audit entry, which the database could not take
/// then, is stored after the thaw.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_fails_fast_and_the_audit_entry_is_kept() {
    use switchboard_core::audit::AuditLog as _;
    let Some((proxy, gw)) = behind_a_proxy(|config| {
        config.database.statement_timeout_ms = 1_500;
    })
    .await
    else {
        return;
    };
    let token = gw.token(common::PRIMARY_A).await;
    let list = gw
        .data(
            &token,
            "{ cases(filter: { states: [NEW, OPEN] }, first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let id = list["cases"]["nodes"][0]["id"].clone();
    assert!(id.is_string(), "{list}");

    proxy.freeze(true);
    let started = std::time::Instant::now();
    let (_, answer) = gw
        .post(
            &token,
            "mutation DuringTheOutage($id: ID!) { addCaseComment(caseId: $id, body: \"frozen\") { id } }",
            json!({ "id": id }),
        )
        .await;
    let took = started.elapsed();
    let error = &answer["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "BACKEND_UNAVAILABLE",
        "{answer}"
    );
    assert!(error["extensions"]["backend"].is_string(), "{answer}");
    // The statement's 1.5 s and the audit entry's first try, not 30 s.
    assert!(took < Duration::from_secs(8), "answered after {took:?}");

    proxy.freeze(false);
    for _ in 0..100 {
        let stored = gw.store.recent(20).await.unwrap_or_default();
        if let Some(entry) = stored.iter().find(|e| e.operation == "DuringTheOutage") {
            assert_eq!(entry.outcome, "BACKEND_UNAVAILABLE");
            assert_eq!(entry.fields, ["addCaseComment"]);
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the audit entry of the mutation tried during the outage was not stored");
}

/// The holder named in `leases` for `name`, once it saved.
async fn lease_holder(url: &str, name: &str) -> Option<String> {
    use diesel::QueryableByName;
    use diesel_async::{AsyncConnection, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Holder {
        #[diesel(sql_type = diesel::sql_types::Text)]
        holder: String,
    }
    let mut conn = diesel_async::AsyncPgConnection::establish(url)
        .await
        .unwrap();
    let rows: Vec<Holder> = diesel::sql_query("SELECT holder FROM leases WHERE name = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .load(&mut conn)
        .await
        .unwrap();
    rows.into_iter().next().map(|r| r.holder)
}

/// The close a graphql-ws client reports (errors before it aside).
async fn close_of(subscriber: &mut Streaming) -> Value {
    loop {
        let line = subscriber.next().await;
        if !line["closed"].is_null() {
            return line["closed"].clone();
        }
        assert!(line["error"].is_string(), "{line}");
    }
}

/// graphql-ws's own client at `replica`, subscribed to account A's case
/// events with `selection`, until `events` came.
async fn case_events_at(
    replica: &Replica,
    token: &str,
    selection: &str,
    events: &str,
) -> Streaming {
    let query = format!(
        "subscription {{ caseEvents(accountId: \"{}\") {{ {selection} }} }}",
        common::ACCOUNT_A
    );
    let mut subscriber = Streaming::start("subscribe.mjs", &[&replica.ws, token, &query, events]);
    assert_eq!(subscriber.next().await, json!({ "connected": true }));
    // The subscribe message follows the acknowledgement.
    tokio::time::sleep(Duration::from_millis(300)).await;
    subscriber
}

/// The next event a subscriber hears about `number`, skipping others.
async fn event_about(subscriber: &mut Streaming, number: &Value) -> Value {
    loop {
        let line = subscriber.next().await;
        let event = &line["next"]["data"]["caseEvents"];
        assert!(!event.is_null(), "{line}");
        if event["case"]["number"] == *number {
            return event.clone();
        }
    }
}

/// Two replicas on one database poll ServiceNow (no webhook) once between
/// them: a change made inside ServiceNow reaches a subscriber once, not
/// once per replica. When the polling replica freezes, the other takes the
/// lease over (PostgreSQL ends the frozen one's session) and resumes from
/// its watermark: a change made just after the freeze, older than the
/// takeover, is announced, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servicenow_is_polled_by_one_replica_at_a_time() {
    use switchboard_fakes::servicenow::{DEMO_AGENTS, Dataset, FakeOptions, FakeServiceNow};
    if !clients::available(false) {
        return;
    }
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let (_source_db, source) = TestDb::demo_source(3, 240, common::FAKE_SEED, (2026, 1, 1))
        .await
        .unwrap();
    let dataset = Dataset::demo(&source, 3).await.unwrap();
    let fake = FakeServiceNow::start(dataset, FakeOptions::default())
        .await
        .unwrap();
    let data_dir = std::env::temp_dir().join(format!("switchboard-lease-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let config = data_dir.join("servicenow.toml");
    std::fs::write(
        &config,
        format!(
            "[cases]\nbackend = \"servicenow\"\n\n[cases.servicenow]\ninstance_url = \"{}\"\n\
             poll_secs = 1\n\n[cases.servicenow.auth]\nmethod = \"basic\"\n\
             username = \"{}\"\npassword = \"{}\"\n",
            fake.url(),
            common::SERVICENOW_USER.0,
            common::SERVICENOW_USER.1
        ),
    )
    .unwrap();
    let seed = common::FAKE_SEED.to_string();
    let env = [
        ("SWITCHBOARD_CONFIG", config.to_str().unwrap()),
        ("SWITCHBOARD_DATABASE__DEMO_SEED", seed.as_str()),
        ("SWITCHBOARD_DATABASE__DEMO_ACCOUNTS", "3"),
        ("SWITCHBOARD_DATABASE__DEMO_CASES", "240"),
    ];
    let http = reqwest::Client::new();
    // A first: it takes the poller's lease as it starts; B waits for it.
    let a = replica_with(&data_dir, &test_db.url, &http, &env).await;
    let b = replica_with(&data_dir, &test_db.url, &http, &env).await;
    let token = token(&data_dir, &test_db.url);
    let list = data(
        &http,
        &b,
        &token,
        "{ cases(filter: { states: [NEW, OPEN] }, first: 2) { nodes { number } } }",
        json!({}),
    )
    .await;
    let numbers: Vec<Value> = (0..2)
        .map(|i| list["cases"]["nodes"][i]["number"].clone())
        .collect();
    assert!(numbers.iter().all(Value::is_string), "{list}");

    let mut at_b = case_events_at(&b, &token, "kind case { number }", "100").await;

    let agent = DEMO_AGENTS[0].0;
    fake.agent_set_state(numbers[0].as_str().unwrap(), agent, "18")
        .await
        .expect("the agent changes the case");
    let event = event_about(&mut at_b, &numbers[0]).await;
    assert_eq!(event["kind"], "UPDATED", "{event}");
    // Polled by both replicas, it would come twice.
    let again = tokio::time::timeout(Duration::from_secs(4), at_b.next()).await;
    assert!(again.is_err(), "a second event: {:?}", again.ok());
    let first_holder = lease_holder(&test_db.url, "servicenow-poller")
        .await
        .expect("the polling replica saved its watermark");

    // A freezes; a change made now is older than B's takeover.
    let pid = a.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    fake.agent_set_state(numbers[1].as_str().unwrap(), agent, "18")
        .await
        .expect("the agent changes the case");
    let started = std::time::Instant::now();
    let event = tokio::time::timeout(Duration::from_secs(30), event_about(&mut at_b, &numbers[1]))
        .await
        .expect("the other replica takes the polling over");
    assert_eq!(event["kind"], "UPDATED", "{event}");
    let took = started.elapsed();
    let again = tokio::time::timeout(Duration::from_secs(3), at_b.next()).await;
    assert!(again.is_err(), "a second event: {:?}", again.ok());
    let second_holder = lease_holder(&test_db.url, "servicenow-poller")
        .await
        .unwrap();
    assert_ne!(first_holder, second_holder, "the lease did not move");
    // The server ends the frozen session within its idle timeout, then the
    // next try takes the lease: seconds, not minutes.
    assert!(took < Duration::from_secs(20), "took over after {took:?}");

    // A wakes up: it learns it lost the lease before announcing anything,
    // so a later change still comes once.
    assert!(
        Command::new("kill")
            .args(["-CONT", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    fake.agent_set_state(numbers[0].as_str().unwrap(), agent, "10")
        .await
        .expect("the agent changes the case");
    let event = event_about(&mut at_b, &numbers[0]).await;
    assert_eq!(event["kind"], "UPDATED", "{event}");
    let again = tokio::time::timeout(Duration::from_secs(4), at_b.next()).await;
    assert!(
        again.is_err(),
        "a second event after the wake-up: {:?}",
        again.ok()
    );
    drop((a, b));
    let _ = std::fs::remove_dir_all(&data_dir);
}
