//! The portal's profile features: an account's users and team, the caller's
//! sign-in factors and password, account recovery, and requests for portal
//! access ([`Identity`], [`Outbox`], [`AccessRequests`]).
//!
//! The SQL adapter serves them from its own tables today; an Okta adapter
//! will serve [`Identity`] from Okta's users, factors and lifecycle API, so
//! ids are opaque strings and the enums cover Okta's values.

mod access_request;
mod policy;
mod recovery;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{Page, PageRequest, Result, Role, Scope};

pub use access_request::{AccessRequest, MAX_ACCESS_REQUEST_DESCRIPTION_CHARS};
pub use policy::{PasswordRule, check_password, username_parts};
pub use recovery::{
    INVALID_RECOVERY_LINK, MAX_RECOVERY_TOKEN_CHARS, RecoveryCompletion, RecoveryLinks,
    invalid_recovery_link,
};

/// Where a user's sign-in stands (Okta's user statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    /// Created, not yet activated.
    Staged,
    /// Activated by an administrator, waiting for the user to set a password.
    Provisioned,
    /// May sign in.
    Active,
    /// A password reset is under way.
    Recovery,
    /// Locked out after too many failed sign-ins.
    LockedOut,
    /// Must choose a new password at the next sign-in.
    PasswordExpired,
    /// Suspended by an administrator.
    Suspended,
    /// Deactivated.
    Deprovisioned,
}

impl UserStatus {
    /// Every status.
    pub const ALL: [UserStatus; 8] = [
        UserStatus::Staged,
        UserStatus::Provisioned,
        UserStatus::Active,
        UserStatus::Recovery,
        UserStatus::LockedOut,
        UserStatus::PasswordExpired,
        UserStatus::Suspended,
        UserStatus::Deprovisioned,
    ];

    /// The stable storage and wire name (Okta's spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Staged => "STAGED",
            UserStatus::Provisioned => "PROVISIONED",
            UserStatus::Active => "ACTIVE",
            UserStatus::Recovery => "RECOVERY",
            UserStatus::LockedOut => "LOCKED_OUT",
            UserStatus::PasswordExpired => "PASSWORD_EXPIRED",
            UserStatus::Suspended => "SUSPENDED",
            UserStatus::Deprovisioned => "DEPROVISIONED",
        }
    }

    /// Parses [`UserStatus::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A portal user of one account, as the account's user list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUser {
    /// Directory id.
    pub id: String,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Their role on the account.
    pub role: Role,
    /// Their sign-in status.
    pub status: UserStatus,
}

/// What a member of the provider's account team does for the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeamRole {
    /// Owns the commercial relationship.
    AccountManager,
    /// Designs the customer's services.
    SalesEngineer,
    /// A named support contact.
    Support,
    /// Looks after the customer once services are live.
    CustomerSuccess,
}

impl TeamRole {
    /// Every role, in the order the team is listed.
    pub const ALL: [TeamRole; 4] = [
        TeamRole::AccountManager,
        TeamRole::SalesEngineer,
        TeamRole::CustomerSuccess,
        TeamRole::Support,
    ];

    /// The stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::AccountManager => "ACCOUNT_MANAGER",
            TeamRole::SalesEngineer => "SALES_ENGINEER",
            TeamRole::Support => "SUPPORT",
            TeamRole::CustomerSuccess => "CUSTOMER_SUCCESS",
        }
    }

    /// Parses [`TeamRole::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One member of an account's team at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    /// What they do for the account.
    pub role: TeamRole,
    /// Full name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Phone number, if published.
    pub phone: Option<String>,
}

/// The kind of a sign-in factor (Okta's `factorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactorKind {
    /// A voice call with a code.
    Call,
    /// An email with a code.
    Email,
    /// A push notification (Okta Verify).
    Push,
    /// A security question.
    Question,
    /// Okta Verify's device-bound key.
    SignedNonce,
    /// A text message with a code.
    Sms,
    /// A one-time code from a vendor token (RSA, Symantec).
    Token,
    /// A hardware token (YubiKey).
    TokenHardware,
    /// An HMAC one-time code.
    TokenHotp,
    /// A time-based one-time code from an app (Google Authenticator, Okta Verify).
    TokenSoftwareTotp,
    /// A U2F security key.
    U2f,
    /// A web-based factor (Duo).
    Web,
    /// A WebAuthn authenticator (security key or platform biometrics).
    Webauthn,
}

impl FactorKind {
    /// Every kind.
    pub const ALL: [FactorKind; 13] = [
        FactorKind::Call,
        FactorKind::Email,
        FactorKind::Push,
        FactorKind::Question,
        FactorKind::SignedNonce,
        FactorKind::Sms,
        FactorKind::Token,
        FactorKind::TokenHardware,
        FactorKind::TokenHotp,
        FactorKind::TokenSoftwareTotp,
        FactorKind::U2f,
        FactorKind::Web,
        FactorKind::Webauthn,
    ];

    /// Okta's `factorType` value, also the storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Call => "call",
            FactorKind::Email => "email",
            FactorKind::Push => "push",
            FactorKind::Question => "question",
            FactorKind::SignedNonce => "signed_nonce",
            FactorKind::Sms => "sms",
            FactorKind::Token => "token",
            FactorKind::TokenHardware => "token:hardware",
            FactorKind::TokenHotp => "token:hotp",
            FactorKind::TokenSoftwareTotp => "token:software:totp",
            FactorKind::U2f => "u2f",
            FactorKind::Web => "web",
            FactorKind::Webauthn => "webauthn",
        }
    }

    /// Parses [`FactorKind::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Who provides a factor (Okta's `provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactorProvider {
    /// Okta itself (Okta Verify, SMS, call, email, question).
    Okta,
    /// Google Authenticator.
    Google,
    /// A FIDO2 authenticator.
    Fido,
    /// YubiKey.
    Yubico,
    /// RSA SecurID.
    Rsa,
    /// Symantec VIP.
    Symantec,
    /// Duo Security.
    Duo,
    /// A custom HOTP provider.
    Custom,
}

impl FactorProvider {
    /// Every provider.
    pub const ALL: [FactorProvider; 8] = [
        FactorProvider::Okta,
        FactorProvider::Google,
        FactorProvider::Fido,
        FactorProvider::Yubico,
        FactorProvider::Rsa,
        FactorProvider::Symantec,
        FactorProvider::Duo,
        FactorProvider::Custom,
    ];

    /// Okta's `provider` value, also the storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorProvider::Okta => "OKTA",
            FactorProvider::Google => "GOOGLE",
            FactorProvider::Fido => "FIDO",
            FactorProvider::Yubico => "YUBICO",
            FactorProvider::Rsa => "RSA",
            FactorProvider::Symantec => "SYMANTEC",
            FactorProvider::Duo => "DUO",
            FactorProvider::Custom => "CUSTOM",
        }
    }

    /// Parses [`FactorProvider::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a factor's enrolment stands (Okta's factor statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactorStatus {
    /// Offered but not set up.
    NotSetup,
    /// Set up, waiting for its first use.
    PendingActivation,
    /// Enrolled.
    Enrolled,
    /// In use.
    Active,
    /// Turned off.
    Inactive,
    /// Activation timed out.
    Expired,
}

impl FactorStatus {
    /// Every status.
    pub const ALL: [FactorStatus; 6] = [
        FactorStatus::NotSetup,
        FactorStatus::PendingActivation,
        FactorStatus::Enrolled,
        FactorStatus::Active,
        FactorStatus::Inactive,
        FactorStatus::Expired,
    ];

    /// The stable storage and wire name (Okta's spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            FactorStatus::NotSetup => "NOT_SETUP",
            FactorStatus::PendingActivation => "PENDING_ACTIVATION",
            FactorStatus::Enrolled => "ENROLLED",
            FactorStatus::Active => "ACTIVE",
            FactorStatus::Inactive => "INACTIVE",
            FactorStatus::Expired => "EXPIRED",
        }
    }

    /// Parses [`FactorStatus::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A sign-in factor the user has enrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    /// The backend's opaque id.
    pub id: String,
    /// What kind of factor.
    pub kind: FactorKind,
    /// Who provides it.
    pub provider: FactorProvider,
    /// Its enrolment status.
    pub status: FactorStatus,
    /// What identifies it to the user: a masked phone number, a device name.
    pub detail: Option<String>,
    /// When it was enrolled.
    pub enrolled_at: DateTime<Utc>,
}

impl Factor {
    /// The name the portal's security settings show, e.g. `Okta Verify (push)`.
    pub fn label(&self) -> String {
        use FactorKind as K;
        use FactorProvider as P;
        match (self.provider, self.kind) {
            (P::Google, K::TokenSoftwareTotp) => "Google Authenticator".into(),
            (P::Okta, K::Push) => "Okta Verify (push)".into(),
            (P::Okta, K::TokenSoftwareTotp) => "Okta Verify (code)".into(),
            (P::Okta, K::SignedNonce) => "Okta Verify (FastPass)".into(),
            (P::Okta, K::Sms) => "SMS authentication".into(),
            (P::Okta, K::Call) => "Voice call authentication".into(),
            (P::Okta, K::Email) => "Email authentication".into(),
            (P::Okta, K::Question) => "Security question".into(),
            (P::Fido, _) => "Security key or biometric".into(),
            (P::Yubico, _) => "YubiKey".into(),
            (P::Rsa, _) => "RSA SecurID".into(),
            (P::Symantec, _) => "Symantec VIP".into(),
            (P::Duo, _) => "Duo Security".into(),
            (provider, kind) => format!("{} {}", provider.as_str(), kind.as_str()),
        }
    }
}

/// A password change: the current password and the new one.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordChange {
    /// The current password.
    pub old_password: String,
    /// The new password; must pass [`check_password`].
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { .. }")
    }
}

/// What a recovery request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecoveryKind {
    /// Reset a forgotten password.
    ResetPassword,
    /// Unlock an account locked after failed sign-ins.
    UnlockAccount,
}

impl RecoveryKind {
    /// Both kinds.
    pub const ALL: [RecoveryKind; 2] = [RecoveryKind::ResetPassword, RecoveryKind::UnlockAccount];

    /// The stable storage and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryKind::ResetPassword => "RESET_PASSWORD",
            RecoveryKind::UnlockAccount => "UNLOCK_ACCOUNT",
        }
    }

    /// Parses [`RecoveryKind::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// How long a recovery link works.
pub const RECOVERY_LINK_TTL_SECS: i64 = 3600;

/// A message the gateway wrote for delivery (a recovery email), as an
/// operator reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// The message's id.
    pub id: String,
    /// The address it goes to.
    pub recipient: String,
    /// Why it was written.
    pub kind: RecoveryKind,
    /// Subject line.
    pub subject: String,
    /// Plain-text body, with the link.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When its link stops working.
    pub expires_at: DateTime<Utc>,
}

/// A stored request for portal access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRequestRecord {
    /// The record's id.
    pub id: String,
    /// What was asked, normalised.
    pub request: AccessRequest,
    /// The number of the case opened for it, if one was.
    pub case_number: Option<String>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
}

/// The identity port: users, teams, factors, passwords and recovery.
///
/// Guarantees every implementation gives (checked by the conformance suite):
/// - account-bound methods filter by the [`Scope`]: an account outside it is
///   [`crate::Error::NotFound`], exactly like one that does not exist;
/// - user-bound methods act on the user id of the caller only: another
///   user's factor id is [`crate::Error::NotFound`];
/// - [`Identity::request_recovery`] answers the same way whether or not the
///   login exists, and never reveals what it sent.
#[async_trait]
pub trait Identity: Send + Sync {
    /// The backend's name for logs and errors (`sql`, `okta`).
    fn backend(&self) -> &'static str;

    /// The portal users of an account, by name.
    async fn account_users(&self, scope: &Scope, account_id: &str) -> Result<Vec<AccountUser>>;

    /// The provider's team for an account, in [`TeamRole::ALL`] order, then by name.
    async fn account_team(&self, scope: &Scope, account_id: &str) -> Result<Vec<TeamMember>>;

    /// The factors `user_id` has enrolled, oldest first.
    async fn factors(&self, user_id: &str) -> Result<Vec<Factor>>;

    /// Removes one of `user_id`'s factors so it is set up again at the next
    /// sign-in. Returns the ids of every factor removed: a backend may remove
    /// linked ones too (Okta removes Okta Verify's push, code and FastPass
    /// together).
    async fn reset_factor(&self, user_id: &str, factor_id: &str) -> Result<Vec<String>>;

    /// Changes `user_id`'s password. A wrong current password is
    /// [`crate::Error::InvalidInput`] on field `oldPassword`; a new password
    /// that breaks the policy ([`check_password`]) is
    /// [`crate::Error::InvalidInput`] on field `newPassword` naming every
    /// broken rule. Nothing changes on error.
    async fn change_password(&self, user_id: &str, change: &PasswordChange) -> Result<()>;

    /// Starts a recovery (password reset or unlock) for `login` (an email,
    /// compared case-insensitively): when the
    /// login exists, the user is sent a link to `link_base` (for backends
    /// that write the message themselves) valid for
    /// [`RECOVERY_LINK_TTL_SECS`]. Answers `Ok(())` whether or not it exists.
    async fn request_recovery(
        &self,
        login: &str,
        kind: RecoveryKind,
        link_base: &str,
    ) -> Result<()>;

    /// The backend's outbox, when it writes recovery messages itself rather
    /// than having an identity provider send them (a declared capability).
    fn outbox(&self) -> Option<&dyn Outbox> {
        None
    }

    /// Redeeming the links [`Identity::request_recovery`] sends, when the
    /// backend issues them itself (a declared capability; an identity
    /// provider that sends its own links handles them too).
    fn recovery_links(&self) -> Option<&dyn RecoveryLinks> {
        None
    }
}

/// Messages written for delivery, for operators to read.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// The messages, newest first.
    async fn messages(&self, page: &PageRequest) -> Result<Page<OutboxMessage>>;
}

/// Where requests for portal access are kept.
#[async_trait]
pub trait AccessRequests: Send + Sync {
    /// Stores a validated request and the number of the case opened for it.
    async fn record_access_request(
        &self,
        request: &AccessRequest,
        case_number: Option<&str>,
    ) -> Result<AccessRequestRecord>;

    /// The stored requests, newest first.
    async fn access_requests(&self, page: &PageRequest) -> Result<Page<AccessRequestRecord>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in UserStatus::ALL {
            assert_eq!(UserStatus::parse(v.as_str()), Some(v));
        }
        for v in TeamRole::ALL {
            assert_eq!(TeamRole::parse(v.as_str()), Some(v));
        }
        for v in FactorKind::ALL {
            assert_eq!(FactorKind::parse(v.as_str()), Some(v));
        }
        for v in FactorProvider::ALL {
            assert_eq!(FactorProvider::parse(v.as_str()), Some(v));
        }
        for v in FactorStatus::ALL {
            assert_eq!(FactorStatus::parse(v.as_str()), Some(v));
        }
        for v in RecoveryKind::ALL {
            assert_eq!(RecoveryKind::parse(v.as_str()), Some(v));
        }
        assert_eq!(FactorKind::parse("TOTP"), None);
    }

    #[test]
    fn factors_are_labelled_as_the_portal_names_them() {
        let factor = |provider, kind| Factor {
            id: "f".into(),
            kind,
            provider,
            status: FactorStatus::Active,
            detail: None,
            enrolled_at: Utc::now(),
        };
        assert_eq!(
            factor(FactorProvider::Google, FactorKind::TokenSoftwareTotp).label(),
            "Google Authenticator"
        );
        assert_eq!(
            factor(FactorProvider::Okta, FactorKind::Push).label(),
            "Okta Verify (push)"
        );
        assert_eq!(
            factor(FactorProvider::Custom, FactorKind::TokenHotp).label(),
            "CUSTOM token:hotp"
        );
    }

    #[test]
    fn password_changes_never_print_passwords() {
        let change = PasswordChange {
            old_password: "old-secret".into(),
            new_password: "new-secret".into(),
        };
        assert!(!format!("{change:?}").contains("secret"));
    }
}
