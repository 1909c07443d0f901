//! `[database]`, `[events]` and `[auth]`: where data lives, how events
//! reach other replicas, and how tokens are issued and trusted.
//!
//! Settings read: `database.url` (or `DATABASE_URL`), `database.pool_size`,
//! `database.demo_data`, `database.demo_accounts`, `database.demo_cases`,
//! `database.demo_seed`; `events.backend`, `events.retention_secs`;
//! `auth.issuer`, `auth.audience`,
//! `auth.token_ttl_secs`, `auth.leeway_secs`, `auth.principal_cache_secs`,
//! `auth.issuers[]`.

use serde::{Deserialize, Serialize};

/// `[database]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://…`, or a SQLite path; `{data_dir}/switchboard.db` when unset.
    pub url: Option<String>,
    /// Most connections open at once.
    pub pool_size: usize,
    /// Longest wait for a connection (from the pool, or a new one) before
    /// answering `BACKEND_UNAVAILABLE`.
    pub connect_timeout_ms: u64,
    /// Longest one use of a PostgreSQL connection (a statement, or one
    /// transaction's) may take before answering `BACKEND_UNAVAILABLE`; the
    /// connection is then closed. Keep it below `server.request_timeout_ms`.
    pub statement_timeout_ms: u64,
    /// Fill an empty database with the demo dataset on start; when unset,
    /// only the embedded SQLite database is filled, never a PostgreSQL one.
    pub demo_data: Option<bool>,
    /// Demo accounts to make.
    pub demo_accounts: usize,
    /// Demo cases to make.
    pub demo_cases: usize,
    /// Random seed of the demo dataset.
    pub demo_seed: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            pool_size: 8,
            connect_timeout_ms: 5_000,
            statement_timeout_ms: 10_000,
            demo_data: None,
            demo_accounts: 4,
            demo_cases: 3000,
            demo_seed: 42,
        }
    }
}

/// `[events]`: how events published on one replica reach subscribers
/// connected to the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// `auto` (default), `postgres` or `in_process`.
    pub backend: EventsBackend,
    /// How long relayed events are kept for a replica whose listening
    /// connection dropped, to catch up when it is back.
    pub retention_secs: u64,
    /// The NATS server, with `backend = "nats"`.
    pub nats_url: String,
    /// The JetStream stream of this deployment's events (letters, digits,
    /// `-` and `_`): replicas of one gateway share it.
    pub nats_stream: String,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            backend: EventsBackend::Auto,
            retention_secs: 600,
            nats_url: "nats://127.0.0.1:4222".into(),
            nats_stream: "SWITCHBOARD_EVENTS".into(),
        }
    }
}

/// What carries events between replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventsBackend {
    /// PostgreSQL's LISTEN/NOTIFY when the database is PostgreSQL, else
    /// this process only.
    Auto,
    /// PostgreSQL's LISTEN/NOTIFY (the database must be PostgreSQL).
    Postgres,
    /// This process only: one instance (the embedded SQLite default).
    InProcess,
    /// A NATS JetStream stream (`nats_url`, `nats_stream`).
    Nats,
}

impl EventsConfig {
    /// Whether events go through PostgreSQL for a database at `url`; an
    /// error names the key when the choice cannot work.
    pub fn relayed_by_postgres(&self, url: Option<&str>) -> Result<bool, super::ConfigError> {
        let postgres =
            url.is_some_and(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
        match self.backend {
            EventsBackend::Auto => Ok(postgres),
            EventsBackend::InProcess | EventsBackend::Nats => Ok(false),
            EventsBackend::Postgres if postgres => Ok(true),
            EventsBackend::Postgres => Err(super::ConfigError(
                "`events.backend = \"postgres\"` needs `database.url` to be a postgres:// URL"
                    .into(),
            )),
        }
    }
}

/// `[auth]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// The embedded issuer's `iss`; [`EMBEDDED_ISSUER`] when unset.
    pub issuer: Option<String>,
    /// The audience tokens must name.
    pub audience: String,
    /// Lifetime of tokens minted by `switchboard token`.
    pub token_ttl_secs: u64,
    /// Clock skew allowed when checking `exp` and `nbf`.
    pub leeway_secs: u64,
    /// How long a user's entitlements are cached.
    pub principal_cache_secs: u64,
    /// External OpenID Connect issuers trusted beside the embedded one
    /// (`[[auth.issuers]]`).
    pub issuers: Vec<crate::auth::IssuerConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: "switchboard".into(),
            token_ttl_secs: 3600,
            leeway_secs: 30,
            principal_cache_secs: 30,
            issuers: Vec::new(),
        }
    }
}
