//! Running one operation: with the caller and fresh caching loaders, under
//! the request timeout and a panic guard; and the body every answer
//! carries, each error with its code.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use async_graphql::{Request as GqlRequest, Response as GqlResponse};
use axum::http::StatusCode;
use axum::response::Response;
use futures::FutureExt;
use serde_json::{Value, json};

use super::media::{Media, error_response, json_response};
use crate::auth::Caller;
use crate::graphql::errors::Code;
use crate::graphql::gate::Operation;
use crate::graphql::loaders::Loaders;
use crate::server::AppState;

/// Runs `request` and answers it in `media`.
pub(super) async fn execute(
    state: &AppState,
    caller: Option<&Caller>,
    media: Media,
    request: GqlRequest,
) -> Response {
    let (request_error, mut body) = run(state, caller, request).await;
    let status = match (media, &request_error) {
        (Media::GraphqlResponseJson, Some(status)) => {
            if let Answer::Coded(Value::Object(map)) = &mut body {
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
pub(super) async fn run(
    state: &AppState,
    caller: Option<&Caller>,
    request: GqlRequest,
) -> (Option<StatusCode>, Answer) {
    let started = std::time::Instant::now();
    let (request, operation) = match state.gate.prepare(request, caller, None) {
        Ok(prepared) => (prepared.request, prepared.operation),
        Err(refused) => return (Some(StatusCode::BAD_REQUEST), Answer::of(refused)),
    };
    let request = match caller {
        Some(caller) => request
            .data(caller.clone())
            .data(Loaders::new(&state.ports, caller, true)),
        None => request,
    };
    let execution = async { Some(state.schema.execute(request).await) };
    let response = match run_once(state, operation.as_ref(), caller, execution).await {
        Ended::Answered(response) => response,
        Ended::Panicked | Ended::Nothing => {
            return (
                Some(StatusCode::INTERNAL_SERVER_ERROR),
                Answer::Coded(errors_body(Code::Internal, "internal error")),
            );
        }
        Ended::TimedOut => {
            return (
                Some(StatusCode::GATEWAY_TIMEOUT),
                Answer::Coded(errors_body(Code::BackendUnavailable, &timed_out(state))),
            );
        }
    };
    let request_error = is_request_error(&response).then_some(StatusCode::BAD_REQUEST);
    tracing::info!(
        duration_ms = started.elapsed().as_millis() as u64,
        graphql.errors = response.errors.len(),
        "graphql request"
    );
    (request_error, Answer::of(response))
}

/// An answer's body: the engine's response as it is when it carries no
/// error, serialised straight to text (nothing to add, and no copy of the
/// whole answer as a JSON value on the way), else the JSON value
/// [`response_body`] makes of it, with a code on every error.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Answer {
    /// Without errors.
    Clean(GqlResponse),
    /// With errors, each with its code.
    Coded(Value),
}

impl Answer {
    /// The body of `response`.
    pub(crate) fn of(response: GqlResponse) -> Self {
        if response.errors.is_empty() {
            Answer::Clean(response)
        } else {
            Answer::Coded(response_body(response))
        }
    }

    /// The body as JSON text.
    pub(crate) fn text(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| errors_body(Code::Internal, "internal error").to_string())
    }
}

impl serde::Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Answer::Clean(response) => response.serialize(serializer),
            Answer::Coded(value) => value.serialize(serializer),
        }
    }
}

/// How one query or mutation ended (held for a moment, not stored: the
/// answer is not boxed).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Ended {
    /// With this answer.
    Answered(GqlResponse),
    /// Without one (a stream that ended at once).
    Nothing,
    /// A resolver panicked: the operation fails with INTERNAL.
    Panicked,
    /// It took longer than the request timeout and was stopped.
    TimedOut,
}

/// Runs one query or mutation (`execution`, its first answer) for
/// `caller` under the request timeout, a panic failing only it, and
/// records how it ended through the gate (metrics, the audit trail), on
/// whichever transport it came.
pub(crate) async fn run_once(
    state: &AppState,
    operation: Option<&Operation>,
    caller: Option<&Caller>,
    execution: impl Future<Output = Option<GqlResponse>>,
) -> Ended {
    let started = std::time::Instant::now();
    let execution = AssertUnwindSafe(execution).catch_unwind();
    let ended = match tokio::time::timeout(state.request_timeout(), execution).await {
        Ok(Ok(Some(response))) => Ended::Answered(response),
        Ok(Ok(None)) => Ended::Nothing,
        Ok(Err(panic)) => {
            tracing::error!(panic = %panic_message(&*panic), "an operation panicked");
            Ended::Panicked
        }
        Err(_) => {
            let limit = state.request_timeout();
            tracing::warn!(
                timeout_ms = limit.as_millis() as u64,
                "an operation timed out"
            );
            Ended::TimedOut
        }
    };
    if let Some(operation) = operation {
        let (gate, took) = (&state.gate, started.elapsed());
        match &ended {
            Ended::Answered(response) => gate.finish(operation, response, caller, took).await,
            Ended::Panicked => gate.failed(operation, Code::Internal, caller, took).await,
            Ended::TimedOut => {
                gate.failed(operation, Code::BackendUnavailable, caller, took)
                    .await;
            }
            Ended::Nothing => {}
        }
    }
    ended
}

/// The message of an operation stopped by the request timeout.
pub(crate) fn timed_out(state: &AppState) -> String {
    let limit = state.request_timeout();
    format!("the request took longer than {limit:?} and was stopped")
}

/// A request error: nothing executed (parse or validation failure).
pub(crate) fn is_request_error(response: &GqlResponse) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// Serialises a response, giving every error a code: our resolvers always
/// set one; errors raised by the GraphQL engine itself (parse, validation,
/// argument coercion) are the client's and get BAD_USER_INPUT.
pub(crate) fn response_body(response: GqlResponse) -> Value {
    let mut body = serde_json::to_value(&response)
        .unwrap_or_else(|_| errors_body(Code::Internal, "internal error"));
    if let Some(Value::Array(errors)) = body.get_mut("errors") {
        for error in errors {
            let extensions = error
                .as_object_mut()
                .map(|e| e.entry("extensions").or_insert_with(|| json!({})));
            if let Some(Value::Object(ext)) = extensions {
                let code = ext
                    .entry("code")
                    .or_insert_with(|| Value::from(Code::BadUserInput.as_str()));
                crate::metrics::error(code.as_str());
            }
        }
    }
    body
}

/// The body of an answer holding one error.
pub(crate) fn errors_body(code: Code, message: &str) -> Value {
    crate::metrics::error(Some(code.as_str()));
    json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] })
}

/// `results` with a panic of a resolver turned into a last INTERNAL error
/// (logged), for streams of results (SSE, shared subscriptions).
pub(crate) fn without_panics(
    results: impl futures::Stream<Item = GqlResponse> + Send + 'static,
) -> futures::stream::BoxStream<'static, GqlResponse> {
    use futures::StreamExt as _;
    AssertUnwindSafe(results)
        .catch_unwind()
        .map(|result| {
            result.unwrap_or_else(|panic| {
                tracing::error!(panic = %panic_message(&*panic), "an operation panicked");
                GqlResponse::from_errors(vec![
                    crate::graphql::errors::error(Code::Internal, "internal error")
                        .into_server_error(async_graphql::Pos::default()),
                ])
            })
        })
        .boxed()
}

/// What a caught panic said.
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
