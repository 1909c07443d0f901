//! The HTTP server: routes, middleware, and the state they share.

mod billing_downloads;
pub mod documents;
mod downloads;
pub mod drain;
pub mod graphiql;
mod graphql_http;
mod health;
pub mod okta_hook;
mod pages;
pub mod session;
mod sign_in_as;
mod sse;
pub mod webhooks;
pub mod ws;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::routing::{get, post};
use switchboard_core::server::Readiness;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{Callers, EmbeddedIssuer};
use crate::config::{Access, Config};
use crate::graphql::{Ports, SwitchboardSchema};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The schema with its ports.
    pub schema: SwitchboardSchema,
    /// What every operation passes through (limits, introspection, the
    /// audit trail and operation metrics).
    pub gate: Arc<crate::graphql::gate::Gate>,
    /// The ports (downloads call them directly).
    pub ports: Ports,
    /// Token to caller.
    pub callers: Arc<Callers>,
    /// The embedded issuer (its JWKS is served).
    pub issuer: Arc<EmbeddedIssuer>,
    /// The database, for readiness.
    pub db: Arc<dyn Readiness>,
    /// Configuration.
    pub config: Arc<Config>,
    /// GraphiQL's files.
    pub graphiql: Arc<graphiql::Assets>,
    /// Persisted documents and which documents may run.
    pub documents: Arc<documents::Documents>,
    /// Identical WebSocket subscriptions, run once each.
    pub fanout: Arc<ws::fanout::Fanout>,
    /// Operators' GraphiQL sessions and sign-in.
    pub sessions: Arc<session::Sessions>,
    /// The ServiceNow webhook receiver, when cases live in ServiceNow and
    /// a webhook secret is configured.
    pub servicenow_hook: Option<Arc<webhooks::ServiceNowHook>>,
    /// Okta's event hook, when users live in Okta and a hook secret is
    /// configured.
    pub okta_hook: Option<Arc<okta_hook::OktaHook>>,
    /// The event relay between replicas, when events go through PostgreSQL
    /// or NATS.
    pub relay: Option<switchboard_core::events::RelayState>,
    /// Prometheus metrics, unless turned off.
    pub metrics: Option<crate::metrics::Metrics>,
    /// The graceful drain after a stop signal.
    pub drain: drain::Drain,
    /// The audit trail (the port in `ports`), flushed at the exit.
    pub audit: Arc<switchboard_core::audit::Retrying>,
    /// Where rate limits count (for readiness).
    pub limits: crate::limits::Limits,
    /// WebSocket upgrades per client address, when limited.
    pub ws_connects: Option<Arc<crate::limits::RateLimiter>>,
    /// The upstream systems configured (`/readyz` names them).
    pub upstreams: Vec<&'static str>,
}

impl AppState {
    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.config.server.request_timeout_ms)
    }
}

/// Every route.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route(
            "/graphql",
            get(graphql_http::get_or_upgrade).post(graphql_http::post),
        )
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/.well-known/jwks.json", get(health::jwks))
        .route("/.well-known/openid-configuration", get(health::discovery))
        .route("/exports/cases.csv", get(downloads::cases_csv))
        .route("/attachments/{id}", get(downloads::attachment))
        .route("/invoices/{file}", get(billing_downloads::invoice_pdf))
        .route("/usage.csv", get(billing_downloads::usage_csv))
        .route("/usage.xlsx", get(billing_downloads::usage_xlsx))
        .route("/usage.pdf", get(billing_downloads::usage_pdf));
    if state.servicenow_hook.is_some() {
        router = router.route("/webhooks/servicenow", post(webhooks::servicenow));
    }
    if state.okta_hook.is_some() {
        router = router.route(
            "/webhooks/okta",
            get(okta_hook::verify).post(okta_hook::deliver),
        );
    }
    if state.config.graphiql_access() != Access::Off {
        router = router
            .route("/graphiql", get(graphiql::page))
            .route("/graphiql/assets/{digest}/{name}", get(graphiql::asset))
            .route("/graphiql/login", get(session::login))
            .route("/graphiql/callback", get(session::callback))
            .route("/graphiql/logout", post(session::logout));
        if !state.sessions.demo_users().is_empty() {
            router = router.route("/graphiql/sign-in-as", post(sign_in_as::sign_in_as));
        }
    }
    let measured = state.metrics.is_some();
    let draining = state.drain.clone();
    if let Some(metrics) = &state.metrics
        && state.config.metrics.listen.is_none()
    {
        let metrics = metrics.clone();
        router = router.route("/metrics", get(move || async move { metrics.render() }));
    }
    let router = router.with_state(state);
    let router = if measured {
        router.layer(axum::middleware::from_fn(crate::metrics::track_http))
    } else {
        router
    };
    let router = router
        .layer(axum::middleware::from_fn_with_state(
            draining,
            drain::connection_close,
        ))
        .layer(CatchPanicLayer::custom(graphql_http::panic_response))
        .layer(TraceLayer::new_for_http());
    if crate::telemetry::tracing_on() {
        router.layer(axum::middleware::from_fn(crate::telemetry::http_span))
    } else {
        router
    }
}

/// `/metrics` alone, for `metrics.listen`.
pub fn metrics_router(metrics: crate::metrics::Metrics) -> Router {
    Router::new().route("/metrics", get(move || async move { metrics.render() }))
}

/// Whether the request's `Origin` is the gateway's public origin.
pub(crate) fn same_origin(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    let public = state.config.public_url();
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|origin| origin_of(&public) == origin.trim_end_matches('/'))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(path) => &url[..after_scheme + path],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_drop_the_path() {
        assert_eq!(origin_of("https://gw.example/api"), "https://gw.example");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
