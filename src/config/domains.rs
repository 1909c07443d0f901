//! The domains' own sections: `[identity]`, `[billing]`, `[tollfree]` and
//! `[status]`.
//!
//! Settings read: `identity.recovery_per_login`,
//! `identity.recovery_per_address`, `identity.recovery_window_secs`,
//! `identity.address_window_secs`, `identity.password_attempts`,
//! `identity.access_requests_per_address`, `identity.intake_account`,
//! `identity.recovery_link_base`; `billing.payment_portal_url`;
//! `tollfree.on_net_rate`, `tollfree.off_net_rate`; `status.source`,
//! `status.statuspage_url`, `status.cache_secs`, `status.stale_secs`,
//! `status.timeout_ms`.

use serde::{Deserialize, Serialize};

use super::ConfigError;

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
    pub(super) fn check(&self) -> Result<(), ConfigError> {
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
