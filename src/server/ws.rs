//! Subscriptions over WebSocket: graphql-transport-ws and the legacy
//! graphql-ws subprotocol on `/graphql`. The token comes in the
//! `connection_init` payload (`{"Authorization": "Bearer …"}` or
//! `{"token": "…"}`), or in the upgrade request's `Authorization` header.

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::WebSocketUpgrade;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use serde_json::Value;
use std::time::Duration;

use super::AppState;
use super::graphql_http::extract;
use crate::auth::{AuthError, bearer};
use crate::graphql::errors::{Code, error};
use crate::graphql::loaders::Loaders;

/// How long a client has, once connected, to send its first message
/// (`connection_init`); silent connections are closed.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest message a client may send.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Ends the incoming stream if its first message does not come in time.
fn init_deadline<S>(stream: S) -> impl Stream<Item = S::Item>
where
    S: Stream + Unpin,
{
    futures::stream::unfold((stream, true), |(mut stream, first)| async move {
        let next = if first {
            tokio::time::timeout(INIT_TIMEOUT, stream.next())
                .await
                .ok()?
        } else {
            stream.next().await
        };
        next.map(|item| (item, (stream, false)))
    })
}

fn token_in(payload: &Value) -> Option<String> {
    let object = payload.as_object()?;
    for key in ["Authorization", "authorization"] {
        if let Some(token) = object.get(key).and_then(Value::as_str).and_then(bearer) {
            return Some(token.to_string());
        }
    }
    object
        .get("token")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Upgrades the connection and serves subscriptions on it.
pub async fn upgrade(state: AppState, parts: &mut Parts) -> Response {
    let header_token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .map(str::to_string);
    let protocol = match extract::<GraphQLProtocol>(parts).await {
        Ok(protocol) => protocol,
        Err(_) => {
            return (StatusCode::BAD_REQUEST, "unsupported WebSocket subprotocol").into_response();
        }
    };
    let upgrade = match extract::<WebSocketUpgrade>(parts).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            let schema = state.schema.clone();
            let (sink, stream) = socket.split();
            GraphQLWebSocket::new_with_pair(sink, init_deadline(stream), schema, protocol)
                .on_connection_init(move |payload| async move {
                    let Some(token) = token_in(&payload).or(header_token) else {
                        return Err(error(
                            Code::Unauthenticated,
                            "connection_init needs {\"Authorization\": \"Bearer …\"}",
                        ));
                    };
                    let caller = state
                        .callers
                        .authenticate(&token)
                        .await
                        .map_err(|e| match e {
                            AuthError::Unavailable => {
                                error(Code::BackendUnavailable, e.to_string())
                            }
                            _ => error(Code::Unauthenticated, e.to_string()),
                        })?;
                    let mut data = Data::default();
                    data.insert(Loaders::new(&state.ports, &caller, false));
                    data.insert(caller);
                    Ok(data)
                })
                .serve()
        })
}

#[cfg(test)]
mod tests {
    use super::token_in;
    use serde_json::json;

    #[test]
    fn tokens_are_found_in_connection_init() {
        assert_eq!(
            token_in(&json!({"Authorization": "Bearer abc"})).as_deref(),
            Some("abc")
        );
        assert_eq!(
            token_in(&json!({"authorization": "bearer abc"})).as_deref(),
            Some("abc")
        );
        assert_eq!(token_in(&json!({"token": "abc"})).as_deref(), Some("abc"));
        assert_eq!(token_in(&json!({})), None);
        assert_eq!(token_in(&json!(null)), None);
    }
}
