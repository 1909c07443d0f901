//! switchboard's Statuspage adapter: a read-only [`StatusSource`] over a
//! Statuspage page's public API v2 (`/api/v2/summary.json` and
//! `/api/v2/incidents.json`).
//!
//! Settings read (through [`Options`]): the page's base URL, the cache TTL,
//! how long a stale summary is served while the page fails, and the
//! request timeout.
//!
//! - A fetched body is served for `ttl`; one fetch is in flight at a time
//!   (callers wait for it and share its result).
//! - When a fetch fails, the last good summary is served until it is
//!   `stale_for` old; after that reads are `Unavailable` naming `statuspage`.
//! - A background poller refetches every `ttl` (at least a second) and
//!   publishes [`StatusChange::Summary`] when the summary differs from the
//!   last one. It runs on the replica holding the lease
//!   `statuspage-poller` (always, since subscribers may be on any replica),
//!   or, in one process, while someone subscribes to the [`StatusBus`];
//!   only that replica publishes changes, so each is announced once. It
//!   holds only a weak reference and ends when the source is dropped (the
//!   gateway's state, when the server stops).
//!

mod wire;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use switchboard_core::lease::{Leases, while_held};
use switchboard_core::status::{
    Incident, StatusAdmin, StatusBus, StatusChange, StatusSource, Summary,
};
use switchboard_core::{Error, Result};
use tokio::sync::Mutex;

/// The backend name this adapter reports in errors and logs.
pub const BACKEND: &str = "statuspage";

/// How the page is read.
#[derive(Debug, Clone)]
pub struct Options {
    /// The page's base URL, e.g. `https://status.example.com`.
    pub url: String,
    /// How long a fetched body is served.
    pub ttl: Duration,
    /// How long the last good summary is served while the page fails.
    pub stale_for: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
}

/// Why a fetch failed (logged, then mapped to [`Error::Unavailable`]).
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the page answered HTTP {0}")]
    Status(u16),
    #[error("the body does not follow the contract: {0}")]
    Body(#[from] serde_json::Error),
    #[error("the body does not follow the contract: {0}")]
    Value(#[from] wire::UnknownValue),
}

/// A body as last fetched.
struct Cached<T> {
    value: T,
    /// When it was last tried (a failure counts, so a failing page is not hammered).
    tried_at: Instant,
    /// When it was last fetched successfully.
    good_at: Instant,
}

struct Inner {
    http: reqwest::Client,
    options: Options,
    bus: StatusBus,
    summary: Mutex<Option<Cached<Summary>>>,
    recent: Mutex<Option<Cached<Vec<Incident>>>>,
    /// Whether this replica announces changes (it holds the poller's lease).
    publishing: AtomicBool,
}

/// The Statuspage [`StatusSource`]. Read-only: [`StatusSource::admin`] is `None`.
#[derive(Clone)]
pub struct StatuspageSource {
    inner: Arc<Inner>,
}

impl StatuspageSource {
    /// A source over `options.url` that publishes changes on `bus`. Starts
    /// the poller, under `leases`, when called inside a tokio runtime.
    pub fn new(options: Options, bus: StatusBus, leases: Arc<dyn Leases>) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                tracing::error!(adapter.name = BACKEND, error = %e, "cannot build the HTTP client");
                Error::Internal
            })?;
        let inner = Arc::new(Inner {
            http,
            options,
            bus,
            summary: Mutex::new(None),
            recent: Mutex::new(None),
            // One process announces from the start.
            publishing: AtomicBool::new(!leases.clustered()),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let inner = Arc::downgrade(&inner);
            runtime.spawn(async move {
                let always = leases.clustered();
                while_held(leases, LEASE, |lease| poll(inner.clone(), always, lease)).await;
            });
        }
        Ok(Self { inner })
    }
}

/// The lease the poller runs under.
pub const LEASE: &str = "statuspage-poller";

/// Announces changes while it runs (its lease is held).
struct Publishing(Weak<Inner>);

impl Drop for Publishing {
    fn drop(&mut self) {
        if let Some(inner) = self.0.upgrade() {
            inner.publishing.store(false, Ordering::Relaxed);
        }
    }
}

/// Refetches, `always` or while someone subscribes here, and announces
/// changes while it runs and its lease is confirmed; ends when the source
/// is dropped.
async fn poll(inner: Weak<Inner>, always: bool, lease: Arc<switchboard_core::lease::Lease>) {
    let interval = match inner.upgrade() {
        Some(i) => {
            i.publishing.store(true, Ordering::Relaxed);
            i.options.ttl.max(Duration::from_secs(1))
        }
        None => return,
    };
    let _publishing = Publishing(inner.clone());
    loop {
        tokio::time::sleep(interval).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        if always || inner.bus.subscribers() > 0 {
            if lease.confirm().await.is_err() {
                // Lost meanwhile: the new holder announces; the caller stops
                // this when the loss shows.
                inner.publishing.store(false, Ordering::Relaxed);
                drop(inner);
                return std::future::pending().await;
            }
            // Errors are logged by the fetch; the next tick tries again.
            let _ = inner.summary().await;
        }
    }
}

impl Inner {
    /// [`Inner::fetch`], timed into `switchboard_backend_call_duration_seconds`
    /// (`path` is one of the page's fixed documents).
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &'static str,
    ) -> Result<T, FetchError> {
        switchboard_core::upstream::traced(BACKEND, path.to_string(), self.fetch(path), |result| {
            if result.is_ok() { "ok" } else { "error" }
        })
        .await
    }

    async fn fetch<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, FetchError> {
        let url = format!("{}/api/v2/{path}", self.options.url.trim_end_matches('/'));
        let mut request = self.http.get(url);
        if let Some(traceparent) = switchboard_core::upstream::traceparent() {
            request = request.header("traceparent", traceparent);
        }
        let response = request.send().await?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let bytes = response.bytes().await?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    async fn fetch_summary(&self) -> Result<Summary, FetchError> {
        let body: wire::SummaryBody = self.get("summary.json").await?;
        Ok(body.into_domain()?)
    }

    async fn fetch_recent(&self) -> Result<Vec<Incident>, FetchError> {
        let body: wire::IncidentsBody = self.get("incidents.json").await?;
        Ok(body.into_domain()?)
    }

    async fn summary(&self) -> Result<Summary> {
        let mut slot = self.summary.lock().await;
        let before = slot.as_ref().map(|c| c.value.clone());
        let summary = cached(&mut slot, &self.options, || self.fetch_summary()).await?;
        if before.is_some_and(|b| b != summary) && self.publishing.load(Ordering::Relaxed) {
            self.bus.publish(StatusChange::Summary);
        }
        Ok(summary)
    }

    async fn recent(&self) -> Result<Vec<Incident>> {
        let mut slot = self.recent.lock().await;
        cached(&mut slot, &self.options, || self.fetch_recent()).await
    }
}

/// The cached value while fresh; otherwise a fetch, falling back to the
/// last good value while it is younger than `stale_for`.
async fn cached<T: Clone, F>(
    slot: &mut Option<Cached<T>>,
    options: &Options,
    fetch: impl FnOnce() -> F,
) -> Result<T>
where
    F: Future<Output = Result<T, FetchError>>,
{
    if let Some(c) = slot.as_ref()
        && c.tried_at.elapsed() < options.ttl
        && c.good_at.elapsed() < options.stale_for.max(options.ttl)
    {
        return Ok(c.value.clone());
    }
    let now = Instant::now();
    match fetch().await {
        Ok(value) => {
            *slot = Some(Cached {
                value: value.clone(),
                tried_at: now,
                good_at: now,
            });
            Ok(value)
        }
        Err(error) => {
            tracing::warn!(adapter.name = BACKEND, %error, "the status page could not be read");
            match slot.as_mut() {
                Some(c) if c.good_at.elapsed() < options.stale_for => {
                    c.tried_at = now;
                    Ok(c.value.clone())
                }
                _ => Err(Error::unavailable(BACKEND)),
            }
        }
    }
}

#[async_trait]
impl StatusSource for StatuspageSource {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn summary(&self) -> Result<Summary> {
        self.inner.summary().await
    }

    async fn incident(&self, id: &str) -> Result<Incident> {
        let not_found = || Error::not_found(format!("incident {id}"));
        if id.is_empty() {
            return Err(not_found());
        }
        let open = self.inner.summary().await?;
        if let Some(found) = open.incidents.into_iter().find(|i| i.id == id) {
            return Ok(found);
        }
        let recent = self.inner.recent().await?;
        recent
            .into_iter()
            .find(|i| i.id == id)
            .ok_or_else(not_found)
    }

    async fn recent_incidents(&self, limit: usize) -> Result<Vec<Incident>> {
        let mut recent = self.inner.recent().await?;
        recent.truncate(limit);
        Ok(recent)
    }

    fn admin(&self) -> Option<&dyn StatusAdmin> {
        None
    }
}
