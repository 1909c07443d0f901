//! Entitlements from Okta data: group names following a pattern such as
//! `acct-{account}-{role}` (the role in lowercase, as the gateway's token
//! mapping reads groups), or `ACCOUNT:ROLE` profile attribute values.

use switchboard_core::{Entitlement, Role};

/// A group naming pattern holding `{account}` and `{role}` once each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupPattern(String);

fn plain_account(account: &str) -> bool {
    !account.is_empty()
        && account
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

impl GroupPattern {
    /// Parses `pattern`; the error says what is wrong.
    pub(crate) fn parse(pattern: &str) -> Result<Self, String> {
        for hole in ["{account}", "{role}"] {
            if pattern.matches(hole).count() != 1 {
                return Err(format!("the group pattern must hold `{hole}` exactly once"));
            }
        }
        Ok(Self(pattern.to_string()))
    }

    /// The longest prefix every group of `account` shares (for Okta's
    /// name-prefix search `q`).
    pub(crate) fn prefix(&self, account: &str) -> String {
        let head = self.0.split("{role}").next().unwrap_or("");
        head.replace("{account}", account)
    }

    /// The entitlement `group` names, if it follows the pattern.
    pub(crate) fn matches(&self, group: &str) -> Option<Entitlement> {
        Role::ALL.into_iter().find_map(|role| {
            let pattern = self
                .0
                .replace("{role}", &role.as_str().to_ascii_lowercase());
            let (prefix, suffix) = pattern.split_once("{account}")?;
            let account = group.strip_prefix(prefix)?.strip_suffix(suffix)?;
            plain_account(account).then(|| Entitlement {
                account_id: account.to_string(),
                role,
            })
        })
    }
}

/// The entitlement an `ACCOUNT:ROLE` value names (role in either case).
pub(crate) fn attribute_value(value: &str) -> Option<Entitlement> {
    let (account, role) = value.trim().rsplit_once(':')?;
    let role = Role::parse(&role.to_ascii_uppercase())?;
    plain_account(account).then(|| Entitlement {
        account_id: account.to_string(),
        role,
    })
}

/// The `ACCOUNT:ROLE` value of an entitlement, as the adapter searches it.
pub(crate) fn attribute_text(account: &str, role: Role) -> String {
    format!("{account}:{}", role.as_str())
}

/// Keeps one entitlement per account, the one with the most authority,
/// ordered by account.
pub(crate) fn strongest_per_account(mut all: Vec<Entitlement>) -> Vec<Entitlement> {
    let rank = |r: Role| Role::ALL.iter().position(|x| *x == r).unwrap_or(usize::MAX);
    all.sort_by(|a, b| {
        a.account_id
            .cmp(&b.account_id)
            .then(rank(a.role).cmp(&rank(b.role)))
    });
    all.dedup_by(|later, first| later.account_id == first.account_id);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_values_name_entitlements() {
        let p = GroupPattern::parse("acct-{account}-{role}").unwrap();
        assert_eq!(p.prefix("42"), "acct-42-");
        assert_eq!(
            p.matches("acct-42-billing"),
            Some(Entitlement {
                account_id: "42".into(),
                role: Role::Billing
            })
        );
        assert_eq!(p.matches("acct-42-boss"), None);
        assert_eq!(p.matches("Everyone"), None);
        let reversed = GroupPattern::parse("{role}@{account}").unwrap();
        assert_eq!(reversed.prefix("42"), "");
        assert_eq!(reversed.matches("standard@77").unwrap().account_id, "77");
        assert!(GroupPattern::parse("acct-{account}").is_err());
        assert_eq!(
            attribute_value("1234567890:alternate_authority").map(|e| e.role),
            Some(Role::AlternateAuthority)
        );
        assert_eq!(attribute_value("OPERATOR"), None);
        assert_eq!(attribute_value(":BILLING"), None);
        let kept = strongest_per_account(vec![
            attribute_value("2:STANDARD").unwrap(),
            attribute_value("1:BILLING").unwrap(),
            attribute_value("2:PRIMARY_AUTHORITY").unwrap(),
        ]);
        assert_eq!(
            kept.iter()
                .map(|e| (e.account_id.as_str(), e.role))
                .collect::<Vec<_>>(),
            [("1", Role::Billing), ("2", Role::PrimaryAuthority)]
        );
    }
}
