//! Liveness, readiness and the embedded issuer's public documents.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::AppState;

/// The process is up.
pub async fn live() -> &'static str {
    "ok"
}

/// The process can serve: its database answers, the event relay (when
/// events go through PostgreSQL) listens, and every external issuer's keys
/// have been loaded (they stay loaded afterwards).
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.ready().await.is_err() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable".to_string(),
        );
    }
    if state.relay.as_ref().is_some_and(|relay| !relay.listening()) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "event relay not listening".to_string(),
        );
    }
    let waiting: Vec<String> = state
        .callers
        .verifier()
        .readiness()
        .into_iter()
        .filter(|(_, ready)| !ready)
        .map(|(issuer, _)| issuer)
        .collect();
    if waiting.is_empty() {
        (StatusCode::OK, "ready".to_string())
    } else {
        let list = waiting.join(", ");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("keys not loaded yet: {list}"),
        )
    }
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
