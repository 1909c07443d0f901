//! [`Identity`] over Okta: account users from groups or a profile
//! attribute, factors, password changes and recovery emails.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::json;
use switchboard_core::identity::{
    AccountUser, Factor, Identity, PasswordChange, RecoveryKind, TeamMember, UserStatus,
};
use switchboard_core::{Error, Result, Role, Scope};

use crate::error::OktaError;
use crate::pattern::{attribute_text, attribute_value, strongest_per_account};
use crate::wire::{ErrorBody, FactorBody, Group, User};
use crate::{BACKEND, Entitlements, Okta, quoted};

/// What a wrong current password is told.
const WRONG_OLD_PASSWORD: &str = "The current password is not correct.";

/// Longest requirement text taken from Okta's policy message.
const MAX_REQUIREMENT_CHARS: usize = 80;

impl Okta {
    /// The users of `account` with their roles (unordered, one per user).
    async fn members(&self, account: &str) -> Result<Vec<(User, Role)>, OktaError> {
        let client = &self.inner.client;
        let mut found: Vec<(User, Role)> = Vec::new();
        match &self.inner.entitlements {
            Entitlements::Groups { pattern, .. } => {
                let prefix = pattern.prefix(account);
                let query: Vec<(&str, &str)> = if prefix.is_empty() {
                    Vec::new()
                } else {
                    vec![("q", prefix.as_str())]
                };
                let groups: Vec<Group> = client.list(client.url(&["groups"], &query)).await?;
                for group in groups {
                    let Some(e) = pattern.matches(&group.profile.name) else {
                        continue;
                    };
                    if e.account_id != account {
                        continue;
                    }
                    let url = client.url(&["groups", &group.id, "users"], &[]);
                    let users: Vec<User> = client.list(url).await?;
                    found.extend(users.into_iter().map(|u| (u, e.role)));
                }
            }
            Entitlements::Attribute { attribute, .. } => {
                let search = Role::ALL
                    .iter()
                    .map(|r| {
                        format!(
                            "profile.{attribute} eq {}",
                            quoted(&attribute_text(account, *r))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" or ");
                let users: Vec<User> = client
                    .list(client.url(&["users"], &[("search", &search)]))
                    .await?;
                for user in users {
                    let roles = user
                        .attribute_values(attribute)
                        .iter()
                        .filter_map(|v| attribute_value(v))
                        .filter(|e| e.account_id == account)
                        .collect();
                    if let Some(e) = strongest_per_account(roles).pop() {
                        found.push((user, e.role));
                    }
                }
            }
        }
        Ok(found)
    }

    async fn factor_bodies(&self, user_id: &str) -> Result<Vec<FactorBody>> {
        let client = &self.inner.client;
        client
            .get(client.url(&["users", user_id, "factors"], &[]))
            .await
            .map_err(|e| e.into_core(&format!("user {user_id}")))
    }

    /// Sends Okta's password reset email to `user`; a failure is logged.
    async fn send_reset_email(&self, user: &User) {
        let client = &self.inner.client;
        let url = client.url(
            &["users", &user.id, "lifecycle", "reset_password"],
            &[("sendEmail", "true")],
        );
        match client.post(url, None).await {
            Ok(_) => {
                tracing::info!(adapter.name = BACKEND, user.id = %user.id, "okta sent a password reset email")
            }
            Err(error) => {
                tracing::warn!(adapter.name = BACKEND, user.id = %user.id, %error, "okta did not send a password reset email")
            }
        }
    }
}

/// The words for a new password Okta refused, from its `password:` causes
/// (the requirements it lists), or `None` when no cause is about it.
fn new_password_message(body: &ErrorBody) -> Option<String> {
    let causes: Vec<&str> = body
        .error_causes
        .iter()
        .filter_map(|c| {
            let s = c.error_summary.trim();
            s.strip_prefix("password:")
                .or_else(|| s.strip_prefix("newPassword:"))
        })
        .collect();
    if causes.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    let mut history = false;
    for cause in causes {
        let lowered = cause.to_ascii_lowercase();
        if lowered.contains("current password") || lowered.contains("last ") {
            history = true;
        }
        if let Some((_, list)) = cause.rsplit_once("requirements:") {
            for part in list.trim().trim_end_matches('.').split(',') {
                let part = part.trim();
                let plain = !part.is_empty()
                    && part.len() <= MAX_REQUIREMENT_CHARS
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || " -'".contains(c));
                if plain && !parts.iter().any(|p| p == part) {
                    parts.push(part.to_string());
                }
            }
        }
    }
    Some(if !parts.is_empty() {
        format!(
            "The new password does not meet the password policy; it needs {}.",
            parts.join(", ")
        )
    } else if history {
        "The new password must differ from your current and recent passwords.".into()
    } else {
        "The new password does not meet the password policy.".into()
    })
}

#[async_trait]
impl Identity for Okta {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn account_users(&self, scope: &Scope, account_id: &str) -> Result<Vec<AccountUser>> {
        if !scope.contains(account_id) {
            return Err(Error::not_found(format!("account {account_id}")));
        }
        let members = self
            .members(account_id)
            .await
            .map_err(|e| e.into_core(&format!("account {account_id}")))?;
        let rank = |r: Role| Role::ALL.iter().position(|x| *x == r);
        let mut by_id: BTreeMap<String, AccountUser> = BTreeMap::new();
        for (user, role) in members {
            let entry = by_id.entry(user.id.clone()).or_insert_with(|| AccountUser {
                id: user.id.clone(),
                email: user.email(),
                name: user.name(),
                role,
                status: user.status(),
            });
            if rank(role) < rank(entry.role) {
                entry.role = role;
            }
        }
        let mut users: Vec<AccountUser> = by_id.into_values().collect();
        users.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(users)
    }

    async fn account_team(&self, scope: &Scope, account_id: &str) -> Result<Vec<TeamMember>> {
        self.inner.local.account_team(scope, account_id).await
    }

    async fn factors(&self, user_id: &str) -> Result<Vec<Factor>> {
        let mut factors: Vec<Factor> = self
            .factor_bodies(user_id)
            .await?
            .into_iter()
            .filter_map(FactorBody::into_domain)
            .collect();
        factors.sort_by(|a, b| {
            a.enrolled_at
                .cmp(&b.enrolled_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(factors)
    }

    async fn reset_factor(&self, user_id: &str, factor_id: &str) -> Result<Vec<String>> {
        let before = self.factor_bodies(user_id).await?;
        let Some(target) = before.iter().find(|f| f.id == factor_id) else {
            return Err(Error::not_found(format!("factor {factor_id}")));
        };
        let client = &self.inner.client;
        client
            .delete(client.url(&["users", user_id, "factors", factor_id], &[]))
            .await
            .map_err(|e| e.into_core(&format!("factor {factor_id}")))?;
        if !target.is_okta_verify() {
            return Ok(vec![target.id.clone()]);
        }
        let after = self.factor_bodies(user_id).await?;
        let mut removed: Vec<String> = before
            .iter()
            .filter(|b| !after.iter().any(|a| a.id == b.id))
            .map(|b| b.id.clone())
            .collect();
        if !removed.contains(&target.id) {
            removed.push(target.id.clone());
        }
        Ok(removed)
    }

    async fn change_password(&self, user_id: &str, change: &PasswordChange) -> Result<()> {
        let client = &self.inner.client;
        let url = client.url(&["users", user_id, "credentials", "change_password"], &[]);
        let body = json!({
            "oldPassword": {"value": change.old_password},
            "newPassword": {"value": change.new_password},
        });
        let error = match client.post(url, Some(body)).await {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        let new_password = match &error {
            OktaError::Api { body, .. } => new_password_message(body),
            _ => None,
        };
        match (error.code(), new_password) {
            (Some("E0000014" | "E0000080" | "E0000001"), Some(message)) => {
                Err(Error::invalid("newPassword", message))
            }
            (Some("E0000014"), None) => Err(Error::invalid("oldPassword", WRONG_OLD_PASSWORD)),
            (Some("E0000038"), _) => Err(Error::Conflict(
                "The password cannot be changed in the account's current state; reset it instead."
                    .into(),
            )),
            _ => Err(error.into_core(&format!("user {user_id}"))),
        }
    }

    async fn request_recovery(
        &self,
        login: &str,
        kind: RecoveryKind,
        _link_base: &str,
    ) -> Result<()> {
        let login = login.trim();
        if login.is_empty() {
            return Ok(());
        }
        let client = &self.inner.client;
        let filter = format!("profile.login eq {}", quoted(login));
        let users: Vec<User> = client
            .list(client.url(&["users"], &[("filter", &filter)]))
            .await
            .map_err(|e| e.into_core("user"))?;
        let Some(user) = users
            .into_iter()
            .find(|u| u.login().eq_ignore_ascii_case(login))
        else {
            return Ok(());
        };
        let send = match kind {
            RecoveryKind::ResetPassword => true,
            RecoveryKind::UnlockAccount => user.status() == UserStatus::LockedOut,
        };
        if send {
            self.send_reset_email(&user).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ErrorCause;

    fn body(causes: &[&str]) -> ErrorBody {
        ErrorBody {
            error_causes: causes
                .iter()
                .map(|c| ErrorCause {
                    error_summary: (*c).into(),
                })
                .collect(),
            ..ErrorBody::default()
        }
    }

    #[test]
    fn refused_passwords_are_explained_in_our_words() {
        let m = new_password_message(&body(&["password: Password requirements were not met. Password requirements: at least 8 characters, an uppercase letter, a number."])).unwrap();
        assert_eq!(
            m,
            "The new password does not meet the password policy; it needs at least 8 characters, an uppercase letter, a number."
        );
        assert!(
            new_password_message(&body(&[
                "oldPassword: The credentials provided were incorrect."
            ]))
            .is_none()
        );
        let m = new_password_message(&body(&[
            "password: Password cannot be your current password",
        ]))
        .unwrap();
        assert!(m.contains("differ"), "{m}");
        let m = new_password_message(&body(&[
            "password: Password requirements: <script>alert(1)</script>",
        ]))
        .unwrap();
        assert!(!m.contains("script"), "{m}");
    }
}
