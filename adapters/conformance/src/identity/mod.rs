//! Behaviours of the [`Identity`] port (and, where a backend declares
//! them, its [`Outbox`](switchboard_core::identity::Outbox) and its
//! [`RecoveryLinks`](switchboard_core::identity::RecoveryLinks)) and of the
//! [`AccessRequests`] port, and the [`UserDirectory`](switchboard_core::UserDirectory)
//! port of the same backends.

use switchboard_core::identity::{
    AccessRequest, AccessRequests, INVALID_RECOVERY_LINK, Identity, PasswordChange,
    RECOVERY_LINK_TTL_SECS, RecoveryCompletion, RecoveryKind, UserStatus,
};
use switchboard_core::{Error, PageRequest, Scope};

mod directory;
mod links;
mod people;
mod recovery;

pub use directory::principals_by_id_and_email;
pub use links::{
    expired_links_are_refused, racing_redemptions_have_one_winner,
    unlock_links_unlock_their_kind_only,
};
pub use people::{
    account_team_is_scoped, account_users_are_scoped, factors_belong_to_their_user,
    password_changes,
};
pub use recovery::{
    access_requests_are_stored, recovery_does_not_enumerate, reset_links_set_a_new_password,
};

/// What the identity behaviours need to know about the dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityFixture {
    /// An account with users and a team.
    pub home: String,
    /// Another account with users and a team.
    pub other: String,
    /// A user of `home` with at least two enrolled factors.
    pub user_id: String,
    /// That user's login.
    pub login: String,
    /// That user's current password.
    pub password: String,
    /// Another user with at least one enrolled factor.
    pub other_user_id: String,
}

fn field_of<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::InvalidInput { field, .. }) => field,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn is_not_found<T: std::fmt::Debug>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::NotFound { .. }))
}

fn access_request() -> AccessRequest {
    AccessRequest {
        name: "Jordan Nguyen".into(),
        phone: "(555) 415-1337".into(),
        email: "jordan@example.com".into(),
        account_name: "Harbor Freight".into(),
        account_number: "1234567890".into(),
        service_address: "1 Main St".into(),
        description: "Please add me.".into(),
    }
}

/// What the recovery-link behaviours need done behind the port's back, as
/// time and failed sign-ins would do it.
pub trait RecoveryHooks: Sync {
    /// Makes every recovery link issued so far expired.
    fn expire_links(&self) -> impl Future<Output = ()> + Send;
    /// Locks `user_id` out, as too many failed sign-ins would.
    fn lock_out(&self, user_id: &str) -> impl Future<Output = ()> + Send;
}

/// The token of a link in a message body (`…?token=<token>`).
fn token_in(body: &str) -> Option<String> {
    let (_, rest) = body.split_once("?token=")?;
    let token: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

/// Requests a recovery of `kind` for the fixture's user and returns the
/// link's token from the newest outbox message, or `None` when the backend
/// neither writes an outbox nor redeems links itself.
async fn issue_link(
    identity: &dyn Identity,
    f: &IdentityFixture,
    kind: RecoveryKind,
) -> Option<String> {
    let outbox = identity.outbox()?;
    identity.recovery_links()?;
    identity
        .request_recovery(&f.login, kind, "https://portal.example")
        .await
        .expect("a recovery request");
    let newest = outbox
        .messages(&PageRequest::first(1))
        .await
        .expect("outbox")
        .into_items();
    let message = newest.first().expect("a message was written");
    assert_eq!(
        (message.kind, message.recipient.as_str()),
        (kind, f.login.as_str())
    );
    Some(token_in(&message.body).expect("the message carries a token"))
}

/// Asserts `result` is the one refusal every bad link gets.
fn assert_invalid_link(result: Result<(), Error>, why: &str) {
    match result {
        Err(Error::InvalidInput { field, message }) => {
            assert_eq!(field, "token", "{why}");
            assert_eq!(message, INVALID_RECOVERY_LINK, "{why}");
        }
        other => panic!("{why}: expected the invalid-link error, got {other:?}"),
    }
}

fn reset_to(password: &str) -> RecoveryCompletion {
    RecoveryCompletion::ResetPassword {
        new_password: password.into(),
    }
}

/// Whether `password` is the user's current password (changing it to
/// itself succeeds only then, and changes nothing).
async fn password_is(identity: &dyn Identity, f: &IdentityFixture, password: &str) -> bool {
    let same = PasswordChange {
        old_password: password.into(),
        new_password: password.into(),
    };
    identity.change_password(&f.user_id, &same).await.is_ok()
}
