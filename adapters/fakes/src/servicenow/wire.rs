//! The fake's error envelope, its answer to injected faults, and the
//! pagination headers (`X-Total-Count`, `Link`).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::faults::Fault;

/// `{"error":{"message","detail"},"status":"failure"}` with `status`.
pub(crate) fn error(status: StatusCode, message: &str, detail: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"message": message, "detail": detail}, "status": "failure"})),
    )
        .into_response()
}

/// 400 with the envelope.
pub(crate) fn bad_request(detail: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "Invalid request", detail)
}

/// 404 for a record that does not exist (or is hidden by an ACL).
pub(crate) fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "No Record found",
        "Record doesn't exist or ACL restricts the record retrieval",
    )
}

/// 403 from a business rule or data policy.
pub(crate) fn policy(detail: &str) -> Response {
    error(StatusCode::FORBIDDEN, "Operation Failed", detail)
}

/// 401 for missing, wrong or expired credentials.
pub(crate) fn unauthenticated() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "User Not Authenticated",
        "Required to provide Auth information",
    )
}

/// How the fake answers an injected [`Fault::Status`] or [`Fault::RateLimited`].
pub fn render_fault(fault: &Fault) -> Response {
    match fault {
        Fault::RateLimited { .. } => {
            let secs = fault.retry_after_secs().unwrap_or(1);
            let reset = chrono::Utc::now().timestamp() + secs as i64;
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded",
                "Rate limit of 10 requests per hour for Table API exceeded",
            );
            let headers = response.headers_mut();
            let mut put = |name: &'static str, value: String| {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(name, v);
                }
            };
            put("retry-after", secs.to_string());
            put("x-ratelimit-limit", "10".into());
            put("x-ratelimit-reset", reset.to_string());
            put(
                "x-ratelimit-rule",
                "6f0a9c4b1b2c3d4e5f60718293a4b5c6".into(),
            );
            response
        }
        Fault::Status(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = status.canonical_reason().unwrap_or("Error");
            error(status, message, "Injected failure")
        }
        Fault::Stall(_) | Fault::Reset => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "Injected failure",
        ),
    }
}

/// `X-Total-Count` and, when there is more than one page, `Link`
/// (first/prev/next/last, one header, comma-separated, `;rel="..."`).
pub(crate) fn pagination_headers(
    url: &str,
    params: &[(String, String)],
    total: usize,
    offset: usize,
    limit: usize,
    count: bool,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if count && let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        headers.insert("x-total-count", v);
    }
    let suppress = params
        .iter()
        .any(|(k, v)| k == "sysparm_suppress_pagination_header" && v == "true");
    if suppress || limit == 0 || (offset == 0 && total <= limit) {
        return headers;
    }
    let link = |at: usize| {
        let mut query: Vec<(&str, String)> = params
            .iter()
            .filter(|(k, _)| k != "sysparm_offset" && k != "sysparm_limit")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        query.push(("sysparm_offset", at.to_string()));
        query.push(("sysparm_limit", limit.to_string()));
        let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
        format!("<{url}?{encoded}>")
    };
    let last = if total == 0 {
        0
    } else {
        (total - 1) / limit * limit
    };
    let mut parts = vec![format!("{};rel=\"first\"", link(0))];
    if offset > 0 {
        parts.push(format!(
            "{};rel=\"prev\"",
            link(offset.saturating_sub(limit))
        ));
    }
    if offset + limit < total {
        parts.push(format!("{};rel=\"next\"", link(offset + limit)));
    }
    parts.push(format!("{};rel=\"last\"", link(last)));
    if let Ok(v) = HeaderValue::from_str(&parts.join(",")) {
        headers.insert(header::LINK, v);
    }
    headers
}
