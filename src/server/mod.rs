//! The HTTP server: routes, middleware, and the state they share.

mod billing_downloads;
mod downloads;
pub mod graphiql;
mod graphql_http;
mod health;
pub mod session;
mod sse;
pub mod webhooks;
mod ws;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use switchboard_sql::Db;
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
    /// The ports (downloads call them directly).
    pub ports: Ports,
    /// Token to caller.
    pub callers: Arc<Callers>,
    /// The embedded issuer (its JWKS is served).
    pub issuer: Arc<EmbeddedIssuer>,
    /// The database, for readiness.
    pub db: Db,
    /// Configuration.
    pub config: Arc<Config>,
    /// GraphiQL's files.
    pub graphiql: Arc<graphiql::Assets>,
    /// Operators' GraphiQL sessions and sign-in.
    pub sessions: Arc<session::Sessions>,
    /// The ServiceNow webhook receiver, when cases live in ServiceNow and
    /// a webhook secret is configured.
    pub servicenow_hook: Option<Arc<webhooks::ServiceNowHook>>,
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
    if state.config.graphiql_access() != Access::Off {
        router = router
            .route("/graphiql", get(graphiql::page))
            .route("/graphiql/assets/{digest}/{name}", get(graphiql::asset))
            .route("/graphiql/login", get(session::login))
            .route("/graphiql/callback", get(session::callback))
            .route("/graphiql/logout", post(session::logout));
    }
    router
        .with_state(state)
        .layer(CatchPanicLayer::custom(graphql_http::panic_response))
        .layer(TraceLayer::new_for_http())
}
