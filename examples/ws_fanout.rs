//! Subscriptions at scale: memory per WebSocket subscriber and how fast an
//! event reaches all of them.
//!
//! ```text
//! cargo build --release --bin switchboard --example ws_fanout
//! target/release/examples/ws_fanout --subscribers 10000 --events 20
//! ```
//!
//! It starts the release gateway (`target/release/switchboard`, beside this
//! example) as a child process on a loopback port over a fresh embedded
//! database, so the resident memory it reports is the gateway's alone. It
//! opens `--subscribers` WebSocket connections speaking graphql-transport-ws
//! as the graphql-ws client does (`connection_init` with a token, then one
//! `caseEvents` subscription each), spread over the five demo users of
//! account 1234567890, and reads the gateway's RSS before, once every
//! connection is acknowledged and subscribed, and at the end. Then it adds
//! `--events` comments to one of that account's cases, `--interval-ms`
//! apart, and measures for every subscriber the time from the mutation's
//! request to the event's arrival. Identical subscriptions of one user share
//! one execution; `--distinct-documents` gives each subscriber a document
//! of its own (an alias), the worst case. Traffic goes to 127.0.0.1 only and stops
//! by itself. Each side holds one socket per subscriber, so `ulimit -n`
//! must exceed `--subscribers` (10,000 needs the default raised on some
//! machines).
//!
//! Across replicas:
//!
//! ```text
//! target/release/examples/ws_fanout --replicas 3 --database-url postgres://… --subscribers 1000
//! ```
//!
//! starts three gateway processes on that PostgreSQL database (the first
//! fills it with demo data when it is empty), spreads the subscribers over
//! them in turn, and writes through the first: two thirds of the
//! deliveries cross replicas through the database (LISTEN/NOTIFY), or
//! through NATS JetStream with `--nats nats://127.0.0.1:4222` (on a stream
//! of the run's own, `SWITCHBOARD_FANOUT_<pid>`, whose messages expire after
//! the gateway's retention; the empty stream stays). It reports the
//! latencies of subscribers on the writing replica and on the others apart.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use common::{ACCOUNT, ChildGateway, Replica, mib, own_cpu, percentile};

const SUBSCRIPTION: &str = "subscription($a: ID) { caseEvents(accountId: $a) { kind at case { number state title updatedAt } } }";

struct Args {
    subscribers: usize,
    events: usize,
    interval_ms: u64,
    distinct: bool,
    replicas: usize,
    database_url: Option<String>,
    nats_url: Option<String>,
}

fn args() -> anyhow::Result<Args> {
    let mut args = Args {
        subscribers: 10_000,
        events: 20,
        interval_ms: 1000,
        distinct: false,
        replicas: 1,
        database_url: None,
        nats_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--distinct-documents" {
            args.distinct = true;
            continue;
        }
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--subscribers" => args.subscribers = value.parse()?,
            "--events" => args.events = value.parse()?,
            "--interval-ms" => args.interval_ms = value.parse()?,
            "--replicas" => args.replicas = value.parse()?,
            "--database-url" => args.database_url = Some(value),
            "--nats" => args.nats_url = Some(value),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(args.replicas >= 1, "--replicas must be at least 1");
    anyhow::ensure!(
        args.replicas == 1 || args.database_url.is_some(),
        "several replicas share a PostgreSQL database: add --database-url postgres://…"
    );
    anyhow::ensure!(
        args.nats_url.is_none() || args.database_url.is_some(),
        "--nats goes with --database-url (replicas share the database too)"
    );
    Ok(args)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One subscriber's connection, acknowledged and subscribed.
async fn connect(base: &str, token: &str, query: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{base}/graphql").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    // Events are a few hundred bytes; the read buffer is zeroed on every
    // read, so a small one keeps this tool's share of the cores small.
    let config = WebSocketConfig::default()
        .read_buffer_size(512)
        .write_buffer_size(0);
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), false).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await?;
    match socket.next().await {
        Some(Ok(Message::Text(text))) if text.contains("connection_ack") => {}
        other => anyhow::bail!("no acknowledgement: {other:?}"),
    }
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "a": ACCOUNT } } });
    socket.send(Message::text(subscribe.to_string())).await?;
    Ok(socket)
}

/// Notes when each of `events` events arrives, until `deadline`. The
/// socket is handed back open: a subscriber that has heard every event
/// stays connected while the others still hear theirs (otherwise the last
/// event would be measured against thousands of disconnections).
async fn listen(
    mut socket: Socket,
    events: usize,
    deadline: tokio::time::Instant,
) -> anyhow::Result<(Vec<Instant>, Socket)> {
    let mut arrivals = Vec::with_capacity(events);
    // One deadline for the whole wait: a timer per message would cost this
    // tool CPU that the gateway, on the same cores, would miss.
    let heard = tokio::time::timeout_at(deadline, async {
        while arrivals.len() < events {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    if text.contains("\"type\":\"next\"") {
                        arrivals.push(Instant::now());
                    } else if text.contains("\"type\":\"ping\"") {
                        socket.send(Message::text(r#"{"type":"pong"}"#)).await?;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            }
        }
        anyhow::Ok(())
    })
    .await;
    if let Ok(Err(e)) = heard {
        return Err(e);
    }
    Ok((arrivals, socket))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let mut replicas = Vec::with_capacity(args.replicas);
    let nats = args.nats_url.as_deref().map(|url| {
        let stream = format!("SWITCHBOARD_FANOUT_{}", std::process::id());
        (url, stream)
    });
    for _ in 0..args.replicas {
        let gateway = match args.database_url.as_deref() {
            Some(url) => {
                let replica = Replica {
                    database_url: url,
                    nats: nats.as_ref().map(|(url, stream)| (*url, stream.as_str())),
                    data: replicas
                        .first()
                        .map(|first: &ChildGateway| first.data.as_path()),
                };
                ChildGateway::start_on("ws-fanout", 300, Some(replica)).await?
            }
            None => ChildGateway::start("ws-fanout", 300).await?,
        };
        replicas.push(gateway);
    }
    let gateway = &replicas[0];
    let tokens = gateway.tokens.clone();
    let http = reqwest::Client::new();
    let graphql = format!("http://{}/graphql", gateway.addr);
    let writer = &tokens[0];
    let list: Value = http
        .post(&graphql)
        .bearer_auth(writer)
        .json(&json!({ "query": "query($a: ID!) { cases(filter: { accountIds: [$a], states: [NEW, OPEN] }, first: 1) { nodes { id } } }", "variables": { "a": ACCOUNT } }))
        .send()
        .await?
        .json()
        .await?;
    let case_id = list["data"]["cases"]["nodes"][0]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no open case: {list}"))?
        .to_string();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = |replicas: &[ChildGateway]| replicas.iter().map(ChildGateway::rss).sum::<u64>();
    let cpu = |replicas: &[ChildGateway]| replicas.iter().map(ChildGateway::cpu).sum::<Duration>();
    let rss_start = rss(&replicas);

    // Connect and subscribe, a few hundred handshakes at a time.
    let ready = Arc::new(AtomicUsize::new(0));
    let deadline = tokio::time::Instant::now()
        + Duration::from_secs(300)
        + Duration::from_millis(args.interval_ms * args.events as u64);
    let started = Instant::now();
    let handshakes = Arc::new(tokio::sync::Semaphore::new(256));
    let mut tasks = Vec::with_capacity(args.subscribers);
    for i in 0..args.subscribers {
        // In turn over the replicas; the writer is the first.
        let base = replicas[i % replicas.len()].addr.clone();
        let token = tokens[i % tokens.len()].clone();
        // Identical subscriptions of one user share one execution; an
        // alias of its own makes each subscriber's document unique.
        let query = if args.distinct {
            SUBSCRIPTION.replacen("caseEvents", &format!("e{i}: caseEvents"), 1)
        } else {
            SUBSCRIPTION.to_string()
        };
        let (ready, handshakes, events) = (ready.clone(), handshakes.clone(), args.events);
        tasks.push(tokio::spawn(async move {
            let socket = {
                let _permit = handshakes.acquire_owned().await?;
                connect(&base, &token, &query).await?
            };
            ready.fetch_add(1, Ordering::SeqCst);
            listen(socket, events, deadline).await
        }));
    }
    while ready.load(Ordering::SeqCst) < args.subscribers {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "only {} of {} subscribed",
            ready.load(Ordering::SeqCst),
            args.subscribers
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let connect_secs = started.elapsed().as_secs_f64();
    // Let the last subscriptions register, then weigh the gateway.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_subscribed = rss(&replicas);

    // The events.
    let (gateway_cpu, tool_cpu) = (cpu(&replicas), own_cpu());
    let mut sent = Vec::with_capacity(args.events);
    let mut answered = Vec::with_capacity(args.events);
    for n in 0..args.events {
        let at = Instant::now();
        let response: Value = http
            .post(&graphql)
            .bearer_auth(writer)
            .json(&json!({ "query": "mutation($id: ID!, $b: String!) { addCaseComment(caseId: $id, body: $b) { id } }", "variables": { "id": case_id, "b": format!("fan-out event {n}") } }))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(response.get("errors").is_none(), "{response}");
        sent.push(at);
        answered.push(at.elapsed());
        tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
    }
    let events = args.events.max(1) as u32;
    let gateway_cpu = cpu(&replicas).saturating_sub(gateway_cpu) / events;
    let tool_cpu = own_cpu().saturating_sub(tool_cpu) / events;
    let mut latencies = Vec::new();
    // Subscribers on the writing replica, and on the others.
    let (mut local, mut remote) = (Vec::new(), Vec::new());
    let mut per_event = vec![Vec::new(); args.events];
    let mut open = Vec::with_capacity(args.subscribers);
    let mut failed = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await? {
            Ok((arrivals, socket)) => {
                open.push(socket);
                for (n, arrival) in arrivals.iter().enumerate() {
                    let latency = arrival.saturating_duration_since(sent[n]);
                    per_event[n].push(latency);
                    latencies.push(latency);
                    if i % replicas.len() == 0 {
                        local.push(latency);
                    } else {
                        remote.push(latency);
                    }
                }
            }
            Err(_) => failed += 1,
        }
    }
    for latencies in &mut per_event {
        latencies.sort();
    }
    // When each event reached its first subscriber, and the slowest event
    // by its own p99.
    let mut first: Vec<Duration> = per_event
        .iter()
        .map(|l| l.first().copied().unwrap_or(Duration::MAX))
        .collect();
    let worst = per_event
        .iter()
        .map(|l| percentile(l, 0.99))
        .max()
        .unwrap_or_default();
    // Every subscriber leaves; the gateway settles before it is weighed.
    drop(open);
    tokio::time::sleep(Duration::from_secs(2)).await;
    local.sort();
    remote.sort();
    answered.sort();
    first.sort();
    let rss_end = rss(&replicas);
    latencies.sort();
    let expected = args.subscribers * args.events;
    let per_subscriber = rss_subscribed.saturating_sub(rss_start) / args.subscribers.max(1) as u64;
    println!(
        "| subscribers | events | delivered | RSS before | RSS subscribed | RSS once they left | per subscriber | p50 | p99 | max |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {}/{} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.1} KiB | {:.1} ms | {:.1} ms | {:.1} ms |",
        args.subscribers,
        args.events,
        latencies.len(),
        expected,
        mib(rss_start),
        mib(rss_subscribed),
        mib(rss_end),
        per_subscriber as f64 / 1024.0,
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
    println!(
        "the mutation answered in {:.1} ms (median); the first subscriber heard it after {:.1} ms (median); \
         CPU per event: gateway {:.0} ms, this load tool {:.0} ms (both on the same {} cores); \
         p90 {:.1} ms, p95 {:.1} ms; the slowest event's own p99 {:.1} ms",
        percentile(&answered, 0.5).as_secs_f64() * 1000.0,
        percentile(&first, 0.5).as_secs_f64() * 1000.0,
        gateway_cpu.as_secs_f64() * 1000.0,
        tool_cpu.as_secs_f64() * 1000.0,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        percentile(&latencies, 0.90).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.95).as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0,
    );
    let each: Vec<String> = per_event
        .iter()
        .map(|l| format!("{:.0}", percentile(l, 0.99).as_secs_f64() * 1000.0))
        .collect();
    println!("each event's p99 in turn (ms): {}", each.join(" "));
    if replicas.len() > 1 {
        println!(
            "{} replicas (RSS and CPU summed over them): on the writing replica p50 {:.1} ms, p99 {:.1} ms ({} deliveries); \
             on the others, through {}, p50 {:.1} ms, p99 {:.1} ms ({} deliveries)",
            replicas.len(),
            percentile(&local, 0.50).as_secs_f64() * 1000.0,
            percentile(&local, 0.99).as_secs_f64() * 1000.0,
            local.len(),
            if nats.is_some() {
                "NATS JetStream"
            } else {
                "PostgreSQL"
            },
            percentile(&remote, 0.50).as_secs_f64() * 1000.0,
            percentile(&remote, 0.99).as_secs_f64() * 1000.0,
            remote.len(),
        );
    }
    println!(
        "connected and subscribed in {connect_secs:.1} s; {failed} subscribers failed; every event is a comment on one case of account {ACCOUNT}, {} ms apart; {}",
        args.interval_ms,
        if args.distinct {
            "every subscriber's document is its own (no shared execution)"
        } else {
            "subscribers run one document as five users (five shared executions)"
        }
    );
    anyhow::ensure!(
        failed == 0 && latencies.len() == expected,
        "deliveries were lost"
    );
    Ok(())
}
