//! GraphQL over HTTP, as the GraphQL-over-HTTP specification describes it:
//! content negotiation between `application/graphql-response+json` and
//! `application/json`, 4xx for request errors under the former, GET for
//! queries only, batches only when configured, and every error with a code.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use async_graphql::http::MultipartOptions;
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Request as GqlRequest, Response as GqlResponse};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use serde_json::{Map, Value, json};

use super::AppState;
use super::documents::DocumentError;
use crate::auth::{AuthError, Caller, bearer};
use crate::graphql::errors::Code;
use crate::graphql::loaders::Loaders;
use crate::graphql::profile::{ClientAddr, is_public};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The header a request authenticated by the GraphiQL session cookie must
/// carry unless its body is `application/json` (uploads always): a
/// cross-site form cannot set it, and a cross-site script cannot without a
/// CORS preflight, which this gateway never grants.
pub const CSRF_HEADER: &str = "x-switchboard-csrf";

/// The response media type the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: status codes carry meaning.
    GraphqlResponseJson,
    /// `application/json`: the legacy type, 200 for well-formed requests.
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
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
        AuthError::Unavailable => error_response(
            media,
            StatusCode::SERVICE_UNAVAILABLE,
            Code::BackendUnavailable,
            &e.to_string(),
        ),
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
fn csrf_rejection(headers: &HeaderMap, essence: &str, media: Media) -> Option<Response> {
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
        let options = MultipartOptions::default()
            .max_file_size(server.upload_limit_bytes)
            .max_num_files(10);
        async_graphql::http::receive_batch_body(
            Some(content_type),
            futures::io::Cursor::new(bytes),
            options,
        )
        .await
        .map_err(|e| match e {
            async_graphql::ParseRequestError::PayloadTooLarge => error_response(
                media,
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::PayloadTooLarge,
                &format!(
                    "a file is larger than the limit of {} bytes",
                    server.upload_limit_bytes
                ),
            ),
            other => error_response(
                media,
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                &format!("malformed multipart request: {other}"),
            ),
        })
    } else {
        parse_json(&bytes, |request| documents.resolve_object(request, trusted))
            .map_err(|rejection| rejection.response(media))
    };
    let mut batch = match batch {
        Ok(batch) => batch,
        Err(response) => return response,
    };
    if multipart {
        let requests = match &mut batch {
            BatchRequest::Single(request) => std::slice::from_mut(request),
            BatchRequest::Batch(requests) => requests.as_mut_slice(),
        };
        for request in requests {
            if let Err(e) = documents.resolve_request(request, trusted) {
                return document_response(media, &e);
            }
        }
    }
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
            json_response(media, StatusCode::OK, &Value::Array(bodies))
        }
    }
}

/// Why a request body was refused.
enum Rejection {
    /// Not a GraphQL request; the message says why.
    Malformed(String),
    /// Its document cannot run (persisted documents).
    Document(DocumentError),
}

impl Rejection {
    fn response(self, media: Media) -> Response {
        match self {
            Rejection::Malformed(message) => {
                error_response(media, StatusCode::BAD_REQUEST, Code::BadUserInput, &message)
            }
            Rejection::Document(e) => document_response(media, &e),
        }
    }
}

/// Parses a JSON body (one request or a batch), letting `resolve` fill
/// each request's document (`documentId`, persisted-query hashes).
fn parse_json(
    bytes: &Bytes,
    resolve: impl Fn(&mut Map<String, Value>) -> Result<(), DocumentError>,
) -> Result<BatchRequest, Rejection> {
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| Rejection::Malformed(format!("the body is not valid JSON: {e}")))?;
    let prepare = |v: &mut Value| -> Result<(), Rejection> {
        match v {
            Value::Object(request) => resolve(request).map_err(Rejection::Document),
            _ => Err(Rejection::Malformed(
                "each request must be a GraphQL request object".into(),
            )),
        }
    };
    match &mut value {
        Value::Object(_) => prepare(&mut value)?,
        Value::Array(items) if !items.is_empty() => items.iter_mut().try_for_each(prepare)?,
        _ => {
            return Err(Rejection::Malformed(
                "the body must be a GraphQL request object".into(),
            ));
        }
    }
    serde_json::from_value(value)
        .map_err(|e| Rejection::Malformed(format!("the request is malformed: {e}")))
}

/// The answer to a request whose document cannot run. Automatic persisted
/// query answers are never cached (the client sends the document next).
pub(super) fn document_response(media: Media, e: &DocumentError) -> Response {
    let mut response = error_response(media, e.status, e.code, &e.message);
    if e.is_apq_answer() {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache, must-revalidate"),
        );
    }
    response
}

/// The request a GET carries in its query string (`query` or `documentId`,
/// `operationName`, and `variables` and `extensions` as JSON).
fn parse_query_string(query: &str) -> Result<Map<String, Value>, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| format!("malformed query string: {e}"))?;
    let mut request = Map::new();
    for (key, value) in pairs {
        let value = match key.as_str() {
            "query" | "operationName" | "documentId" => Value::String(value),
            "variables" | "extensions" => serde_json::from_str(&value)
                .map_err(|e| format!("`{key}` is not valid JSON: {e}"))?,
            _ => continue,
        };
        request.insert(key, value);
    }
    Ok(request)
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
    if let Ok(doc) = async_graphql::parser::parse_query(&request.query) {
        let selected = doc
            .operations
            .iter()
            .find(|(name, _)| match &request.operation_name {
                Some(wanted) => name.is_some_and(|n| n.as_str() == wanted),
                None => true,
            });
        if let Some((_, op)) = selected
            && op.node.ty != OperationType::Query
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
    }
    execute(&state, Some(&caller), media, request).await
}

async fn execute(
    state: &AppState,
    caller: Option<&Caller>,
    media: Media,
    request: GqlRequest,
) -> Response {
    let (request_error, mut body) = run(state, caller, request).await;
    let status = match (media, &request_error) {
        (Media::GraphqlResponseJson, Some(status)) => {
            if let Value::Object(map) = &mut body {
                map.remove("data");
            }
            *status
        }
        (Media::Json, Some(status)) if *status != StatusCode::BAD_REQUEST => *status,
        _ => StatusCode::OK,
    };
    json_response(media, status, &body)
}

/// Runs one operation; returns the status a request error deserves (none
/// when it executed) and the response body.
#[tracing::instrument(
    name = "graphql",
    skip_all,
    fields(
        graphql.operation = request.operation_name.as_deref().unwrap_or(""),
        user.id = caller.map_or("anonymous", |c| c.actor.user_id.as_str()),
    )
)]
async fn run(
    state: &AppState,
    caller: Option<&Caller>,
    request: GqlRequest,
) -> (Option<StatusCode>, Value) {
    let started = std::time::Instant::now();
    let request = match caller {
        Some(caller) => request
            .data(caller.clone())
            .data(Loaders::new(&state.ports, caller, true)),
        None => request,
    };
    let execution = AssertUnwindSafe(state.schema.execute(request)).catch_unwind();
    let response = match tokio::time::timeout(state.request_timeout(), execution).await {
        Ok(Ok(response)) => response,
        Ok(Err(panic)) => {
            tracing::error!(panic = %panic_message(&*panic), "a request panicked");
            return (
                Some(StatusCode::INTERNAL_SERVER_ERROR),
                errors_body(Code::Internal, "internal error"),
            );
        }
        Err(_) => {
            let limit = state.request_timeout();
            tracing::warn!(timeout_ms = limit.as_millis() as u64, "a request timed out");
            let message = format!("the request took longer than {limit:?} and was stopped");
            return (
                Some(StatusCode::GATEWAY_TIMEOUT),
                errors_body(Code::BackendUnavailable, &message),
            );
        }
    };
    let request_error = is_request_error(&response).then_some(StatusCode::BAD_REQUEST);
    tracing::info!(
        duration_ms = started.elapsed().as_millis() as u64,
        graphql.errors = response.errors.len(),
        "graphql request"
    );
    (request_error, response_body(response))
}

/// A request error: nothing executed (parse or validation failure).
pub(super) fn is_request_error(response: &GqlResponse) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// Serialises a response, giving every error a code: our resolvers always
/// set one; errors raised by the GraphQL engine itself (parse, validation,
/// argument coercion) are the client's and get BAD_USER_INPUT.
pub(super) fn response_body(response: GqlResponse) -> Value {
    let mut body = serde_json::to_value(&response)
        .unwrap_or_else(|_| errors_body(Code::Internal, "internal error"));
    if let Some(Value::Array(errors)) = body.get_mut("errors") {
        for error in errors {
            let extensions = error
                .as_object_mut()
                .map(|e| e.entry("extensions").or_insert_with(|| json!({})));
            if let Some(Value::Object(ext)) = extensions {
                ext.entry("code")
                    .or_insert_with(|| Value::from(Code::BadUserInput.as_str()));
            }
        }
    }
    body
}

pub(super) fn errors_body(code: Code, message: &str) -> Value {
    json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] })
}

fn json_response(media: Media, status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
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

fn not_acceptable() -> Response {
    error_response(
        Media::Json,
        StatusCode::NOT_ACCEPTABLE,
        Code::BadUserInput,
        "accept application/graphql-response+json or application/json",
    )
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".into())
}

/// The response for a panic outside GraphQL execution.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!(panic = %panic_message(&*panic), "a handler panicked");
    error_response(
        Media::Json,
        StatusCode::INTERNAL_SERVER_ERROR,
        Code::Internal,
        "internal error",
    )
}

/// Axum's extractor for the WebSocket handshake, re-exported for `ws`.
pub(crate) async fn extract<T: FromRequestParts<()>>(
    parts: &mut axum::http::request::Parts,
) -> Result<T, T::Rejection> {
    T::from_request_parts(parts, &()).await
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

    #[test]
    fn request_bodies_are_checked() {
        let documents =
            super::super::documents::Documents::load(&crate::config::ServerConfig::default())
                .unwrap();
        let parse = |body: &'static [u8]| {
            parse_json(&Bytes::from_static(body), |r| {
                documents.resolve_object(r, false)
            })
        };
        assert!(parse(b"{").is_err());
        assert!(parse(b"{\"variables\":{}}").is_err());
        assert!(parse(b"{\"query\":1}").is_err());
        assert!(parse(b"[]").is_err());
        assert!(parse(b"[1]").is_err());
        assert!(matches!(
            parse(b"{\"query\":\"{me{id}}\"}"),
            Ok(BatchRequest::Single(_))
        ));
        assert!(matches!(
            parse(b"[{\"query\":\"{a}\"}]"),
            Ok(BatchRequest::Batch(_))
        ));
    }

    #[test]
    fn get_parameters_become_a_request() {
        let fields = parse_query_string(
            "documentId=sha256%3Aab&variables=%7B%22a%22%3A1%7D&extensions=%7B%7D&other=x",
        )
        .unwrap();
        assert_eq!(fields["documentId"], "sha256:ab");
        assert_eq!(fields["variables"]["a"], 1);
        assert!(!fields.contains_key("other"));
        assert!(parse_query_string("variables=%7B").is_err());
    }
}
