//! Subscriptions (and single operations) over Server-Sent Events, in the
//! "distinct connections" mode of the GraphQL-over-SSE protocol: POST
//! `/graphql` with `Accept: text/event-stream`; each result is a `next`
//! event, and a `complete` event ends the stream. When the replica drains,
//! a subscription's stream ends without `complete`, for the client to
//! reconnect; a query or mutation finishes.

use std::convert::Infallible;

use async_graphql::parser::types::OperationType;
use async_graphql::{Request as GqlRequest, Response as GqlResponse};
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use futures::stream::BoxStream;

use super::AppState;
use super::graphql_http::{Answer, Ended, run_once, timed_out, without_panics};
use crate::auth::Caller;
use crate::graphql::errors::{Code, error};
use crate::graphql::loaders::Loaders;

/// Whether the client asks for an event stream.
pub fn wanted(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|range| {
                range
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("text/event-stream")
            })
        })
}

/// Runs `request` and streams its results as events.
pub fn stream(state: &AppState, caller: Caller, request: GqlRequest) -> Response {
    let (request, operation) = match state.gate.prepare(request, Some(&caller), None) {
        Ok(prepared) => (prepared.request, prepared.operation),
        Err(refused) => {
            return events(
                state,
                futures::stream::once(async { refused }).boxed(),
                false,
            );
        }
    };
    let subscription = operation
        .as_ref()
        .is_some_and(|op| op.ty == OperationType::Subscription);
    // The stream may outlive many changes, so its loaders do not cache.
    let loaders = Loaders::new(&state.ports, &caller, false);
    let request = request.data(caller.clone()).data(loaders);
    let results = if subscription {
        // A resolver that panics ends the stream with an INTERNAL error.
        let results = without_panics(state.schema.execute_stream(request));
        // Counted as a running subscription while the client reads the
        // stream, and as an operation at its first result.
        let running = crate::metrics::Live::subscription();
        let name = operation.and_then(|op| op.name);
        let mut first = true;
        results
            .map(move |response| {
                let _running = &running;
                if std::mem::take(&mut first) {
                    crate::metrics::subscription(name.as_deref(), response.errors.is_empty());
                }
                response
            })
            .boxed()
    } else {
        // One answer, bound by the request timeout like over HTTP.
        let state = state.clone();
        let results = state.schema.execute_stream(request);
        futures::stream::once(async move {
            let first = async { results.into_future().await.0 };
            match run_once(&state, operation.as_ref(), Some(&caller), first).await {
                Ended::Answered(response) => response,
                Ended::Panicked | Ended::Nothing => {
                    response_of(Code::Internal, "internal error".into())
                }
                Ended::TimedOut => response_of(Code::BackendUnavailable, timed_out(&state)),
            }
        })
        .boxed()
    };
    events(state, results, subscription)
}

/// A response of one error.
fn response_of(code: Code, message: String) -> GqlResponse {
    GqlResponse::from_errors(vec![
        error(code, message).into_server_error(async_graphql::Pos::default()),
    ])
}

/// The results as `next` events, then `complete`; a subscription's stream
/// is cut when the replica drains, without `complete`.
fn events(
    state: &AppState,
    results: BoxStream<'static, GqlResponse>,
    subscription: bool,
) -> Response {
    let results = results.map(|response| {
        Ok::<_, Infallible>(
            Event::default()
                .event("next")
                .data(Answer::of(response).text()),
        )
    });
    let complete = futures::stream::once(async { Ok(Event::default().event("complete").data("")) });
    let events = results.chain(complete);
    let events = if subscription {
        events.take_until(state.drain.closing()).boxed()
    } else {
        events.boxed()
    };
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
