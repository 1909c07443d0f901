//! Requests to the instance: credentials, per-request timeout, retries of
//! idempotent calls (exponential backoff with full jitter, `Retry-After`),
//! the circuit breaker, and single-flight GETs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use reqwest::Method;
use switchboard_core::Error;

use crate::auth::Authorizer;
use crate::breaker::Breaker;
use crate::settings::Settings;

/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// The longest backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Why a request failed. Never holds credentials or raw bodies.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum HttpError {
    /// Nothing was sent (connection refused, breaker open).
    #[error("not sent: {0}")]
    NotSent(String),
    /// Sent, but the outcome is unknown (timeout, reset, 5xx, 429).
    #[error("no usable answer: {0}")]
    Ambiguous(String),
    /// The instance refused the credentials, even after a refresh.
    #[error("authentication refused")]
    Unauthorized,
    /// 404.
    #[error("not found")]
    NotFound,
    /// 403 (ACL, business rule or data policy); the detail is the envelope's.
    #[error("refused: {0}")]
    Forbidden(String),
    /// Another 4xx.
    #[error("HTTP {0}")]
    Status(u16),
    /// The body does not follow the contract.
    #[error("unexpected payload: {0}")]
    Payload(String),
}

impl HttpError {
    /// Whether the write may have happened although no answer says so.
    pub(crate) fn ambiguous(&self) -> bool {
        matches!(self, HttpError::Ambiguous(_))
    }

    /// The shared error, logging the detail.
    pub(crate) fn into_core(self, what: &str) -> Error {
        match self {
            HttpError::NotFound => Error::not_found(what),
            HttpError::Forbidden(detail) => {
                tracing::warn!(adapter.name = crate::BACKEND, %detail, "ServiceNow refused a change to {what}");
                if detail.to_ascii_lowercase().contains("closed") {
                    Error::Conflict(format!(
                        "{what} is closed or canceled in ServiceNow and cannot be changed"
                    ))
                } else {
                    Error::Conflict(format!(
                        "ServiceNow refused the change to {what} (a business rule or data policy)"
                    ))
                }
            }
            HttpError::Payload(detail) => {
                tracing::error!(adapter.name = crate::BACKEND, %detail, "ServiceNow answered an unexpected payload for {what}");
                Error::Internal
            }
            HttpError::Status(status) => {
                tracing::error!(
                    adapter.name = crate::BACKEND,
                    http.status = status,
                    "ServiceNow refused a request for {what}"
                );
                Error::Internal
            }
            HttpError::Unauthorized | HttpError::NotSent(_) | HttpError::Ambiguous(_) => {
                tracing::warn!(adapter.name = crate::BACKEND, error = %self, "ServiceNow is unavailable for {what}");
                Error::unavailable(crate::BACKEND)
            }
        }
    }
}

/// A request body.
#[derive(Clone)]
pub(crate) enum Body {
    /// `application/json`.
    Json(Vec<u8>),
    /// Raw bytes of a media type (attachment uploads).
    Raw(Bytes, String),
}

/// One request to the instance.
#[derive(Clone)]
pub(crate) struct Req {
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: String,
    pub body: Option<Body>,
    /// Safe to send again (GET, PATCH of the same fields, DELETE).
    pub idempotent: bool,
}

impl Req {
    pub(crate) fn get(path: String) -> Self {
        Self {
            method: Method::GET,
            path,
            body: None,
            idempotent: true,
        }
    }

    pub(crate) fn json(
        method: Method,
        path: String,
        body: &serde_json::Value,
        idempotent: bool,
    ) -> Self {
        Self {
            method,
            path,
            body: Some(Body::Json(serde_json::to_vec(body).unwrap_or_default())),
            idempotent,
        }
    }
}

/// A whole answer.
#[derive(Debug, Clone)]
pub(crate) struct Resp {
    pub total: Option<u64>,
    pub body: Bytes,
}

type SharedGet = Shared<BoxFuture<'static, Result<Resp, HttpError>>>;

/// The client of one instance.
pub(crate) struct Http {
    client: reqwest::Client,
    base: String,
    host: String,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    breaker: Breaker,
    auth: Authorizer,
    requests: AtomicU64,
    inflight: Mutex<HashMap<String, SharedGet>>,
}

impl Http {
    pub(crate) fn new(settings: &Settings) -> Result<Self, String> {
        let base = settings.base_url()?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_millis(settings.timeout_ms.max(1)))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            base,
            host: settings.host(),
            timeout: Duration::from_millis(settings.timeout_ms.max(1)),
            retries: settings.retries,
            backoff: Duration::from_millis(settings.backoff_ms),
            breaker: Breaker::new(
                settings.breaker_failures,
                Duration::from_millis(settings.breaker_cooldown_ms),
            ),
            auth: Authorizer::new(settings.auth.clone()),
            requests: AtomicU64::new(0),
            inflight: Mutex::new(HashMap::new()),
        })
    }

    /// Requests sent so far (every attempt, token requests included).
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A GET; identical GETs in flight share one request.
    pub(crate) async fn get(self: &Arc<Self>, path: String) -> Result<Resp, HttpError> {
        let shared = {
            let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(shared) = inflight.get(&path) {
                shared.clone()
            } else {
                let this = self.clone();
                let key = path.clone();
                let fut: BoxFuture<'static, Result<Resp, HttpError>> = async move {
                    let result = this.send(Req::get(key.clone())).await;
                    this.inflight
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&key);
                    result
                }
                .boxed();
                let shared = fut.shared();
                inflight.insert(path, shared.clone());
                shared
            }
        };
        shared.await
    }

    /// Sends `req` and reads the whole answer.
    pub(crate) async fn send(&self, req: Req) -> Result<Resp, HttpError> {
        let response = self.run(req).await?;
        let total = response
            .headers()
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        match tokio::time::timeout(self.timeout, response.bytes()).await {
            Ok(Ok(body)) => Ok(Resp { total, body }),
            Ok(Err(e)) => Err(HttpError::Ambiguous(format!(
                "reading the body: {}",
                e.without_url()
            ))),
            Err(_) => Err(HttpError::Ambiguous("timeout reading the body".into())),
        }
    }

    /// Sends `req` and hands back the response unread (downloads stream).
    pub(crate) async fn send_streaming(&self, req: Req) -> Result<reqwest::Response, HttpError> {
        self.run(req).await
    }

    /// [`Http::attempts`], timed into
    /// `switchboard_backend_call_duration_seconds{backend = "servicenow",
    /// operation, outcome}` (retries included), in a span of its own when
    /// traces are on.
    async fn run(&self, req: Req) -> Result<reqwest::Response, HttpError> {
        let operation = operation_of(&req);
        switchboard_core::upstream::traced(
            crate::BACKEND,
            operation,
            self.attempts(req),
            |result| match result {
                Ok(_) => "ok",
                Err(HttpError::NotSent(_)) => "not_sent",
                Err(_) => "error",
            },
        )
        .await
    }

    /// Sends `req` until a success (2xx), a final failure or the retry budget.
    async fn attempts(&self, req: Req) -> Result<reqwest::Response, HttpError> {
        let mut attempt: u32 = 0;
        let mut refused_auth: Option<String> = None;
        let mut refreshed = false;
        loop {
            if !self.breaker.allow() {
                return Err(HttpError::NotSent("the circuit breaker is open".into()));
            }
            let header = self.auth.header(self, refused_auth.as_deref()).await?;
            let outcome = self.attempt(&req, &header).await;
            let (error, retry_after) = match outcome {
                Ok(response) => {
                    let status = response.status().as_u16();
                    match status {
                        200..=299 => {
                            self.breaker.success();
                            return Ok(response);
                        }
                        401 => {
                            self.breaker.success();
                            if refreshed {
                                tracing::error!(
                                    adapter.name = crate::BACKEND,
                                    instance.host = %self.host,
                                    "ServiceNow refuses the configured credentials (401 after a token refresh)"
                                );
                                return Err(HttpError::Unauthorized);
                            }
                            refreshed = true;
                            refused_auth = Some(header);
                            continue;
                        }
                        429 | 500..=599 => {
                            self.breaker.failure();
                            let retry_after = response
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.trim().parse::<u64>().ok())
                                .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
                            (HttpError::Ambiguous(format!("HTTP {status}")), retry_after)
                        }
                        _ => {
                            self.breaker.success();
                            return Err(client_error(status, response).await);
                        }
                    }
                }
                Err(error) => {
                    self.breaker.failure();
                    (error, None)
                }
            };
            let retryable = req.idempotent || matches!(error, HttpError::NotSent(_));
            if !retryable || attempt >= self.retries {
                return Err(error);
            }
            let delay = retry_after.unwrap_or_else(|| self.backoff_for(attempt));
            tracing::debug!(
                adapter.name = crate::BACKEND,
                %error,
                attempt,
                delay_ms = delay.as_millis() as u64,
                "retrying a ServiceNow request"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    fn backoff_for(&self, attempt: u32) -> Duration {
        let ceiling = self
            .backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(MAX_BACKOFF);
        let millis = ceiling.as_millis() as u64;
        if millis == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rand::random::<u64>() % (millis + 1))
    }

    async fn attempt(&self, req: &Req, auth: &str) -> Result<reqwest::Response, HttpError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let url = format!("{}{}", self.base, req.path);
        let mut builder = self
            .client
            .request(req.method.clone(), url)
            .header(
                "Accept",
                if req.path.ends_with("/file") {
                    "*/*"
                } else {
                    "application/json"
                },
            )
            .header("Authorization", auth);
        if let Some(traceparent) = switchboard_core::upstream::traceparent() {
            builder = builder.header("traceparent", traceparent);
        }
        match &req.body {
            Some(Body::Json(bytes)) => {
                builder = builder
                    .header("Content-Type", "application/json")
                    .body(bytes.clone());
            }
            Some(Body::Raw(bytes, content_type)) => {
                builder = builder
                    .header("Content-Type", content_type.as_str())
                    .body(bytes.clone());
            }
            None => {}
        }
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(self.timeout, builder.send()).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        match result {
            Err(_) => {
                tracing::warn!(adapter.name = crate::BACKEND, http.method = %req.method, duration_ms, "ServiceNow request timed out");
                Err(HttpError::Ambiguous("timeout".into()))
            }
            Ok(Err(e)) if e.is_connect() => {
                Err(HttpError::NotSent(format!("connect: {}", e.without_url())))
            }
            Ok(Err(e)) => Err(HttpError::Ambiguous(format!(
                "transport: {}",
                e.without_url()
            ))),
            Ok(Ok(response)) => {
                tracing::debug!(
                    adapter.name = crate::BACKEND,
                    http.method = %req.method,
                    http.status = response.status().as_u16(),
                    duration_ms,
                    "ServiceNow answered"
                );
                Ok(response)
            }
        }
    }

    /// `POST /oauth_token.do` with `form`; the answer's body.
    pub(crate) async fn token_request(&self, form: &[(&str, String)]) -> Result<Bytes, HttpError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if !self.breaker.allow() {
            return Err(HttpError::NotSent("the circuit breaker is open".into()));
        }
        let url = format!("{}/oauth_token.do", self.base);
        let send = self
            .client
            .post(url)
            .header("Accept", "application/json")
            .form(form)
            .send();
        let response = match tokio::time::timeout(self.timeout, send).await {
            Err(_) => {
                self.breaker.failure();
                return Err(HttpError::Ambiguous("token request timed out".into()));
            }
            Ok(Err(e)) => {
                self.breaker.failure();
                return Err(HttpError::Ambiguous(format!(
                    "token request: {}",
                    e.without_url()
                )));
            }
            Ok(Ok(r)) => r,
        };
        let status = response.status().as_u16();
        if status >= 500 || status == 429 {
            self.breaker.failure();
            return Err(HttpError::Ambiguous(format!(
                "token request: HTTP {status}"
            )));
        }
        self.breaker.success();
        if !(200..300).contains(&status) {
            tracing::error!(
                adapter.name = crate::BACKEND,
                instance.host = %self.host,
                http.status = status,
                "ServiceNow refused the OAuth client or user"
            );
            return Err(HttpError::Unauthorized);
        }
        match tokio::time::timeout(self.timeout, response.bytes()).await {
            Ok(Ok(body)) => Ok(body),
            _ => Err(HttpError::Ambiguous("reading the token response".into())),
        }
    }
}

async fn client_error(status: u16, response: reqwest::Response) -> HttpError {
    match status {
        404 => HttpError::NotFound,
        403 => {
            let detail = response
                .bytes()
                .await
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| {
                    v.pointer("/error/detail")
                        .and_then(|d| d.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_default();
            // Only the first line, bounded: it goes to logs and picks a message.
            HttpError::Forbidden(detail.chars().take(200).collect())
        }
        other => HttpError::Status(other),
    }
}

/// A request's operation label: its method and the API it names
/// (`GET table/sn_customerservice_case`, `POST attachment`), never an id.
fn operation_of(req: &Req) -> String {
    let path = req.path.split('?').next().unwrap_or("");
    let mut parts = path.trim_start_matches('/').split('/').skip(2);
    let api = parts.next().unwrap_or("");
    let resource = match api {
        "table" | "stats" => parts.next().map(|name| format!("{api}/{name}")),
        _ => None,
    }
    .unwrap_or_else(|| api.to_string());
    let named = !resource.is_empty()
        && resource
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/');
    format!(
        "{} {}",
        req.method,
        if named { resource.as_str() } else { "other" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_name_the_api_not_the_record() {
        let table =
            Req::get("/api/now/table/sn_customerservice_case/abc123?sysparm_fields=number".into());
        assert_eq!(operation_of(&table), "GET table/sn_customerservice_case");
        let file = Req::get("/api/now/attachment/0f1e2d/file".into());
        assert_eq!(operation_of(&file), "GET attachment");
        let odd = Req::get("/api/now/x%20y".into());
        assert_eq!(operation_of(&odd), "GET other");
    }
}
