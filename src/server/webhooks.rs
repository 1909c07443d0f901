//! `POST /webhooks/servicenow`: record changes a ServiceNow business rule or
//! flow posts, so subscribers see what agents do inside the instance.
//!
//! The instance signs each post with the shared `cases.webhook_secret`:
//! - `X-Switchboard-Timestamp`: Unix seconds when it was sent; refused
//!   when further than `cases.webhook_tolerance_secs` from now;
//! - `X-Switchboard-Signature`: `sha256=` and the lowercase hex
//!   HMAC-SHA256 of `<timestamp>.<raw body>`.
//!
//! A signature already accepted within the tolerance window is a replay: it
//! is acknowledged and ignored. The body names the record
//! (`{"table", "sys_id", "number", "operation", "changed": [fields]}`), but
//! nothing in it is trusted beyond the record's id: the case's number and
//! account are read back from ServiceNow before an event is published.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use switchboard_core::{CaseEvent, CaseEventKind, Error, EventBus};
use switchboard_servicenow::ServiceNow;

use super::AppState;
use super::graphql_http::{Media, error_response};
use crate::graphql::errors::Code;

/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-switchboard-timestamp";
/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-switchboard-signature";

/// What a record-change post says.
#[derive(Debug, Deserialize)]
struct Change {
    sys_id: String,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    changed: Vec<String>,
}

/// The webhook's secret, its replay memory, and where events go.
pub struct ServiceNowHook {
    secret: Vec<u8>,
    tolerance: Duration,
    adapter: ServiceNow,
    bus: Arc<dyn EventBus>,
    seen: Mutex<HashMap<String, i64>>,
}

impl ServiceNowHook {
    /// A receiver checking posts against `secret`, reading cases back
    /// through `adapter` and publishing on `bus`.
    pub fn new(
        secret: &str,
        tolerance: Duration,
        adapter: ServiceNow,
        bus: Arc<dyn EventBus>,
    ) -> Self {
        Self {
            secret: secret.as_bytes().to_vec(),
            tolerance,
            adapter,
            bus,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Checks the timestamp and signature of `body`; `Ok(false)` for a replay.
    fn authenticate(&self, headers: &HeaderMap, body: &[u8]) -> Result<bool, &'static str> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let timestamp = header(TIMESTAMP_HEADER).ok_or("the timestamp header is missing")?;
        let sent: i64 = timestamp
            .parse()
            .map_err(|_| "the timestamp is not a number of seconds")?;
        let now = Utc::now().timestamp();
        let tolerance = i64::try_from(self.tolerance.as_secs()).unwrap_or(i64::MAX);
        if (now - sent).abs() > tolerance {
            return Err("the timestamp is outside the accepted window");
        }
        let signature = header(SIGNATURE_HEADER)
            .and_then(|s| s.strip_prefix("sha256="))
            .ok_or("the signature header is missing or not sha256=<hex>")?;
        let expected = decode_hex(signature).ok_or("the signature is not hex")?;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).map_err(|_| "the secret is unusable")?;
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&expected)
            .map_err(|_| "the signature does not match")?;
        let mut seen = self.seen.lock().map_err(|_| "the replay memory failed")?;
        seen.retain(|_, at| (now - *at).abs() <= tolerance);
        Ok(seen.insert(signature.to_ascii_lowercase(), sent).is_none())
    }

    /// Reads the changed case back and publishes its event; `false` when
    /// the record is not a case the adapter knows.
    async fn publish(&self, change: &Change) -> Result<bool, Error> {
        let Some(case) = self.adapter.case_ref(&change.sys_id).await? else {
            return Ok(false);
        };
        self.bus.publish(CaseEvent {
            kind: event_kind(change),
            case_id: case.id,
            case_number: case.number,
            account_id: case.account_id,
            at: case.updated_at,
        });
        Ok(true)
    }
}

/// The event a change stands for: its most specific changed field wins.
fn event_kind(change: &Change) -> CaseEventKind {
    let changed = |field: &str| change.changed.iter().any(|c| c == field);
    if change.operation == "insert" {
        CaseEventKind::Created
    } else if changed("comments") {
        CaseEventKind::CommentAdded
    } else if changed("watch_list") {
        CaseEventKind::WatchListChanged
    } else {
        CaseEventKind::Updated
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `POST /webhooks/servicenow`
pub async fn servicenow(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(hook) = state.servicenow_hook.as_deref() else {
        return error_response(
            Media::Json,
            StatusCode::NOT_FOUND,
            Code::NotFound,
            "no webhook is configured",
        );
    };
    match hook.authenticate(&headers, &body) {
        Err(reason) => {
            tracing::warn!(webhook.source = "servicenow", reason, "webhook refused");
            return error_response(
                Media::Json,
                StatusCode::UNAUTHORIZED,
                Code::Unauthenticated,
                reason,
            );
        }
        Ok(false) => return (StatusCode::ACCEPTED, "{\"accepted\":false}").into_response(),
        Ok(true) => {}
    }
    let change: Change = match serde_json::from_slice(&body) {
        Ok(change) => change,
        Err(error) => {
            return error_response(
                Media::Json,
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                &format!("the body is not a record change: {error}"),
            );
        }
    };
    match hook.publish(&change).await {
        Ok(accepted) => {
            (StatusCode::ACCEPTED, format!("{{\"accepted\":{accepted}}}")).into_response()
        }
        Err(error) => {
            // Forget the signature so the instance's retry is not a replay.
            if let Ok(mut seen) = hook.seen.lock()
                && let Some(signature) = headers
                    .get(SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|s| s.strip_prefix("sha256="))
            {
                seen.remove(&signature.to_ascii_lowercase());
            }
            super::downloads::domain_error(&error)
        }
    }
}
