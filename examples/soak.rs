//! Memory under steady load: does the gateway's resident memory stay flat?
//!
//! ```text
//! cargo build --release --bin switchboard --example soak
//! target/release/examples/soak --rate 100 --minutes 10
//! ```
//!
//! It starts the release gateway (`target/release/switchboard`) as a child
//! process over a fresh embedded database, then sends `--rate` requests a
//! second, at a fixed rate whatever the answers take, for `--minutes`: the
//! portal's pages in turn (the overview, the Support list, a case's detail,
//! the billing page, system status) as the five demo users of one account.
//! It samples the gateway's RSS every `--sample-secs` and reports the
//! growth after `--warm-up-secs` (the target: within 10%). Traffic goes to
//! 127.0.0.1 only and stops by itself.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::{ACCOUNT, ChildGateway, mib, own_cpu, percentile};

const OVERVIEW: &str = include_str!("overview.graphql");
const SUPPORT_LIST: &str = include_str!("support-list.graphql");
const CASE_DETAIL: &str = include_str!("case-detail.graphql");
const BILLING: &str = include_str!("billing.graphql");
const STATUS: &str = include_str!("status.graphql");

struct Args {
    rate: u64,
    minutes: u64,
    sample_secs: u64,
    warm_up_secs: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args {
        rate: 100,
        minutes: 10,
        sample_secs: 30,
        warm_up_secs: 120,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--rate" => args.rate = value.parse()?,
            "--minutes" => args.minutes = value.parse()?,
            "--sample-secs" => args.sample_secs = value.parse()?,
            "--warm-up-secs" => args.warm_up_secs = value.parse()?,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(
        args.rate > 0 && args.minutes > 0,
        "--rate and --minutes must be positive"
    );
    Ok(args)
}

/// The requests sent in turn: (document, operation, variables).
fn pages(case_number: &str) -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (OVERVIEW, "Overview", json!({ "accountId": ACCOUNT })),
        (SUPPORT_LIST, "SupportList", json!({ "first": 25 })),
        (CASE_DETAIL, "CaseDetail", json!({ "number": case_number })),
        (BILLING, "BillingPage", json!({ "accountId": ACCOUNT })),
        (STATUS, "SystemStatus", json!({})),
    ]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let gateway = ChildGateway::start("soak", 3000).await?;
    let url = format!("http://{}/graphql", gateway.addr);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(30))
        .build()?;
    let list: Value = http
        .post(&url)
        .bearer_auth(&gateway.tokens[0])
        .json(&json!({ "query": "{ cases(first: 1) { nodes { number } } }" }))
        .send()
        .await?
        .json()
        .await?;
    let number = list["data"]["cases"]["nodes"][0]["number"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no case: {list}"))?
        .to_string();
    let pages = Arc::new(pages(&number));
    let failures = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));

    let (gateway_cpu, tool_cpu) = (gateway.cpu(), own_cpu());
    let started = Instant::now();
    let total = Duration::from_secs(args.minutes * 60);
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / args.rate as u32);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut next_sample = Duration::ZERO;
    let mut samples: Vec<(Duration, u64)> = Vec::new();
    let mut sent = 0usize;
    println!("| elapsed | RSS |");
    println!("|---|---|");
    while started.elapsed() < total {
        ticker.tick().await;
        if started.elapsed() >= next_sample {
            let rss = gateway.rss();
            println!("| {:>4} s | {:.1} MiB |", next_sample.as_secs(), mib(rss));
            samples.push((next_sample, rss));
            next_sample += Duration::from_secs(args.sample_secs);
        }
        let (document, operation, variables) = pages[sent % pages.len()].clone();
        let token = gateway.tokens[sent % gateway.tokens.len()].clone();
        sent += 1;
        let (http, url, failures, latencies) = (
            http.clone(),
            url.clone(),
            failures.clone(),
            latencies.clone(),
        );
        tokio::spawn(async move {
            let at = Instant::now();
            let body =
                json!({ "query": document, "operationName": operation, "variables": variables });
            let ok = match http.post(&url).bearer_auth(token).json(&body).send().await {
                Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                Err(_) => false,
            };
            if ok {
                latencies
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(at.elapsed());
            } else {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let requests = sent.max(1) as u32;
    let gateway_cpu = gateway.cpu().saturating_sub(gateway_cpu) / requests;
    let tool_cpu = own_cpu().saturating_sub(tool_cpu) / requests;
    let end = gateway.rss();
    samples.push((started.elapsed(), end));
    println!(
        "| {:>4} s | {:.1} MiB |",
        started.elapsed().as_secs(),
        mib(end)
    );

    let warm_up = Duration::from_secs(args.warm_up_secs);
    let after: Vec<u64> = samples
        .iter()
        .filter(|(at, _)| *at >= warm_up)
        .map(|(_, rss)| *rss)
        .collect();
    let first = after.first().copied().unwrap_or(end);
    let highest = after.iter().copied().max().unwrap_or(end);
    let mut latencies = latencies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    latencies.sort();
    let seconds = started.elapsed().as_secs_f64();
    println!();
    println!(
        "| rate | minutes | requests | failed | p50 | p99 | RSS at warm-up end | highest after | at the end | growth after warm-up |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {:.0}/s | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:+.1}% |",
        sent as f64 / seconds,
        args.minutes,
        sent,
        failures.load(Ordering::Relaxed),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        mib(first),
        mib(highest),
        mib(end),
        (highest as f64 / first.max(1) as f64 - 1.0) * 100.0,
    );
    println!(
        "CPU per request: gateway {:.2} ms, this load tool {:.2} ms",
        gateway_cpu.as_secs_f64() * 1000.0,
        tool_cpu.as_secs_f64() * 1000.0
    );
    Ok(())
}
