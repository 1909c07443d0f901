//! `[[auth.issuers]]`: external OpenID Connect issuers and how their tokens
//! become callers.
//!
//! Settings read, per issuer:
//! - `issuer`: the issuer URL (its `iss`; discovery lives under it), e.g.
//!   `https://{domain}/oauth2/default` for an Okta authorization server.
//! - `audiences`: accepted `aud` values (e.g. `api://default`); at least one.
//! - `jwks_url`: use this key set instead of the discovered `jwks_uri`.
//! - `jwks_refetch_secs`: least time between two fetches caused by tokens
//!   naming an unknown key (30).
//! - `user_claim`: the claim naming the user: `sub`, `uid`, `email` or any
//!   other claim (`sub`).
//! - `groups_claim`: the claim listing the user's groups (`groups`).
//! - `group_pattern`: how a group names an account and a role
//!   (`acct-{account}-{role}`; roles are `primary_authority`,
//!   `alternate_authority`, `billing`, `standard`).
//! - `operator_group`: the group giving the OPERATOR role (none).
//! - `entitlements`: `claims` (from the groups) or `directory` (the user
//!   directory, by id, or by email when `user_claim = "email"`).
//! - `introspection`: `{ endpoint, client_id, client_secret, cache_secs }`
//!   to accept opaque tokens through RFC 7662 introspection.
//! - `services`: client-credentials identities,
//!   `{ client_id, name, accounts = [{ account, role }], scopes, operator }`.

use serde::{Deserialize, Serialize};
use switchboard_core::Role;

/// One trusted OpenID Connect issuer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The issuer URL, exactly as its tokens' `iss`.
    pub issuer: String,
    /// Accepted audiences.
    pub audiences: Vec<String>,
    /// A key set URL overriding discovery's `jwks_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// Least seconds between refetches caused by unknown key ids.
    #[serde(default = "default_refetch_secs")]
    pub jwks_refetch_secs: u64,
    /// The claim naming the user.
    #[serde(default = "default_user_claim")]
    pub user_claim: String,
    /// The claim listing the user's groups.
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// How a group names an account and a role.
    #[serde(default = "default_group_pattern")]
    pub group_pattern: String,
    /// The group that makes its members operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_group: Option<String>,
    /// Where a user's entitlements come from.
    #[serde(default)]
    pub entitlements: EntitlementSource,
    /// Introspection of opaque tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection: Option<IntrospectionConfig>,
    /// Client-credentials identities.
    #[serde(default)]
    pub services: Vec<ServiceConfig>,
}

/// Where a user's entitlements come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntitlementSource {
    /// The token's groups, through `group_pattern`.
    #[default]
    Claims,
    /// The user directory.
    Directory,
}

/// RFC 7662 token introspection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionConfig {
    /// The introspection endpoint.
    pub endpoint: String,
    /// The gateway's client id there.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// How long an answer is reused (never past the token's expiry).
    #[serde(default = "default_introspection_cache_secs")]
    pub cache_secs: u64,
}

/// A client-credentials identity (an integrator, no user).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// The OAuth client id its tokens name.
    pub client_id: String,
    /// Its display name (recorded on its writes).
    pub name: String,
    /// Its accounts and roles.
    #[serde(default)]
    pub accounts: Vec<ServiceAccount>,
    /// What it may do: `read`, `write`.
    #[serde(default = "default_service_scopes")]
    pub scopes: Vec<String>,
    /// Whether it has the OPERATOR role.
    #[serde(default)]
    pub operator: bool,
}

/// One account of a service identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccount {
    /// The account number.
    pub account: String,
    /// The role, lower-case (`standard`, `billing`, ...).
    pub role: String,
}

fn default_refetch_secs() -> u64 {
    30
}

fn default_user_claim() -> String {
    "sub".into()
}

fn default_groups_claim() -> String {
    "groups".into()
}

fn default_group_pattern() -> String {
    "acct-{account}-{role}".into()
}

fn default_introspection_cache_secs() -> u64 {
    60
}

fn default_service_scopes() -> Vec<String> {
    vec!["read".into()]
}

/// Parses a lower-case role name (`primary_authority`, ...).
pub fn parse_role(name: &str) -> Option<Role> {
    Role::ALL
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(name))
}

/// Checks `[[auth.issuers]]`, naming the key at fault.
pub fn check_issuers(issuers: &[IssuerConfig]) -> Result<(), String> {
    for (i, issuer) in issuers.iter().enumerate() {
        check_issuer(issuer).map_err(|(key, why)| format!("`auth.issuers[{i}].{key}` {why}"))?;
        if issuers[..i].iter().any(|o| o.issuer == issuer.issuer) {
            return Err(format!("`auth.issuers[{i}].issuer` is listed twice"));
        }
    }
    Ok(())
}

type Fault = (&'static str, String);

fn check_issuer(c: &IssuerConfig) -> Result<(), Fault> {
    check_url("issuer", &c.issuer)?;
    if c.audiences.iter().all(|a| a.trim().is_empty()) {
        return Err(("audiences", "must name at least one audience".into()));
    }
    if let Some(url) = &c.jwks_url {
        check_url("jwks_url", url)?;
    }
    if c.jwks_refetch_secs == 0 {
        return Err(("jwks_refetch_secs", "must be greater than 0".into()));
    }
    if c.user_claim.trim().is_empty() {
        return Err(("user_claim", "cannot be empty".into()));
    }
    super::mapping::GroupPattern::parse(&c.group_pattern).map_err(|e| ("group_pattern", e))?;
    if c.entitlements == EntitlementSource::Claims && c.groups_claim.trim().is_empty() {
        return Err(("groups_claim", "cannot be empty".into()));
    }
    if let Some(intro) = &c.introspection {
        check_url("introspection.endpoint", &intro.endpoint)?;
        if intro.client_id.is_empty() {
            return Err(("introspection.client_id", "cannot be empty".into()));
        }
    }
    for s in &c.services {
        check_service(s)?;
    }
    Ok(())
}

fn check_service(s: &ServiceConfig) -> Result<(), Fault> {
    if s.client_id.trim().is_empty() {
        return Err(("services[].client_id", "cannot be empty".into()));
    }
    for a in &s.accounts {
        if a.account.trim().is_empty() {
            return Err(("services[].accounts[].account", "cannot be empty".into()));
        }
        if parse_role(&a.role).is_none() {
            return Err((
                "services[].accounts[].role",
                format!(
                    "must be primary_authority, alternate_authority, billing or standard, got `{}`",
                    a.role
                ),
            ));
        }
    }
    if let Some(bad) = s
        .scopes
        .iter()
        .find(|x| !matches!(x.as_str(), "read" | "write"))
    {
        return Err((
            "services[].scopes",
            format!("may hold `read` and `write`, got `{bad}`"),
        ));
    }
    Ok(())
}

fn check_url(key: &'static str, url: &str) -> Result<(), Fault> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        Err((key, format!("must be an http(s) URL, got `{url}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> IssuerConfig {
        toml_issuer(
            "issuer = \"https://example.okta.com/oauth2/default\"\naudiences = [\"api://default\"]",
        )
    }

    fn toml_issuer(text: &str) -> IssuerConfig {
        use figment::providers::Format;
        figment::Figment::from(figment::providers::Toml::string(text))
            .extract()
            .unwrap()
    }

    #[test]
    fn defaults_suit_an_okta_authorization_server() {
        let c = issuer();
        assert_eq!(c.user_claim, "sub");
        assert_eq!(c.groups_claim, "groups");
        assert_eq!(c.entitlements, EntitlementSource::Claims);
        assert!(check_issuers(&[c]).is_ok());
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail runs closures that return its own large error"
    )]
    fn issuers_can_be_set_from_the_environment() {
        use crate::config::{Config, Overrides};
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "SWITCHBOARD_AUTH__ISSUERS",
                r#"[{issuer="https://example.okta.com/oauth2/default", audiences=["api://default"], user_claim="uid"}]"#,
            );
            let config = Config::load(None, &Overrides::default()).unwrap();
            assert_eq!(config.auth.issuers[0].user_claim, "uid");
            jail.set_env(
                "SWITCHBOARD_AUTH__ISSUERS",
                r#"[{issuer="https://example.okta.com/oauth2/default", audiences=[]}]"#,
            );
            let err = Config::load(None, &Overrides::default()).unwrap_err();
            assert!(
                err.to_string().contains("auth.issuers[0].audiences"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn faults_name_their_key() {
        let mut c = issuer();
        c.audiences.clear();
        let err = check_issuers(&[c]).unwrap_err();
        assert!(err.contains("auth.issuers[0].audiences"), "{err}");

        let mut c = issuer();
        c.group_pattern = "acct-{account}".into();
        assert!(check_issuers(&[c]).unwrap_err().contains("group_pattern"));

        let mut c = issuer();
        c.services.push(ServiceConfig {
            client_id: "x".into(),
            name: "X".into(),
            accounts: vec![ServiceAccount {
                account: "1".into(),
                role: "boss".into(),
            }],
            scopes: vec!["read".into()],
            operator: false,
        });
        assert!(check_issuers(&[c]).unwrap_err().contains("role"));

        assert!(
            check_issuers(&[issuer(), issuer()])
                .unwrap_err()
                .contains("twice")
        );
    }
}
