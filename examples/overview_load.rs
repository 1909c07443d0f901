//! A small load tool: the throughput and latency of the overview query (or
//! the Support page's list) against the embedded default (SQLite),
//! PostgreSQL, or ServiceNow (the fake instance), with a seeded dataset.
//!
//! ```text
//! cargo run --release --example overview_load -- --backend sqlite --cases 100000 --seconds 20
//! cargo run --release --example overview_load -- --backend postgres --cases 100000 --seconds 20
//! cargo run --release --example overview_load -- --backend servicenow --cases 2000 --seconds 15
//! cargo run --release --example overview_load -- --backend servicenow --cases 2000 --seconds 15 --latency-ms 50
//! ```
//!
//! Flags: `--backend sqlite|postgres|servicenow`, `--query
//! overview|support-list` (`examples/overview.graphql` or
//! `examples/support-list.graphql`), `--cases`, `--seconds`,
//! `--concurrency`, and, with ServiceNow only, `--latency-ms` (latency the
//! fake adds to every upstream request).
//!
//! It starts the gateway in this process on a loopback port over a fresh
//! database (a temporary SQLite file, or a temporary schema in the
//! PostgreSQL named by SWITCHBOARD_TEST_DATABASE_URL), seeds it, and runs
//! `--concurrency` clients for `--seconds`. With `servicenow` it first
//! starts the fake ServiceNow on a loopback port with the demo dataset of
//! `--cases` cases and serves cases and accounts from it (the rest stays on
//! SQLite; no polling), and also reports the upstream requests per request
//! and their split by method and path. Traffic goes to 127.0.0.1 only and
//! stops by itself.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard::App;
use switchboard::config::{CasesBackend, Config};
use switchboard_core::UserDirectory;
use switchboard_fakes::faults::LoggedRequest;
use switchboard_fakes::servicenow::{Dataset, FakeOptions, FakeServiceNow};
use switchboard_sql::testing::TestDb;

const OVERVIEW: &str = include_str!("overview.graphql");
const SUPPORT_LIST: &str = include_str!("support-list.graphql");
/// The demo user every request runs as.
const DEMO_USER: &str = "pat.primary@harborfreight.example";
/// Requests before the measurement: caches, prepared statements, connections.
const WARM_UP: usize = 20;

struct Args {
    backend: String,
    query: String,
    cases: usize,
    seconds: u64,
    concurrency: usize,
    latency_ms: Option<u64>,
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args {
        backend: "sqlite".into(),
        query: "overview".into(),
        cases: 100_000,
        seconds: 20,
        concurrency: 8,
        latency_ms: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--backend" => args.backend = value,
            "--query" => args.query = value,
            "--cases" => args.cases = value.parse()?,
            "--seconds" => args.seconds = value.parse()?,
            "--concurrency" => args.concurrency = value.parse()?,
            "--latency-ms" => args.latency_ms = Some(value.parse()?),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(
        ["sqlite", "postgres", "servicenow"].contains(&args.backend.as_str()),
        "--backend is sqlite, postgres or servicenow, not {}",
        args.backend
    );
    anyhow::ensure!(
        ["overview", "support-list"].contains(&args.query.as_str()),
        "--query is overview or support-list, not {}",
        args.query
    );
    anyhow::ensure!(args.seconds <= 300, "--seconds is at most 300");
    anyhow::ensure!(args.concurrency >= 1, "--concurrency is at least 1");
    anyhow::ensure!(
        args.latency_ms.is_none() || args.backend == "servicenow",
        "--latency-ms needs --backend servicenow (it delays the fake's answers)"
    );
    Ok(args)
}

/// The GraphQL request body of `--query`, as the portal page sends it.
fn request_body(query: &str, account_id: &str) -> Value {
    match query {
        "support-list" => json!({ "query": SUPPORT_LIST, "operationName": "SupportList" }),
        _ => json!({
            "query": OVERVIEW,
            "operationName": "Overview",
            "variables": { "accountId": account_id },
        }),
    }
}

/// The fake ServiceNow with the demo dataset of the gateway's own seed, so
/// account numbers agree; cases anchored today.
async fn start_fake(config: &Config, cases: usize) -> anyhow::Result<FakeServiceNow> {
    use chrono::Datelike as _;
    let today = chrono::Utc::now().date_naive();
    let accounts = config.database.demo_accounts;
    let day = (today.year(), today.month(), today.day());
    let (_db, source) = TestDb::demo_source(accounts, cases, config.database.demo_seed, day)
        .await
        .map_err(|e| anyhow::anyhow!("the demo source: {e}"))?;
    let dataset = Dataset::demo(&source, accounts)
        .await
        .map_err(|e| anyhow::anyhow!("the ServiceNow demo dataset: {e}"))?;
    Ok(FakeServiceNow::start(dataset, FakeOptions::default()).await?)
}

/// Removes the gateway's data directory (its signing key) when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One client's outcome: latencies of the good answers, the failures, and
/// what the first failure was.
#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
    }

    /// The latency below which a share `p` of the good answers came.
    fn percentile(&self, p: f64) -> Duration {
        let n = self.latencies.len().max(1);
        self.latencies
            .get(((n as f64 * p) as usize).min(n - 1))
            .copied()
            .unwrap_or_default()
    }
}

/// A request to the gateway; a transport error, a non-2xx status or a
/// GraphQL error (a partial result included) is a failure.
async fn send(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> Result<(), String> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    let status = response.status();
    let answer: Value = response
        .json()
        .await
        .map_err(|e| format!("status {status}, body: {e}"))?;
    match answer.get("errors") {
        None if status.is_success() => Ok(()),
        None => Err(format!("status {status}")),
        Some(errors) => Err(format!("status {status}, errors: {errors}")),
    }
}

/// Runs `concurrency` clients sending `body` until `deadline`.
async fn run_clients(
    client: &reqwest::Client,
    target: (&str, &str, &Value),
    concurrency: usize,
    deadline: Instant,
) -> anyhow::Result<Outcome> {
    let (url, token, body) = target;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, token, body) = (
            client.clone(),
            url.to_owned(),
            token.to_owned(),
            body.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            while Instant::now() < deadline {
                let t = Instant::now();
                match send(&client, &url, &token, &body).await {
                    Ok(()) => outcome.latencies.push(t.elapsed()),
                    Err(e) => {
                        outcome.errors += 1;
                        outcome.first_error.get_or_insert(e);
                    }
                }
            }
            outcome
        }));
    }
    let mut outcome = Outcome::default();
    for worker in workers {
        outcome.merge(worker.await?);
    }
    outcome.latencies.sort();
    Ok(outcome)
}

/// Upstream requests by method and path, a sys_id in the path shown as
/// `{sys_id}`; most frequent first.
fn split_by_path(requests: &[LoggedRequest]) -> Vec<(String, usize)> {
    let mut counts = BTreeMap::<String, usize>::new();
    for r in requests {
        let path: Vec<&str> = r
            .path
            .split('/')
            .map(|segment| {
                let sys_id = segment.len() == 32 && segment.bytes().all(|b| b.is_ascii_hexdigit());
                if sys_id { "{sys_id}" } else { segment }
            })
            .collect();
        *counts
            .entry(format!("{} {}", r.method, path.join("/")))
            .or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let db = match args.backend.as_str() {
        "postgres" => TestDb::postgres()
            .await
            .ok_or_else(|| anyhow::anyhow!("no PostgreSQL answers"))?,
        _ => TestDb::sqlite(),
    };
    let dir =
        TempDir(std::env::temp_dir().join(format!("switchboard-load-{}", std::process::id())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut config = Config {
        data_dir: dir.0.clone(),
        ..Config::default()
    };
    config.server.listen = listener.local_addr()?;
    config.database.url = Some(db.url.clone());
    config.database.demo_data = Some(true);
    config.database.demo_cases = args.cases;
    config.database.pool_size = 8;
    config.log.filter = "warn".into();
    switchboard::telemetry::init(&config.log, None)?;

    let started = Instant::now();
    let fake = match args.backend.as_str() {
        "servicenow" => Some(start_fake(&config, args.cases).await?),
        _ => None,
    };
    if let Some(fake) = &fake {
        config.cases.backend = CasesBackend::Servicenow;
        let settings = json!({
            "instance_url": fake.url(),
            "auth": {
                "method": "basic",
                "username": "switchboard.integration",
                "password": "fake-password",
            },
            "poll_secs": 0,
        });
        config.cases.servicenow = settings.as_object().cloned();
    }
    let app = App::build(config).await?;
    eprintln!(
        "seeded {} cases on {} in {:.1} s",
        args.cases,
        args.backend,
        started.elapsed().as_secs_f64()
    );
    let principal = app
        .store
        .principal_by_email(DEMO_USER)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo user is missing"))?;
    let account_id = principal
        .entitlements
        .first()
        .map(|e| e.account_id.clone())
        .ok_or_else(|| anyhow::anyhow!("the demo user has no account"))?;
    let token = app.state.issuer.mint(&principal.user, 3600)?;
    let db_handle = app.store.db().clone();
    let url = format!("http://{}/graphql", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    if let (Some(fake), Some(ms)) = (&fake, args.latency_ms) {
        fake.faults().set_latency(Duration::from_millis(ms));
    }

    let client = reqwest::Client::new();
    let body = request_body(&args.query, &account_id);
    // The first request meets cold caches; the rest warm up.
    fake.iter().for_each(|f| f.requests().clear());
    let cold = Instant::now();
    send(&client, &url, &token, &body)
        .await
        .map_err(|e| anyhow::anyhow!("the first request failed: {e}"))?;
    let cold = (cold.elapsed(), fake.as_ref().map(|f| f.requests().count()));
    for _ in 1..WARM_UP {
        send(&client, &url, &token, &body)
            .await
            .map_err(|e| anyhow::anyhow!("a warm-up request failed: {e}"))?;
    }
    fake.iter().for_each(|f| f.requests().clear());
    let statements_before = db_handle.statements_run();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);
    let target = (url.as_str(), token.as_str(), &body);
    let outcome = run_clients(&client, target, args.concurrency, deadline).await?;
    let elapsed = start.elapsed().as_secs_f64();
    let statements = db_handle.statements_run() - statements_before;
    let upstream = fake.as_ref().map(|f| f.requests().entries());
    let _ = stop.send(());
    let _ = server.await;

    let ok = outcome.latencies.len();
    // Per request sent, failed ones included: they cost upstream calls too.
    let sent = (ok as u64 + outcome.errors).max(1) as f64;
    println!("backend:        {}", args.backend);
    println!("query:          {}", args.query);
    println!("cases:          {}", args.cases);
    println!("concurrency:    {}", args.concurrency);
    if fake.is_some() {
        println!(
            "latency added:  {} ms per upstream request",
            args.latency_ms.unwrap_or(0)
        );
    }
    println!(
        "requests:       {ok} ok, {} failed, in {elapsed:.1} s",
        outcome.errors
    );
    if let Some(error) = &outcome.first_error {
        println!("first failure:  {error}");
    }
    println!("throughput:     {:.0} requests/s", ok as f64 / elapsed);
    println!(
        "latency:        p50 {:?}  p95 {:?}  p99 {:?}",
        outcome.percentile(0.50),
        outcome.percentile(0.95),
        outcome.percentile(0.99)
    );
    println!(
        "SQL statements: {:.1} per request",
        statements as f64 / sent
    );
    if let (Some(upstream), (cold_time, Some(cold_count))) = (upstream, cold) {
        println!(
            "upstream:       {:.2} requests per request (the first, cold request: {cold_count} in {cold_time:?})",
            upstream.len() as f64 / sent
        );
        for (path, count) in split_by_path(&upstream) {
            println!("  {:>8.2}  {path}", count as f64 / sent);
        }
    }
    Ok(())
}
