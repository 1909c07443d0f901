//! The profile features' GraphQL types.

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use switchboard_core::identity::{
    AccessRequest, AccessRequestRecord, AccountUser, Factor, OutboxMessage, TeamMember,
};

use crate::graphql::directory::Role;
use crate::graphql::pagination::PageInfo;

/// Where a user's sign-in stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::identity::UserStatus")]
pub enum UserStatus {
    /// Created, not yet activated.
    Staged,
    /// Waiting for the user to set a password.
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

/// What a member of the account team does.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::identity::TeamRole")]
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

/// The kind of a sign-in factor (Okta's factor types).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::identity::FactorKind")]
pub enum FactorKind {
    /// A voice call with a code.
    Call,
    /// An email with a code.
    Email,
    /// A push notification.
    Push,
    /// A security question.
    Question,
    /// Okta Verify's device-bound key (FastPass).
    SignedNonce,
    /// A text message with a code.
    Sms,
    /// A code from a vendor token.
    Token,
    /// A hardware token.
    TokenHardware,
    /// An HMAC one-time code.
    TokenHotp,
    /// A time-based code from an authenticator app.
    TokenSoftwareTotp,
    /// A U2F security key.
    U2f,
    /// A web-based factor.
    Web,
    /// A WebAuthn authenticator.
    Webauthn,
}

/// Who provides a factor.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::identity::FactorProvider")]
pub enum FactorProvider {
    /// Okta (Okta Verify, SMS, call, email, question).
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
    /// A custom provider.
    Custom,
}

/// Where a factor's enrolment stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::identity::FactorStatus")]
pub enum FactorStatus {
    /// Offered but not set up.
    NotSetup,
    /// Waiting for its first use.
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

/// Why an outbox message was written.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::identity::RecoveryKind")]
pub enum OutboxKind {
    /// A password reset link.
    ResetPassword,
    /// An account unlock link.
    UnlockAccount,
}

/// A portal user of an account.
#[derive(SimpleObject)]
#[graphql(name = "AccountUser")]
pub struct AccountUserNode {
    /// Directory id.
    pub id: ID,
    /// Display name.
    pub name: String,
    /// Login email.
    pub email: String,
    /// Their role on the account.
    pub role: Role,
    /// Their sign-in status.
    pub status: UserStatus,
}

impl From<AccountUser> for AccountUserNode {
    fn from(u: AccountUser) -> Self {
        Self {
            id: ID(u.id),
            name: u.name,
            email: u.email,
            role: u.role.into(),
            status: u.status.into(),
        }
    }
}

/// A member of the provider's team for an account.
#[derive(SimpleObject)]
#[graphql(name = "TeamMember")]
pub struct TeamMemberNode {
    /// What they do for the account.
    pub role: TeamRole,
    /// Full name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Phone number, if published.
    pub phone: Option<String>,
}

impl From<TeamMember> for TeamMemberNode {
    fn from(m: TeamMember) -> Self {
        Self {
            role: m.role.into(),
            name: m.name,
            email: m.email,
            phone: m.phone,
        }
    }
}

/// A sign-in factor the caller has enrolled.
#[derive(SimpleObject)]
#[graphql(name = "Factor")]
pub struct FactorNode {
    /// The factor's id (pass it to `resetFactor`).
    pub id: ID,
    /// The name the security settings show, e.g. `Google Authenticator`.
    pub label: String,
    /// What kind of factor.
    pub kind: FactorKind,
    /// Who provides it.
    pub provider: FactorProvider,
    /// Its enrolment status.
    pub status: FactorStatus,
    /// What identifies it: a masked phone number, a device name.
    pub detail: Option<String>,
    /// When it was enrolled.
    pub enrolled_at: DateTime<Utc>,
}

impl From<Factor> for FactorNode {
    fn from(f: Factor) -> Self {
        Self {
            label: f.label(),
            id: ID(f.id),
            kind: f.kind.into(),
            provider: f.provider.into(),
            status: f.status.into(),
            detail: f.detail,
            enrolled_at: f.enrolled_at,
        }
    }
}

/// What `resetFactor` did.
#[derive(SimpleObject)]
pub struct ResetFactorPayload {
    /// Every factor removed (Okta Verify's push, code and FastPass go together).
    pub removed_factor_ids: Vec<ID>,
    /// The factors still enrolled.
    pub factors: Vec<FactorNode>,
}

/// The answer to a password-reset or unlock request: the same whether or
/// not the login exists.
#[derive(SimpleObject)]
pub struct RecoveryRequested {
    /// What to tell the user.
    pub message: String,
}

/// The answer to a portal access request.
#[derive(SimpleObject)]
pub struct PortalAccessRequested {
    /// What to tell the requester.
    pub message: String,
}

/// A message written for delivery.
#[derive(SimpleObject)]
#[graphql(name = "OutboxMessage")]
pub struct OutboxMessageNode {
    /// The message's id.
    pub id: ID,
    /// The address it goes to.
    pub recipient: String,
    /// Why it was written.
    pub kind: OutboxKind,
    /// Subject line.
    pub subject: String,
    /// Plain-text body, with the link.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When its link stops working.
    pub expires_at: DateTime<Utc>,
}

impl From<OutboxMessage> for OutboxMessageNode {
    fn from(m: OutboxMessage) -> Self {
        Self {
            id: ID(m.id),
            recipient: m.recipient,
            kind: m.kind.into(),
            subject: m.subject,
            body: m.body,
            created_at: m.created_at,
            expires_at: m.expires_at,
        }
    }
}

/// A page of outbox messages, newest first.
#[derive(SimpleObject)]
pub struct OutboxConnection {
    /// The messages.
    pub nodes: Vec<OutboxMessageNode>,
    /// Where the page ends.
    pub page_info: PageInfo,
}

/// A stored request for portal access.
#[derive(SimpleObject)]
#[graphql(name = "AccessRequest")]
pub struct AccessRequestNode {
    /// The request's id.
    pub id: ID,
    /// The requester's name.
    pub name: String,
    /// Their phone number (10 digits).
    pub phone: String,
    /// Their email address.
    pub email: String,
    /// The account name they gave.
    pub account_name: String,
    /// The account number they gave.
    pub account_number: String,
    /// The service address they gave.
    pub service_address: String,
    /// What else they wrote.
    pub description: String,
    /// The case opened for it, if one was.
    pub case_number: Option<String>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
}

impl From<AccessRequestRecord> for AccessRequestNode {
    fn from(r: AccessRequestRecord) -> Self {
        Self {
            id: ID(r.id),
            name: r.request.name,
            phone: r.request.phone,
            email: r.request.email,
            account_name: r.request.account_name,
            account_number: r.request.account_number,
            service_address: r.request.service_address,
            description: r.request.description,
            case_number: r.case_number,
            created_at: r.created_at,
        }
    }
}

/// A page of access requests, newest first.
#[derive(SimpleObject)]
pub struct AccessRequestConnection {
    /// The requests.
    pub nodes: Vec<AccessRequestNode>,
    /// Where the page ends.
    pub page_info: PageInfo,
}

/// The "Request a Customer Portal Account" form.
#[derive(InputObject)]
pub struct PortalAccessInput {
    /// First and last name.
    pub name: String,
    /// A 10-digit phone number.
    pub phone: String,
    /// Email address.
    pub email: String,
    /// The customer's account name.
    pub account_name: String,
    /// The 10-digit account number.
    pub account_number: String,
    /// The service address.
    pub service_address: String,
    /// Anything else (at most 4,000 characters).
    #[graphql(default)]
    pub description: String,
    /// Leave empty: a field people never see, that only robots fill in.
    pub website: Option<String>,
}

impl PortalAccessInput {
    /// The request, without the honeypot.
    pub fn request(&self) -> AccessRequest {
        AccessRequest {
            name: self.name.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            account_name: self.account_name.clone(),
            account_number: self.account_number.clone(),
            service_address: self.service_address.clone(),
            description: self.description.clone(),
        }
    }
}

/// What the feedback is about.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FeedbackKind {
    /// Something does not work.
    Issue,
    /// A wish for the portal.
    Enhancement,
}

impl FeedbackKind {
    /// The case category it is filed under.
    pub fn category(self) -> &'static str {
        match self {
            FeedbackKind::Issue => "ISSUE",
            FeedbackKind::Enhancement => "ENHANCEMENT",
        }
    }
}

/// The "Send Feedback" form.
#[derive(InputObject)]
pub struct FeedbackInput {
    /// The account the feedback case is filed on.
    pub account_id: ID,
    /// Issue or enhancement.
    pub kind: FeedbackKind,
    /// A short title; the kind's name when omitted.
    pub title: Option<String>,
    /// What happened, or what you would like.
    pub description: String,
}
