//! A fake Statuspage for tests and examples: an HTTP server on an ephemeral
//! port that serves `summary.json` and `incidents.json` in the public API
//! v2's shape (string enumerations, ISO-8601 timestamps, some with a
//! `-07:00` offset, the nesting and the extra fields real pages send),
//! starting from the demo page ([`switchboard_core::status::demo`]).
//! Tests change component statuses and inject failures (an HTTP status or
//! a delay) while it runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Value, json};
use switchboard_core::status::{Component, ComponentStatus, Incident, Indicator, demo};

/// The fake page's state.
struct Page {
    components: Vec<Component>,
    incidents: Vec<Incident>,
    failure: Option<u16>,
    delay: Duration,
    requests: u64,
}

/// A running fake Statuspage; stops when dropped.
pub struct FakeStatuspage {
    /// Its base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    page: Arc<Mutex<Page>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeStatuspage {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A Statuspage-like id (12 lowercase letters and digits) derived from `seed`.
fn page_id(seed: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..12)
        .map(|i| alphabet[((h >> (i * 5)) % 36) as usize] as char)
        .collect()
}

impl FakeStatuspage {
    /// Starts the fake on 127.0.0.1 with the demo page as of now.
    pub async fn start() -> std::io::Result<Self> {
        let anchor = Utc::now();
        let mut components = demo::components(anchor);
        for c in &mut components {
            c.id = page_id(&c.name);
        }
        let mut incidents = demo::incidents(anchor);
        for i in &mut incidents {
            i.id = page_id(&i.name);
            for c in &mut i.components {
                c.id = page_id(&c.name);
            }
        }
        let page = Arc::new(Mutex::new(Page {
            components,
            incidents,
            failure: None,
            delay: Duration::ZERO,
            requests: 0,
        }));
        let router = Router::new()
            .route("/api/v2/summary.json", get(summary))
            .route("/api/v2/incidents.json", get(incidents_json))
            .with_state(page.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { url, page, task })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Page) -> T) -> T {
        let mut page = self.page.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut page)
    }

    /// Sets the named component's status (as an operator would on the page).
    pub fn set_component_status(&self, name: &str, status: ComponentStatus) {
        self.with(|p| {
            for c in p.components.iter_mut().filter(|c| c.name == name) {
                c.status = status;
                c.updated_at = Utc::now();
            }
        });
    }

    /// Answers every request with this HTTP status (`None`: heal).
    pub fn fail_with(&self, status: Option<u16>) {
        self.with(|p| p.failure = status);
    }

    /// Waits this long before answering (to exceed a client's timeout).
    pub fn delay(&self, delay: Duration) {
        self.with(|p| p.delay = delay);
    }

    /// How many requests it has answered or refused.
    pub fn requests(&self) -> u64 {
        self.with(|p| p.requests)
    }
}

fn time(t: DateTime<Utc>, offset_hours: i32) -> Value {
    match FixedOffset::west_opt(offset_hours * 3600) {
        Some(zone) => json!(
            t.with_timezone(&zone)
                .to_rfc3339_opts(SecondsFormat::Millis, true)
        ),
        None => json!(t.to_rfc3339_opts(SecondsFormat::Millis, true)),
    }
}

fn component_json(c: &Component, group_id: Option<&str>) -> Value {
    json!({
        "id": c.id, "name": c.name, "status": c.status.as_str(),
        "created_at": time(c.updated_at - chrono::Duration::days(400), 0),
        "updated_at": time(c.updated_at, 0), "position": c.position,
        "description": c.description, "showcase": true, "group_id": group_id,
        "page_id": "sbfakepage01", "group": false, "only_show_if_degraded": false, "start_date": null
    })
}

fn incident_json(i: &Incident) -> Value {
    let updates: Vec<Value> = i.updates.iter().enumerate().map(|(n, u)| json!({
        "id": page_id(&format!("{}{n}", i.id)), "status": u.status.as_str(), "body": u.body,
        "incident_id": i.id, "created_at": time(u.created_at, 7), "updated_at": time(u.created_at, 7),
        "display_at": time(u.created_at, 7), "affected_components": null,
        "deliver_notifications": true, "custom_tweet": null, "tweet_id": null
    })).collect();
    let components: Vec<Value> = i
        .components
        .iter()
        .map(|c| json!({"id": c.id, "name": c.name}))
        .collect();
    json!({
        "id": i.id, "name": i.name, "status": i.status.as_str(), "impact": i.impact.as_str(),
        "created_at": time(i.created_at, 7), "updated_at": time(i.updated_at, 7),
        "monitoring_at": null, "resolved_at": i.resolved_at.map(|t| time(t, 7)),
        "shortlink": format!("http://stspg.io/{}", i.id), "started_at": time(i.created_at, 7),
        "page_id": "sbfakepage01", "incident_updates": updates, "components": components
    })
}

fn page_json() -> Value {
    json!({"id": "sbfakepage01", "name": "Switchboard", "url": "https://status.example.com",
           "time_zone": "America/Tijuana", "updated_at": time(Utc::now(), 7)})
}

/// The failure to answer, after the configured delay, if any.
async fn gate(page: &Arc<Mutex<Page>>) -> Option<Response> {
    let (delay, failure) = {
        let mut p = page.lock().unwrap_or_else(|p| p.into_inner());
        p.requests += 1;
        (p.delay, p.failure)
    };
    tokio::time::sleep(delay).await;
    let status = StatusCode::from_u16(failure?).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    Some((status, "unavailable").into_response())
}

async fn summary(State(page): State<Arc<Mutex<Page>>>) -> Response {
    if let Some(failure) = gate(&page).await {
        return failure;
    }
    let p = page.lock().unwrap_or_else(|p| p.into_inner());
    let groups: Vec<String> =
        p.components
            .iter()
            .filter_map(|c| c.group.clone())
            .fold(Vec::new(), |mut acc, g| {
                if !acc.contains(&g) {
                    acc.push(g);
                }
                acc
            });
    let mut components: Vec<Value> = groups.iter().map(|g| json!({
        "id": page_id(g), "name": g, "status": "operational", "group": true, "position": 0,
        "description": null, "group_id": null, "updated_at": time(Utc::now(), 0),
        "components": p.components.iter().filter(|c| c.group.as_deref() == Some(g)).map(|c| c.id.clone()).collect::<Vec<_>>()
    })).collect();
    for c in &p.components {
        let group = c.group.as_deref().map(page_id);
        components.push(component_json(c, group.as_deref()));
    }
    let open: Vec<&Incident> = p
        .incidents
        .iter()
        .filter(|i| i.resolved_at.is_none())
        .collect();
    let owned: Vec<Incident> = open.iter().map(|i| (*i).clone()).collect();
    let indicator = Indicator::derive(&p.components, &owned);
    axum::Json(json!({
        "page": page_json(),
        "status": {"indicator": indicator.as_str(), "description": indicator.description()},
        "components": components,
        "incidents": open.iter().map(|i| incident_json(i)).collect::<Vec<_>>(),
        "scheduled_maintenances": []
    }))
    .into_response()
}

async fn incidents_json(State(page): State<Arc<Mutex<Page>>>) -> Response {
    if let Some(failure) = gate(&page).await {
        return failure;
    }
    let p = page.lock().unwrap_or_else(|p| p.into_inner());
    axum::Json(json!({
        "page": page_json(),
        "incidents": p.incidents.iter().map(incident_json).collect::<Vec<_>>()
    }))
    .into_response()
}
