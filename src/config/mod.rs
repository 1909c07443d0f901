//! Typed configuration: defaults, then a TOML file, then `SWITCHBOARD_*`
//! environment variables (nested keys joined by `__`), then `DATABASE_URL`,
//! then command-line flags.
//!
//! Settings read:
//! - `data_dir`: where the embedded database and signing key live (`./data`).
//! - `server.listen`, `server.public_url`, `server.request_timeout_ms`,
//!   `server.body_limit_bytes`, `server.upload_limit_bytes`,
//!   `server.batch_requests`, `server.mode` (`development` or
//!   `production`), `server.graphiql` and `server.introspection` (`off`,
//!   `open` or `operators`; `true`/`false` mean `open`/`off`),
//!   `server.graphiql_assets`, `server.connection_init_timeout_ms`,
//!   `server.sign_in_as`, `server.documents` (`any` or `persisted-only`),
//!   `server.document_manifests`, `server.automatic_persisted_queries`.
//! - `operator_login.issuer`, `operator_login.client_id`,
//!   `operator_login.client_secret`, `operator_login.redirect_url`,
//!   `operator_login.scopes`, `operator_login.session_ttl_secs`.
//! - `database.url` (or `DATABASE_URL`), `database.pool_size`,
//!   `database.connect_timeout_ms`, `database.statement_timeout_ms`,
//!   `database.demo_data`, `database.demo_accounts`, `database.demo_cases`,
//!   `database.demo_seed`.
//! - `events.backend` (`auto`, `postgres`, `nats` or `in_process`),
//!   `events.retention_secs`, `events.nats_url`, `events.nats_stream`: how
//!   events reach other replicas.
//! - `auth.issuer`, `auth.audience`, `auth.token_ttl_secs`,
//!   `auth.leeway_secs`, `auth.principal_cache_secs`.
//! - `auth.issuers[]`: external OpenID Connect issuers (see
//!   `auth::IssuerConfig` for their keys).
//! - `limits.max_depth`, `limits.max_complexity`, `limits.max_aliases`;
//!   `limits.store` (`memory` or `redis`), `limits.redis_url`,
//!   `limits.redis_prefix`, `limits.redis_secret`, `limits.redis_timeout_ms`:
//!   where rate limits are counted;
//!   `limits.ws_connects_per_address`, `limits.ws_connects_window_secs`.
//! - `log.format` (`text` or `json`), `log.filter` (an `EnvFilter` directive).
//! - `metrics.enabled`, `metrics.listen`: Prometheus metrics at `/metrics`,
//!   on the main listener or an address of their own.
//! - `traces.endpoint`, `traces.service_name`, `traces.sample_ratio`,
//!   `traces.documents`, `traces.client_sampling`, `traces.timeout_ms`:
//!   OpenTelemetry traces over
//!   OTLP/HTTP, off unless an endpoint is set.
//! - `server.trust_forwarded_for`; `identity.recovery_per_login`,
//!   `identity.recovery_per_address`, `identity.recovery_window_secs`,
//!   `identity.address_window_secs`, `identity.password_attempts`,
//!   `identity.access_requests_per_address`, `identity.intake_account`,
//!   `identity.recovery_link_base`.
//! - `billing.payment_portal_url`: the payment portal "Pay Invoices" opens.
//! - `tollfree.on_net_rate`, `tollfree.off_net_rate`: toll-free usage rates per
//!   minute in dollars, as exact decimal strings (`"0.059"`, `"0.062"`).
//! - `status.source` (`sql` or `statuspage`), `status.statuspage_url`,
//!   `status.cache_secs`, `status.stale_secs`, `status.timeout_ms`: where
//!   system status comes from and how the Statuspage page is polled.
//! - `resource_categories[]`, `resources[]`, `apps[]`: resource library
//!   categories, resources and My Apps tiles laid over the database's
//!   (an entry with an existing id replaces it; see [`ResourceEntry`]).
//!
//! - `cases.*` and `directory.*`: which backend serves support cases (`sql`
//!   or `servicenow`) and users and identity (`sql` or `okta`); see
//!   [`backends`].
//!
//! Unknown keys and bad values stop start-up with a message naming the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod backends;
mod domains;
mod library;
mod server;
mod store;

pub use backends::{
    CasesBackend, CasesConfig, DirectoryBackend, DirectoryConfig, adapter_settings,
};
pub use domains::{BillingConfig, IdentityConfig, StatusConfig, StatusSourceKind, TollFreeConfig};
pub use library::{AppEntry, ResourceCategoryEntry, ResourceEntry};
pub use server::{
    Access, Documents, LimitStore, LimitsConfig, LogConfig, LogFormat, MetricsConfig, Mode,
    OperatorLoginConfig, ServerConfig, TracesConfig,
};
pub use store::{AuthConfig, DatabaseConfig, EventsBackend, EventsConfig};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Environment variables with the `SWITCHBOARD_` prefix that are not
/// configuration keys (tests and CI read them).
const NOT_CONFIG: &[&str] = &[
    "test_database_url",
    "require_postgres",
    "require_oidc",
    "require_graphiql",
    "require_clients",
    "require_redis",
    "test_redis_url",
    "require_nats",
    "test_nats_url",
    "config",
];

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
    /// Events across replicas.
    pub events: EventsConfig,
    /// Tokens.
    pub auth: AuthConfig,
    /// Query limits.
    pub limits: LimitsConfig,
    /// Logging.
    pub log: LogConfig,
    /// Prometheus metrics.
    pub metrics: MetricsConfig,
    /// OpenTelemetry traces.
    pub traces: TracesConfig,
    /// Profile features: rate limits and the access-request intake.
    pub identity: IdentityConfig,
    /// Operators' GraphiQL login.
    pub operator_login: OperatorLoginConfig,
    /// Billing: where invoices are paid.
    pub billing: BillingConfig,
    /// System status: its source.
    pub status: StatusConfig,
    /// Toll-free ring-to: the usage rates previews and requests quote.
    pub tollfree: TollFreeConfig,
    /// `[[resource_categories]]`: extra resource library categories.
    pub resource_categories: Vec<ResourceCategoryEntry>,
    /// `[[resources]]`: extra resource library entries.
    pub resources: Vec<ResourceEntry>,
    /// `[[apps]]`: extra My Apps tiles.
    pub apps: Vec<AppEntry>,
    /// `[cases]`: the support-case backend.
    pub cases: CasesConfig,
    /// `[directory]`: the user directory and identity backend.
    pub directory: DirectoryConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            events: EventsConfig::default(),
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
            log: LogConfig::default(),
            metrics: MetricsConfig::default(),
            traces: TracesConfig::default(),
            identity: IdentityConfig::default(),
            operator_login: OperatorLoginConfig::default(),
            billing: BillingConfig::default(),
            status: StatusConfig::default(),
            tollfree: TollFreeConfig::default(),
            resource_categories: Vec::new(),
            resources: Vec::new(),
            apps: Vec::new(),
            cases: CasesConfig::default(),
            directory: DirectoryConfig::default(),
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
            (
                "server.connection_init_timeout_ms",
                self.server.connection_init_timeout_ms as usize,
            ),
            ("database.pool_size", self.database.pool_size),
            (
                "database.connect_timeout_ms",
                self.database.connect_timeout_ms as usize,
            ),
            (
                "database.statement_timeout_ms",
                self.database.statement_timeout_ms as usize,
            ),
            ("events.retention_secs", self.events.retention_secs as usize),
            ("auth.token_ttl_secs", self.auth.token_ttl_secs as usize),
            ("limits.max_depth", self.limits.max_depth),
            ("limits.max_complexity", self.limits.max_complexity),
            (
                "limits.redis_timeout_ms",
                self.limits.redis_timeout_ms as usize,
            ),
            (
                "limits.ws_connects_window_secs",
                self.limits.ws_connects_window_secs as usize,
            ),
            (
                "identity.recovery_window_secs",
                self.identity.recovery_window_secs as usize,
            ),
            (
                "identity.address_window_secs",
                self.identity.address_window_secs as usize,
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError(format!("`{key}` must be greater than 0")));
            }
        }
        let stream = &self.events.nats_stream;
        if stream.is_empty()
            || !stream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ConfigError(format!(
                "`events.nats_stream` must be letters, digits, `-` and `_`, got `{stream}`"
            )));
        }
        if !self.events.nats_url.starts_with("nats://") {
            return Err(ConfigError(format!(
                "`events.nats_url` must be a nats:// URL, got `{}`",
                self.events.nats_url
            )));
        }
        if !(0.0..=1.0).contains(&self.traces.sample_ratio) {
            return Err(ConfigError(
                "`traces.sample_ratio` must be between 0 and 1".into(),
            ));
        }
        if let Some(endpoint) = &self.traces.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(ConfigError(format!(
                "`traces.endpoint` must be an http:// or https:// URL (OTLP/HTTP), got `{endpoint}`"
            )));
        }
        if self.limits.store == LimitStore::Redis
            && !self
                .limits
                .redis_url
                .as_deref()
                .is_some_and(|url| url.starts_with("redis://"))
        {
            return Err(ConfigError(
                "`limits.store = \"redis\"` needs `limits.redis_url` (redis://host:port; TLS is not supported yet)".into(),
            ));
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
        if self.server.mode == Mode::Production && self.server.sign_in_as == Some(true) {
            return Err(ConfigError(
                "`server.sign_in_as` cannot be on in production mode: it lets anyone \
                 sign in as a demo user"
                    .into(),
            ));
        }
        if self.server.documents == Documents::PersistedOnly
            && self.server.document_manifests.is_empty()
        {
            return Err(ConfigError(
                "`server.documents = \"persisted-only\"` needs `server.document_manifests`".into(),
            ));
        }
        if self.auth.audience.trim().is_empty() {
            return Err(ConfigError("`auth.audience` cannot be empty".into()));
        }
        crate::auth::check_issuers(&self.auth.issuers).map_err(ConfigError)?;
        let portal = &self.billing.payment_portal_url;
        if !(portal.starts_with("https://") || portal.starts_with("http://"))
            || !portal.contains("{account}")
        {
            return Err(ConfigError(format!(
                "`billing.payment_portal_url` must be an http(s) URL with an {{account}} placeholder, got `{portal}`"
            )));
        }
        self.tollfree.rates()?;
        self.events
            .relayed_by_postgres(self.database.url.as_deref())?;
        self.status.check()?;
        self.cases.check()?;
        self.directory.check()?;
        self.check_library()?;
        self.check_operator_login()
    }

    fn check_operator_login(&self) -> Result<(), ConfigError> {
        let login = &self.operator_login;
        let Some(issuer) = &login.issuer else {
            return Ok(());
        };
        let urls = [
            ("operator_login.issuer", Some(issuer)),
            ("operator_login.redirect_url", login.redirect_url.as_ref()),
        ];
        for (key, url) in urls {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(ConfigError(format!(
                    "`{key}` must start with http:// or https://, got `{url}`"
                )));
            }
        }
        if login.client_id.trim().is_empty() {
            return Err(ConfigError(
                "`operator_login.client_id` cannot be empty".into(),
            ));
        }
        if login.session_ttl_secs == 0 {
            return Err(ConfigError(
                "`operator_login.session_ttl_secs` must be greater than 0".into(),
            ));
        }
        Ok(())
    }

    /// Whether GraphiQL offers "sign in as" for the demo users: never in
    /// production; as configured; else in development on a loopback
    /// listener with demo data.
    pub fn sign_in_as(&self) -> bool {
        self.server.mode == Mode::Development
            && self.graphiql_access() != Access::Off
            && self
                .server
                .sign_in_as
                .unwrap_or(self.server.listen.ip().is_loopback() && self.demo_data())
    }

    /// Who may use GraphiQL: as configured, else by mode.
    pub fn graphiql_access(&self) -> Access {
        self.server.graphiql.unwrap_or(self.mode_default())
    }

    /// Who gets introspection answers: as configured, else by mode.
    pub fn introspection_access(&self) -> Access {
        self.server.introspection.unwrap_or(self.mode_default())
    }

    /// The drain's steps: as configured, the grace by mode when unset.
    pub fn drain_timing(&self) -> crate::server::drain::Timing {
        let grace = self
            .server
            .drain_grace_ms
            .unwrap_or(match self.server.mode {
                Mode::Development => 0,
                Mode::Production => 5_000,
            });
        crate::server::drain::Timing {
            grace: std::time::Duration::from_millis(grace),
            deadline: std::time::Duration::from_millis(self.server.drain_deadline_ms),
        }
    }

    fn mode_default(&self) -> Access {
        match self.server.mode {
            Mode::Development => Access::Open,
            Mode::Production => Access::Operators,
        }
    }

    /// Where the OpenID Provider sends operators back after signing in.
    pub fn operator_redirect_url(&self) -> String {
        self.operator_login
            .redirect_url
            .clone()
            .unwrap_or_else(|| format!("{}/graphiql/callback", self.public_url()))
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
    fn sign_in_as_is_for_local_development_only() {
        let mut c = Config::default();
        assert!(c.sign_in_as(), "development, loopback, demo data");
        c.server.listen = "0.0.0.0:8080".parse().unwrap();
        assert!(!c.sign_in_as(), "off by default off loopback");
        c.server.sign_in_as = Some(true);
        assert!(c.sign_in_as(), "on when asked, in development");
        c.server.mode = Mode::Production;
        assert!(!c.sign_in_as(), "never in production");
        assert!(
            c.check()
                .unwrap_err()
                .to_string()
                .contains("server.sign_in_as")
        );
        let mut c = Config::default();
        c.database.url = Some("postgres://db/switchboard".into());
        assert!(!c.sign_in_as(), "no demo data, no demo users");
    }

    #[test]
    fn library_entries_load_from_toml_and_need_http_links() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "lib.toml",
                "[[apps]]\nid = \"intranet\"\nname = \"Intranet\"\nurl = \"https://intranet.example\"\nproducts = [\"UCx\"]\n\n[[resources]]\nid = \"r1\"\ncategory = \"1\"\ntitle = \"Runbook\"\nurl = \"https://docs.example/runbook.pdf\"\ndownload = true\n",
            )?;
            let c = Config::load(Some(Path::new("lib.toml")), &Overrides::default()).unwrap();
            let extras = c.library_extras();
            assert_eq!(extras.apps[0].products, ["UCx"]);
            assert!(extras.resources[0].download);
            jail.create_file(
                "bad.toml",
                "[[apps]]\nid = \"x\"\nname = \"X\"\nurl = \"javascript:alert(1)\"\n",
            )?;
            let err = Config::load(Some(Path::new("bad.toml")), &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("`apps` entry `x`"), "{err}");
            Ok(())
        });
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
    fn the_payment_portal_needs_an_account_placeholder() {
        Jail::expect_with(|jail| {
            jail.set_env(
                "SWITCHBOARD_BILLING__PAYMENT_PORTAL_URL",
                "https://pay.example/",
            );
            let err = Config::load(None, &Overrides::default()).unwrap_err();
            assert!(
                err.to_string().contains("billing.payment_portal_url"),
                "{err}"
            );
            let url = "https://pay.example/{account}/{invoice}";
            jail.set_env("SWITCHBOARD_BILLING__PAYMENT_PORTAL_URL", url);
            let c = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(c.billing.payment_portal_url, url);
            Ok(())
        });
    }

    #[test]
    fn events_go_through_postgres_only_on_postgres() {
        Jail::expect_with(|jail| {
            let c = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(
                c.events
                    .relayed_by_postgres(Some("data/switchboard.db"))
                    .ok(),
                Some(false)
            );
            assert_eq!(
                c.events
                    .relayed_by_postgres(Some("postgres://db/portal"))
                    .ok(),
                Some(true)
            );
            jail.set_env("SWITCHBOARD_EVENTS__BACKEND", "postgres");
            let err = Config::load(None, &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("events.backend"), "{err}");
            jail.set_env("DATABASE_URL", "postgresql://db/portal");
            assert!(Config::load(None, &Overrides::default()).is_ok());
            jail.set_env("SWITCHBOARD_EVENTS__BACKEND", "in_process");
            let c = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(
                c.events
                    .relayed_by_postgres(Some("postgresql://db/portal"))
                    .ok(),
                Some(false)
            );
            Ok(())
        });
    }

    #[test]
    fn tollfree_rates_are_exact_decimals() {
        Jail::expect_with(|jail| {
            let c = Config::load(None, &Overrides::default()).unwrap();
            let rates = c.tollfree.rates().unwrap();
            assert_eq!(rates.on_net.micros(), 59_000);
            assert_eq!(rates.off_net.micros(), 62_000);
            jail.set_env("SWITCHBOARD_TOLLFREE__OFF_NET_RATE", "six cents");
            let err = Config::load(None, &Overrides::default()).unwrap_err();
            assert!(err.to_string().contains("tollfree.off_net_rate"), "{err}");
            jail.set_env("SWITCHBOARD_TOLLFREE__OFF_NET_RATE", "0.0625");
            let c = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(c.tollfree.rates().unwrap().off_net.to_string(), "0.0625");
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
