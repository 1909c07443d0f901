//! `[server]`, `[operator_login]`, `[limits]` and `[log]`: how the gateway
//! listens and what it admits.
//!
//! Settings read: `server.listen`, `server.public_url`,
//! `server.request_timeout_ms`, `server.body_limit_bytes`,
//! `server.upload_limit_bytes`, `server.batch_requests`, `server.mode`,
//! `server.graphiql`, `server.introspection`, `server.graphiql_assets`,
//! `server.trust_forwarded_for`, `server.connection_init_timeout_ms`,
//! `server.sign_in_as`, `server.documents`, `server.document_manifests`,
//! `server.automatic_persisted_queries`, `server.drain_grace_ms`,
//! `server.drain_deadline_ms`; `operator_login.*`;
//! `limits.max_depth`, `limits.max_complexity`, `limits.max_aliases`,
//! `limits.store`, `limits.redis_url`, `limits.redis_prefix`,
//! `limits.redis_secret`, `limits.redis_timeout_ms`,
//! `limits.ws_connects_per_address`, `limits.ws_connects_window_secs`;
//! `log.format`, `log.filter`; `metrics.enabled`, `metrics.listen`;
//! `traces.endpoint`, `traces.service_name`, `traces.sample_ratio`,
//! `traces.documents`, `traces.client_sampling`, `traces.timeout_ms`.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[metrics]`: Prometheus metrics at `/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Measure and serve metrics (on by default).
    pub enabled: bool,
    /// Serve `/metrics` on this address only (an admin listener, say on an
    /// internal interface); unset: on the main listener.
    pub listen: Option<SocketAddr>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: None,
        }
    }
}

/// `[traces]`: OpenTelemetry traces over OTLP/HTTP (see
/// [`crate::telemetry`]); off unless `endpoint` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TracesConfig {
    /// The collector's OTLP/HTTP base URL (`http://collector:4318`); spans
    /// go to `<endpoint>/v1/traces`. Unset: no traces.
    pub endpoint: Option<String>,
    /// `service.name` of the spans.
    pub service_name: String,
    /// The share of traces started here that are kept (0 to 1); a client's
    /// `traceparent` decides for its own.
    pub sample_ratio: f64,
    /// Put the GraphQL document on operation spans (`graphql.document`).
    /// Off by default: documents may carry customer data in literals.
    pub documents: bool,
    /// Follow the sampling decision of a client's `traceparent` (on by
    /// default); off: `sample_ratio` decides every trace, the client's
    /// included (its trace id is kept either way).
    pub client_sampling: bool,
    /// How long one export may take.
    pub timeout_ms: u64,
}

impl Default for TracesConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            service_name: "switchboard".into(),
            sample_ratio: 1.0,
            documents: false,
            client_sampling: true,
            timeout_ms: 3000,
        }
    }
}

/// `[server]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The URL clients reach the gateway at (for download links and the
    /// embedded issuer); `http://{listen}` when unset.
    pub public_url: Option<String>,
    /// Longest a GraphQL request may run.
    pub request_timeout_ms: u64,
    /// Largest JSON request body.
    pub body_limit_bytes: usize,
    /// Largest uploaded file.
    pub upload_limit_bytes: usize,
    /// Accept batched (array) GraphQL requests.
    pub batch_requests: bool,
    /// Development keeps GraphiQL and introspection open; production
    /// limits both to operators unless set explicitly.
    pub mode: Mode,
    /// Who may use GraphiQL at `/graphiql`; the mode decides when unset.
    pub graphiql: Option<Access>,
    /// Who gets answers to introspection queries (`__schema`, `__type`);
    /// the mode decides when unset.
    pub introspection: Option<Access>,
    /// A folder holding GraphiQL's npm packages to serve instead of those
    /// built into the binary (`npm ci` in `web/graphiql` fills
    /// `web/graphiql/node_modules`, which a build embeds).
    pub graphiql_assets: Option<PathBuf>,
    /// Take the client address from `X-Forwarded-For` (set only behind a
    /// proxy that writes it); otherwise the connection's peer address.
    pub trust_forwarded_for: bool,
    /// How long a WebSocket client has to send `connection_init`.
    pub connection_init_timeout_ms: u64,
    /// GraphiQL's "sign in as" for the demo users (a cookie session minted
    /// by the embedded issuer). Unset: on in development mode when the
    /// listener is on a loopback address and demo data is on; never in
    /// production mode.
    pub sign_in_as: Option<bool>,
    /// Which documents run: `any`, or `persisted-only` (ids from the
    /// manifests, or their exact text; operators' GraphiQL excepted).
    pub documents: Documents,
    /// Persisted-query manifests a frontend build produced (Apollo's
    /// `apollo-persisted-query-manifest` format, or a flat `{id: text}`).
    pub document_manifests: Vec<PathBuf>,
    /// Automatic persisted queries: clients may register a document by its
    /// SHA-256 and then send only the hash (never in `persisted-only`).
    pub automatic_persisted_queries: bool,
    /// After a stop signal: how long new connections are still served
    /// while `/readyz` answers 503 "draining", for the load balancer to
    /// take the replica out. Unset: 5,000 in production mode, 0 in
    /// development mode.
    pub drain_grace_ms: Option<u64>,
    /// Then: how long running requests and subscribers get to finish
    /// before the process exits anyway.
    pub drain_deadline_ms: u64,
}

/// Which documents the gateway runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Documents {
    /// Any valid document.
    #[default]
    Any,
    /// Only the documents of the configured manifests.
    PersistedOnly,
}

/// How the gateway is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Developer tools open to every caller.
    Development,
    /// Developer tools for operators only.
    Production,
}

/// Who may use a developer tool (GraphiQL, introspection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Nobody.
    Off,
    /// Every caller.
    Open,
    /// Callers with the OPERATOR role.
    Operators,
}

impl<'de> Deserialize<'de> for Access {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AccessVisitor)
    }
}

/// Reads `off`/`open`/`operators`, or `false`/`true` as `off`/`open`.
struct AccessVisitor;

impl serde::de::Visitor<'_> for AccessVisitor {
    type Value = Access;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("`off`, `open` or `operators`")
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Access, E> {
        Ok(if value { Access::Open } else { Access::Off })
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Access, E> {
        match value {
            "off" | "false" => Ok(Access::Off),
            "open" | "true" => Ok(Access::Open),
            "operators" => Ok(Access::Operators),
            other => Err(E::invalid_value(serde::de::Unexpected::Str(other), &self)),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            request_timeout_ms: 30_000,
            body_limit_bytes: 1024 * 1024,
            upload_limit_bytes: 25 * 1024 * 1024,
            batch_requests: false,
            mode: Mode::Development,
            graphiql: None,
            introspection: None,
            graphiql_assets: None,
            trust_forwarded_for: false,
            connection_init_timeout_ms: 10_000,
            sign_in_as: None,
            documents: Documents::Any,
            document_manifests: Vec::new(),
            automatic_persisted_queries: true,
            drain_grace_ms: None,
            drain_deadline_ms: 20_000,
        }
    }
}

/// `[operator_login]`: GraphiQL's sign-in through an OpenID Provider
/// (authorization code with PKCE). Off while `issuer` is unset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OperatorLoginConfig {
    /// The OpenID Provider's issuer URL (its discovery document lives
    /// under it). Its access tokens must be trusted by `[auth]`.
    pub issuer: Option<String>,
    /// The gateway's client id at the provider.
    pub client_id: String,
    /// The client secret; unset for a public client (PKCE only).
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back;
    /// `{public_url}/graphiql/callback` when unset.
    pub redirect_url: Option<String>,
    /// Scopes to ask for besides `openid`.
    pub scopes: Vec<String>,
    /// Longest a session lasts (it also ends when its access token expires).
    pub session_ttl_secs: u64,
}

impl Default for OperatorLoginConfig {
    fn default() -> Self {
        Self {
            issuer: None,
            client_id: "switchboard-graphiql".into(),
            client_secret: None,
            redirect_url: None,
            scopes: Vec::new(),
            session_ttl_secs: 8 * 3600,
        }
    }
}

/// `[limits]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Highest query complexity (each field costs 1, lists multiply).
    pub max_complexity: usize,
    /// Most aliased fields in one document.
    pub max_aliases: usize,
    /// Where rate limits are counted (see [`crate::limits`]).
    pub store: LimitStore,
    /// The Redis limits are counted on (`redis://host:port/db`), with
    /// `store = "redis"`.
    pub redis_url: Option<String>,
    /// What the Redis keys of this deployment start with: replicas of one
    /// gateway share it, deployments sharing a Redis do not.
    pub redis_prefix: String,
    /// The key of the HMAC naming limited logins and addresses in Redis
    /// (the same on every replica); unset: plain SHA-256 digests.
    pub redis_secret: Option<String>,
    /// How long an attempt waits for Redis before counting in memory.
    pub redis_timeout_ms: u64,
    /// WebSocket upgrades per client address and window, at most (0: no
    /// limit). Refused upgrades get 429 with `Retry-After`.
    pub ws_connects_per_address: u32,
    /// The window of `ws_connects_per_address`.
    pub ws_connects_window_secs: u64,
}

/// Where rate limits are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitStore {
    /// In each process.
    Memory,
    /// On Redis, shared by every replica.
    Redis,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 5000,
            max_aliases: 30,
            store: LimitStore::Memory,
            redis_url: None,
            redis_prefix: "switchboard".into(),
            redis_secret: None,
            redis_timeout_ms: 300,
            ws_connects_per_address: 0,
            ws_connects_window_secs: 60,
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
    /// Which events to record, as `RUST_LOG` directives.
    pub filter: String,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}
