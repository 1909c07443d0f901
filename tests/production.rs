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

/// A turn to run: each test here starts several gateway processes (and
/// seeds their databases), so at most three tests run at once, whatever
/// the test runner's parallelism; on two cores more made start-ups slow.
async fn turn() -> tokio::sync::SemaphorePermit<'static> {
    static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(3);
    TURNS
        .acquire()
        .await
        .expect("the semaphore is never closed")
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
    token_for(data, url, common::PRIMARY_A)
}

/// A token for the user `email`, minted like [`token`].
fn token_for(data: &Path, url: &str, email: &str) -> String {
    let token = switchboard(data, url)
        .args(["token", email])
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
    let _turn = turn().await;
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
    let _turn = turn().await;
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
    // Refused at once (another customer's account is NOT_FOUND): counted
    // as a subscription that went wrong.
    let mut refused = gw
        .subscribe(
            "graphql-transport-ws",
            &token,
            "subscription Foreign { caseEvents(accountId: \"no-such-account\") { kind } }",
            json!({}),
        )
        .await;
    let error = refused.next_message().await.unwrap();
    assert_eq!(
        error["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{error}"
    );
    // Two identical subscriptions share one execution, which writes the
    // first event to both: each counts once, as started well.
    let mut watching = Vec::new();
    for _ in 0..2 {
        watching.push(
            gw.subscribe(
                "graphql-transport-ws",
                &token,
                "subscription Watch { caseEvents { kind } }",
                json!({}),
            )
            .await,
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (case, _) = gw.open_case(&token).await;
    gw.data(
        &token,
        "mutation($id: ID!) { addCaseComment(caseId: $id, body: \"watched\") { id } }",
        json!({ "id": case }),
    )
    .await;
    for sub in &mut watching {
        assert_eq!(
            sub.next_event().await["data"]["caseEvents"]["kind"],
            "COMMENT_ADDED"
        );
    }
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
    assert!(
        has(
            "switchboard_graphql_operations_total",
            &[
                "graphql_operation_type=\"subscription\"",
                "graphql_operation_name=\"Foreign\"",
                "outcome=\"error\""
            ]
        ) >= 1.0
    );
    assert_eq!(
        has(
            "switchboard_graphql_operations_total",
            &[
                "graphql_operation_type=\"subscription\"",
                "graphql_operation_name=\"Watch\"",
                "outcome=\"ok\""
            ]
        ),
        2.0
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
    let _turn = turn().await;
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
    let _turn = turn().await;
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
    let _turn = turn().await;
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
    let _turn = turn().await;
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

/// A ServiceNow fake holding the demo dataset of 3 accounts and `cases`
/// cases (what the gateway seeds with `common::FAKE_SEED`), a fresh data
/// folder named after `name`, and a configuration file there putting cases
/// in the fake, polled every `poll_secs` (0: not polled).
async fn servicenow_setup(
    name: &str,
    cases: usize,
    poll_secs: u64,
) -> (
    TestDb,
    switchboard_fakes::servicenow::FakeServiceNow,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    use switchboard_fakes::servicenow::{Dataset, FakeOptions, FakeServiceNow};
    let (source_db, source) = TestDb::demo_source(3, cases, common::FAKE_SEED, (2026, 1, 1))
        .await
        .unwrap();
    let dataset = Dataset::demo(&source, 3).await.unwrap();
    let fake = FakeServiceNow::start(dataset, FakeOptions::default())
        .await
        .unwrap();
    let data_dir = std::env::temp_dir().join(format!("switchboard-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let config = data_dir.join("servicenow.toml");
    std::fs::write(
        &config,
        format!(
            "[cases]\nbackend = \"servicenow\"\n\n[cases.servicenow]\ninstance_url = \"{}\"\n\
             poll_secs = {poll_secs}\n\n[cases.servicenow.auth]\nmethod = \"basic\"\n\
             username = \"{}\"\npassword = \"{}\"\n",
            fake.url(),
            common::SERVICENOW_USER.0,
            common::SERVICENOW_USER.1
        ),
    )
    .unwrap();
    (source_db, fake, data_dir, config)
}

/// Two replicas on one database poll ServiceNow (no webhook) once between
/// them: a change made inside ServiceNow reaches a subscriber once, not
/// once per replica. When the polling replica freezes, the other takes the
/// lease over (PostgreSQL ends the frozen one's session) and resumes from
/// its watermark: a change made just after the freeze, older than the
/// takeover, is announced, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servicenow_is_polled_by_one_replica_at_a_time() {
    let _turn = turn().await;
    use switchboard_fakes::servicenow::DEMO_AGENTS;
    if !clients::available(false) {
        return;
    }
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let (_source_db, fake, data_dir, config) = servicenow_setup("lease", 240, 1).await;
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
    // /readyz names the upstream and how its last call went, without
    // calling it.
    let ready: Value = http
        .get(format!("{}/readyz", b.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let servicenow = &ready["backends"]["upstreams"]["servicenow"];
    assert_eq!(servicenow["last_call"], "ok", "{ready}");
    assert!(servicenow["seconds_ago"].as_u64().unwrap() < 30, "{ready}");
    assert!(ready["backends"]["upstreams"]["okta"].is_null(), "{ready}");

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

/// The Redis the shared-limit tests count on, or `None` (a skip) when it
/// does not answer and `SWITCHBOARD_REQUIRE_REDIS=1` is not set.
async fn test_redis() -> Option<redis::aio::MultiplexedConnection> {
    let url = std::env::var("SWITCHBOARD_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let connected = async {
        let client = redis::Client::open(url.as_str())?;
        client.get_multiplexed_async_connection().await
    };
    match tokio::time::timeout(Duration::from_secs(3), connected).await {
        Ok(Ok(connection)) => Some(connection),
        failed => {
            let why = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer in 3 s".into(),
            };
            if std::env::var("SWITCHBOARD_REQUIRE_REDIS").as_deref() == Ok("1") {
                panic!("Redis is required (SWITCHBOARD_REQUIRE_REDIS=1) but {url} fails: {why}");
            }
            eprintln!("skipped: Redis at {url} fails: {why}");
            None
        }
    }
}

/// Opens a graphql-transport-ws connection: the upgrade's status (101, or
/// the refusal's) with its `Retry-After`.
async fn ws_upgrade(replica: &Replica) -> (u16, Option<String>) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = replica.ws.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Ok((_socket, response)) => (response.status().as_u16(), None),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => (
            response.status().as_u16(),
            response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string()),
        ),
        Err(other) => panic!("{other}"),
    }
}

/// With `limits.store = "redis"`, two replicas count one limit: password
/// resets for one login and WebSocket upgrades from one address alternate
/// between them and are refused once the shared count is reached (each
/// replica alone saw only half). Keys hold digests, not logins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_hold_across_replicas_on_redis() {
    let _turn = turn().await;
    let Some(mut redis) = test_redis().await else {
        return;
    };
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let data_dir = std::env::temp_dir().join(format!("switchboard-limits-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let prefix = format!("switchboard-test-{:016x}", rand::random::<u64>());
    let redis_url = std::env::var("SWITCHBOARD_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let env = [
        ("SWITCHBOARD_LIMITS__STORE", "redis"),
        ("SWITCHBOARD_LIMITS__REDIS_URL", redis_url.as_str()),
        ("SWITCHBOARD_LIMITS__REDIS_PREFIX", prefix.as_str()),
        ("SWITCHBOARD_LIMITS__WS_CONNECTS_PER_ADDRESS", "4"),
        // A busy machine must not send an attempt to memory.
        ("SWITCHBOARD_LIMITS__REDIS_TIMEOUT_MS", "5000"),
        ("SWITCHBOARD_IDENTITY__RECOVERY_PER_LOGIN", "4"),
        ("SWITCHBOARD_IDENTITY__RECOVERY_PER_ADDRESS", "100"),
    ];
    let http = reqwest::Client::new();
    let a = replica_with(&data_dir, &test_db.url, &http, &env).await;
    let b = replica_with(&data_dir, &test_db.url, &http, &env).await;

    let login = common::PRIMARY_A;
    let reset = json!({
        "query": "mutation($login: String!) { requestPasswordReset(login: $login) { message } }",
        "variables": { "login": login },
    });
    let mut answers = Vec::new();
    for replica in [&a, &b, &a, &b, &a] {
        let body: Value = http
            .post(format!("{}/graphql", replica.base))
            .json(&reset)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answers.push(body);
    }
    for body in &answers[..4] {
        assert!(body["errors"].is_null(), "{body}");
    }
    let refused = &answers[4]["errors"][0];
    assert_eq!(refused["extensions"]["code"], "RATE_LIMITED", "{refused}");
    assert!(refused["extensions"]["retryAfterSeconds"].as_u64().unwrap() >= 1);

    let mut upgrades = Vec::new();
    for replica in [&a, &b, &a, &b, &a, &b] {
        upgrades.push(ws_upgrade(replica).await);
    }
    let statuses: Vec<u16> = upgrades.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses, [101, 101, 101, 101, 429, 429]);
    let retry_after: u64 = upgrades[5].1.as_deref().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    for replica in [&a, &b] {
        let ready: Value = http
            .get(format!("{}/readyz", replica.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["backends"]["rate_limits"], "redis", "{ready}");
    }

    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(
        keys.iter()
            .any(|k| k.starts_with(&format!("{prefix}:limit:recovery_login:"))),
        "{keys:?}"
    );
    assert!(
        keys.iter()
            .all(|k| !k.contains(login) && !k.contains("127.0.0.1")),
        "{keys:?}"
    );
    drop((a, b));
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// The roles of the primary user of account A on each of their accounts,
/// as `replica` sees them.
async fn roles_at(http: &reqwest::Client, replica: &Replica, token: &str) -> Vec<String> {
    let me = data(
        http,
        replica,
        token,
        "{ me { accounts { role } } }",
        json!({}),
    )
    .await;
    me["me"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|access| access["role"].as_str().unwrap().to_string())
        .collect()
}

/// A role changed in the database by anyone (here the test's own SQL, as an
/// administrator would) holds on every replica within moments, although
/// each caches principals for an hour: the database announces the change
/// and the replicas forget the user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entitlement_changes_reach_every_replica_at_once() {
    let _turn = turn().await;
    entitlement_changes_reach_every_replica("postgres", &[]).await;
}

/// The same when NATS carries the replicas' events: what the database
/// announces still reaches them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entitlement_changes_reach_every_replica_when_nats_carries_events() {
    let _turn = turn().await;
    let Some(stream) = TestStream::new().await else {
        return;
    };
    entitlement_changes_reach_every_replica("nats", &stream.env()).await;
    stream.delete().await;
}

async fn entitlement_changes_reach_every_replica(carrier: &str, env: &[(&str, &str)]) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let data_dir = std::env::temp_dir().join(format!(
        "switchboard-entitled-{carrier}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let mut env = env.to_vec();
    env.push(("SWITCHBOARD_AUTH__PRINCIPAL_CACHE_SECS", "3600"));
    let http = reqwest::Client::new();
    let a = replica_with(&data_dir, &test_db.url, &http, &env).await;
    let b = replica_with(&data_dir, &test_db.url, &http, &env).await;
    let token = token(&data_dir, &test_db.url);
    for replica in [&a, &b] {
        assert_eq!(
            roles_at(&http, replica, &token).await,
            ["PRIMARY_AUTHORITY"]
        );
    }

    let mut admin = AsyncPgConnection::establish(&test_db.url).await.unwrap();
    let demote = "UPDATE user_entitlements SET role = 'STANDARD' \
         WHERE user_id = (SELECT id FROM users WHERE email = $1)";
    let changed = diesel::sql_query(demote)
        .bind::<diesel::sql_types::Text, _>(common::PRIMARY_A)
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(changed, 1);
    for replica in [&a, &b] {
        let mut roles = Vec::new();
        for _ in 0..50 {
            roles = roles_at(&http, replica, &token).await;
            if roles == ["STANDARD"] {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(roles, ["STANDARD"], "at {}", replica.base);
    }
    drop((a, b));
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// The location of the newest case that has one, as `replica` shows it:
/// its id and name.
async fn location_at(http: &reqwest::Client, replica: &Replica, token: &str) -> (String, String) {
    let list = data(
        http,
        replica,
        token,
        "{ cases(first: 20) { nodes { location { id name } } } }",
        json!({}),
    )
    .await;
    let nodes = list["cases"]["nodes"].as_array().unwrap();
    let location = nodes
        .iter()
        .map(|node| &node["location"])
        .find(|location| location.is_object())
        .unwrap_or_else(|| panic!("no case with a location: {list}"));
    let text = |field: &str| location[field].as_str().unwrap().to_string();
    (text("id"), text("name"))
}

/// A location renamed inside ServiceNow shows on every replica as soon as
/// the instance's webhook reaches one of them, although each caches
/// reference data for an hour: the webhook announces the change on the
/// event bus and every replica drops its copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_changes_reach_every_replica_at_once() {
    let _turn = turn().await;
    const SECRET: &str = "a-webhook-secret-for-replicas";
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let (_source_db, fake, data_dir, config) = servicenow_setup("reference", 30, 0).await;
    let seed = common::FAKE_SEED.to_string();
    let env = [
        ("SWITCHBOARD_CONFIG", config.to_str().unwrap()),
        ("SWITCHBOARD_DATABASE__DEMO_SEED", seed.as_str()),
        ("SWITCHBOARD_DATABASE__DEMO_ACCOUNTS", "3"),
        ("SWITCHBOARD_DATABASE__DEMO_CASES", "30"),
        ("SWITCHBOARD_CASES__WEBHOOK_SECRET", SECRET),
        ("SWITCHBOARD_CASES__SERVICENOW__REFERENCE_TTL_SECS", "3600"),
    ];
    let http = reqwest::Client::new();
    let a = replica_with(&data_dir, &test_db.url, &http, &env).await;
    let b = replica_with(&data_dir, &test_db.url, &http, &env).await;
    let token = token(&data_dir, &test_db.url);
    let (id, before) = location_at(&http, &a, &token).await;
    assert_eq!(
        location_at(&http, &b, &token).await,
        (id.clone(), before.clone())
    );

    let renamed = format!("{before} (renamed)");
    assert!(
        fake.admin_update("cmn_location", &id, "name", &renamed)
            .await
    );
    // Cached: without a notice both still show the old name.
    for replica in [&a, &b] {
        assert_eq!(location_at(&http, replica, &token).await.1, before);
    }
    // The instance's notice reaches A only.
    let body = json!({
        "table": "cmn_location",
        "sys_id": id,
        "operation": "update",
        "changed": ["name"],
    })
    .to_string();
    let now = chrono::Utc::now().timestamp();
    let signature = switchboard_fakes::servicenow::webhook_signature(SECRET, now, body.as_bytes());
    let posted = http
        .post(format!("{}/webhooks/servicenow", a.base))
        .header("content-type", "application/json")
        .header("x-switchboard-timestamp", now.to_string())
        .header("x-switchboard-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 202);
    assert_eq!(
        posted.json::<Value>().await.unwrap(),
        json!({ "accepted": true })
    );
    for replica in [&a, &b] {
        let mut shown = String::new();
        for _ in 0..50 {
            shown = location_at(&http, replica, &token).await.1;
            if shown == renamed {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(shown, renamed, "at {}", replica.base);
    }
    drop((a, b));
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Waits (up to 10 s) until `replica` runs at least `count` subscriptions,
/// as its `/metrics` says.
async fn subscriptions_reach(http: &reqwest::Client, replica: &Replica, count: f64) {
    let mut running = 0.0;
    for _ in 0..100 {
        let text = http
            .get(format!("{}/metrics", replica.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        running = sample(&text, "switchboard_subscriptions_active", &[]).unwrap_or(0.0);
        if running >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} runs {running} subscriptions, not {count}", replica.base);
}

/// The next `next` payload a subscriber hears, skipping connection lines.
async fn next_payload(subscriber: &mut Streaming) -> Value {
    loop {
        let line = subscriber.next().await;
        if !line["next"].is_null() {
            return line["next"].clone();
        }
        assert!(line["connected"].is_boolean(), "{line}");
    }
}

/// Three replicas on one PostgreSQL behave as one gateway: graphql-ws
/// subscribers on each hear a case comment written through the first, a
/// toll-free request submitted through the second and a status change made
/// through the third. The third is then killed (SIGKILL, mid-stream): its
/// case subscriber, following the replicas as it would behind a load
/// balancer, reconnects to another and hears what is written next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_act_as_one_and_subscribers_move_when_one_dies() {
    let _turn = turn().await;
    three_replicas_act_as_one("postgres", &[]).await;
}

/// The same with events carried by NATS JetStream (the database still
/// PostgreSQL, for the data): every subscriber hears every event once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_act_as_one_through_nats() {
    let _turn = turn().await;
    let Some(stream) = TestStream::new().await else {
        return;
    };
    three_replicas_act_as_one("nats", &stream.env()).await;
    // The events went through the stream: two comments, the toll-free
    // request (and its case), the status change.
    let mut carried = stream
        .nats
        .get_stream(&stream.name)
        .await
        .expect("the stream exists");
    let messages = carried.info().await.unwrap().state.messages;
    assert!(messages >= 5, "{messages} messages in the stream");
    stream.delete().await;
}

/// A JetStream stream of one test's own, on the NATS the tests use.
struct TestStream {
    nats: async_nats::jetstream::Context,
    name: String,
    url: String,
}

impl TestStream {
    /// A fresh stream name on the tests' NATS, or `None` (a skip).
    async fn new() -> Option<Self> {
        Some(Self {
            nats: test_nats().await?,
            name: format!("SWITCHBOARD_TEST_{:016x}", rand::random::<u64>()),
            url: nats_url(),
        })
    }

    /// The environment that makes a gateway carry its events on it.
    fn env(&self) -> [(&str, &str); 3] {
        [
            ("SWITCHBOARD_EVENTS__BACKEND", "nats"),
            ("SWITCHBOARD_EVENTS__NATS_URL", self.url.as_str()),
            ("SWITCHBOARD_EVENTS__NATS_STREAM", self.name.as_str()),
        ]
    }

    async fn delete(self) {
        let _ = self.nats.delete_stream(&self.name).await;
    }
}

fn nats_url() -> String {
    std::env::var("SWITCHBOARD_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// JetStream on the NATS the tests use, or `None` (a skip) when it does not
/// answer and `SWITCHBOARD_REQUIRE_NATS=1` is not set.
async fn test_nats() -> Option<async_nats::jetstream::Context> {
    let url = nats_url();
    let connected = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(3))
        .connect(url.as_str())
        .await;
    match connected {
        Ok(client) => Some(async_nats::jetstream::new(client)),
        Err(e) => {
            if std::env::var("SWITCHBOARD_REQUIRE_NATS").as_deref() == Ok("1") {
                panic!("NATS is required (SWITCHBOARD_REQUIRE_NATS=1) but {url} fails: {e}");
            }
            eprintln!("skipped: NATS at {url} fails: {e}");
            None
        }
    }
}

async fn three_replicas_act_as_one(carrier: &str, env: &[(&str, &str)]) {
    if !clients::available(false) {
        return;
    }
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let data_dir = std::env::temp_dir().join(format!(
        "switchboard-three-{carrier}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();
    let http = reqwest::Client::new();
    let a = replica_with(&data_dir, &test_db.url, &http, env).await;
    let b = replica_with(&data_dir, &test_db.url, &http, env).await;
    let mut c = replica_with(&data_dir, &test_db.url, &http, env).await;
    let token = token(&data_dir, &test_db.url);
    let operator = token_for(&data_dir, &test_db.url, common::OPERATOR);

    let cases = format!(
        "subscription {{ caseEvents(accountId: \"{}\") {{ kind case {{ number }} }} }}",
        common::ACCOUNT_A
    );
    let ring_to = format!(
        "subscription {{ ringToChangeUpdates(accountId: \"{}\") {{ status request {{ id }} }} }}",
        common::ACCOUNT_A
    );
    let status = "subscription { systemStatusChanged { components { name status } } }";
    // Each case subscriber starts at its replica and follows the others.
    let follow = [
        format!("{},{},{}", a.ws, b.ws, c.ws),
        format!("{},{},{}", b.ws, c.ws, a.ws),
        format!("{},{},{}", c.ws, a.ws, b.ws),
    ];
    let mut case_subscribers = Vec::new();
    let mut ring_to_subscribers = Vec::new();
    let mut status_subscribers = Vec::new();
    for (replica, urls) in [&a, &b, &c].into_iter().zip(&follow) {
        let mut subscriber = Streaming::start("subscribe.mjs", &[urls, &token, &cases, "100"]);
        let connected = subscriber.next().await;
        assert_eq!(connected["url"], replica.ws.as_str(), "{connected}");
        case_subscribers.push(subscriber);
        for (query, list) in [
            (&ring_to, &mut ring_to_subscribers),
            (&status.to_string(), &mut status_subscribers),
        ] {
            let mut subscriber =
                Streaming::start("subscribe.mjs", &[&replica.ws, &token, query, "100"]);
            assert_eq!(subscriber.next().await, json!({ "connected": true }));
            list.push(subscriber);
        }
    }
    // The subscribe messages follow the acknowledgements.
    for replica in [&a, &b, &c] {
        subscriptions_reach(&http, replica, 3.0).await;
    }

    let listed = data(
        &http,
        &a,
        &token,
        "{ cases(filter: { states: [NEW, OPEN] }, first: 1) { nodes { id number } } }",
        json!({}),
    )
    .await;
    let case = listed["cases"]["nodes"][0].clone();
    let comment =
        "mutation($id: ID!, $body: String!) { addCaseComment(caseId: $id, body: $body) { id } }";
    let comment_heard = async |through: &Replica, subscribers: &mut Vec<Streaming>| {
        data(
            &http,
            through,
            &token,
            comment,
            json!({ "id": case["id"], "body": "new" }),
        )
        .await;
        for subscriber in subscribers {
            let event = event_about(subscriber, &case["number"]).await;
            assert_eq!(event["kind"], "COMMENT_ADDED", "{event}");
        }
    };
    comment_heard(&a, &mut case_subscribers).await;

    let numbers = data(
        &http,
        &b,
        &token,
        "query($accountId: ID!) { tollFreeNumbers(accountId: $accountId, first: 100) {
            nodes { number ringTo changeableOnline status sameStateRequired } } }",
        json!({ "accountId": common::ACCOUNT_A }),
    )
    .await;
    let number = numbers["tollFreeNumbers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| {
            n["changeableOnline"] == true
                && n["status"] == "ACTIVE"
                && n["sameStateRequired"] == false
        })
        .expect("a changeable number")
        .clone();
    let ring_to_number = format!("{}5550042", &number["ringTo"].as_str().unwrap()[..3]);
    let submitted = data(
        &http,
        &b,
        &token,
        "mutation($accountId: ID!, $changes: [RingToChangeInput!]!) {
            submitRingToChanges(accountId: $accountId, changes: $changes) { request { id } } }",
        json!({
            "accountId": common::ACCOUNT_A,
            "changes": [{ "number": number["number"], "ringTo": ring_to_number }],
        }),
    )
    .await;
    let request = &submitted["submitRingToChanges"]["request"]["id"];
    for subscriber in &mut ring_to_subscribers {
        let payload = next_payload(subscriber).await;
        let event = &payload["data"]["ringToChangeUpdates"];
        assert_eq!(event["status"], "PENDING", "{payload}");
        assert_eq!(event["request"]["id"], *request, "{payload}");
    }

    let components = data(
        &http,
        &c,
        &token,
        "{ systemStatus { components { id name } } }",
        json!({}),
    )
    .await;
    let component = components["systemStatus"]["components"][0].clone();
    data(
        &http,
        &c,
        &operator,
        "mutation($id: ID!) { setComponentStatus(componentId: $id, status: MAJOR_OUTAGE) { status } }",
        json!({ "id": component["id"] }),
    )
    .await;
    for subscriber in &mut status_subscribers {
        let payload = next_payload(subscriber).await;
        let changed = payload["data"]["systemStatusChanged"]["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == component["name"] && x["status"] == "MAJOR_OUTAGE");
        assert!(changed, "{payload}");
    }

    // C dies mid-stream: no drain, no close frame.
    c.child.kill().unwrap();
    c.child.wait().unwrap();
    let moved = &mut case_subscribers[2];
    let reconnected = loop {
        let line = tokio::time::timeout(Duration::from_secs(20), moved.next())
            .await
            .expect("the subscriber of the dead replica reconnects");
        if line["connected"] == true {
            break line;
        }
        // Events still queued before the close (the toll-free request's
        // case), then the close.
        assert!(
            !line["closed"].is_null() || !line["next"].is_null(),
            "{line}"
        );
    };
    assert_eq!(reconnected["url"], a.ws.as_str(), "{reconnected}");
    // Its subscription is sent again after the acknowledgement.
    subscriptions_reach(&http, &a, 4.0).await;
    comment_heard(&b, &mut case_subscribers).await;
    drop((a, b, c));
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// One span as the test's OTLP receiver got it.
#[derive(Debug, Clone)]
struct ReceivedSpan {
    name: String,
    trace_id: String,
    span_id: String,
    parent: String,
    attributes: Vec<(String, String)>,
}

impl ReceivedSpan {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An OTLP/HTTP receiver on loopback (protobuf, `POST /v1/traces`), as a
/// collector would be: its URL and what it received.
async fn otlp_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<ReceivedSpan>>>) {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use prost::Message as _;
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                let mut spans = store.lock().unwrap();
                for resource in request.resource_spans {
                    for scope in resource.scope_spans {
                        for span in scope.spans {
                            let attributes = span
                                .attributes
                                .iter()
                                .map(|kv| {
                                    let value =
                                        match kv.value.as_ref().and_then(|v| v.value.clone()) {
                                            Some(Any::StringValue(s)) => s,
                                            Some(Any::IntValue(i)) => i.to_string(),
                                            Some(Any::BoolValue(b)) => b.to_string(),
                                            Some(Any::DoubleValue(d)) => d.to_string(),
                                            other => format!("{other:?}"),
                                        };
                                    (kv.key.clone(), value)
                                })
                                .collect();
                            spans.push(ReceivedSpan {
                                name: span.name,
                                trace_id: hex(&span.trace_id),
                                span_id: hex(&span.span_id),
                                parent: hex(&span.parent_span_id),
                                attributes,
                            });
                        }
                    }
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

/// With `traces.endpoint` set, one request sent with a client's
/// `traceparent` arrives at an OTLP receiver as one trace: the HTTP server
/// span (the client's span its parent), the operation, its root field, the
/// SQL statements and the ServiceNow calls under it; ServiceNow receives the
/// `traceparent` of its call's span; a log line written inside the request
/// carries the trace id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_traced_into_sql_and_servicenow() {
    let _turn = turn().await;
    use tokio::io::AsyncBufReadExt as _;
    let (receiver, received) = otlp_receiver().await;
    let (_source_db, fake, data_dir, config) = servicenow_setup("traced", 60, 0).await;
    let database = data_dir.join("gateway.db");
    let database = database.to_str().unwrap();
    let seed = common::FAKE_SEED.to_string();
    let port = free_port();
    let mut child = tokio::process::Command::from(switchboard(&data_dir, database))
        .env("SWITCHBOARD_CONFIG", &config)
        .env("SWITCHBOARD_DATABASE__DEMO_SEED", &seed)
        .env("SWITCHBOARD_DATABASE__DEMO_ACCOUNTS", "3")
        .env("SWITCHBOARD_DATABASE__DEMO_CASES", "60")
        .env("SWITCHBOARD_TRACES__ENDPOINT", &receiver)
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the gateway starts");
    let mut log = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let log_lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let keep = log_lines.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = log.next_line().await {
            keep.lock().unwrap().push(line);
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the gateway was not ready within 30 s");
    let token = token(&data_dir, database);

    let trace_id = format!("{:032x}", rand::random::<u128>());
    let client_span = format!("{:016x}", rand::random::<u64>());
    let answer: Value = http
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace_id}-{client_span}-01"))
        .json(&json!({ "query": "query SupportList { cases(first: 2) { nodes { number } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer["errors"].is_null(), "{answer}");
    // A refused token is logged (a warning) inside its request's span.
    let refused_trace = format!("{:032x}", rand::random::<u128>());
    let refused = http
        .post(format!("{base}/graphql"))
        .bearer_auth("not-a-token")
        .header(
            "traceparent",
            format!("00-{refused_trace}-{client_span}-01"),
        )
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    let mut spans = Vec::new();
    for _ in 0..100 {
        spans = received
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.trace_id == trace_id)
            .cloned()
            .collect::<Vec<_>>();
        let done = spans.iter().any(|s| s.name == "POST /graphql")
            && spans.iter().any(|s| s.name.starts_with("servicenow "));
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let named = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name} in {spans:#?}"))
            .clone()
    };
    let server = named("POST /graphql");
    assert_eq!(
        server.parent, client_span,
        "the client's span is the parent"
    );
    assert_eq!(server.attribute("http.route"), Some("/graphql"));
    assert_eq!(server.attribute("http.response.status_code"), Some("200"));
    let operation = named("query SupportList");
    assert_eq!(operation.attribute("graphql.operation.type"), Some("query"));
    assert_eq!(
        operation.attribute("graphql.operation.name"),
        Some("SupportList")
    );
    let field = named("Query.cases");
    assert_eq!(field.parent, operation.span_id);
    // Every span of the request descends from the server span.
    let ancestors = |span: &ReceivedSpan| {
        let mut chain = Vec::new();
        let mut parent = span.parent.clone();
        while let Some(up) = spans.iter().find(|s| s.span_id == parent) {
            chain.push(up.name.clone());
            parent = up.parent.clone();
        }
        chain
    };
    assert!(ancestors(&operation).contains(&"POST /graphql".to_string()));
    let upstream: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.name.starts_with("servicenow "))
        .collect();
    assert!(!upstream.is_empty(), "{spans:#?}");
    for call in &upstream {
        assert!(
            ancestors(call).contains(&"Query.cases".to_string()),
            "{call:?} is not under the root field: {spans:#?}"
        );
    }
    let statements: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.attribute("db.system.name") == Some("sqlite"))
        .collect();
    assert!(!statements.is_empty(), "no SQL span in {spans:#?}");
    for statement in &statements {
        let text = statement.attribute("db.query.text").unwrap();
        assert!(!text.contains("binds"), "values in {text}");
    }
    // ServiceNow was told the trace, from the call's own span.
    let told: Vec<String> = fake
        .requests()
        .entries()
        .into_iter()
        .filter_map(|r| r.traceparent)
        .filter(|t| t.contains(&trace_id))
        .collect();
    assert!(
        !told.is_empty(),
        "ServiceNow got no traceparent of the trace"
    );
    assert!(
        told.iter()
            .all(|t| upstream.iter().any(|s| t.contains(&s.span_id))),
        "{told:?} vs {upstream:?}"
    );
    let logged = log_lines.lock().unwrap().clone();
    assert!(
        logged
            .iter()
            .any(|line| line.contains("token refused") && line.contains(&refused_trace)),
        "no log line with the trace id: {logged:#?}"
    );
    drop(child);
    let _ = std::fs::remove_dir_all(&data_dir);
}
