//! Who is asking: the bearer token, or a GraphiQL session cookie (an
//! operator's, or a demo user's in development), which then needs the
//! cross-site request forgery protection below.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::media::{JSON, Media, error_response, json_response};
use crate::auth::{AuthError, Caller, bearer};
use crate::graphql::errors::Code;
use crate::server::AppState;

/// The header a request authenticated by the GraphiQL session cookie must
/// carry unless its body is `application/json` (uploads always): a
/// cross-site form cannot set it, and a cross-site script cannot without a
/// CORS preflight, which this gateway never grants.
pub const CSRF_HEADER: &str = "x-switchboard-csrf";

/// The caller named by the request's bearer token, or the response to send.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    media: Media,
) -> Result<Caller, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer);
    let result = match token {
        None => Err(AuthError::Missing),
        Some(token) => state.callers.authenticate(token).await,
    };
    result.map_err(|e| auth_failure(media, e))
}

fn auth_failure(media: Media, e: AuthError) -> Response {
    match e {
        AuthError::Unavailable(ref backend) => {
            let body = serde_json::json!({ "errors": [{
                "message": e.to_string(),
                "extensions": { "code": Code::BackendUnavailable.as_str(), "backend": backend },
            }] });
            crate::metrics::error(Some(Code::BackendUnavailable.as_str()));
            json_response(media, StatusCode::SERVICE_UNAVAILABLE, &body)
        }
        _ => error_response(
            media,
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            &e.to_string(),
        ),
    }
}

/// The caller named by the bearer token or, when the request has no
/// `Authorization` header, by an operator's GraphiQL session cookie; the
/// flag says it was the cookie (the request then needs CSRF protection).
pub async fn authenticate_with_session(
    state: &AppState,
    headers: &HeaderMap,
    media: Media,
) -> Result<(Caller, bool), Response> {
    if !headers.contains_key(header::AUTHORIZATION) {
        match state.sessions.caller(&state.callers, headers).await {
            Ok(Some(caller)) => return Ok((caller, true)),
            Ok(None) => {}
            Err(e) => return Err(auth_failure(media, e)),
        }
    }
    authenticate(state, headers, media)
        .await
        .map(|c| (c, false))
}

/// Refuses a cookie-authenticated POST a cross-site page could have sent:
/// one neither `application/json` nor carrying [`CSRF_HEADER`] (uploads
/// must carry the header).
pub(super) fn csrf_rejection(headers: &HeaderMap, essence: &str, media: Media) -> Option<Response> {
    let preflighted = headers
        .get(CSRF_HEADER)
        .is_some_and(|v| !v.as_bytes().is_empty());
    (!preflighted && essence != JSON).then(|| {
        error_response(
            media,
            StatusCode::FORBIDDEN,
            Code::CsrfRejected,
            "a request authenticated by the session cookie must be application/json \
             or carry the X-Switchboard-CSRF header (uploads must carry it)",
        )
    })
}
