//! Claims mapping: which claim names the user, which groups become
//! entitlements, and which clients are services.

use serde_json::{Map, Value};
use switchboard_core::directory::{Account, Principal, User};
use switchboard_core::{Entitlement, Role};

use super::settings::{EntitlementSource, IssuerConfig, ServiceConfig, parse_role};

/// A group naming pattern such as `acct-{account}-{role}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPattern(String);

impl GroupPattern {
    /// Parses a pattern holding `{account}` and `{role}` once each.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        for hole in ["{account}", "{role}"] {
            if pattern.matches(hole).count() != 1 {
                return Err(format!("must hold `{hole}` exactly once, got `{pattern}`"));
            }
        }
        Ok(Self(pattern.to_string()))
    }

    /// The account and role `group` names, if it matches.
    pub fn matches(&self, group: &str) -> Option<Entitlement> {
        Role::ALL.into_iter().find_map(|role| {
            let name = role.as_str().to_ascii_lowercase();
            let pattern = self.0.replace("{role}", &name);
            let (prefix, suffix) = pattern.split_once("{account}")?;
            let account = group.strip_prefix(prefix)?.strip_suffix(suffix)?;
            let plain = !account.is_empty()
                && account
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            plain.then(|| Entitlement {
                account_id: account.to_string(),
                role,
            })
        })
    }
}

/// Who a verified token stands for, before the directory is asked.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenSubject {
    /// A user, named by the configured claim.
    User {
        /// The user claim's value.
        id: String,
        /// Whether `id` is an email (look up by email).
        by_email: bool,
    },
    /// A configured client-credentials service.
    Service(ServiceConfig),
}

/// How one issuer's claims become identities.
#[derive(Debug, Clone)]
pub struct Mapping {
    user_claim: String,
    groups_claim: String,
    pattern: GroupPattern,
    operator_group: Option<String>,
    /// Where user entitlements come from.
    pub source: EntitlementSource,
    services: Vec<ServiceConfig>,
}

impl Mapping {
    /// The embedded issuer's mapping: `sub` is the directory id.
    pub fn embedded() -> Self {
        Self {
            user_claim: "sub".into(),
            groups_claim: String::new(),
            pattern: GroupPattern("{account}{role}".into()),
            operator_group: None,
            source: EntitlementSource::Directory,
            services: Vec::new(),
        }
    }

    /// The mapping `config` describes (already checked).
    pub fn from_config(config: &IssuerConfig) -> Result<Self, String> {
        Ok(Self {
            user_claim: config.user_claim.clone(),
            groups_claim: config.groups_claim.clone(),
            pattern: GroupPattern::parse(&config.group_pattern)?,
            operator_group: config.operator_group.clone(),
            source: config.entitlements,
            services: config.services.clone(),
        })
    }

    /// The client a token was issued to (`cid`, `client_id` or `azp`).
    pub fn client_of(claims: &Map<String, Value>) -> Option<String> {
        ["cid", "client_id", "azp"]
            .iter()
            .find_map(|k| claims.get(*k).and_then(Value::as_str))
            .map(str::to_string)
    }

    /// Who `claims` stand for: a service when the token has no user (no
    /// `sub`, or `sub` is the client id), else the user claim's value.
    pub fn identify(&self, claims: &Map<String, Value>) -> Result<TokenSubject, String> {
        let client = Self::client_of(claims);
        let sub = claims.get("sub").and_then(Value::as_str);
        let machine = match (&client, sub) {
            (Some(c), Some(s)) => c == s,
            (Some(_), None) => true,
            _ => false,
        };
        if machine {
            let client = client.unwrap_or_default();
            return self
                .services
                .iter()
                .find(|s| s.client_id == client)
                .cloned()
                .map(TokenSubject::Service)
                .ok_or_else(|| format!("its client `{client:.80}` is not a configured service"));
        }
        let id = claims
            .get(&self.user_claim)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("it lacks the user claim `{}`", self.user_claim))?;
        Ok(TokenSubject::User {
            id: id.to_string(),
            by_email: self.user_claim == "email",
        })
    }

    /// The principal the token's own claims describe (`entitlements = "claims"`).
    pub fn principal_from_claims(&self, id: &str, claims: &Map<String, Value>) -> Principal {
        let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_string);
        let groups: Vec<&str> = match claims.get(&self.groups_claim) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(one)) => vec![one.as_str()],
            _ => Vec::new(),
        };
        let mut entitlements: Vec<Entitlement> = Vec::new();
        for e in groups.iter().filter_map(|g| self.pattern.matches(g)) {
            if !entitlements.iter().any(|x| x.account_id == e.account_id) {
                entitlements.push(e);
            }
        }
        let operator = self
            .operator_group
            .as_deref()
            .is_some_and(|op| groups.contains(&op));
        let email = text("email").unwrap_or_default();
        Principal {
            user: User {
                id: id.to_string(),
                name: text("name").unwrap_or_else(|| email.clone()),
                email,
            },
            accounts: placeholder_accounts(&entitlements),
            entitlements,
            operator,
        }
    }
}

/// The principal of a service identity.
pub fn service_principal(service: &ServiceConfig) -> Principal {
    let entitlements: Vec<Entitlement> = service
        .accounts
        .iter()
        .filter_map(|a| {
            Some(Entitlement {
                account_id: a.account.clone(),
                role: parse_role(&a.role)?,
            })
        })
        .collect();
    Principal {
        user: User {
            id: format!("service:{}", service.client_id),
            email: String::new(),
            name: service.name.clone(),
        },
        accounts: placeholder_accounts(&entitlements),
        entitlements,
        operator: service.operator,
    }
}

/// Accounts named only by id, until the account store names them.
fn placeholder_accounts(entitlements: &[Entitlement]) -> Vec<Account> {
    entitlements
        .iter()
        .map(|e| Account {
            id: e.account_id.clone(),
            name: e.account_id.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping() -> Mapping {
        let config: IssuerConfig = serde_json::from_value(json!({
            "issuer": "https://example.okta.com/oauth2/default",
            "audiences": ["api://default"],
            "operator_group": "ops",
            "services": [{ "client_id": "int", "name": "Integrator",
                "accounts": [{ "account": "1234567890", "role": "standard" }] }],
        }))
        .unwrap();
        Mapping::from_config(&config).unwrap()
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn groups_become_entitlements() {
        let p = GroupPattern::parse("acct-{account}-{role}").unwrap();
        assert_eq!(
            p.matches("acct-1234567890-billing"),
            Some(Entitlement {
                account_id: "1234567890".into(),
                role: Role::Billing
            })
        );
        assert_eq!(
            p.matches("acct-42-primary_authority").map(|e| e.role),
            Some(Role::PrimaryAuthority)
        );
        assert_eq!(p.matches("acct--billing"), None);
        assert_eq!(p.matches("acct-1-boss"), None);
        assert_eq!(p.matches("Everyone"), None);
        let reversed = GroupPattern::parse("{role}@{account}").unwrap();
        assert_eq!(reversed.matches("standard@77").unwrap().account_id, "77");
        assert!(GroupPattern::parse("acct-{account}").is_err());
    }

    #[test]
    fn a_users_claims_make_their_principal() {
        let m = mapping();
        let claims = map(
            json!({ "sub": "u1", "client_id": "portal", "email": "u@x.example",
            "groups": ["acct-1-billing", "ops", "acct-1-standard", "acct-2-standard"] }),
        );
        let TokenSubject::User { id, by_email } = m.identify(&claims).unwrap() else {
            panic!("a user")
        };
        assert_eq!((id.as_str(), by_email), ("u1", false));
        let p = m.principal_from_claims(&id, &claims);
        assert!(p.operator);
        assert_eq!(p.scope().accounts(), ["1", "2"]);
        assert_eq!(p.entitlements[0].role, Role::Billing);
    }

    #[test]
    fn client_credentials_tokens_are_services_or_refused() {
        let m = mapping();
        let known = map(json!({ "sub": "int", "client_id": "int" }));
        let TokenSubject::Service(s) = m.identify(&known).unwrap() else {
            panic!("a service")
        };
        let p = service_principal(&s);
        assert_eq!(p.user.id, "service:int");
        assert_eq!(p.scope().accounts(), ["1234567890"]);
        assert!(m.identify(&map(json!({ "cid": "other" }))).is_err());
        assert!(m.identify(&map(json!({ "aud": "x" }))).is_err());
    }
}
