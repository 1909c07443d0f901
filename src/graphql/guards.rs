//! The one authorization layer. Every root field and every field that
//! carries role-restricted data declares a [`Require`] guard; the rules
//! themselves live here, in [`Rule`], and nowhere else.
//!
//! Account scoping (a caller sees only their accounts) is enforced by the
//! adapters through [`switchboard_core::Scope`]; the guards add what the
//! caller's role on an account allows, and the gateway-wide OPERATOR role.
//! A guard that fails makes only its own field null with an error, so the
//! field's siblings still resolve.

use async_graphql::{Context, Guard, Result};
use switchboard_core::Role;

use super::errors::{Code, error};
use crate::auth::Caller;

/// What a field needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Any signed-in caller; data is limited to their accounts.
    SignedIn,
    /// A signed-in caller whose token may write (integrators' tokens may be
    /// read-only).
    Writer,
    /// Billing data: PRIMARY_AUTHORITY, ALTERNATE_AUTHORITY or BILLING on
    /// the account.
    Billing,
    /// Account administration (the user list, toll-free changes):
    /// PRIMARY_AUTHORITY or ALTERNATE_AUTHORITY on the account.
    AccountAdmin,
    /// The gateway's own operators (the OPERATOR role).
    Operator,
}

impl Rule {
    /// Every rule, in the order the README's table lists them.
    pub const ALL: [Rule; 5] = [
        Rule::SignedIn,
        Rule::Writer,
        Rule::Billing,
        Rule::AccountAdmin,
        Rule::Operator,
    ];

    /// The account roles that satisfy the rule, for rules about an account.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Rule::SignedIn | Rule::Writer => &Role::ALL,
            Rule::Billing => &[
                Role::PrimaryAuthority,
                Role::AlternateAuthority,
                Role::Billing,
            ],
            Rule::AccountAdmin => &[Role::PrimaryAuthority, Role::AlternateAuthority],
            Rule::Operator => &[],
        }
    }

    /// Whether `caller` satisfies the rule, on `account` when the rule is
    /// about one. An account outside the caller's scope never satisfies it.
    pub fn allows(self, caller: &Caller, account: Option<&str>) -> bool {
        if self == Rule::Operator {
            return caller.principal.operator;
        }
        if self == Rule::Writer && !caller.may_write {
            return false;
        }
        match account {
            None => true,
            Some(account) => role_on(caller, account).is_some_and(|r| self.roles().contains(&r)),
        }
    }

    /// Who the rule admits, as the errors and the README word it.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::SignedIn => "a signed-in user",
            Rule::Writer => "a token that may write",
            Rule::Billing => "the PRIMARY_AUTHORITY, ALTERNATE_AUTHORITY or BILLING role",
            Rule::AccountAdmin => "the PRIMARY_AUTHORITY or ALTERNATE_AUTHORITY role",
            Rule::Operator => "the OPERATOR role",
        }
    }
}

/// The caller's role on `account`, if they have one.
pub fn role_on(caller: &Caller, account: &str) -> Option<Role> {
    caller
        .principal
        .entitlements
        .iter()
        .find(|e| e.account_id == account)
        .map(|e| e.role)
}

/// The caller's accounts on which `rule` holds, sorted.
pub fn permitted_accounts(caller: &Caller, rule: Rule) -> Vec<String> {
    caller
        .scope
        .accounts()
        .iter()
        .filter(|a| rule.allows(caller, Some(a)))
        .cloned()
        .collect()
}

/// A field guard: `#[graphql(guard = "Require::on(Rule::Billing, &self.0.id)")]`.
pub struct Require {
    rule: Rule,
    account: Option<String>,
}

impl Require {
    /// Any signed-in caller.
    pub fn signed_in() -> Self {
        Self {
            rule: Rule::SignedIn,
            account: None,
        }
    }

    /// A signed-in caller whose token may write.
    pub fn writer() -> Self {
        Self {
            rule: Rule::Writer,
            account: None,
        }
    }

    /// A gateway operator.
    pub fn operator() -> Self {
        Self {
            rule: Rule::Operator,
            account: None,
        }
    }

    /// `rule` on `account`.
    pub fn on(rule: Rule, account: impl AsRef<str>) -> Self {
        Self {
            rule,
            account: Some(account.as_ref().to_string()),
        }
    }

    /// The caller, or why they may not have the field.
    pub fn check_caller<'a>(&self, caller: Option<&'a Caller>) -> Result<&'a Caller> {
        let caller =
            caller.ok_or_else(|| error(Code::Unauthenticated, "a bearer token is required"))?;
        if self.rule.allows(caller, self.account.as_deref()) {
            return Ok(caller);
        }
        match &self.account {
            // Another customer's account is indistinguishable from none.
            Some(account) if !caller.scope.contains(account) => Err(error(
                Code::NotFound,
                format!("account {account} not found"),
            )),
            Some(account) => Err(error(
                Code::Forbidden,
                format!("this needs {} on account {account}", self.rule.describe()),
            )),
            None => Err(error(
                Code::Forbidden,
                format!("this needs {}", self.rule.describe()),
            )),
        }
    }
}

impl Guard for Require {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        self.check_caller(ctx.data_opt::<Caller>()).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use switchboard_core::directory::{Account, Principal, User};
    use switchboard_core::{Actor, Entitlement};

    use super::*;

    fn caller(roles: &[(&str, Role)], operator: bool, may_write: bool) -> Caller {
        let principal = Principal {
            user: User {
                id: "1".into(),
                email: "a@b.example".into(),
                name: "A B".into(),
            },
            entitlements: roles
                .iter()
                .map(|(a, r)| Entitlement {
                    account_id: a.to_string(),
                    role: *r,
                })
                .collect(),
            accounts: roles
                .iter()
                .map(|(a, _)| Account {
                    id: a.to_string(),
                    name: a.to_string(),
                })
                .collect(),
            operator,
        };
        Caller::for_tests(
            Arc::new(principal),
            Actor {
                user_id: "1".into(),
                email: "a@b.example".into(),
                name: "A B".into(),
            },
            may_write,
        )
    }

    #[test]
    fn each_rule_admits_exactly_its_roles() {
        let expected = [
            (Rule::SignedIn, [true, true, true, true]),
            (Rule::Writer, [true, true, true, true]),
            (Rule::Billing, [true, true, true, false]),
            (Rule::AccountAdmin, [true, true, false, false]),
            (Rule::Operator, [false, false, false, false]),
        ];
        for (rule, admits) in expected {
            for (role, admitted) in Role::ALL.into_iter().zip(admits) {
                let c = caller(&[("1", role)], false, true);
                assert_eq!(rule.allows(&c, Some("1")), admitted, "{rule:?} {role:?}");
                assert!(!rule.allows(&c, Some("2")), "{rule:?} on another account");
            }
        }
    }

    #[test]
    fn operators_and_read_only_tokens() {
        let op = caller(&[], true, true);
        assert!(Rule::Operator.allows(&op, None));
        let customer = caller(&[("1", Role::PrimaryAuthority)], false, true);
        assert!(!Rule::Operator.allows(&customer, None));
        let reader = caller(&[("1", Role::PrimaryAuthority)], false, false);
        assert!(!Rule::Writer.allows(&reader, None));
        assert!(Rule::SignedIn.allows(&reader, None));
    }

    #[test]
    fn failures_say_forbidden_or_not_found() {
        let c = caller(&[("1", Role::Standard)], false, true);
        let code = |r: Result<&Caller>| {
            r.err()
                .and_then(|e| e.extensions)
                .and_then(|x| x.get("code").cloned())
                .map(|v| v.to_string())
        };
        assert_eq!(
            code(Require::on(Rule::Billing, "1").check_caller(Some(&c))),
            Some("\"FORBIDDEN\"".into())
        );
        assert_eq!(
            code(Require::on(Rule::Billing, "2").check_caller(Some(&c))),
            Some("\"NOT_FOUND\"".into())
        );
        assert_eq!(
            code(Require::signed_in().check_caller(None)),
            Some("\"UNAUTHENTICATED\"".into())
        );
        assert_eq!(
            permitted_accounts(
                &caller(&[("1", Role::Billing), ("2", Role::Standard)], false, true),
                Rule::Billing
            ),
            vec!["1".to_string()]
        );
    }
}
