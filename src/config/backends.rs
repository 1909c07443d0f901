//! Which backend serves each domain that can live outside the gateway's
//! database, and their settings.
//!
//! Settings read:
//! - `cases.backend` (`sql` or `servicenow`) and `[cases.servicenow]`: the
//!   ServiceNow adapter's settings (instance URL, auth, table and field
//!   names, timeouts; see `switchboard_servicenow::Settings`).
//! - `cases.webhook_secret`, `cases.webhook_tolerance_secs`: the shared
//!   secret of `POST /webhooks/servicenow` (unset: the route is off) and how
//!   far a signed timestamp may be from now.
//! - `directory.backend` (`sql` or `okta`) and `[directory.okta]`: the Okta
//!   adapter's settings (org URL, API token or OAuth service app, where
//!   entitlements come from; see `switchboard_okta::Settings`).
//! - `directory.event_hook_secret`: the `Authorization` value of Okta's
//!   event hook at `/webhooks/okta` (unset: the route is off).
//!
//! The adapters' own keys are checked when the gateway starts, with the
//! same refusal of unknown keys as everywhere else; secrets may come from
//! the environment (`SWITCHBOARD_CASES__SERVICENOW__AUTH__PASSWORD`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ConfigError;

/// Where support cases live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CasesBackend {
    /// The gateway's database.
    #[default]
    Sql,
    /// A ServiceNow instance (Customer Service Management).
    Servicenow,
}

/// `[cases]`: the case backend.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasesConfig {
    /// `sql` (default) or `servicenow`.
    pub backend: CasesBackend,
    /// The ServiceNow adapter's settings, for `backend = "servicenow"`.
    pub servicenow: Option<Map<String, Value>>,
    /// The secret ServiceNow signs webhook posts with; unset: no webhook.
    pub webhook_secret: Option<String>,
    /// How many seconds a webhook's signed timestamp may differ from now.
    pub webhook_tolerance_secs: u64,
}

impl Default for CasesConfig {
    fn default() -> Self {
        Self {
            backend: CasesBackend::Sql,
            servicenow: None,
            webhook_secret: None,
            webhook_tolerance_secs: 300,
        }
    }
}

impl std::fmt::Debug for CasesConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CasesConfig")
            .field("backend", &self.backend)
            .field("servicenow", &self.servicenow.as_ref().map(keys_only))
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "…"))
            .field("webhook_tolerance_secs", &self.webhook_tolerance_secs)
            .finish()
    }
}

/// Where users, their entitlements and their sign-in settings live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DirectoryBackend {
    /// The gateway's database.
    #[default]
    Sql,
    /// An Okta org's management API.
    Okta,
}

/// `[directory]`: the user directory and identity backend.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectoryConfig {
    /// `sql` (default) or `okta`.
    pub backend: DirectoryBackend,
    /// The Okta adapter's settings, for `backend = "okta"`.
    pub okta: Option<Map<String, Value>>,
    /// What Okta's event hook sends in `Authorization` (unset: no hook).
    pub event_hook_secret: Option<String>,
}

impl std::fmt::Debug for DirectoryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryConfig")
            .field("backend", &self.backend)
            .field("okta", &self.okta.as_ref().map(keys_only))
            .field(
                "event_hook_secret",
                &self.event_hook_secret.as_ref().map(|_| "…"),
            )
            .finish()
    }
}

/// A settings table's keys without its values, which may be secrets.
fn keys_only(map: &Map<String, Value>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

/// Reads an adapter's settings table `key` into its typed settings,
/// naming the key in any error.
pub fn adapter_settings<T: DeserializeOwned>(
    key: &str,
    table: Option<&Map<String, Value>>,
) -> Result<T, ConfigError> {
    let table = table.ok_or_else(|| ConfigError(format!("`[{key}]` is required")))?;
    serde_json::from_value(Value::Object(table.clone()))
        .map_err(|error| ConfigError(format!("`[{key}]`: {error}")))
}

impl CasesConfig {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.backend == CasesBackend::Servicenow && self.servicenow.is_none() {
            return Err(ConfigError(
                "`[cases.servicenow]` is required when `cases.backend` is `servicenow`".into(),
            ));
        }
        if self.webhook_secret.as_ref().is_some_and(|s| s.len() < 16) {
            return Err(ConfigError(
                "`cases.webhook_secret` must be at least 16 characters".into(),
            ));
        }
        if self.webhook_secret.is_some() && self.backend != CasesBackend::Servicenow {
            return Err(ConfigError(
                "`cases.webhook_secret` only applies when `cases.backend` is `servicenow`".into(),
            ));
        }
        Ok(())
    }
}

impl DirectoryConfig {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.backend == DirectoryBackend::Okta && self.okta.is_none() {
            return Err(ConfigError(
                "`[directory.okta]` is required when `directory.backend` is `okta`".into(),
            ));
        }
        if self
            .event_hook_secret
            .as_ref()
            .is_some_and(|s| s.len() < 16)
        {
            return Err(ConfigError(
                "`directory.event_hook_secret` must be at least 16 characters".into(),
            ));
        }
        if self.event_hook_secret.is_some() && self.backend != DirectoryBackend::Okta {
            return Err(ConfigError(
                "`directory.event_hook_secret` only applies when `directory.backend` is `okta`"
                    .into(),
            ));
        }
        Ok(())
    }
}
