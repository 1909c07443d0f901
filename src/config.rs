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
//!   `database.demo_data`, `database.demo_accounts`, `database.demo_cases`,
//!   `database.demo_seed`.
//! - `auth.issuer`, `auth.audience`, `auth.token_ttl_secs`,
//!   `auth.leeway_secs`, `auth.principal_cache_secs`.
//! - `auth.issuers[]`: external OpenID Connect issuers (see
//!   `auth::IssuerConfig` for their keys).
//! - `limits.max_depth`, `limits.max_complexity`, `limits.max_aliases`.
//! - `log.format` (`text` or `json`), `log.filter` (an `EnvFilter` directive).
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

pub use backends::{
    CasesBackend, CasesConfig, DirectoryBackend, DirectoryConfig, adapter_settings,
};

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
    /// Tokens.
    pub auth: AuthConfig,
    /// Query limits.
    pub limits: LimitsConfig,
    /// Logging.
    pub log: LogConfig,
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
    /// External OpenID Connect issuers trusted beside the embedded one
    /// (`[[auth.issuers]]`).
    pub issuers: Vec<crate::auth::IssuerConfig>,
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
            issuers: Vec::new(),
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

/// `[identity]`: how often the public profile mutations may be used, and
/// where access requests are filed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// Password-reset and unlock requests per login per recovery window.
    pub recovery_per_login: u32,
    /// The per-login window, and the window of wrong current passwords.
    pub recovery_window_secs: u64,
    /// Recovery requests per client address per address window.
    pub recovery_per_address: u32,
    /// The per-address window (recovery and access requests).
    pub address_window_secs: u64,
    /// Password-change attempts per user per recovery window.
    pub password_attempts: u32,
    /// Portal access requests per client address per address window.
    pub access_requests_per_address: u32,
    /// The account access-request cases are opened on; unset: requests are
    /// only stored (operators read them with `accessRequests`).
    pub intake_account: Option<String>,
    /// Where recovery links point (`<base>/reset?token=…`,
    /// `<base>/unlock?token=…`): the portal frontend, which calls
    /// `completePasswordReset` / `completeAccountUnlock`; unset: the
    /// gateway's public URL.
    pub recovery_link_base: Option<String>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            recovery_per_login: 5,
            recovery_window_secs: 15 * 60,
            recovery_per_address: 20,
            address_window_secs: 3600,
            password_attempts: 5,
            access_requests_per_address: 5,
            intake_account: None,
            recovery_link_base: None,
        }
    }
}

/// `[billing]`: the payment portal invoices are paid on; the gateway never
/// handles card data itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BillingConfig {
    /// The portal's URL; `{account}` and `{invoice}` are replaced by the
    /// URL-encoded account number and invoice number (empty for none).
    pub payment_portal_url: String,
}

impl Default for BillingConfig {
    fn default() -> Self {
        Self {
            payment_portal_url: "https://pay.billing.example/accounts/{account}?invoice={invoice}"
                .into(),
        }
    }
}

/// `[tollfree]`: the per-minute rates of toll-free usage by the ring-to
/// number's network, as decimal strings so they are parsed exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TollFreeConfig {
    /// Dollars per minute when the ring-to number is on-net.
    #[serde(deserialize_with = "decimal_text")]
    pub on_net_rate: String,
    /// Dollars per minute when it is off-net.
    #[serde(deserialize_with = "decimal_text")]
    pub off_net_rate: String,
}

/// A decimal amount as text. Environment variables arrive as numbers
/// (`0.0625`); a float's shortest form is the text that was written, so
/// it is kept as that text and parsed exactly later.
fn decimal_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        Integer(u64),
        Float(f64),
    }
    Ok(match Written::deserialize(deserializer)? {
        Written::Text(text) => text,
        Written::Integer(n) => n.to_string(),
        Written::Float(f) => f.to_string(),
    })
}

impl Default for TollFreeConfig {
    fn default() -> Self {
        Self {
            on_net_rate: "0.059".into(),
            off_net_rate: "0.062".into(),
        }
    }
}

impl TollFreeConfig {
    /// The rates, or which key holds a value that is not a dollar amount.
    pub fn rates(&self) -> Result<switchboard_core::tollfree::Rates, ConfigError> {
        use switchboard_core::tollfree::Rate;
        let parse = |key: &str, text: &str| {
            Rate::parse(text).ok_or_else(|| {
                ConfigError(format!(
                    "`tollfree.{key}` must be a dollar amount with at most 6 decimals, like \"0.059\", got `{text}`"
                ))
            })
        };
        Ok(switchboard_core::tollfree::Rates {
            on_net: parse("on_net_rate", &self.on_net_rate)?,
            off_net: parse("off_net_rate", &self.off_net_rate)?,
        })
    }
}

/// Where system status comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusSourceKind {
    /// The gateway's database; operators update it through mutations.
    Sql,
    /// A Statuspage page's public API (read-only).
    Statuspage,
}

/// `[status]`: the system status source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatusConfig {
    /// `sql` (default) or `statuspage`.
    pub source: StatusSourceKind,
    /// The Statuspage page's base URL (`https://status.example.com`), for
    /// `source = "statuspage"`.
    pub statuspage_url: Option<String>,
    /// How long a fetched summary is served before the next fetch; the
    /// poller's interval while someone subscribes (0: fetch every time).
    pub cache_secs: u64,
    /// How long the last good summary is still served while the page fails.
    pub stale_secs: u64,
    /// Timeout of one request to the page, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for StatusConfig {
    fn default() -> Self {
        Self {
            source: StatusSourceKind::Sql,
            statuspage_url: None,
            cache_secs: 30,
            stale_secs: 300,
            timeout_ms: 5_000,
        }
    }
}

impl StatusConfig {
    fn check(&self) -> Result<(), ConfigError> {
        if self.timeout_ms == 0 {
            return Err(ConfigError(
                "`status.timeout_ms` must be greater than 0".into(),
            ));
        }
        if self.source != StatusSourceKind::Statuspage {
            return Ok(());
        }
        match &self.statuspage_url {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => Ok(()),
            Some(url) => Err(ConfigError(format!(
                "`status.statuspage_url` must start with http:// or https://, got `{url}`"
            ))),
            None => Err(ConfigError(
                "`status.statuspage_url` is required when `status.source` is `statuspage`".into(),
            )),
        }
    }
}

/// `[[resource_categories]]`: a resource library category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceCategoryEntry {
    /// Stable id; the id of a database category replaces it.
    pub id: String,
    /// Heading.
    pub name: String,
    /// One line under the heading.
    #[serde(default)]
    pub description: String,
    /// Display order among categories.
    #[serde(default)]
    pub position: i32,
}

/// `[[resources]]`: a guide or document of the resource library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceEntry {
    /// Stable id; the id of a database resource replaces it.
    pub id: String,
    /// The id of its category (from the database or `[[resource_categories]]`).
    pub category: String,
    /// Title.
    pub title: String,
    /// What it covers.
    #[serde(default)]
    pub description: String,
    /// An http(s) link.
    pub url: String,
    /// Whether the link downloads a file.
    #[serde(default)]
    pub download: bool,
    /// Product names it applies to; none: every account.
    #[serde(default)]
    pub products: Vec<String>,
    /// Display order within the category.
    #[serde(default)]
    pub position: i32,
}

/// `[[apps]]`: a My Apps tile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppEntry {
    /// Stable id; the id of a database app replaces it.
    pub id: String,
    /// Name on the tile.
    pub name: String,
    /// What the portal does.
    #[serde(default)]
    pub description: String,
    /// An http(s) link.
    pub url: String,
    /// Product names it applies to; none: every account.
    #[serde(default)]
    pub products: Vec<String>,
    /// Display order.
    #[serde(default)]
    pub position: i32,
}

impl Config {
    /// The configured library entries, laid over the database's.
    pub fn library_extras(&self) -> switchboard_core::resources::Library {
        use switchboard_core::resources::{App, Library, Resource, ResourceCategory};
        Library {
            categories: self
                .resource_categories
                .iter()
                .map(|c| ResourceCategory {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    description: c.description.clone(),
                    position: c.position,
                })
                .collect(),
            resources: self
                .resources
                .iter()
                .map(|r| Resource {
                    id: r.id.clone(),
                    category_id: r.category.clone(),
                    title: r.title.clone(),
                    description: r.description.clone(),
                    url: r.url.clone(),
                    download: r.download,
                    products: r.products.clone(),
                    position: r.position,
                })
                .collect(),
            apps: self
                .apps
                .iter()
                .map(|a| App {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    description: a.description.clone(),
                    url: a.url.clone(),
                    products: a.products.clone(),
                    position: a.position,
                })
                .collect(),
        }
    }

    /// Every configured library entry has an id and an http(s) link.
    fn check_library(&self) -> Result<(), ConfigError> {
        let links = self
            .resources
            .iter()
            .map(|r| ("resources", r.id.as_str(), r.url.as_str()))
            .chain(
                self.apps
                    .iter()
                    .map(|a| ("apps", a.id.as_str(), a.url.as_str())),
            );
        for (key, id, url) in links {
            if id.trim().is_empty() {
                return Err(ConfigError(format!("every `{key}` entry needs an `id`")));
            }
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ConfigError(format!(
                    "`{key}` entry `{id}`: `url` must start with http:// or https://, got `{url}`"
                )));
            }
        }
        if self
            .resource_categories
            .iter()
            .any(|c| c.id.trim().is_empty())
        {
            return Err(ConfigError(
                "every `resource_categories` entry needs an `id`".into(),
            ));
        }
        Ok(())
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
            ("auth.token_ttl_secs", self.auth.token_ttl_secs as usize),
            ("limits.max_depth", self.limits.max_depth),
            ("limits.max_complexity", self.limits.max_complexity),
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
