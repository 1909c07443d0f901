//! Subscriptions (and single operations) over Server-Sent Events, in the
//! "distinct connections" mode of the GraphQL-over-SSE protocol: POST
//! `/graphql` with `Accept: text/event-stream`; each result is a `next`
//! event, and a `complete` event ends the stream. When the replica drains,
//! a subscription's stream ends without `complete`, for the client to
//! reconnect; a query or mutation finishes.

use std::convert::Infallible;

use async_graphql::Request as GqlRequest;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::AppState;
use super::graphql_http::response_body;
use crate::auth::Caller;
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
    // The stream may outlive many changes, so its loaders do not cache.
    let loaders = Loaders::new(&state.ports, &caller, false);
    let (kind, name) = super::operation_of(&request).unzip();
    let subscription = kind == Some(async_graphql::parser::types::OperationType::Subscription);
    let name = name.flatten();
    let request = request.data(caller).data(loaders);
    // Counted as a running subscription while the client reads the stream.
    let running = crate::metrics::Live::subscription();
    let mut started = !subscription;
    let results = state.schema.execute_stream(request).map(move |response| {
        let _running = &running;
        if !started {
            started = true;
            crate::metrics::subscription(name.as_deref(), response.errors.is_empty());
        }
        Ok::<_, Infallible>(
            Event::default()
                .event("next")
                .data(response_body(response).to_string()),
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
