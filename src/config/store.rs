//! `[database]` and `[auth]`: where data lives, and how tokens are issued
//! and trusted.
//!
//! Settings read: `database.url` (or `DATABASE_URL`), `database.pool_size`,
//! `database.demo_data`, `database.demo_accounts`, `database.demo_cases`,
//! `database.demo_seed`; `auth.issuer`, `auth.audience`,
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
            demo_data: None,
            demo_accounts: 4,
            demo_cases: 3000,
            demo_seed: 42,
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
