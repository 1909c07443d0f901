//! How much a deep page of the case list costs against the first: page 1
//! and page 500 (50 cases a page) of every ordering the list offers, read
//! through the SQL adapter's port on SQLite and on PostgreSQL.
//!
//! ```text
//! cargo run --release --example page_depth -- --cases 100000
//! cargo run --release --example page_depth -- --cases 100000 --backend postgres
//! ```
//!
//! Flags: `--backend sqlite|postgres|both` (default both), `--cases`
//! (default 100,000, over the two demo accounts, so the first account holds
//! about half of them), `--rounds` (timed reads of each page, default 21).
//!
//! For each backend it seeds a fresh database (a temporary SQLite file, or
//! a temporary schema in the PostgreSQL named by
//! SWITCHBOARD_TEST_DATABASE_URL), then for each ordering walks to page 500
//! of the first demo account's cases and reads pages 1, 2 and 500 in
//! turn, `--rounds` times each, and prints the medians and the ratios of
//! page 500 to page 1 and to page 2 (the first page read after a cursor).
//! Every read is the port call the Support list makes (`list_cases`), so
//! the gateway's own work, the same for both pages, is left out.

use std::time::{Duration, Instant};

use switchboard_core::cases::prelude::*;
use switchboard_core::cases::{CaseFilter, CaseOrder, CaseOrderField, Direction};
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_core::{PageRequest, Scope};
use switchboard_sql::SqlStore;
use switchboard_sql::testing::TestDb;

const PAGE: usize = 50;
const DEEP: usize = 500;

struct Args {
    backends: Vec<String>,
    cases: usize,
    rounds: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args {
        backends: vec!["sqlite".into(), "postgres".into()],
        cases: 100_000,
        rounds: 21,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--backend" if value == "both" => {}
            "--backend" => args.backends = vec![value],
            "--cases" => args.cases = value.parse()?,
            "--rounds" => args.rounds = value.parse::<usize>()?.max(1),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(
        args.cases / 2 > PAGE * DEEP,
        "--cases must give the first account more than {} cases",
        PAGE * DEEP
    );
    Ok(args)
}

fn orderings() -> Vec<CaseOrder> {
    let fields = [
        CaseOrderField::Number,
        CaseOrderField::Opened,
        CaseOrderField::Updated,
        CaseOrderField::State,
        CaseOrderField::Priority,
    ];
    fields
        .into_iter()
        .flat_map(|field| {
            [Direction::Asc, Direction::Desc].map(|direction| CaseOrder { field, direction })
        })
        .collect()
}

/// The time one read of the page after `after` takes.
async fn read(
    store: &SqlStore,
    scope: &Scope,
    order: CaseOrder,
    after: Option<String>,
) -> anyhow::Result<Duration> {
    let page = PageRequest { first: PAGE, after };
    let started = Instant::now();
    let read = store
        .list_cases(scope, &CaseFilter::default(), order, &page)
        .await?;
    let took = started.elapsed();
    anyhow::ensure!(read.items.len() == PAGE, "a short page");
    Ok(took)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn measure(backend: &str, args: &Args) -> anyhow::Result<()> {
    let Some(db) = TestDb::named(backend).await else {
        println!("{backend}: no database answers, skipped");
        return Ok(());
    };
    let started = Instant::now();
    let store = db.seeded(2, args.cases, 42, (2026, 12, 1)).await?;
    println!(
        "{backend}: seeded {} cases in {:.0?}",
        args.cases,
        started.elapsed()
    );
    let scope = Scope::new([DEMO_ACCOUNTS[0].0.to_string()]);
    println!("| Backend | Ordering | Page 1 | Page 2 | Page {DEEP} | {DEEP} vs 1 | {DEEP} vs 2 |");
    println!("|---|---|---|---|---|---|---|");
    for order in orderings() {
        let (mut after, mut second) = (None, None);
        for n in 1..DEEP {
            let page = PageRequest {
                first: PAGE,
                after: after.clone(),
            };
            let read = store
                .list_cases(&scope, &CaseFilter::default(), order, &page)
                .await?;
            after = read.end_cursor().map(str::to_string);
            if n == 1 {
                second = after.clone();
            }
        }
        anyhow::ensure!(after.is_some(), "the list ended before page {DEEP}");
        let (mut first, mut next, mut deep) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            first.push(read(&store, &scope, order, None).await?);
            next.push(read(&store, &scope, order, second.clone()).await?);
            deep.push(read(&store, &scope, order, after.clone()).await?);
        }
        let (first, next, deep) = (median(first), median(next), median(deep));
        println!(
            "| {backend} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2}× | {:.2}× |",
            order.name(),
            ms(first),
            ms(next),
            ms(deep),
            deep.as_secs_f64() / first.as_secs_f64(),
            deep.as_secs_f64() / next.as_secs_f64()
        );
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    for backend in &args.backends {
        measure(backend, &args).await?;
    }
    Ok(())
}
