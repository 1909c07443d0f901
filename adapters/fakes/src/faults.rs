//! Latency and faults injected into any fake, plus a request log.
//!
//! A fake builds its axum [`Router`](axum::Router) and adds
//! `.layer(faults::layer(faults.clone(), render))` and
//! `.layer(log.layer())` (the log outermost, so faulted requests are
//! recorded too). Tests then [`Faults::inject`] rules:
//!
//! - [`Fault::Status`] answers with a status and the fake's own error
//!   envelope (`render` builds it, so every fake keeps its wire format);
//! - [`Fault::RateLimited`] answers 429 with `Retry-After` (whole seconds);
//! - [`Fault::Stall`] waits before handling (a client times out);
//! - [`Fault::Reset`] drops the connection before any byte of the response
//!   is written: the client sees a transport error, never a status.
//!
//! A rule with [`Rule::after_handler`] lets the request be handled first
//! (its writes happen) and then replaces the answer by the fault: the
//! "write happened but the client never heard" case.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use bytes::Bytes;
use tower_layer::Layer;
use tower_service::Service;

/// One injected misbehaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and the fake's own error envelope.
    Status(u16),
    /// 429 + `Retry-After` (whole seconds, at least 1) + the fake's envelope and headers.
    RateLimited {
        /// How long the client is told to wait.
        retry_after: Duration,
    },
    /// Wait this long before handling (a client timeout).
    Stall(Duration),
    /// Drop the connection without any HTTP response (the client sees a transport error).
    Reset,
}

impl Fault {
    /// The `Retry-After` value of a [`Fault::RateLimited`], in whole seconds (at least 1).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Fault::RateLimited { retry_after } => {
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                Some(secs.max(1))
            }
            _ => None,
        }
    }
}

/// Which requests a rule applies to, how often, and whether the request is
/// first handled (the write happens, the answer is lost).
#[derive(Debug, Clone)]
pub struct Rule {
    fault: Fault,
    remaining: usize,
    method: Option<Method>,
    path_prefix: Option<String>,
    after_handler: bool,
}

impl Rule {
    /// A rule that applies once, to any request, before handling.
    pub fn new(fault: Fault) -> Self {
        Rule {
            fault,
            remaining: 1,
            method: None,
            path_prefix: None,
            after_handler: false,
        }
    }

    /// Applies to the first `n` matching requests (instead of one).
    pub fn times(mut self, n: usize) -> Self {
        self.remaining = n;
        self
    }

    /// Only requests with this method match.
    pub fn method(mut self, m: Method) -> Self {
        self.method = Some(m);
        self
    }

    /// Only requests whose path starts with `p` match.
    pub fn path_prefix(mut self, p: impl Into<String>) -> Self {
        self.path_prefix = Some(p.into());
        self
    }

    /// Handle the request (writes happen), then replace the answer by the fault.
    pub fn after_handler(mut self) -> Self {
        self.after_handler = true;
        self
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        self.remaining > 0
            && self.method.as_ref().is_none_or(|m| m == method)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
    }
}

#[derive(Default)]
struct FaultState {
    rules: VecDeque<Rule>,
    latency: Duration,
}

/// The faults of one fake: shared, cheap to clone (an `Arc` inside).
#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<FaultState>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, FaultState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a rule (rules are matched in insertion order).
    pub fn inject(&self, rule: Rule) {
        self.lock().rules.push_back(rule);
    }

    /// Latency added to every request.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Removes every rule and the latency.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.rules.clear();
        state.latency = Duration::ZERO;
    }

    /// Rule applications left.
    pub fn pending(&self) -> usize {
        self.lock().rules.iter().map(|r| r.remaining).sum()
    }

    /// The latency and, if one matches, the rule to apply (consuming one application).
    fn take(&self, method: &Method, path: &str) -> (Duration, Option<(Fault, bool)>) {
        let mut state = self.lock();
        let latency = state.latency;
        let Some(index) = state.rules.iter().position(|r| r.matches(method, path)) else {
            return (latency, None);
        };
        let rule = &mut state.rules[index];
        rule.remaining -= 1;
        let hit = (rule.fault.clone(), rule.after_handler);
        if rule.remaining == 0 {
            state.rules.remove(index);
        }
        (latency, Some(hit))
    }
}

/// A response whose body fails before its first byte: hyper then closes the
/// connection without flushing the head, so the client sees a transport error.
fn reset_response() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected connection reset",
        ))
    });
    Response::new(Body::from_stream(stream))
}

/// The axum middleware applying the faults; `render` turns
/// [`Fault::Status`]/[`Fault::RateLimited`] into that API's response (error
/// envelope and headers), so each fake keeps its own wire format.
pub fn layer(faults: Faults, render: fn(&Fault) -> Response) -> FaultLayer {
    FaultLayer { faults, render }
}

/// The layer returned by [`layer`]; use it with `Router::layer`.
#[derive(Clone)]
pub struct FaultLayer {
    faults: Faults,
    render: fn(&Fault) -> Response,
}

impl<S> Layer<S> for FaultLayer {
    type Service = FaultService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FaultService {
            inner,
            faults: self.faults.clone(),
            render: self.render,
        }
    }
}

/// The service of a [`FaultLayer`].
#[derive(Clone)]
pub struct FaultService<S> {
    inner: S,
    faults: Faults,
    render: fn(&Fault) -> Response,
}

/// The boxed future both middleware services return.
pub type BoxResponseFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Service<Request> for FaultService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // Take the service that was driven to readiness, leave a fresh clone.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let (latency, hit) = self.faults.take(request.method(), request.uri().path());
        let render = self.render;
        Box::pin(async move {
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let Some((fault, after_handler)) = hit else {
                return inner.call(request).await;
            };
            if !after_handler {
                return match fault {
                    Fault::Status(_) | Fault::RateLimited { .. } => Ok(render(&fault)),
                    Fault::Reset => Ok(reset_response()),
                    Fault::Stall(d) => {
                        tokio::time::sleep(d).await;
                        inner.call(request).await
                    }
                };
            }
            let handled = inner.call(request).await?;
            let response = match fault {
                Fault::Status(_) | Fault::RateLimited { .. } => render(&fault),
                Fault::Reset => reset_response(),
                Fault::Stall(d) => {
                    tokio::time::sleep(d).await;
                    handled
                }
            };
            Ok(response)
        })
    }
}

/// One request a fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path (no query).
    pub path: String,
    /// The raw query string ("" when none).
    pub query: String,
    /// The W3C `traceparent` header, when the request carried one.
    pub traceparent: Option<String>,
}

/// Every request a fake received, in arrival order; cheap to clone.
#[derive(Clone, Default)]
pub struct RequestLog {
    entries: Arc<Mutex<Vec<LoggedRequest>>>,
}

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, Vec<LoggedRequest>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the entries so far.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.lock().clone()
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many requests were recorded.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// A layer recording every request into this log (add it outermost).
    pub fn layer(&self) -> LogLayer {
        LogLayer { log: self.clone() }
    }

    fn record(&self, request: &Request) {
        self.lock().push(LoggedRequest {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().unwrap_or("").to_owned(),
            traceparent: request
                .headers()
                .get("traceparent")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
    }
}

/// The layer returned by [`RequestLog::layer`].
#[derive(Clone)]
pub struct LogLayer {
    log: RequestLog,
}

impl<S> Layer<S> for LogLayer {
    type Service = LogService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LogService {
            inner,
            log: self.log.clone(),
        }
    }
}

/// The service of a [`LogLayer`].
#[derive(Clone)]
pub struct LogService<S> {
    inner: S,
    log: RequestLog,
}

impl<S> Service<Request> for LogService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        self.log.record(&request);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move { inner.call(request).await })
    }
}
