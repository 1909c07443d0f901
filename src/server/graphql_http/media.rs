//! What a GraphQL-over-HTTP answer looks like: the media type negotiated
//! from `Accept` (`application/graphql-response+json`, where status codes
//! carry meaning, or the legacy `application/json`), and the answers of
//! requests that did not execute.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::execute::errors_body;
use crate::graphql::errors::Code;
use crate::server::documents::DocumentError;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub(super) const JSON: &str = "application/json";

/// The response media type the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: status codes carry meaning.
    GraphqlResponseJson,
    /// `application/json`: the legacy type, 200 for well-formed requests.
    Json,
}

impl Media {
    pub(super) fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response media type from `Accept`; `None` when the client
/// accepts neither JSON type.
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let ranges: Vec<String> = accept
        .split(',')
        .filter(|range| {
            !range.split(';').skip(1).any(|p| {
                matches!(
                    p.trim().replace(' ', "").as_str(),
                    "q=0" | "q=0.0" | "q=0.00" | "q=0.000"
                )
            })
        })
        .map(|range| {
            range
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    if ranges.iter().any(|r| r == GRAPHQL_RESPONSE_JSON) {
        Some(Media::GraphqlResponseJson)
    } else if ranges
        .iter()
        .any(|r| r == JSON || r == "application/*" || r == "*/*")
    {
        Some(Media::Json)
    } else {
        None
    }
}

/// A response holding only errors (no `data`: the request did not execute).
pub fn error_response(media: Media, status: StatusCode, code: Code, message: &str) -> Response {
    let body = errors_body(code, message);
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// A JSON answer of `media` type, never cached.
pub(super) fn json_response(
    media: Media,
    status: StatusCode,
    body: &impl serde::Serialize,
) -> Response {
    let text = serde_json::to_string(body)
        .unwrap_or_else(|_| errors_body(Code::Internal, "internal error").to_string());
    let mut response = (status, text).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media.content_type()),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// The answer to a client that accepts no JSON type (406).
pub(super) fn not_acceptable() -> Response {
    error_response(
        Media::Json,
        StatusCode::NOT_ACCEPTABLE,
        Code::BadUserInput,
        "accept application/graphql-response+json or application/json",
    )
}

/// The answer to a request whose document cannot run. Automatic persisted
/// query answers are never cached (the client sends the document next).
pub(crate) fn document_response(media: Media, e: &DocumentError) -> Response {
    let mut response = error_response(media, e.status, e.code, &e.message);
    if e.is_apq_answer() {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache, must-revalidate"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Option<Media> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        negotiate(&h)
    }

    #[test]
    fn negotiation_follows_the_accept_header() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(
            accept("application/graphql-response+json"),
            Some(Media::GraphqlResponseJson)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json;q=0.9"),
            Some(Media::GraphqlResponseJson)
        );
        assert_eq!(accept("application/json"), Some(Media::Json));
        assert_eq!(accept("*/*"), Some(Media::Json));
        assert_eq!(accept("text/html"), None);
        assert_eq!(
            accept("application/graphql-response+json;q=0, text/html"),
            None
        );
    }
}
