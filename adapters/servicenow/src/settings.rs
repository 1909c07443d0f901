//! The adapter's configuration: where the instance is, how to authenticate,
//! the instance profile's table and field names, and the resilience knobs.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

/// How the adapter reaches and reads one ServiceNow instance.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `https://<instance>.service-now.com` (a trailing slash is ignored).
    pub instance_url: String,
    /// How requests authenticate.
    pub auth: Auth,
    /// Table names (defaults: the instance profile).
    #[serde(default)]
    pub tables: Tables,
    /// Field names an instance may rename (defaults: the instance profile).
    #[serde(default)]
    pub fields: Fields,
    /// Overrides of the state mapping: portal state name (`CANCELED`) to
    /// instance value (`7`). Unnamed states are found in `sys_choice` by label.
    #[serde(default)]
    pub states: BTreeMap<String, String>,
    /// Overrides of the priority mapping: `CRITICAL` to `1`, and so on.
    #[serde(default)]
    pub priorities: BTreeMap<String, String>,
    /// Case types customers may not open (the provider opens them).
    #[serde(default = "default_proactive")]
    pub proactive_case_types: Vec<String>,
    /// The `resolution_code` written with a cancel.
    #[serde(default = "default_cancel_code")]
    pub cancel_resolution_code: String,
    /// The `resolution_code` of a toll-free ring-to request's case once an
    /// operator decides the request.
    #[serde(default = "default_request_code")]
    pub request_resolution_code: String,
    /// Timeout of one request, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Retries of an idempotent request (GET, PATCH of the same fields, DELETE).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The first backoff in milliseconds (exponential, full jitter, capped).
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// Consecutive failures that open the circuit breaker.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    /// How long the breaker stays open before one probe, in milliseconds.
    #[serde(default = "default_breaker_cooldown_ms")]
    pub breaker_cooldown_ms: u64,
    /// How long reference data (accounts, locations, products, contacts,
    /// users, catalog) is cached, in seconds.
    #[serde(default = "default_reference_ttl")]
    pub reference_ttl_secs: u64,
    /// The polling fallback's interval in seconds (0: no polling).
    #[serde(default = "default_poll_secs")]
    pub poll_secs: u64,
}

fn default_proactive() -> Vec<String> {
    vec!["CUSTOMER_HEALTH".to_string()]
}
fn default_cancel_code() -> String {
    "Canceled by customer".to_string()
}
fn default_request_code() -> String {
    "Solved (Permanently)".to_string()
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_retries() -> u32 {
    3
}
fn default_backoff_ms() -> u64 {
    200
}
fn default_breaker_failures() -> u32 {
    5
}
fn default_breaker_cooldown_ms() -> u64 {
    30_000
}
fn default_reference_ttl() -> u64 {
    60
}
fn default_poll_secs() -> u64 {
    30
}

impl Settings {
    /// Settings for `instance_url` with every default of the profile.
    pub fn new(instance_url: impl Into<String>, auth: Auth) -> Self {
        Self {
            instance_url: instance_url.into(),
            auth,
            tables: Tables::default(),
            fields: Fields::default(),
            states: BTreeMap::new(),
            priorities: BTreeMap::new(),
            proactive_case_types: default_proactive(),
            cancel_resolution_code: default_cancel_code(),
            request_resolution_code: default_request_code(),
            timeout_ms: default_timeout_ms(),
            retries: default_retries(),
            backoff_ms: default_backoff_ms(),
            breaker_failures: default_breaker_failures(),
            breaker_cooldown_ms: default_breaker_cooldown_ms(),
            reference_ttl_secs: default_reference_ttl(),
            poll_secs: default_poll_secs(),
        }
    }

    /// The instance URL without a trailing slash, checked to be http(s).
    pub(crate) fn base_url(&self) -> Result<String, String> {
        let url = self.instance_url.trim().trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or("instance_url must start with http:// or https://")?;
        if rest.is_empty() || rest.contains(['@', '?', '#', ' ']) {
            return Err("instance_url must be a plain http(s) URL of the instance".into());
        }
        Ok(url.to_string())
    }

    /// The instance's host (for logs: never credentials).
    pub(crate) fn host(&self) -> String {
        let url = self.instance_url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or(url);
        rest.split('/').next().unwrap_or_default().to_string()
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("instance_url", &self.instance_url)
            .field("auth", &self.auth)
            .field("tables", &self.tables)
            .field("fields", &self.fields)
            .field("states", &self.states)
            .field("priorities", &self.priorities)
            .field("proactive_case_types", &self.proactive_case_types)
            .field("timeout_ms", &self.timeout_ms)
            .field("retries", &self.retries)
            .field("poll_secs", &self.poll_secs)
            .finish_non_exhaustive()
    }
}

/// How requests authenticate.
#[derive(Clone, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// HTTP Basic with an integration user.
    Basic {
        /// The integration user's user name.
        username: String,
        /// Its password.
        password: String,
    },
    /// OAuth 2 bearer tokens from `/oauth_token.do`.
    Oauth {
        /// Which grant obtains the tokens.
        grant: Grant,
        /// The OAuth client id.
        client_id: String,
        /// The OAuth client secret.
        client_secret: String,
        /// The user name (password grant).
        #[serde(default)]
        username: Option<String>,
        /// The password (password grant).
        #[serde(default)]
        password: Option<String>,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Auth::Oauth {
                grant,
                client_id,
                username,
                ..
            } => f
                .debug_struct("Oauth")
                .field("grant", grant)
                .field("client_id", client_id)
                .field("client_secret", &"<redacted>")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// The OAuth grant used for tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// Resource-owner password grant (gives a refresh token).
    Password,
    /// Client credentials (the OAuth Application User writes).
    ClientCredentials,
}

/// Table names of the instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tables {
    /// Cases.
    pub case: String,
    /// Customer accounts.
    pub account: String,
    /// Locations.
    pub location: String,
    /// Products at an account (install base).
    pub product: String,
    /// Contacts.
    pub contact: String,
    /// Users.
    pub user: String,
    /// Choice lists.
    pub choice: String,
    /// Journal entries (comments).
    pub journal: String,
    /// Field audit rows.
    pub audit: String,
}

impl Default for Tables {
    fn default() -> Self {
        Self {
            case: "sn_customerservice_case".into(),
            account: "customer_account".into(),
            location: "cmn_location".into(),
            product: "sn_install_base_item".into(),
            contact: "customer_contact".into(),
            user: "sys_user".into(),
            choice: "sys_choice".into(),
            journal: "sys_journal_field".into(),
            audit: "sys_audit".into(),
        }
    }
}

/// Field names of the instance profile that an instance may rename.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fields {
    /// Case: the account reference.
    pub account: String,
    /// Case: the contact reference.
    pub contact: String,
    /// Case: the location reference.
    pub location: String,
    /// Case: the product (install base item) reference.
    pub product: String,
    /// Case: the case type code.
    pub case_type: String,
    /// Case: the support case type code.
    pub support_case_type: String,
    /// Case: the category code.
    pub category: String,
    /// Case: "the location is not listed".
    pub location_not_listed: String,
    /// Case: "the product is not listed".
    pub product_not_listed: String,
    /// Case: the idempotency correlation id.
    pub correlation_id: String,
    /// Case: the watch list.
    pub watch_list: String,
    /// Location: the customer's location id.
    pub customer_location_id: String,
    /// Location: the account (company) reference.
    pub location_account: String,
    /// Location: the street (the portal's address).
    pub location_address: String,
    /// Product: the account reference.
    pub product_account: String,
    /// Product: the location reference.
    pub product_location: String,
    /// Contact: the account reference.
    pub contact_account: String,
}

impl Default for Fields {
    fn default() -> Self {
        Self {
            account: "account".into(),
            contact: "contact".into(),
            location: "location".into(),
            product: "install_base_item".into(),
            case_type: "u_case_type".into(),
            support_case_type: "u_support_case_type".into(),
            category: "category".into(),
            location_not_listed: "u_location_not_listed".into(),
            product_not_listed: "u_product_not_listed".into(),
            correlation_id: "correlation_id".into(),
            watch_list: "watch_list".into(),
            customer_location_id: "u_customer_location_id".into(),
            location_account: "company".into(),
            location_address: "street".into(),
            product_account: "account".into(),
            product_location: "location".into(),
            contact_account: "account".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let settings = Settings::new(
            "https://x.service-now.com/",
            Auth::Oauth {
                grant: Grant::Password,
                client_id: "cid".into(),
                client_secret: "very-secret".into(),
                username: Some("u".into()),
                password: Some("hunter2".into()),
            },
        );
        let shown = format!("{settings:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("hunter2"));
        assert_eq!(settings.base_url().unwrap(), "https://x.service-now.com");
        assert_eq!(settings.host(), "x.service-now.com");
    }

    #[test]
    fn deserialises_with_defaults() {
        let settings: Settings = serde_json::from_str(
            r#"{"instance_url":"http://127.0.0.1:1","auth":{"method":"basic","username":"u","password":"p"}}"#,
        )
        .unwrap();
        assert_eq!(settings.retries, 3);
        assert_eq!(settings.tables.case, "sn_customerservice_case");
        assert_eq!(settings.proactive_case_types, ["CUSTOMER_HEALTH"]);
        assert!(
            Settings::new("ftp://x", settings.auth.clone())
                .base_url()
                .is_err()
        );
    }
}
