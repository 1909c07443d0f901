//! Subscriptions (and queries and mutations) over WebSocket on `/graphql`:
//! graphql-transport-ws and the legacy graphql-ws subprotocol. The token
//! comes in the `connection_init` payload (`{"Authorization": "Bearer …"}`
//! or `{"token": "…"}`), or in the upgrade request's `Authorization`
//! header. Without a token, an operator's GraphiQL session cookie
//! authenticates, but only when the upgrade comes from the gateway's own
//! origin (browsers send cookies on cross-site WebSocket upgrades, and no
//! CORS rule applies).

mod connection;
pub mod fanout;
pub mod protocol;
pub mod socket;
mod streams;

use axum::extract::WebSocketUpgrade;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::graphql_http::{Media, error_response, extract};
use super::session::Sessions;
use crate::auth::bearer;
use crate::graphql::errors::Code;
use crate::graphql::profile::ClientAddr;
use connection::Credentials;
use protocol::Protocol;

/// The largest message a client may send.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// The read buffer of a connection. Client messages are small (a
/// subscription document); larger ones are read in several steps.
const READ_BUFFER_BYTES: usize = 1024;

/// Upgrades the connection and serves it.
pub async fn upgrade(state: AppState, parts: &mut Parts) -> Response {
    let header_token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .map(str::to_string);
    let session_headers = if header_token.is_none() && Sessions::has_cookie(&parts.headers) {
        if !super::same_origin(&state, &parts.headers) {
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
    let Some(protocol) = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(Protocol::offered)
    else {
        return (
            StatusCode::BAD_REQUEST,
            "offer the WebSocket subprotocol graphql-transport-ws (or the legacy graphql-ws)",
        )
            .into_response();
    };
    if let Some(refused) = connects_refused(&state, parts).await {
        return refused;
    }
    let upgrade = match extract::<WebSocketUpgrade>(parts).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let credentials = Credentials {
        header_token,
        session_headers,
    };
    upgrade
        .protocols(Protocol::NAMES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection::serve(socket, protocol, state, credentials))
}

/// 429 with `Retry-After` when the client's address opened more WebSocket
/// connections than `limits.ws_connects_per_address` allows (counted on
/// every replica when limits are shared).
async fn connects_refused(state: &AppState, parts: &Parts) -> Option<Response> {
    let limiter = state.ws_connects.as_ref()?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0);
    let client = ClientAddr::of(
        peer,
        &parts.headers,
        state.config.server.trust_forwarded_for,
    );
    let wait = limiter.hit(&client.0.to_string()).await.err()?;
    let seconds = wait.as_secs().max(1);
    let mut response = error_response(
        Media::Json,
        StatusCode::TOO_MANY_REQUESTS,
        Code::RateLimited,
        &format!(
            "too many WebSocket connections from this address; try again in {seconds} seconds"
        ),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, seconds.into());
    Some(response)
}
