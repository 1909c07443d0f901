//! Logging through `tracing`, and OpenTelemetry traces exported over OTLP
//! when `traces.endpoint` is set.
//!
//! With traces on, the spans the gateway opens become OpenTelemetry spans
//! (through `tracing-opentelemetry`): one per HTTP request (continuing the
//! client's W3C `traceparent` when it sends one; see [`http_span`]), one per
//! GraphQL operation and root resolver (`graphql::tracing`), one per SQL
//! statement and one per upstream call (`switchboard_core::upstream`),
//! whose requests carry the `traceparent` of their span. A batch of ended
//! spans is sent to `<endpoint>/v1/traces` (OTLP/HTTP, protobuf) from a
//! thread of the exporter's own, off the request path; a collector that
//! does not answer loses spans, never requests. Log lines written inside a
//! traced request carry its `trace_id` (a field of the request's span).

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::{LogConfig, LogFormat, TracesConfig};

/// The provider exporting spans, flushed at the exit ([`flush`]).
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Whether operation spans carry the GraphQL document (`traces.documents`).
static DOCUMENTS: OnceLock<bool> = OnceLock::new();

/// Installs the global subscriber; `RUST_LOG` wins over the configured
/// filter. With `traces` (an endpoint set), spans are also exported.
/// Calling it twice is harmless (the second call does nothing).
pub fn init(config: &LogConfig, traces: Option<&TracesConfig>) -> anyhow::Result<()> {
    let mut filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    if traces.is_some_and(|t| t.endpoint.is_some())
        && let Ok(request_spans) = "switchboard::http=info".parse()
    {
        // The request's span (it has no events of its own) reaches the
        // log lines whatever their level, so each carries its trace id.
        filter = filter.add_directive(request_spans);
    }
    let fmt = tracing_subscriber::fmt::layer().with_target(false);
    let fmt = match config.format {
        LogFormat::Json => fmt.json().flatten_event(true).boxed(),
        LogFormat::Text => fmt.boxed(),
    };
    let otel = match traces.filter(|t| t.endpoint.is_some()) {
        Some(traces) => Some(exporting(traces)?),
        None => None,
    };
    let registry = tracing_subscriber::registry().with(fmt.with_filter(filter));
    let installed = match otel {
        Some(provider) => {
            let tracer = provider.tracer("switchboard");
            let layer = tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
            let installed = registry.with(layer).try_init().is_ok();
            if installed {
                opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
                switchboard_core::upstream::enable_tracing(current_traceparent);
                let _ = DOCUMENTS.set(traces.is_some_and(|t| t.documents));
                let _ = PROVIDER.set(provider);
            }
            installed
        }
        None => registry.try_init().is_ok(),
    };
    if installed && let Some(traces) = traces.filter(|t| t.endpoint.is_some()) {
        tracing::info!(
            traces.endpoint = traces.endpoint.as_deref().unwrap_or_default(),
            traces.sample_ratio = traces.sample_ratio,
            "exporting traces over OTLP"
        );
    }
    Ok(())
}

/// The provider sending spans to the configured endpoint.
fn exporting(traces: &TracesConfig) -> anyhow::Result<SdkTracerProvider> {
    let endpoint = traces.endpoint.as_deref().unwrap_or_default();
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| anyhow::anyhow!("traces need the gateway's runtime"))?;
    let timeout = Duration::from_millis(traces.timeout_ms);
    let client = OtlpClient {
        http: reqwest::Client::builder().timeout(timeout).build()?,
        runtime,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_endpoint(url)
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_timeout(timeout)
        .build()
        .map_err(|e| anyhow::anyhow!("`traces.endpoint`: {e}"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(traces.service_name.clone())
        .build();
    // Traces that start here are kept at the configured ratio; a client's
    // sampling decision (in its traceparent) is followed unless
    // `client_sampling` is off. Either way a span's children follow it
    // (the ratio decides by trace id, the same for the whole trace).
    let ratio = Sampler::TraceIdRatioBased(traces.sample_ratio);
    let sampler = if traces.client_sampling {
        Sampler::ParentBased(Box::new(ratio))
    } else {
        ratio
    };
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler)
        .with_resource(resource)
        .build())
}

/// Sends what the exporter's thread hands over, on the gateway's runtime
/// (its HTTP client needs one; the exporter's thread has none).
#[derive(Debug, Clone)]
struct OtlpClient {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OtlpClient {
    async fn send_bytes(
        &self,
        request: axum::http::Request<bytes::Bytes>,
    ) -> Result<axum::http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        let http = self.http.clone();
        let sent = self.runtime.spawn(async move {
            let (parts, body) = request.into_parts();
            let response = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let mut answer = axum::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = response.bytes().await?;
            Ok::<_, opentelemetry_http::HttpError>(answer.body(body)?)
        });
        sent.await?
    }
}

/// Sends the spans still buffered (at the exit), for at most a few seconds.
pub async fn flush() {
    if let Some(provider) = PROVIDER.get() {
        let provider = provider.clone();
        let flushed = tokio::task::spawn_blocking(move || provider.force_flush());
        if let Ok(Ok(Err(e))) = tokio::time::timeout(Duration::from_secs(5), flushed).await {
            tracing::warn!(error = %e, "traces could not all be sent at the exit");
        }
    }
}

/// The W3C `traceparent` of the current span, when it belongs to a trace.
fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = TraceParentCarrier(None);
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.0
}

struct TraceParentCarrier(Option<String>);

impl Injector for TraceParentCarrier {
    fn set(&mut self, key: &str, value: String) {
        if key == "traceparent" {
            self.0 = Some(value);
        }
    }
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The middleware that opens each HTTP request's server span (installed
/// only with traces on): named `<method> <route>`, with the semantic
/// conventions' attributes, a child of the client's `traceparent` when it
/// sends one, and its `trace_id` as a field for the log lines inside.
pub async fn http_span(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string());
    let method = request.method().as_str().to_string();
    let span = tracing::info_span!(
        target: "switchboard::http",
        "http request",
        otel.name = %format!("{method} {}", route.as_deref().unwrap_or("")).trim_end(),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = %method,
        http.route = route.as_deref().unwrap_or(""),
        url.path = %request.uri().path(),
        url.scheme = "http",
        user_agent.original = request
            .headers()
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
        http.response.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
    );
    let parent = TraceContextPropagator::new().extract(&Headers(request.headers()));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    let trace_id = span.context().span().span_context().trace_id();
    if trace_id != opentelemetry::trace::TraceId::INVALID {
        span.record("trace_id", tracing::field::display(trace_id));
    }
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "error");
    }
    response
}

/// Whether traces are exported by this process.
pub fn tracing_on() -> bool {
    switchboard_core::upstream::tracing_on()
}

/// Whether operation spans carry the GraphQL document.
pub fn documents_on() -> bool {
    DOCUMENTS.get().copied().unwrap_or(false)
}
