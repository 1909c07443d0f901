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
//! `limits.max_depth`, `limits.max_complexity`, `limits.max_aliases`;
//! `log.format`, `log.filter`; `metrics.enabled`, `metrics.listen`.

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
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 5000,
            max_aliases: 30,
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
