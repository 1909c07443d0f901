//! Typed configuration: defaults, then a TOML file, then `SWITCHBOARD_*`
//! environment variables (nested keys joined by `__`), then `DATABASE_URL`,
//! then command-line flags.
//!
//! Settings read:
//! - `data_dir`: where the embedded database and signing key live (`./data`).
//! - `server.listen`, `server.public_url`, `server.request_timeout_ms`,
//!   `server.body_limit_bytes`, `server.upload_limit_bytes`,
//!   `server.batch_requests`, `server.graphiql`, `server.introspection`.
//! - `database.url` (or `DATABASE_URL`), `database.pool_size`,
//!   `database.demo_data`, `database.demo_accounts`, `database.demo_cases`,
//!   `database.demo_seed`.
//! - `auth.issuer`, `auth.audience`, `auth.token_ttl_secs`,
//!   `auth.leeway_secs`, `auth.principal_cache_secs`.
//! - `limits.max_depth`, `limits.max_complexity`, `limits.max_aliases`.
//! - `log.format` (`text` or `json`), `log.filter` (an `EnvFilter` directive).
//!
//! Unknown keys and bad values stop start-up with a message naming the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Environment variables with the `SWITCHBOARD_` prefix that are not
/// configuration keys (tests and CI read them).
const NOT_CONFIG: &[&str] = &["test_database_url", "require_postgres", "config"];

/// The embedded issuer's default identifier.
pub const EMBEDDED_ISSUER: &str = "urn:switchboard:embedded";

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folder for the embedded database and the token signing key.
    pub data_dir: PathBuf,
    /// HTTP server.
    pub server: ServerConfig,
    /// Database.
    pub database: DatabaseConfig,
    /// Tokens.
    pub auth: AuthConfig,
    /// Query limits.
    pub limits: LimitsConfig,
    /// Logging.
    pub log: LogConfig,
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
    /// Serve GraphiQL at `/graphiql`.
    pub graphiql: bool,
    /// Answer introspection queries (`__schema`, `__type`). Frontend tools
    /// need it in development; production may turn it off.
    pub introspection: bool,
}

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

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
            log: LogConfig::default(),
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
            graphiql: true,
            introspection: true,
        }
    }
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

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: "switchboard".into(),
            token_ttl_secs: 3600,
            leeway_secs: 30,
            principal_cache_secs: 30,
        }
    }
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

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}

/// Overrides from the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen`
    pub listen: Option<SocketAddr>,
    /// `--data-dir`
    pub data_dir: Option<PathBuf>,
}

/// A configuration problem, naming the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Loads defaults, `file` (if given), the environment and `overrides`,
    /// then checks the values.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError(format!(
                    "file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Env::prefixed("SWITCHBOARD_").ignore(NOT_CONFIG).split("__"));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database.url", url));
        }
        if let Some(listen) = overrides.listen {
            figment = figment.merge(Serialized::default("server.listen", listen));
        }
        if let Some(dir) = &overrides.data_dir {
            figment = figment.merge(Serialized::default("data_dir", dir));
        }
        let config: Config = figment.extract().map_err(|e| {
            let errors: Vec<String> = e.into_iter().map(describe).collect();
            ConfigError(errors.join("; "))
        })?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let positive = [
            (
                "server.request_timeout_ms",
                self.server.request_timeout_ms as usize,
            ),
            ("server.body_limit_bytes", self.server.body_limit_bytes),
            ("server.upload_limit_bytes", self.server.upload_limit_bytes),
            ("database.pool_size", self.database.pool_size),
            ("auth.token_ttl_secs", self.auth.token_ttl_secs as usize),
            ("limits.max_depth", self.limits.max_depth),
            ("limits.max_complexity", self.limits.max_complexity),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError(format!("`{key}` must be greater than 0")));
            }
        }
        if self.database.demo_accounts < 2 {
            return Err(ConfigError(
                "`database.demo_accounts` must be at least 2".into(),
            ));
        }
        if let Some(url) = &self.server.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError(format!(
                "`server.public_url` must start with http:// or https://, got `{url}`"
            )));
        }
        if self.auth.audience.trim().is_empty() {
            return Err(ConfigError("`auth.audience` cannot be empty".into()));
        }
        Ok(())
    }

    /// The URL clients reach the gateway at, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.server
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.server.listen))
            .trim_end_matches('/')
            .to_string()
    }

    /// The embedded issuer's identifier: stable whatever address the
    /// gateway listens on, so tokens survive a change of port.
    pub fn issuer(&self) -> String {
        self.auth
            .issuer
            .clone()
            .unwrap_or_else(|| EMBEDDED_ISSUER.to_string())
    }

    /// Whether to fill an empty database with demo data on start.
    pub fn demo_data(&self) -> bool {
        self.database.demo_data.unwrap_or(
            self.database
                .url
                .as_deref()
                .is_none_or(|url| !url.starts_with("postgres")),
        )
    }

    /// The database URL: the configured one or the embedded SQLite file.
    pub fn database_url(&self) -> String {
        self.database
            .url
            .clone()
            .unwrap_or_else(|| self.data_dir.join("switchboard.db").display().to_string())
    }
}

fn describe(error: figment::Error) -> String {
    let key = error.path.join(".");
    let kind = error.kind.to_string();
    if key.is_empty() {
        kind
    } else {
        format!("`{key}`: {kind}")
    }
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail runs closures that return its own large error"
)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_are_the_embedded_setup() {
        let c = Config::default();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert!(c.database_url().ends_with("switchboard.db"));
        assert_eq!(c.public_url(), "http://127.0.0.1:8080");
        assert!(c.demo_data());
        let production = Config {
            database: DatabaseConfig {
                url: Some("postgres://db/switchboard".into()),
                ..DatabaseConfig::default()
            },
            ..Config::default()
        };
        assert!(
            !production.demo_data(),
            "demo users must not appear in a production database"
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        Jail::expect_with(|jail| {
            jail.create_file("c.toml", "[server]\nlisten = \"127.0.0.1:9\"\nlisen = 1\n")?;
            let err = Config::load(Some(Path::new("c.toml")), &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("lisen"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_named() {
        Jail::expect_with(|jail| {
            jail.set_env("SWITCHBOARD_SERVER__LISTEN", "not an address");
            let err = Config::load(None, &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("server.listen"), "{err}");
            jail.set_env("SWITCHBOARD_SERVER__LISTEN", "127.0.0.1:1");
            jail.set_env("SWITCHBOARD_DATABASE__POOL_SIZE", "0");
            let err = Config::load(None, &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("database.pool_size"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn environment_and_flags_override_the_file() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                "data_dir = \"from-file\"\n[database]\npool_size = 3\n",
            )?;
            jail.set_env("SWITCHBOARD_DATABASE__POOL_SIZE", "5");
            jail.set_env("SWITCHBOARD_REQUIRE_POSTGRES", "1");
            jail.set_env("DATABASE_URL", "postgres://db/x");
            let overrides = Overrides {
                data_dir: Some("from-flag".into()),
                ..Overrides::default()
            };
            let c = Config::load(Some(Path::new("c.toml")), &overrides).unwrap();
            assert_eq!(c.database.pool_size, 5);
            assert_eq!(c.data_dir, PathBuf::from("from-flag"));
            assert_eq!(c.database_url(), "postgres://db/x");
            Ok(())
        });
    }
}
