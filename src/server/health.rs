//! Liveness, readiness and the embedded issuer's public documents.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::AppState;

/// The process is up.
pub async fn live() -> &'static str {
    "ok"
}

/// How long `/readyz` waits for the database before calling it
/// unavailable: a load balancer's probe gets an answer in about a second
/// whatever the database does.
const DATABASE_CHECK: Duration = Duration::from_secs(1);

/// Whether the process can serve, with each backend's state, as JSON:
/// `{"status": "ready"|"unavailable"|"draining" (after a stop signal), "backends": {"database": "ok"|
/// "unavailable"|"timeout", "event_relay": "listening"|"not_listening"
/// (when events go through PostgreSQL), "issuers": {"<issuer>": "ready"|
/// "loading"}, "upstreams": {…} (see [`upstreams`]), "rate_limits": "memory"|"redis"|
/// "redis_unavailable"|"redis_unchecked"}}`;
/// 200 when everything is, else 503. Issuers' keys stay loaded once
/// loaded. The rate-limit store does not decide readiness: without Redis,
/// limits are counted per replica (see [`crate::limits`]).
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let database = match tokio::time::timeout(DATABASE_CHECK, state.db.ready()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(_)) => "unavailable",
        Err(_) => "timeout",
    };
    let mut ready = database == "ok";
    let mut backends = serde_json::json!({ "database": database });
    if let Some(relay) = &state.relay {
        let listening = relay.listening();
        ready &= listening;
        backends["event_relay"] = if listening {
            "listening"
        } else {
            "not_listening"
        }
        .into();
    }
    let mut issuers = serde_json::Map::new();
    for (issuer, loaded) in state.callers.verifier().readiness() {
        ready &= loaded;
        issuers.insert(issuer, if loaded { "ready" } else { "loading" }.into());
    }
    backends["issuers"] = issuers.into();
    backends["upstreams"] = upstreams(&state.upstreams);
    backends["rate_limits"] = state.limits.store_state().as_str().into();
    let draining = state.drain.draining();
    let status = if ready && !draining {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": match (draining, ready) {
            (true, _) => "draining",
            (false, true) => "ready",
            (false, false) => "unavailable",
        },
        "backends": backends,
    });
    (status, Json(body))
}

/// The configured upstream systems, each with how its last call in this
/// process went (`"last_call": "ok"|"error"|"not_sent"` (ServiceNow's
/// breaker was open)|`"none"`, and `"seconds_ago"`). Read from what calls
/// recorded, without calling: they do not decide readiness (an upstream
/// outage is answered BACKEND_UNAVAILABLE by the requests that need it;
/// the replica still serves the rest).
fn upstreams(configured: &[&'static str]) -> serde_json::Value {
    let mut upstreams = serde_json::Map::new();
    for backend in configured {
        let state = match switchboard_core::upstream::last_call(backend) {
            Some(call) => serde_json::json!({
                "last_call": call.outcome,
                "seconds_ago": call.at.elapsed().as_secs(),
            }),
            None => serde_json::json!({ "last_call": "none" }),
        };
        upstreams.insert((*backend).to_string(), state);
    }
    upstreams.into()
}

/// The embedded issuer's public keys.
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    Json(state.issuer.jwks().clone())
}

/// A minimal OpenID discovery document for the embedded issuer.
pub async fn discovery(State(state): State<AppState>) -> impl IntoResponse {
    Json(serde_json::json!({
        "issuer": state.issuer.issuer(),
        "jwks_uri": format!("{}/.well-known/jwks.json", state.config.public_url()),
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "subject_types_supported": ["public"],
        "response_types_supported": ["token"],
    }))
}
