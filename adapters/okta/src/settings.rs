//! The adapter's settings.
//!
//! Settings read: `org_url` (e.g. `https://example.okta.com`), `auth`
//! (`method = "api_token"` with `token`), `entitlements` (where accounts
//! and roles come from: `source = "groups"` with `pattern` and an optional
//! `operator_group`, or `source = "profile_attribute"` with `attribute` and
//! an optional `operator_group`), `timeout_ms` (one request), `retries`
//! (of reads and deletes after a 5xx or transport error), `backoff_ms`
//! (the first retry's wait, doubled per retry), `max_wait_ms` (the most
//! one call waits for rate limits) and `page_size` (`limit` of list
//! requests, 1 to 200).

use std::fmt;

use serde::Deserialize;

/// How the adapter reaches Okta.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The org URL, e.g. `https://example.okta.com` (no path).
    pub org_url: String,
    /// How requests authenticate.
    pub auth: Auth,
    /// Where a principal's accounts and roles come from.
    #[serde(default)]
    pub entitlements: EntitlementSource,
    /// Timeout of one request, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Retries of a read or delete after a 5xx or transport error.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Wait before the first retry, in milliseconds; doubled per retry.
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// The most one call waits for Okta's rate limit to reset, in
    /// milliseconds; a longer wait is [`switchboard_core::Error::Unavailable`].
    #[serde(default = "default_max_wait_ms")]
    pub max_wait_ms: u64,
    /// The `limit` of list requests (Okta's default and maximum is 200).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_retries() -> u32 {
    2
}

fn default_backoff_ms() -> u64 {
    200
}

fn default_max_wait_ms() -> u64 {
    10_000
}

fn default_page_size() -> u32 {
    200
}

impl Settings {
    /// Settings with the defaults for everything but the org and token.
    pub fn new(org_url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            org_url: org_url.into(),
            auth: Auth::ApiToken {
                token: token.into(),
            },
            entitlements: EntitlementSource::default(),
            timeout_ms: default_timeout_ms(),
            retries: default_retries(),
            backoff_ms: default_backoff_ms(),
            max_wait_ms: default_max_wait_ms(),
            page_size: default_page_size(),
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("org_url", &self.org_url)
            .field("auth", &self.auth)
            .field("entitlements", &self.entitlements)
            .field("timeout_ms", &self.timeout_ms)
            .field("retries", &self.retries)
            .field("backoff_ms", &self.backoff_ms)
            .field("max_wait_ms", &self.max_wait_ms)
            .field("page_size", &self.page_size)
            .finish()
    }
}

/// How requests to Okta authenticate.
#[derive(Clone, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// An API token, sent as `Authorization: SSWS <token>`.
    ApiToken {
        /// The token (never logged or printed).
        token: String,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiToken { .. } => f.write_str("ApiToken { token: <redacted> }"),
        }
    }
}

/// Where a principal's accounts and roles come from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
pub enum EntitlementSource {
    /// Group names following `pattern`, e.g. `acct-{account}-{role}` with
    /// the role in lowercase (`primary_authority`), as the gateway's token
    /// mapping reads them.
    Groups {
        /// The naming pattern, holding `{account}` and `{role}` once each.
        pattern: String,
        /// Members of this group are operators.
        #[serde(default)]
        operator_group: Option<String>,
    },
    /// A multi-valued profile attribute holding `ACCOUNT:ROLE` values
    /// (`1234567890:BILLING`; the role in either case).
    ProfileAttribute {
        /// The attribute's name, e.g. `switchboardEntitlements`.
        attribute: String,
        /// Members of this group are operators.
        #[serde(default)]
        operator_group: Option<String>,
    },
}

impl Default for EntitlementSource {
    fn default() -> Self {
        EntitlementSource::Groups {
            pattern: "acct-{account}-{role}".into(),
            operator_group: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_with_defaults_and_never_print_the_token() {
        let s: Settings = serde_json::from_str(
            r#"{"org_url": "https://x.okta.com", "auth": {"method": "api_token", "token": "00secret"}}"#,
        )
        .unwrap();
        assert_eq!(s.entitlements, EntitlementSource::default());
        assert_eq!((s.retries, s.page_size), (2, 200));
        assert!(!format!("{s:?}").contains("00secret"));
        let attr: Settings = serde_json::from_str(
            r#"{"org_url": "https://x.okta.com", "auth": {"method": "api_token", "token": "t"},
                "entitlements": {"source": "profile_attribute", "attribute": "ents"}}"#,
        )
        .unwrap();
        assert!(matches!(
            attr.entitlements,
            EntitlementSource::ProfileAttribute { .. }
        ));
        assert!(
            serde_json::from_str::<Settings>(
                r#"{"org_url": "u", "auth": {"method": "api_token", "token": "t"}, "typo": 1}"#
            )
            .is_err()
        );
    }
}
