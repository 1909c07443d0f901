//! Who is asking and what they may see.

use serde::{Deserialize, Serialize};

/// A user's role on one account, as the portal defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Full authority over the account.
    PrimaryAuthority,
    /// Authority delegated by the primary.
    AlternateAuthority,
    /// Billing contact: invoices and payments.
    Billing,
    /// Everyone else: cases and services.
    Standard,
}

impl Role {
    /// Every role, in order of authority.
    pub const ALL: [Role; 4] = [
        Role::PrimaryAuthority,
        Role::AlternateAuthority,
        Role::Billing,
        Role::Standard,
    ];

    /// The stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PrimaryAuthority => "PRIMARY_AUTHORITY",
            Role::AlternateAuthority => "ALTERNATE_AUTHORITY",
            Role::Billing => "BILLING",
            Role::Standard => "STANDARD",
        }
    }

    /// Parses [`Role::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One account a user may see, and their role on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    /// The account's id (its account number).
    pub account_id: String,
    /// The user's role on that account.
    pub role: Role,
}

/// The accounts a request may read and write. Built from the caller's
/// entitlements; adapters filter every query by it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    accounts: Vec<String>,
}

impl Scope {
    /// A scope over exactly these account ids.
    pub fn new(accounts: impl IntoIterator<Item = String>) -> Self {
        let mut accounts: Vec<String> = accounts.into_iter().collect();
        accounts.sort();
        accounts.dedup();
        Self { accounts }
    }

    /// The account ids, sorted and unique.
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }

    /// Whether `account_id` is inside the scope.
    pub fn contains(&self, account_id: &str) -> bool {
        self.accounts
            .binary_search_by(|a| a.as_str().cmp(account_id))
            .is_ok()
    }

    /// The part of `requested` inside the scope, or the whole scope when
    /// `requested` is empty (no account filter).
    pub fn narrow(&self, requested: &[String]) -> Vec<String> {
        if requested.is_empty() {
            self.accounts.clone()
        } else {
            requested
                .iter()
                .filter(|a| self.contains(a))
                .cloned()
                .collect()
        }
    }
}

/// The person (or service) on whose behalf a write is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id in the directory.
    pub user_id: String,
    /// Their email, used as the default case contact.
    pub email: String,
    /// Their display name, shown in the activity stream.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_keeps_only_accounts_in_scope() {
        let scope = Scope::new(["2".to_string(), "1".to_string()]);
        assert_eq!(scope.narrow(&[]), vec!["1", "2"]);
        assert_eq!(scope.narrow(&["2".into(), "3".into()]), vec!["2"]);
        assert!(scope.narrow(&["3".into()]).is_empty());
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("ADMIN"), None);
    }
}
