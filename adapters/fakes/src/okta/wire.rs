//! Okta's wire format as the fake writes it: the error envelope, ISO-8601
//! timestamps with milliseconds, rate-limit headers, `link` headers, and
//! the JSON of users, groups and factors.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::directory::{FakeFactor, FakeGroup, FakeUser};
use crate::faults::Fault;

static ERROR_SERIAL: AtomicU64 = AtomicU64::new(0);

/// `YYYY-MM-DDTHH:mm:ss.SSSZ`.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The current time in seconds since the epoch.
pub(crate) fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn error_id() -> String {
    let n = ERROR_SERIAL.fetch_add(1, Ordering::Relaxed);
    let digest = Sha256::digest(format!("okta-error:{n}:{}", epoch_secs()).as_bytes());
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, digest);
    format!("oae{}", &b64[..22])
}

/// An error answer: Okta's envelope with `errorCauses` summaries.
pub(crate) fn error(status: u16, code: &str, summary: &str, causes: &[String]) -> Response {
    let causes: Vec<Value> = causes.iter().map(|c| json!({"errorSummary": c})).collect();
    let body = json!({
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": error_id(),
        "errorCauses": causes,
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

/// 404 E0000007 for `what` (e.g. `00u… (User)`).
pub(crate) fn not_found(what: &str) -> Response {
    error(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {what}"),
        &[],
    )
}

/// 403 E0000038: the user's status does not allow the operation.
pub(crate) fn wrong_status() -> Response {
    error(
        403,
        "E0000038",
        "This operation is not allowed in the user's current status.",
        &[],
    )
}

/// 400 E0000031 for a `search` or `filter` the fake does not understand.
pub(crate) fn bad_search() -> Response {
    error(400, "E0000031", "Invalid search criteria.", &[])
}

/// Sets the three rate-limit headers.
pub(crate) fn rate_headers(headers: &mut HeaderMap, limit: u32, remaining: u32, reset: u64) {
    for (name, value) in [
        ("x-rate-limit-limit", limit as u64),
        ("x-rate-limit-remaining", remaining as u64),
        ("x-rate-limit-reset", reset),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

/// 429 E0000047 with the rate-limit headers.
pub(crate) fn rate_limited(limit: u32, reset: u64) -> Response {
    let mut response = error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
        &[],
    );
    rate_headers(response.headers_mut(), limit, 0, reset);
    response
}

/// How injected faults look on Okta's wire: a status gets the envelope
/// with the code Okta uses for it; a rate limit is a concurrent-limit 429
/// (`X-Rate-Limit-Limit` and `-Remaining` 0) whose `X-Rate-Limit-Reset` is
/// `retry_after` from now. Okta does not document `Retry-After`, so none is sent.
pub(crate) fn render_fault(fault: &Fault) -> Response {
    match fault {
        Fault::RateLimited { .. } => {
            let wait = fault.retry_after_secs().unwrap_or(1);
            rate_limited(0, epoch_secs() + wait)
        }
        Fault::Status(status) => {
            let (code, summary) = match status {
                401 => ("E0000011", "Invalid token provided"),
                403 => (
                    "E0000006",
                    "You do not have permission to perform the requested action",
                ),
                404 => ("E0000007", "Not found: Resource not found"),
                429 => (
                    "E0000047",
                    "API call exceeded rate limit due to too many requests.",
                ),
                _ => ("E0000009", "Internal Server Error"),
            };
            error(*status, code, summary, &[])
        }
        Fault::Stall(_) | Fault::Reset => error(500, "E0000009", "Internal Server Error", &[]),
    }
}

/// Adds `link` headers: `self`, and `next` when there is a next page.
pub(crate) fn links(headers: &mut HeaderMap, self_url: &str, next_url: Option<&str>) {
    let mut add = |url: &str, rel: &str| {
        if let Ok(v) = HeaderValue::from_str(&format!("<{url}>; rel=\"{rel}\"")) {
            headers.append(HeaderName::from_static("link"), v);
        }
    };
    add(self_url, "self");
    if let Some(next) = next_url {
        add(next, "next");
    }
}

/// A user as `GET /api/v1/users/{id}` serves it.
pub(crate) fn user(base: &str, u: &FakeUser) -> Value {
    let href = format!("{base}/api/v1/users/{}", u.id);
    json!({
        "id": u.id,
        "status": u.status,
        "created": timestamp(u.created),
        "activated": timestamp(u.created),
        "statusChanged": timestamp(u.status_changed),
        "lastLogin": Value::Null,
        "lastUpdated": timestamp(u.last_updated),
        "passwordChanged": timestamp(u.password_changed),
        "transitioningToStatus": Value::Null,
        "type": {"id": "oty1ab2cd3ef4gh5ij6k7"},
        "profile": u.profile,
        "credentials": credentials(),
        "_links": {
            "self": {"href": href},
            "resetPassword": {"href": format!("{href}/lifecycle/reset_password"), "method": "POST"},
            "changePassword": {"href": format!("{href}/credentials/change_password"), "method": "POST"},
        },
    })
}

/// The credentials object (no secrets).
pub(crate) fn credentials() -> Value {
    json!({"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}})
}

/// A group as `GET /api/v1/groups` serves it.
pub(crate) fn group(base: &str, g: &FakeGroup) -> Value {
    json!({
        "id": g.id,
        "created": timestamp(g.created),
        "lastUpdated": timestamp(g.created),
        "lastMembershipUpdated": timestamp(g.created),
        "objectClass": ["okta:user_group"],
        "type": if g.name == "Everyone" { "BUILT_IN" } else { "OKTA_GROUP" },
        "profile": {"name": g.name, "description": Value::Null},
        "_links": {"users": {"href": format!("{base}/api/v1/groups/{}/users", g.id)}},
    })
}

/// A factor as `GET /api/v1/users/{id}/factors` serves it.
pub(crate) fn factor(base: &str, f: &FakeFactor) -> Value {
    let vendor = match (f.provider.as_str(), f.factor_type.as_str()) {
        ("GOOGLE", _) => "GOOGLE",
        ("FIDO", _) => "FIDO",
        _ => "OKTA",
    };
    json!({
        "id": f.id,
        "factorType": f.factor_type,
        "provider": f.provider,
        "vendorName": vendor,
        "status": f.status,
        "created": timestamp(f.created),
        "lastUpdated": timestamp(f.created),
        "profile": f.profile,
        "_links": {"self": {"href": format!("{base}/api/v1/users/{}/factors/{}", f.user_id, f.id)}},
    })
}
