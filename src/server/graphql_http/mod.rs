//! GraphQL over HTTP, as the GraphQL-over-HTTP specification describes it:
//! content negotiation between `application/graphql-response+json` and
//! `application/json`, 4xx for request errors under the former, GET for
//! queries only, batches only when configured, and every error with a code.
//!
//! - [`media`]: negotiation and the answers of requests that did not run;
//! - [`auth`]: the caller, from a bearer token or a session cookie (CSRF);
//! - [`body`]: JSON, multipart and GET requests, documents resolved;
//! - [`execute`]: running an operation and serialising its answer.

mod auth;
mod body;
mod execute;
mod media;

use async_graphql::BatchRequest;
use async_graphql::Request as GqlRequest;
use async_graphql::parser::types::OperationType;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

pub use auth::{authenticate, authenticate_with_session};
pub(crate) use execute::{
    Answer, Ended, errors_body, is_request_error, panic_response, response_body, run_once,
    timed_out, without_panics,
};
pub(crate) use media::document_response;
pub use media::{Media, error_response, negotiate};

use super::AppState;
use crate::graphql::errors::Code;
use crate::graphql::profile::{ClientAddr, is_public};
use auth::csrf_rejection;
use body::{parse_json, parse_query_string};
use execute::{execute, run};
use media::{JSON, json_response, not_acceptable};

/// `POST /graphql`: JSON, or a multipart request carrying uploads.
pub async fn post(
    State(state): State<AppState>,
    connect: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let event_stream = super::sse::wanted(&headers);
    let Some(media) = negotiate(&headers).or(event_stream.then_some(Media::Json)) else {
        return not_acceptable();
    };
    // Without credentials, only the public mutations may run: the answer
    // waits until the body says what the request is.
    let (caller, by_cookie) = match authenticate_with_session(&state, &headers, media).await {
        Ok((caller, by_cookie)) => (Ok(caller), by_cookie),
        Err(response) if !headers.contains_key(header::AUTHORIZATION) => (Err(response), false),
        Err(response) => return response,
    };
    let client = ClientAddr::of(
        connect.map(|axum::Extension(info)| info.0),
        &headers,
        state.config.server.trust_forwarded_for,
    );
    // The media type is case-insensitive, its parameters need not be: a
    // multipart boundary is matched byte for byte (browsers mix cases).
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let essence = essence.as_str();
    let multipart = essence == "multipart/form-data";
    if by_cookie && let Some(response) = csrf_rejection(&headers, essence, media) {
        return response;
    }
    if !multipart && essence != JSON {
        return error_response(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::BadUserInput,
            "send the request as application/json (or multipart/form-data with uploads)",
        );
    }
    let server = &state.config.server;
    let limit = if multipart {
        server.upload_limit_bytes + server.body_limit_bytes
    } else {
        server.body_limit_bytes
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return error_response(
                media,
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::PayloadTooLarge,
                &format!("the request is larger than the limit of {limit} bytes"),
            );
        }
    };
    // Operators' GraphiQL may run any document, whatever the mode.
    let trusted = by_cookie && caller.as_ref().is_ok_and(|c| c.principal.operator);
    let documents = &state.documents;
    let batch = if multipart {
        body::multipart(content_type, bytes, server, documents, trusted, media).await
    } else {
        parse_json(&bytes, |request| documents.resolve_object(request, trusted))
            .map_err(|rejection| rejection.response(media))
    };
    let batch = match batch {
        Ok(batch) => batch,
        Err(response) => return response,
    };
    let (caller, batch) = match (caller, batch) {
        (Ok(caller), batch) => (caller, batch),
        (Err(_), BatchRequest::Single(request)) if !event_stream && is_public(&request) => {
            return execute(&state, None, media, request.data(client)).await;
        }
        (Err(response), _) => return response,
    };
    match batch {
        BatchRequest::Single(request) if event_stream => {
            super::sse::stream(&state, caller, request)
        }
        BatchRequest::Single(request) => {
            execute(&state, Some(&caller), media, request.data(client)).await
        }
        BatchRequest::Batch(requests) => {
            if !server.batch_requests {
                return error_response(
                    media,
                    StatusCode::BAD_REQUEST,
                    Code::BadUserInput,
                    "batched requests are disabled; send one operation per request",
                );
            }
            let mut bodies = Vec::with_capacity(requests.len());
            for request in requests {
                let (_, body) = run(&state, Some(&caller), request.data(client)).await;
                bodies.push(body);
            }
            json_response(media, StatusCode::OK, &bodies)
        }
    }
}

/// `GET /graphql`: a WebSocket upgrade, or a query in the URL.
pub async fn get_or_upgrade(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    if parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
    {
        return super::ws::upgrade(state, &mut parts).await;
    }
    let Some(media) = negotiate(&parts.headers) else {
        return not_acceptable();
    };
    let (caller, by_cookie) = match authenticate_with_session(&state, &parts.headers, media).await {
        Ok(authenticated) => authenticated,
        Err(response) => return response,
    };
    let mut fields = match parse_query_string(parts.uri.query().unwrap_or("")) {
        Ok(fields) => fields,
        Err(message) => {
            return error_response(media, StatusCode::BAD_REQUEST, Code::BadUserInput, &message);
        }
    };
    let trusted = by_cookie && caller.principal.operator;
    if let Err(e) = state.documents.resolve_object(&mut fields, trusted) {
        return document_response(media, &e);
    }
    let request: GqlRequest = match serde_json::from_value(Value::Object(fields)) {
        Ok(request) => request,
        Err(e) => {
            let message = format!("the request is malformed: {e}");
            return error_response(media, StatusCode::BAD_REQUEST, Code::BadUserInput, &message);
        }
    };
    if let Some(ty) = state.gate.operation_type(&request)
        && ty != OperationType::Query
    {
        let mut response = error_response(
            media,
            StatusCode::METHOD_NOT_ALLOWED,
            Code::BadUserInput,
            "only queries may be sent with GET; use POST for mutations and WebSocket for subscriptions",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return response;
    }
    execute(&state, Some(&caller), media, request).await
}

/// Axum's extractor for the WebSocket handshake, re-exported for `ws`.
pub(crate) async fn extract<T: FromRequestParts<()>>(
    parts: &mut axum::http::request::Parts,
) -> Result<T, T::Rejection> {
    T::from_request_parts(parts, &()).await
}
