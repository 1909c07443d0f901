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
//! is acknowledged and ignored. Accepted signatures are kept in the write
//! ledger (the gateway's database), so every instance sharing it notices a
//! replay; a post that could not be handled is forgotten again, so the
//! instance's retry of it is not mistaken for one. The body names the record
//! (`{"table", "sys_id", "number", "operation", "changed": [fields]}`), but
//! nothing in it is trusted beyond the record's table and id: the case's
//! number and account are read back from ServiceNow before an event is
//! published. A record of a reference table the adapter caches (accounts,
//! locations, products, contacts, users, choices) is announced on the
//! reference bus instead, and every replica drops its cached copy.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use switchboard_core::events::{Broadcast, Buses, ReferenceChanged};
use switchboard_core::ledger::WriteLedger;
use switchboard_core::server::{ChangedCases, ReferenceCache};
use switchboard_core::{CaseEvent, CaseEventKind, Error, EventBus};

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
    /// Absent in notices of cases (the first notices carried no table).
    #[serde(default)]
    table: Option<String>,
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
    cases: Arc<dyn ChangedCases>,
    reference: Arc<dyn ReferenceCache>,
    bus: Arc<dyn EventBus>,
    reference_bus: Broadcast<ReferenceChanged>,
    ledger: Arc<dyn WriteLedger>,
}

/// The source name of the webhook's deliveries in the ledger.
const SOURCE: &str = "servicenow-webhook";

/// Why a post is refused or ignored.
enum Refusal {
    /// Not authentic: 401 with this reason.
    Unauthentic(&'static str),
    /// Authentic, but accepted before.
    Replay,
    /// The replay memory could not be consulted.
    Failed(Error),
}

impl ServiceNowHook {
    /// A receiver checking posts against `secret`, reading cases back
    /// through `adapter`, publishing on `buses` (cases and reference data)
    /// and remembering accepted signatures in `ledger`.
    pub fn new<A>(
        secret: &str,
        tolerance: Duration,
        adapter: Arc<A>,
        buses: &Buses,
        ledger: Arc<dyn WriteLedger>,
    ) -> Self
    where
        A: ChangedCases + ReferenceCache + 'static,
    {
        Self {
            secret: secret.as_bytes().to_vec(),
            tolerance,
            cases: adapter.clone(),
            reference: adapter,
            bus: Arc::new(buses.cases.clone()),
            reference_bus: buses.reference.clone(),
            ledger,
        }
    }

    /// Checks the timestamp and signature of `body`, then notes the
    /// signature; answers it (lowercase hex) when the post is new.
    async fn authenticate(&self, headers: &HeaderMap, body: &[u8]) -> Result<String, Refusal> {
        let signature = self.verify(headers, body).map_err(Refusal::Unauthentic)?;
        // A post is accepted up to `tolerance` early or late: its signature
        // is remembered for twice that.
        let forget_before = TimeDelta::from_std(self.tolerance)
            .ok()
            .and_then(|window| window.checked_mul(2))
            .and_then(|memory| Utc::now().checked_sub_signed(memory))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        match self
            .ledger
            .first_delivery(SOURCE, &signature, forget_before)
            .await
        {
            Ok(true) => Ok(signature),
            Ok(false) => Err(Refusal::Replay),
            Err(error) => Err(Refusal::Failed(error)),
        }
    }

    /// Checks the timestamp and signature of `body`; the signature.
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<String, &'static str> {
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
        Ok(signature.to_ascii_lowercase())
    }

    /// Announces a changed reference record, or reads the changed case
    /// back and publishes its event; `false` when the record is neither.
    async fn publish(&self, change: &Change) -> Result<bool, Error> {
        if let Some(table) = change.table.as_deref()
            && self.reference.caches(table)
        {
            self.reference_bus.publish(ReferenceChanged {
                backend: self.reference.backend().to_string(),
                table: table.to_string(),
                ids: vec![change.sys_id.clone()],
            });
            return Ok(true);
        }
        let Some(case) = self.cases.changed_case(&change.sys_id).await? else {
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
    let signature = match hook.authenticate(&headers, &body).await {
        Ok(signature) => signature,
        Err(Refusal::Unauthentic(reason)) => {
            tracing::warn!(webhook.source = "servicenow", reason, "webhook refused");
            return error_response(
                Media::Json,
                StatusCode::UNAUTHORIZED,
                Code::Unauthenticated,
                reason,
            );
        }
        Err(Refusal::Replay) => {
            return (StatusCode::ACCEPTED, "{\"accepted\":false}").into_response();
        }
        Err(Refusal::Failed(error)) => return super::downloads::domain_error(&error),
    };
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
            if let Err(forgot) = hook.ledger.forget_delivery(SOURCE, &signature).await {
                tracing::error!(webhook.source = "servicenow", error = %forgot, "a failed post's signature could not be forgotten");
            }
            super::downloads::domain_error(&error)
        }
    }
}
