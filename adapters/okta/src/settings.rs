//! The adapter's settings.
//!
//! Settings read: `org_url` (e.g. `https://example.okta.com`), `auth`
//! (`method = "api_token"` with `token`, or `method = "oauth_service_app"`
//! with `client_id`, `key_id`, `private_key` or `private_key_file`,
//! `scopes`, an optional `algorithm` and `dpop`; see [`ServiceApp`]),
//! `entitlements` (where accounts
//! and roles come from: `source = "groups"` with `pattern` and an optional
//! `operator_group`, or `source = "profile_attribute"` with `attribute` and
//! an optional `operator_group`), `timeout_ms` (one request), `retries`
//! (of reads and deletes after a 5xx or transport error), `backoff_ms`
//! (the first retry's wait, doubled per retry), `max_wait_ms` (the most
//! one call waits for rate limits) and `page_size` (`limit` of list
//! requests, 1 to 200).

use std::fmt;
use std::path::PathBuf;

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
        Self::with_auth(
            org_url,
            Auth::ApiToken {
                token: token.into(),
            },
        )
    }

    /// Settings with the defaults for everything but the org and `auth`.
    pub fn with_auth(org_url: impl Into<String>, auth: Auth) -> Self {
        Self {
            org_url: org_url.into(),
            auth,
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
    /// An OAuth 2.0 service app: access tokens from the org authorization
    /// server (`client_credentials` with a `private_key_jwt` assertion),
    /// sent as `Authorization: Bearer <token>`.
    OauthServiceApp(ServiceApp),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiToken { .. } => f.write_str("ApiToken { token: <redacted> }"),
            Auth::OauthServiceApp(app) => f.debug_tuple("OauthServiceApp").field(app).finish(),
        }
    }
}

/// An Okta API service app (`auth.method = "oauth_service_app"`): its
/// client id, the id and private half of the public key registered on it,
/// and the `okta.*` scopes granted to it that the adapter asks for.
///
/// The private key is a PEM: PKCS#8 (`BEGIN PRIVATE KEY`) RSA of at least
/// 2048 bits or EC P-256/P-384, or PKCS#1 (`BEGIN RSA PRIVATE KEY`) RSA.
/// Give it inline (`private_key`; `\n` escapes, as environment variables
/// often carry them, are read as line breaks) or as a file
/// (`private_key_file`), not both.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceApp {
    /// The app's client id (`0oa…`).
    pub client_id: String,
    /// The `kid` of the public key registered on the app.
    pub key_id: String,
    /// The private key, PEM-encoded (never logged or printed).
    #[serde(default)]
    pub private_key: Option<String>,
    /// A file holding the private key, PEM-encoded.
    #[serde(default)]
    pub private_key_file: Option<PathBuf>,
    /// The scopes to ask for, e.g. `okta.users.read`, `okta.users.manage`,
    /// `okta.groups.read`.
    pub scopes: Vec<String>,
    /// The signing algorithm; by default RS256 for an RSA key, ES256 for a
    /// P-256 key and ES384 for a P-384 key.
    #[serde(default)]
    pub algorithm: Option<SigningAlgorithm>,
    /// Whether the app requires DPoP ("Require Demonstrating Proof of
    /// Possession (DPoP) header in token requests", on by default for new
    /// API service apps): tokens are then bound to a key the adapter makes
    /// at start-up, and every call carries a proof.
    #[serde(default)]
    pub dpop: bool,
}

impl ServiceApp {
    /// A service app with an inline PEM key and the default algorithm.
    pub fn new(
        client_id: impl Into<String>,
        key_id: impl Into<String>,
        private_key: impl Into<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            key_id: key_id.into(),
            private_key: Some(private_key.into()),
            private_key_file: None,
            scopes: scopes.into_iter().map(Into::into).collect(),
            algorithm: None,
            dpop: false,
        }
    }
}

impl fmt::Debug for ServiceApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceApp")
            .field("client_id", &self.client_id)
            .field("key_id", &self.key_id)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .field("private_key_file", &self.private_key_file)
            .field("scopes", &self.scopes)
            .field("algorithm", &self.algorithm)
            .field("dpop", &self.dpop)
            .finish()
    }
}

/// How a service app signs its client assertions (Okta accepts these for
/// `private_key_jwt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
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

    #[test]
    fn a_service_app_parses_refuses_unknown_keys_and_never_prints_its_key() {
        let s: Settings = serde_json::from_str(
            r#"{"org_url": "https://x.okta.com", "auth": {"method": "oauth_service_app",
                "client_id": "0oa1", "key_id": "k1", "private_key": "-----BEGIN PRIVATE KEY-----\nMIGsecret\n",
                "scopes": ["okta.users.read", "okta.groups.read"], "algorithm": "ES256",
                "dpop": true}}"#,
        )
        .unwrap();
        let Auth::OauthServiceApp(app) = &s.auth else {
            panic!("a service app: {s:?}");
        };
        assert_eq!(app.scopes, ["okta.users.read", "okta.groups.read"]);
        assert_eq!(app.algorithm, Some(SigningAlgorithm::ES256));
        assert!(app.dpop);
        let printed = format!("{s:?}");
        assert!(
            printed.contains("0oa1") && printed.contains("<redacted>"),
            "{printed}"
        );
        assert!(
            !printed.contains("MIGsecret") && !printed.contains("PRIVATE"),
            "{printed}"
        );
        for typo in [
            r#""private_key_pem": "x""#,
            r#""token": "x""#,
            r#""algorithm": "HS256""#,
        ] {
            let text = format!(
                r#"{{"org_url": "u", "auth": {{"method": "oauth_service_app", "client_id": "c",
                    "key_id": "k", "private_key": "p", "scopes": [], {typo}}}}}"#
            );
            assert!(serde_json::from_str::<Settings>(&text).is_err(), "{typo}");
        }
        let file: Settings = serde_json::from_str(
            r#"{"org_url": "u", "auth": {"method": "oauth_service_app", "client_id": "c",
                "key_id": "k", "private_key_file": "/run/secrets/okta.pem", "scopes": ["okta.users.read"]}}"#,
        )
        .unwrap();
        assert!(format!("{file:?}").contains("/run/secrets/okta.pem"));
    }
}
