//! `GET` and `POST /webhooks/okta`: an Okta event hook, so a change made in
//! Okta to who may see what (a user added to or removed from a group, a
//! user deactivated, suspended or edited) holds on every replica at once
//! rather than when cached principals expire.
//!
//! - Okta sends the header configured on the hook with every request; the
//!   gateway expects `Authorization: <directory.event_hook_secret>` and
//!   answers 401 otherwise.
//! - `GET` is Okta's one-time verification: the gateway echoes the
//!   `X-Okta-Verification-Challenge` header as `{"verification": …}`.
//! - `POST` carries `{"data": {"events": [{"eventType", "target": [{"id",
//!   "type"}]}]}}`; the users named by the events below are announced on
//!   the entitlements bus (every replica forgets their principals); a group
//!   renamed or deleted changes its members, whom the event does not list,
//!   so everyone is forgotten. Other event types are acknowledged and
//!   ignored. Forgetting twice does no harm, so a delivery Okta retries
//!   needs no replay memory.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use switchboard_core::events::{Broadcast, Buses, EntitlementsChanged};

use super::AppState;
use super::graphql_http::{Media, error_response};
use crate::graphql::errors::Code;

/// The header of Okta's verification request.
pub const CHALLENGE_HEADER: &str = "x-okta-verification-challenge";

/// Event types that change the entitlements of the users they target.
const USER_EVENTS: &[&str] = &[
    "group.user_membership.add",
    "group.user_membership.remove",
    "user.account.update_profile",
];
/// Event types that change the entitlements of a group's members.
const GROUP_EVENTS: &[&str] = &["group.profile.update", "group.lifecycle.delete"];

/// The hook's secret and where it announces changes.
pub struct OktaHook {
    secret_digest: [u8; 32],
    entitlements: Broadcast<EntitlementsChanged>,
}

#[derive(Debug, Deserialize)]
struct Delivery {
    data: Data,
}

#[derive(Debug, Deserialize)]
struct Data {
    #[serde(default)]
    events: Vec<Event>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    event_type: String,
    #[serde(default)]
    target: Vec<Target>,
}

#[derive(Debug, Deserialize)]
struct Target {
    id: String,
    #[serde(rename = "type")]
    kind: String,
}

impl OktaHook {
    /// A hook expecting `secret` in `Authorization`, announcing on `buses`.
    pub fn new(secret: &str, buses: &Buses) -> Self {
        Self {
            secret_digest: Sha256::digest(secret.as_bytes()).into(),
            entitlements: buses.entitlements.clone(),
        }
    }

    /// Whether the request carries the secret (digests are compared, so
    /// the comparison's time says nothing about the secret).
    fn authentic(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .is_some_and(|sent| Sha256::digest(sent.as_bytes())[..] == self.secret_digest[..])
    }
}

/// Whose entitlements a delivery changes: `None` when nobody's, `Some(None)`
/// for everyone's, else the users'.
fn changed(events: &[Event]) -> Option<Option<Vec<String>>> {
    let mut users = Vec::new();
    for event in events {
        let kind = event.event_type.as_str();
        if GROUP_EVENTS.contains(&kind) {
            return Some(None);
        }
        if USER_EVENTS.contains(&kind) || kind.starts_with("user.lifecycle.") {
            users.extend(
                event
                    .target
                    .iter()
                    .filter(|t| t.kind == "User")
                    .map(|t| t.id.clone()),
            );
        }
    }
    users.sort();
    users.dedup();
    (!users.is_empty()).then_some(Some(users))
}

/// The configured hook, or the response refusing the request.
#[allow(clippy::result_large_err)]
fn hook<'a>(state: &'a AppState, headers: &HeaderMap) -> Result<&'a OktaHook, Response> {
    let Some(hook) = state.okta_hook.as_deref() else {
        return Err(error_response(
            Media::Json,
            StatusCode::NOT_FOUND,
            Code::NotFound,
            "no Okta event hook is configured",
        ));
    };
    if !hook.authentic(headers) {
        tracing::warn!(webhook.source = "okta", "event hook request refused");
        return Err(error_response(
            Media::Json,
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            "the Authorization header does not carry the hook's secret",
        ));
    }
    Ok(hook)
}

/// `GET /webhooks/okta`: Okta's one-time verification.
pub async fn verify(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = hook(&state, &headers) {
        return refused;
    }
    match headers.get(CHALLENGE_HEADER).and_then(|v| v.to_str().ok()) {
        Some(challenge) => axum::Json(json!({ "verification": challenge })).into_response(),
        None => error_response(
            Media::Json,
            StatusCode::BAD_REQUEST,
            Code::BadUserInput,
            "the X-Okta-Verification-Challenge header is missing",
        ),
    }
}

/// `POST /webhooks/okta`: a delivery of events.
pub async fn deliver(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let hook = match hook(&state, &headers) {
        Ok(hook) => hook,
        Err(refused) => return refused,
    };
    let delivery: Delivery = match serde_json::from_slice(&body) {
        Ok(delivery) => delivery,
        Err(error) => {
            return error_response(
                Media::Json,
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                &format!("the body is not an event hook delivery: {error}"),
            );
        }
    };
    let changed = changed(&delivery.data.events);
    if let Some(users) = &changed {
        tracing::info!(
            webhook.source = "okta",
            users = users.as_ref().map_or(0, Vec::len),
            everyone = users.is_none(),
            "entitlements changed in Okta"
        );
    }
    let announced = changed.is_some();
    if let Some(users) = changed {
        hook.entitlements.publish(EntitlementsChanged { users });
    }
    axum::Json(json!({ "announced": announced })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(value: serde_json::Value) -> Vec<Event> {
        serde_json::from_value::<Delivery>(value)
            .unwrap()
            .data
            .events
    }

    #[test]
    fn users_named_by_membership_and_lifecycle_events_change() {
        let delivery = events(json!({ "data": { "events": [
            { "eventType": "group.user_membership.add",
              "target": [{ "id": "00u1", "type": "User" }, { "id": "00g1", "type": "UserGroup" }] },
            { "eventType": "user.lifecycle.suspend", "target": [{ "id": "00u2", "type": "User" }] },
            { "eventType": "user.session.start", "target": [{ "id": "00u3", "type": "User" }] },
        ]}}));
        assert_eq!(
            changed(&delivery),
            Some(Some(vec!["00u1".to_string(), "00u2".to_string()]))
        );
        let renamed = events(json!({ "data": { "events": [
            { "eventType": "group.profile.update", "target": [{ "id": "00g1", "type": "UserGroup" }] },
        ]}}));
        assert_eq!(changed(&renamed), Some(None));
        let other = events(json!({ "data": { "events": [
            { "eventType": "user.session.start", "target": [{ "id": "00u3", "type": "User" }] },
        ]}}));
        assert_eq!(changed(&other), None);
    }
}
