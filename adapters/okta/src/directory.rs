//! [`UserDirectory`] over Okta: a user by id, login or email, with the
//! entitlements their groups or profile attribute name.

use async_trait::async_trait;
use switchboard_core::directory::{Principal, User as PortalUser};
use switchboard_core::identity::UserStatus;
use switchboard_core::{Entitlement, Result, Scope, UserDirectory};

use crate::error::OktaError;
use crate::pattern::{attribute_value, strongest_per_account};
use crate::wire::{Group, User};
use crate::{Entitlements, Okta, quoted};

impl Okta {
    async fn group_names(&self, user_id: &str) -> Result<Vec<String>, OktaError> {
        let client = &self.inner.client;
        let groups: Vec<Group> = client
            .list(client.url(&["users", user_id, "groups"], &[]))
            .await?;
        Ok(groups.into_iter().map(|g| g.profile.name).collect())
    }

    /// The principal of `user`, or `None` when they may not sign in.
    async fn principal(&self, user: User) -> Result<Option<Principal>> {
        if matches!(
            user.status(),
            UserStatus::Deprovisioned | UserStatus::Suspended
        ) {
            return Ok(None);
        }
        let what = format!("user {}", user.id);
        let (entitlements, operator) = match &self.inner.entitlements {
            Entitlements::Groups {
                pattern,
                operator_group,
            } => {
                let names = self
                    .group_names(&user.id)
                    .await
                    .map_err(|e| e.into_core(&what))?;
                let all: Vec<Entitlement> =
                    names.iter().filter_map(|n| pattern.matches(n)).collect();
                let operator = operator_group
                    .as_ref()
                    .is_some_and(|op| names.iter().any(|n| n == op));
                (strongest_per_account(all), operator)
            }
            Entitlements::Attribute {
                attribute,
                operator_group,
            } => {
                let all: Vec<Entitlement> = user
                    .attribute_values(attribute)
                    .iter()
                    .filter_map(|v| attribute_value(v))
                    .collect();
                let operator = match operator_group {
                    Some(op) => self
                        .group_names(&user.id)
                        .await
                        .map_err(|e| e.into_core(&what))?
                        .iter()
                        .any(|n| n == op),
                    None => false,
                };
                (strongest_per_account(all), operator)
            }
        };
        let ids: Vec<String> = entitlements.iter().map(|e| e.account_id.clone()).collect();
        let accounts = if ids.is_empty() {
            Vec::new()
        } else {
            let scope = Scope::new(ids.iter().cloned());
            let mut found = self.inner.accounts.accounts_by_ids(&scope, &ids).await?;
            found.sort_by_key(|a| ids.iter().position(|i| *i == a.id));
            found
        };
        Ok(Some(Principal {
            user: PortalUser {
                email: user.email(),
                name: user.name(),
                id: user.id,
            },
            entitlements,
            accounts,
            operator,
        }))
    }
}

#[async_trait]
impl UserDirectory for Okta {
    async fn principal_by_id(&self, user_id: &str) -> Result<Option<Principal>> {
        if user_id.trim().is_empty() {
            return Ok(None);
        }
        let client = &self.inner.client;
        let user: User = match client.get(client.url(&["users", user_id], &[])).await {
            Ok(user) => user,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e.into_core(&format!("user {user_id}"))),
        };
        self.principal(user).await
    }

    async fn principal_by_email(&self, email: &str) -> Result<Option<Principal>> {
        let email = email.trim();
        if email.is_empty() {
            return Ok(None);
        }
        let client = &self.inner.client;
        let filter = format!("profile.email eq {}", quoted(email));
        let users: Vec<User> = client
            .list(client.url(&["users"], &[("filter", &filter)]))
            .await
            .map_err(|e| e.into_core("user"))?;
        let mut matching: Vec<User> = users
            .into_iter()
            .filter(|u| u.email().eq_ignore_ascii_case(email))
            .collect();
        // The user whose login is this email first, then by id.
        matching.sort_by_key(|u| (!u.login().eq_ignore_ascii_case(email), u.id.clone()));
        match matching.into_iter().next() {
            Some(user) => self.principal(user).await,
            None => Ok(None),
        }
    }
}
