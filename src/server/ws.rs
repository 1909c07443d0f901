//! Subscriptions over WebSocket: graphql-transport-ws and the legacy
//! graphql-ws subprotocol on `/graphql`. The token comes in the
//! `connection_init` payload (`{"Authorization": "Bearer …"}` or
//! `{"token": "…"}`), or in the upgrade request's `Authorization` header.
//! Without a token, an operator's GraphiQL session cookie authenticates,
//! but only when the upgrade comes from the gateway's own origin (browsers
//! send cookies on cross-site WebSocket upgrades, and no CORS rule applies).

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::WebSocketUpgrade;
use axum::extract::ws::{CloseFrame, Message};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, Stream, StreamExt};
use serde_json::Value;
use std::time::Duration;

use super::AppState;
use super::graphql_http::{Media, error_response, extract};
use super::session::Sessions;
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
    let session_headers = if header_token.is_none() && Sessions::has_cookie(&parts.headers) {
        if !same_origin(&state, &parts.headers) {
            return error_response(
                Media::Json,
                StatusCode::FORBIDDEN,
                Code::CsrfRejected,
                "a WebSocket authenticated by the session cookie must come from the gateway's own origin",
            );
        }
        Some(parts.headers.clone())
    } else {
        None
    };
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
        .on_upgrade(move |socket| async move {
            let schema = state.schema.clone();
            let (sink, stream) = socket.split();
            let (sink, expiry, closer) = expiring(sink);
            let serve =
                GraphQLWebSocket::new_with_pair(sink, init_deadline(stream), schema, protocol)
                    .on_connection_init(move |payload| async move {
                        let token = token_in(&payload).or(header_token);
                        let caller = match (token, session_headers) {
                            (Some(token), _) => state.callers.authenticate(&token).await,
                            (None, Some(headers)) => state
                                .sessions
                                .operator(&state.callers, &headers)
                                .await
                                .and_then(|caller| caller.ok_or(AuthError::Missing)),
                            (None, None) => {
                                return Err(error(
                                    Code::Unauthenticated,
                                    "connection_init needs {\"Authorization\": \"Bearer …\"}",
                                ));
                            }
                        };
                        let caller = caller.map_err(|e| match e {
                            AuthError::Unavailable => {
                                error(Code::BackendUnavailable, e.to_string())
                            }
                            _ => error(Code::Unauthenticated, e.to_string()),
                        })?;
                        let _ = expiry.send(caller.expires_at);
                        let mut data = Data::default();
                        data.insert(Loaders::new(&state.ports, &caller, false));
                        data.insert(caller);
                        Ok(data)
                    })
                    .serve();
            futures::join!(serve, closer);
        })
}

/// The close code sent when the connection's token expires.
pub const TOKEN_EXPIRED_CLOSE_CODE: u16 = 4401;

/// A sink standing in for `sink`, a sender for the token's expiry (seconds
/// since the epoch), and the task forwarding to `sink`: once the token
/// expires (and the subscriptions it ended have sent `complete`), it closes
/// the socket with [`TOKEN_EXPIRED_CLOSE_CODE`] and "token expired".
fn expiring<S>(
    mut sink: S,
) -> (
    futures::channel::mpsc::Sender<Message>,
    tokio::sync::oneshot::Sender<u64>,
    impl Future<Output = ()>,
)
where
    S: futures::Sink<Message> + Unpin,
{
    let (tx, mut rx) = futures::channel::mpsc::channel::<Message>(16);
    let (expiry_tx, expiry_rx) = tokio::sync::oneshot::channel::<u64>();
    let closer = async move {
        let deadline = async {
            match expiry_rx.await {
                Ok(at) => {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default();
                    let left = Duration::from_secs(at).saturating_sub(now);
                    // Subscriptions end within a second of the expiry
                    // (they count whole seconds): close after them.
                    tokio::time::sleep(left + Duration::from_millis(1500)).await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                message = rx.next() => match message {
                    Some(message) => if sink.send(message).await.is_err() { return },
                    None => return,
                },
                () = &mut deadline => break,
            }
        }
        while let Ok(message) = rx.try_recv() {
            let _ = sink.send(message).await;
        }
        let close = CloseFrame {
            code: TOKEN_EXPIRED_CLOSE_CODE,
            reason: "token expired".into(),
        };
        let _ = sink.send(Message::Close(Some(close))).await;
    };
    (tx, expiry_tx, closer)
}

/// Whether the request's `Origin` is the gateway's public origin.
fn same_origin(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    let public = state.config.public_url();
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|origin| origin_of(&public) == origin.trim_end_matches('/'))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(path) => &url[..after_scheme + path],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::{origin_of, token_in};
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

    #[test]
    fn origins_drop_the_path() {
        assert_eq!(origin_of("https://gw.example/api"), "https://gw.example");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
