//! A small load tool: the overview query's throughput against the embedded
//! default (SQLite) or PostgreSQL, with a large seeded dataset.
//!
//! ```text
//! cargo run --release --example overview_load -- --backend sqlite --cases 100000 --seconds 20
//! cargo run --release --example overview_load -- --backend postgres --cases 100000 --seconds 20
//! ```
//!
//! It starts the gateway in this process on a loopback port over a fresh
//! database (a temporary SQLite file, or a temporary schema in the
//! PostgreSQL named by SWITCHBOARD_TEST_DATABASE_URL), seeds it, and runs
//! `--concurrency` clients for `--seconds`. Traffic goes to 127.0.0.1 only
//! and stops by itself.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard::App;
use switchboard::config::Config;
use switchboard_core::UserDirectory;
use switchboard_sql::testing::TestDb;

const OVERVIEW: &str = include_str!("overview.graphql");

struct Args {
    backend: String,
    cases: usize,
    seconds: u64,
    concurrency: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args {
        backend: "sqlite".into(),
        cases: 100_000,
        seconds: 20,
        concurrency: 8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--backend" => args.backend = value,
            "--cases" => args.cases = value.parse()?,
            "--seconds" => args.seconds = value.parse()?,
            "--concurrency" => args.concurrency = value.parse()?,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(args.seconds <= 300, "--seconds is at most 300");
    Ok(args)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let db = match args.backend.as_str() {
        "sqlite" => TestDb::sqlite(),
        "postgres" => TestDb::postgres()
            .await
            .ok_or_else(|| anyhow::anyhow!("no PostgreSQL answers"))?,
        other => anyhow::bail!("--backend is sqlite or postgres, not {other}"),
    };
    let dir = std::env::temp_dir().join(format!("switchboard-load-{}", std::process::id()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut config = Config {
        data_dir: dir.clone(),
        ..Config::default()
    };
    config.server.listen = listener.local_addr()?;
    config.database.url = Some(db.url.clone());
    config.database.demo_data = Some(true);
    config.database.demo_cases = args.cases;
    config.database.pool_size = 8;
    config.log.filter = "warn".into();
    switchboard::telemetry::init(&config.log);

    let started = Instant::now();
    let app = App::build(config).await?;
    eprintln!(
        "seeded {} cases on {} in {:.1} s",
        args.cases,
        args.backend,
        started.elapsed().as_secs_f64()
    );
    let principal = app
        .store
        .principal_by_email("pat.primary@harborfreight.example")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo user is missing"))?;
    let token = app.state.issuer.mint(&principal.user, 3600)?;
    let db_handle = app.state.db.clone();
    let url = format!("http://{}/graphql", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::new();
    let body = json!({ "query": OVERVIEW, "operationName": "Overview" });
    // Warm up: caches, prepared statements, connections.
    for _ in 0..20 {
        client
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await?
            .error_for_status()?;
    }
    let statements_before = db_handle.statements_run();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, url, token, body) = (client.clone(), url.clone(), token.clone(), body.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = match client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => r
                        .json::<serde_json::Value>()
                        .await
                        .map(|v| v.get("errors").is_none())
                        .unwrap_or(false),
                    _ => false,
                };
                if ok {
                    latencies.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (l, e) = worker.await?;
        latencies.extend(l);
        errors += e;
    }
    let statements = db_handle.statements_run() - statements_before;
    let _ = stop.send(());
    let _ = server.await;
    let _ = std::fs::remove_dir_all(&dir);

    latencies.sort();
    let n = latencies.len().max(1);
    let pct = |p: f64| {
        latencies
            .get(((n as f64 * p) as usize).min(n - 1))
            .copied()
            .unwrap_or_default()
    };
    println!("backend:        {}", args.backend);
    println!("cases:          {}", args.cases);
    println!("concurrency:    {}", args.concurrency);
    println!(
        "requests:       {} ok, {errors} failed, in {} s",
        latencies.len(),
        args.seconds
    );
    println!(
        "throughput:     {:.0} requests/s",
        latencies.len() as f64 / args.seconds as f64
    );
    println!(
        "latency:        p50 {:?}  p95 {:?}  p99 {:?}",
        pct(0.50),
        pct(0.95),
        pct(0.99)
    );
    println!(
        "SQL statements: {:.1} per request",
        statements as f64 / n as f64
    );
    Ok(())
}
