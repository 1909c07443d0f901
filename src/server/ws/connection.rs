//! One WebSocket connection, from `connection_init` to its close: one task
//! reads the client's messages, runs its operations and writes their
//! results (a shared subscription's results are written by its group,
//! see `socket`), so an idle connection costs a socket, its buffers and
//! this state, nothing more.
//!
//! The rules are graphql-transport-ws's (the legacy protocol gets the same
//! close codes): no `connection_init` within
//! `server.connection_init_timeout_ms` closes 4408,
//! a second one 4429, a refused one 4403 with the reason; `subscribe`
//! before the acknowledgement closes 4401, a running id reused 4409, a
//! malformed message 4400, one over the size limit 1009. When the token
//! expires, every operation completes and the socket closes 4401 "token
//! expired". When the replica drains, its subscriptions stop (no
//! `complete`: the client reconnects and subscribes again), its queries
//! and mutations finish, and the socket closes 1001 "going away". Queries
//! and mutations are bound by the request timeout.

use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Request as GqlRequest, Response as GqlResponse};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::HeaderMap;
use futures::StreamExt;
use futures::stream::{AbortHandle, BoxStream};
use serde_json::{Map, Value, json};

use super::fanout::{Item, Key, Member, started_well};
use super::protocol::{ClientMessage, Protocol, Writer, close, close_reason, parse};
use super::socket::Socket;
use super::streams::{MAX_OPERATIONS, Streams};
use crate::auth::{AuthError, Caller, bearer};
use crate::graphql::errors::Code;
use crate::graphql::loaders::Loaders;
use crate::server::AppState;
use crate::server::graphql_http::{
    Answer, Ended, errors_body, is_request_error, response_body, run_once, timed_out,
};

/// How often the server pings an otherwise quiet connection (load
/// balancers drop idle ones).
const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// Where the connection's credentials may come from besides the
/// `connection_init` payload.
pub struct Credentials {
    /// The upgrade request's bearer token.
    pub header_token: Option<String>,
    /// The upgrade request's headers, when an operator's session cookie
    /// may authenticate (checked to come from the gateway's own origin).
    pub session_headers: Option<HeaderMap>,
}

/// What an acknowledged connection runs its operations as.
struct Session {
    /// Who the connection runs as.
    caller: Caller,
    data: Arc<Data>,
    /// An operator's GraphiQL session: any document may run.
    trusted: bool,
    /// When the token expires (seconds since the epoch).
    expires_at: u64,
}

/// One step of an operation's results.
enum Step {
    Result(GqlResponse),
    /// A result of a shared subscription, serialised already.
    Shared(Item),
    TimedOut,
    Panicked,
    Done,
}

impl Step {
    /// Whether a subscription whose first step this is started without
    /// errors.
    fn started_well(&self) -> bool {
        match self {
            Step::Result(response) => response.errors.is_empty(),
            Step::Shared(Item::Next(payload)) => started_well(payload),
            Step::Shared(Item::Refused(_)) | Step::TimedOut | Step::Panicked => false,
            Step::Done => true,
        }
    }
}

/// What the loop does next.
enum Flow {
    Continue,
    Stop,
}

/// Serves one upgraded connection until either side ends it.
pub async fn serve(
    socket: WebSocket,
    protocol: Protocol,
    state: AppState,
    credentials: Credentials,
) {
    let _open = crate::metrics::Live::websocket();
    let _held = state.drain.hold();
    let connection = Connection {
        state,
        writer: Writer(protocol),
        socket: Arc::new(Socket::new(socket)),
        credentials: Some(credentials),
        session: None,
        running: HashMap::new(),
        results: Streams::new(),
        draining: false,
    };
    connection.run().await;
}

struct Connection {
    state: AppState,
    writer: Writer,
    /// Read by this task; written by it and by the shared subscriptions it
    /// runs (see `socket`).
    socket: Arc<Socket<WebSocket>>,
    /// Taken by the first `connection_init`.
    credentials: Option<Credentials>,
    session: Option<Session>,
    /// Running operations by id.
    running: HashMap<Arc<str>, Running>,
    /// Their results, as they come.
    results: Streams<(Arc<str>, Step)>,
    /// The replica drains: no subscription runs; the socket closes once
    /// the running queries and mutations have answered.
    draining: bool,
}

/// A running operation.
struct Running {
    handle: AbortHandle,
    /// A subscription's place in its group, which writes no more of it
    /// once it ends here.
    member: Option<Arc<Member>>,
}

impl Running {
    fn abort(&self) {
        if let Some(member) = &self.member {
            member.end();
        }
        self.handle.abort();
    }

    fn subscription(&self) -> bool {
        self.member.is_some()
    }
}

/// What woke the loop.
enum Wake {
    Incoming(Option<Result<Message, axum::Error>>),
    /// What shared subscriptions left in the socket's backlog was written.
    Flushed(Result<(), axum::Error>),
    Step(Arc<str>, Step),
    InitTimeout,
    Expired,
    KeepAlive,
    Draining,
}

impl Connection {
    async fn run(mut self) {
        let init_timeout =
            Duration::from_millis(self.state.config.server.connection_init_timeout_ms);
        let init_deadline = tokio::time::sleep(init_timeout);
        tokio::pin!(init_deadline);
        // Set when the connection is acknowledged.
        let expiry = tokio::time::sleep(Duration::from_secs(365 * 86_400));
        tokio::pin!(expiry);
        let mut keep_alive =
            tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
        let closing = self.state.drain.closing();
        tokio::pin!(closing);
        loop {
            let acknowledged = self.session.is_some();
            let socket = &self.socket;
            let wake = tokio::select! {
                message = poll_fn(|cx| socket.poll_next(cx)) => Wake::Incoming(message),
                flushed = poll_fn(|cx| socket.poll_backlog(cx)) => Wake::Flushed(flushed),
                Some((id, step)) = self.results.next(), if !self.results.is_empty() => {
                    Wake::Step(id, step)
                }
                () = &mut init_deadline, if !acknowledged && self.credentials.is_some() => {
                    Wake::InitTimeout
                }
                () = &mut expiry, if acknowledged => Wake::Expired,
                _ = keep_alive.tick() => Wake::KeepAlive,
                () = &mut closing, if !self.draining => Wake::Draining,
            };
            let flow = match wake {
                Wake::Incoming(message) => self.on_incoming(message).await,
                Wake::Flushed(Ok(())) => Flow::Continue,
                Wake::Flushed(Err(_)) => Flow::Stop,
                Wake::Step(id, step) => self.on_step(id, step).await,
                Wake::InitTimeout => {
                    self.close(close::INIT_TIMEOUT, "Connection initialisation timeout")
                        .await
                }
                Wake::Expired => self.expire().await,
                Wake::KeepAlive => {
                    let text = self.writer.keep_alive();
                    self.send(text).await
                }
                Wake::Draining => self.drain().await,
            };
            if !acknowledged && let Some(session) = &self.session {
                let left = until(session.expires_at);
                expiry.as_mut().reset(tokio::time::Instant::now() + left);
            }
            if matches!(flow, Flow::Stop) {
                break;
            }
        }
        for (_, running) in self.running.drain() {
            running.abort();
        }
    }

    async fn on_incoming(&mut self, message: Option<Result<Message, axum::Error>>) -> Flow {
        match message {
            None | Some(Ok(Message::Close(_))) => Flow::Stop,
            Some(Err(error)) => {
                if too_big(error) {
                    let reason = format!(
                        "Message too big: the limit is {} bytes",
                        super::MAX_MESSAGE_BYTES
                    );
                    self.close(close::TOO_BIG, &reason).await
                } else {
                    Flow::Stop
                }
            }
            Some(Ok(Message::Text(text))) => match parse(self.writer.0, text.as_str()) {
                Ok(message) => self.on_message(message).await,
                Err(reason) => self.close(close::BAD_REQUEST, &reason).await,
            },
            Some(Ok(Message::Binary(_))) => {
                self.close(
                    close::BAD_REQUEST,
                    "Invalid message received: the protocol is text frames only",
                )
                .await
            }
            // The WebSocket layer answers pings itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Flow::Continue,
        }
    }

    async fn on_message(&mut self, message: ClientMessage) -> Flow {
        match message {
            ClientMessage::Init(payload) => self.init(payload).await,
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, payload).await,
            ClientMessage::Complete { id } => {
                if let Some(running) = self.running.remove(id.as_str()) {
                    running.abort();
                }
                Flow::Continue
            }
            ClientMessage::Ping(payload) => {
                let text = self.writer.pong(payload.as_ref());
                self.send(text).await
            }
            ClientMessage::Pong => Flow::Continue,
            ClientMessage::Terminate => self.close(close::NORMAL, "terminated").await,
        }
    }

    /// `connection_init`: authenticates, then acknowledges or refuses.
    async fn init(&mut self, payload: Value) -> Flow {
        let Some(credentials) = self.credentials.take() else {
            return self
                .close(close::TOO_MANY_INITS, "Too many initialisation requests")
                .await;
        };
        match authenticate(&self.state, &payload, credentials).await {
            Ok((caller, by_cookie)) => {
                let expires_at = caller.expires_at;
                let trusted = by_cookie && caller.principal.operator;
                let data = session_data(&self.state, caller.clone());
                self.session = Some(Session {
                    caller,
                    data: Arc::new(data),
                    trusted,
                    expires_at,
                });
                let text = self.writer.ack();
                self.send(text).await
            }
            Err((code, reason)) => {
                if let Some(text) = self.writer.connection_error(&reason)
                    && matches!(self.send(text).await, Flow::Stop)
                {
                    return Flow::Stop;
                }
                self.close(code, &reason).await
            }
        }
    }

    /// `subscribe`: starts operation `id`.
    async fn subscribe(&mut self, id: String, mut payload: Map<String, Value>) -> Flow {
        let Some(session) = &self.session else {
            return self.close(close::UNAUTHORIZED, "Unauthorized").await;
        };
        if self.running.contains_key(id.as_str()) {
            let reason = format!("Subscriber for {id} already exists");
            return self.close(close::DUPLICATE_ID, &reason).await;
        }
        if self.running.len() >= MAX_OPERATIONS {
            let message = format!(
                "too many operations on this connection: at most {MAX_OPERATIONS} run at once; complete one first"
            );
            let error = json!([{ "message": message, "extensions": { "code": Code::RateLimited.as_str() } }]);
            let text = self.writer.error(&id, &error.to_string());
            return self.send(text).await;
        }
        if let Err(e) = self
            .state
            .documents
            .resolve_object(&mut payload, session.trusted)
        {
            let error =
                json!([{ "message": e.message, "extensions": { "code": e.code.as_str() } }]);
            let text = self.writer.error(&id, &error.to_string());
            return self.send(text).await;
        }
        let request: GqlRequest = match serde_json::from_value(Value::Object(payload)) {
            Ok(request) => request,
            Err(e) => {
                let reason = format!("Invalid message received: {e}");
                return self.close(close::BAD_REQUEST, &reason).await;
            }
        };
        let (request, operation) =
            match self
                .state
                .gate
                .prepare(request, Some(&session.caller), Some(&*session.data))
            {
                Ok(prepared) => (prepared.request, prepared.operation),
                Err(refused) => {
                    let errors = response_body(refused)
                        .get("errors")
                        .cloned()
                        .unwrap_or(Value::Array(Vec::new()));
                    let text = self.writer.error(&id, &errors.to_string());
                    return self.send(text).await;
                }
            };
        let subscription = operation
            .as_ref()
            .is_some_and(|op| op.ty == OperationType::Subscription);
        let name = operation.as_ref().and_then(|op| op.name.clone());
        if subscription && self.draining {
            // The client subscribes again at another replica.
            return self.close_if_drained().await;
        }
        let id: Arc<str> = id.into();
        let mut member = None;
        let steps: BoxStream<'static, Step> = if subscription {
            // Shared with every identical subscription (see fanout), which
            // writes its results to this socket.
            let key = Key::of(&session.caller, &request);
            let state = self.state.clone();
            let joining = Arc::new(Member::new(
                self.socket.clone(),
                id.clone(),
                self.writer,
                name,
            ));
            member = Some(joining.clone());
            self.state
                .fanout
                .join(
                    key,
                    &session.caller,
                    request,
                    &move |runner| session_data(&state, runner),
                    joining,
                )
                .map(Step::Shared)
                .boxed()
        } else {
            let results = self
                .state
                .schema
                .execute_stream_with_session_data(request, session.data.clone());
            // One result, bound by the request timeout like over HTTP.
            let (state, caller) = (self.state.clone(), session.caller.clone());
            futures::stream::once(async move {
                let first = async { results.into_future().await.0 };
                match run_once(&state, operation.as_ref(), Some(&caller), first).await {
                    Ended::Answered(response) => Step::Result(response),
                    Ended::Nothing => Step::Done,
                    Ended::Panicked => Step::Panicked,
                    Ended::TimedOut => Step::TimedOut,
                }
            })
            .boxed()
        };
        let (steps, handle) =
            futures::stream::abortable(steps.chain(futures::stream::once(async { Step::Done })));
        self.running.insert(
            id.clone(),
            Running {
                handle,
                member: member.clone(),
            },
        );
        // Counted while its stream lives: until done, stopped or disconnected;
        // and as an operation once its first result says how it started
        // (here, or as its group writes it).
        let running = subscription.then(crate::metrics::Live::subscription);
        self.results.push(
            steps
                .map(move |step| {
                    let _running = &running;
                    if let Some(member) = &member {
                        member.delivered(step.started_well());
                    }
                    (id.clone(), step)
                })
                .boxed(),
        );
        Flow::Continue
    }

    async fn on_step(&mut self, id: Arc<str>, step: Step) -> Flow {
        if !self.running.contains_key(&id) {
            // Completed by the client, or refused already.
            return Flow::Continue;
        }
        let writer = self.writer;
        let text = match step {
            Step::Result(response) if is_request_error(&response) => {
                if let Some(running) = self.running.remove(&id) {
                    running.abort();
                }
                let errors = response_body(response)
                    .get("errors")
                    .cloned()
                    .unwrap_or(Value::Array(Vec::new()));
                writer.error(&id, &errors.to_string())
            }
            Step::Result(response) => writer.next(&id, &Answer::of(response).text()),
            Step::Shared(Item::Next(payload)) => writer.next(&id, &payload),
            Step::Shared(Item::Refused(errors)) => {
                if let Some(running) = self.running.remove(&id) {
                    running.abort();
                }
                writer.error(&id, &errors)
            }
            Step::TimedOut => writer.next(
                &id,
                &errors_body(Code::BackendUnavailable, &timed_out(&self.state)).to_string(),
            ),
            Step::Panicked => {
                if let Some(running) = self.running.remove(&id) {
                    running.abort();
                }
                let errors = errors_body(Code::Internal, "internal error");
                writer.error(&id, &errors["errors"].to_string())
            }
            Step::Done => {
                self.running.remove(&id);
                writer.complete(&id)
            }
        };
        match self.send(text).await {
            Flow::Continue => self.close_if_drained().await,
            Flow::Stop => Flow::Stop,
        }
    }

    /// The replica drains: subscriptions stop here, without `complete` (the
    /// client subscribes again at another replica); queries and mutations
    /// finish first (the drain's deadline bounds them), then the socket
    /// closes 1001.
    async fn drain(&mut self) -> Flow {
        self.draining = true;
        self.running.retain(|_, running| {
            if running.subscription() {
                running.abort();
            }
            !running.subscription()
        });
        self.close_if_drained().await
    }

    async fn close_if_drained(&mut self) -> Flow {
        if self.draining && self.running.is_empty() {
            self.close(close::GOING_AWAY, "going away").await
        } else {
            Flow::Continue
        }
    }

    /// The token expired: every operation completes, then the socket
    /// closes 4401 (the client reconnects with a new token).
    async fn expire(&mut self) -> Flow {
        let ids: Vec<Arc<str>> = self.running.keys().cloned().collect();
        for id in ids {
            if let Some(running) = self.running.remove(&id) {
                running.abort();
            }
            let text = self.writer.complete(&id);
            if matches!(self.send(text).await, Flow::Stop) {
                return Flow::Stop;
            }
        }
        self.close(close::UNAUTHORIZED, "token expired").await
    }

    async fn send(&mut self, text: String) -> Flow {
        match write(&self.socket, Message::Text(text.into())).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        }
    }

    async fn close(&mut self, code: u16, reason: &str) -> Flow {
        let frame = CloseFrame {
            code,
            reason: close_reason(reason).into(),
        };
        let _ = write(&self.socket, Message::Close(Some(frame))).await;
        Flow::Stop
    }
}

/// Writes `message` to `socket` after whatever waits in its backlog.
async fn write(socket: &Socket<WebSocket>, message: Message) -> Result<(), axum::Error> {
    let mut message = Some(message);
    poll_fn(|cx| socket.poll_send(cx, &mut message)).await
}

/// What operations run with: the caller, and loaders that do not cache
/// (the connection may outlive many changes).
fn session_data(state: &AppState, caller: Caller) -> Data {
    let mut data = Data::default();
    data.insert(Loaders::new(&state.ports, &caller, false));
    data.insert(caller);
    data
}

/// The caller `connection_init` names: its payload's token, else the
/// upgrade request's, else an operator's session cookie (the flag says
/// so). The error is the close code and reason.
async fn authenticate(
    state: &AppState,
    payload: &Value,
    credentials: Credentials,
) -> Result<(Caller, bool), (u16, String)> {
    let token = token_in(payload).or(credentials.header_token);
    let caller = match (token, credentials.session_headers) {
        (Some(token), _) => state.callers.authenticate(&token).await.map(|c| (c, false)),
        (None, Some(headers)) => state
            .sessions
            .caller(&state.callers, &headers)
            .await
            .and_then(|caller| caller.ok_or(AuthError::Missing))
            .map(|c| (c, true)),
        (None, None) => {
            return Err((
                close::FORBIDDEN,
                "Forbidden: connection_init needs {\"Authorization\": \"Bearer …\"}".into(),
            ));
        }
    };
    caller.map_err(|e| match e {
        AuthError::Unavailable(_) => (close::TRY_AGAIN_LATER, e.to_string()),
        other => (close::FORBIDDEN, format!("Forbidden: {other}")),
    })
}

/// The bearer token in a `connection_init` payload:
/// `{"Authorization": "Bearer …"}` or `{"token": "…"}`.
pub fn token_in(payload: &Value) -> Option<String> {
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

/// Whether a read failed because the message was over the size limit.
fn too_big(error: axum::Error) -> bool {
    use tokio_tungstenite::tungstenite::Error;
    error
        .into_inner()
        .downcast::<Error>()
        .is_ok_and(|e| matches!(*e, Error::Capacity(_)))
}

/// How long until `at` (seconds since the epoch).
fn until(at: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_secs(at).saturating_sub(now)
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
