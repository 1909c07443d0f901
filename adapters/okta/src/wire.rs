//! The parts of Okta's bodies the adapter reads, and their conversion to
//! domain types. Fields not named here are ignored.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use switchboard_core::identity::{Factor, FactorKind, FactorProvider, FactorStatus, UserStatus};

use crate::BACKEND;

/// Okta's error envelope.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub error_code: String,
    #[serde(default)]
    pub error_id: String,
    #[serde(default)]
    pub error_causes: Vec<ErrorCause>,
}

/// One of the envelope's `errorCauses`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorCause {
    #[serde(default)]
    pub error_summary: String,
}

/// A user object.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct User {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub profile: Map<String, Value>,
}

impl User {
    fn text(&self, key: &str) -> Option<&str> {
        self.profile
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// `profile.login`.
    pub fn login(&self) -> &str {
        self.text("login").unwrap_or("")
    }

    /// `profile.email`, else the login.
    pub fn email(&self) -> String {
        self.text("email").unwrap_or(self.login()).to_string()
    }

    /// First and last name, else `displayName`, else the email.
    pub fn name(&self) -> String {
        let parts: Vec<&str> = [self.text("firstName"), self.text("lastName")]
            .into_iter()
            .flatten()
            .collect();
        if !parts.is_empty() {
            return parts.join(" ");
        }
        self.text("displayName")
            .map(str::to_string)
            .unwrap_or_else(|| self.email())
    }

    /// The status; an unknown one is logged and read as SUSPENDED (may not
    /// sign in), never as ACTIVE.
    pub fn status(&self) -> UserStatus {
        UserStatus::parse(&self.status).unwrap_or_else(|| {
            tracing::warn!(adapter.name = BACKEND, okta.status = %self.status, "unknown user status");
            UserStatus::Suspended
        })
    }

    /// The string values of a profile attribute (one string or an array).
    pub fn attribute_values(&self, attribute: &str) -> Vec<String> {
        match self.profile.get(attribute) {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A group object.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Group {
    pub id: String,
    pub profile: GroupProfile,
}

/// A group's profile.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct GroupProfile {
    pub name: String,
}

/// A factor object.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FactorBody {
    pub id: String,
    pub factor_type: String,
    pub provider: String,
    pub status: String,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub profile: Map<String, Value>,
}

impl FactorBody {
    /// Whether Okta resets this factor with Okta Verify's others.
    pub fn is_okta_verify(&self) -> bool {
        self.provider == "OKTA"
            && matches!(
                self.factor_type.as_str(),
                "push" | "token:software:totp" | "signed_nonce"
            )
    }

    /// The domain factor, or `None` (logged) for a kind, provider or status
    /// outside the documented ones.
    pub fn into_domain(self) -> Option<Factor> {
        let (Some(kind), Some(provider), Some(status)) = (
            FactorKind::parse(&self.factor_type),
            FactorProvider::parse(&self.provider),
            FactorStatus::parse(&self.status),
        ) else {
            tracing::warn!(
                adapter.name = BACKEND,
                okta.factor_type = %self.factor_type,
                okta.provider = %self.provider,
                "a factor of an undocumented kind is left out"
            );
            return None;
        };
        let text = |k: &str| {
            self.profile
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let detail = match kind {
            FactorKind::Sms | FactorKind::Call => text("phoneNumber"),
            FactorKind::Email => text("email"),
            FactorKind::Question => text("questionText"),
            FactorKind::Webauthn => text("authenticatorName"),
            _ => text("name"),
        };
        Some(Factor {
            id: self.id,
            kind,
            provider,
            status,
            detail,
            enrolled_at: self.created,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_factors_read_like_okta_writes_them() {
        let user: User = serde_json::from_str(
            r#"{"id": "00u1", "status": "LOCKED_OUT", "created": "2026-01-01T00:00:00.000Z",
                "profile": {"login": "a@x.example", "email": "A@x.example", "firstName": "Ann",
                            "lastName": null, "ents": ["1:BILLING"]}, "_links": {}}"#,
        )
        .unwrap();
        assert_eq!(
            (user.name(), user.email(), user.status()),
            ("Ann".into(), "A@x.example".into(), UserStatus::LockedOut)
        );
        assert_eq!(user.attribute_values("ents"), ["1:BILLING"]);
        let factor: FactorBody = serde_json::from_str(
            r#"{"id": "mbl1", "factorType": "sms", "provider": "OKTA", "vendorName": "OKTA",
                "status": "ACTIVE", "created": "2026-01-01T00:00:00.000Z",
                "profile": {"phoneNumber": "+1-555-415-1337"}}"#,
        )
        .unwrap();
        assert!(!factor.is_okta_verify());
        let factor = factor.into_domain().unwrap();
        assert_eq!(factor.detail.as_deref(), Some("+1-555-415-1337"));
        let odd: FactorBody = serde_json::from_str(
            r#"{"id": "x", "factorType": "hologram", "provider": "OKTA", "status": "ACTIVE",
                "created": "2026-01-01T00:00:00.000Z"}"#,
        )
        .unwrap();
        assert!(odd.into_domain().is_none());
    }
}
