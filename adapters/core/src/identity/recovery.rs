//! Redeeming the single-use links a recovery request sends: a new password
//! for a reset, or an unlocked account ([`RecoveryLinks`]).

use async_trait::async_trait;

use super::{RecoveryKind, UserStatus};
use crate::{Error, Result};

/// What every refused link is told, whatever the reason (unknown, expired,
/// already used, or meant for the other kind of recovery), so the answer
/// reveals nothing about the token.
pub const INVALID_RECOVERY_LINK: &str = "this link is invalid or has expired";

/// The longest token looked up; longer ones are refused unread.
pub const MAX_RECOVERY_TOKEN_CHARS: usize = 128;

/// The error of a refused link: [`Error::InvalidInput`] on field `token`.
pub fn invalid_recovery_link() -> Error {
    Error::invalid("token", INVALID_RECOVERY_LINK)
}

/// What redeeming a link does.
#[derive(Clone, PartialEq, Eq)]
pub enum RecoveryCompletion {
    /// Sets a new password, which must pass
    /// [`check_password`](super::check_password) for the user's login.
    ResetPassword {
        /// The new password.
        new_password: String,
    },
    /// Unlocks an account locked out after failed sign-ins.
    UnlockAccount,
}

impl RecoveryCompletion {
    /// The kind of link this redeems.
    pub fn kind(&self) -> RecoveryKind {
        match self {
            RecoveryCompletion::ResetPassword { .. } => RecoveryKind::ResetPassword,
            RecoveryCompletion::UnlockAccount => RecoveryKind::UnlockAccount,
        }
    }
}

impl std::fmt::Debug for RecoveryCompletion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecoveryCompletion::ResetPassword { .. } => f.write_str("ResetPassword { .. }"),
            RecoveryCompletion::UnlockAccount => f.write_str("UnlockAccount"),
        }
    }
}

impl UserStatus {
    /// The status after a completed recovery of `kind`. An unlock ends a
    /// lock-out only; a reset also ends a lock-out (as Okta's self-service
    /// reset does), a pending recovery, an expired password and a
    /// provisioned user's wait for one. An administrator's decisions
    /// (staged, suspended, deprovisioned) are never undone by a link.
    pub fn after_recovery(self, kind: RecoveryKind) -> UserStatus {
        use UserStatus as S;
        match (kind, self) {
            (_, S::LockedOut) => S::Active,
            (RecoveryKind::ResetPassword, S::Recovery | S::PasswordExpired | S::Provisioned) => {
                S::Active
            }
            (_, unchanged) => unchanged,
        }
    }
}

/// Redeems recovery links (a capability declared through
/// [`Identity::recovery_links`](super::Identity::recovery_links): a backend
/// whose identity provider handles its own links has none).
///
/// Guarantees (checked by the conformance suite):
/// - a link works once, before it expires, for its own kind only; every
///   other refusal is [`invalid_recovery_link`] and changes nothing;
/// - a weak new password is [`Error::InvalidInput`] on `newPassword`
///   naming every broken rule, and leaves the link usable;
/// - redeeming a link also invalidates the user's other unused links of
///   the same kind, in the same transaction;
/// - of two redemptions of one link racing, exactly one succeeds.
#[async_trait]
pub trait RecoveryLinks: Send + Sync {
    /// Redeems the link carrying `token`.
    async fn complete_recovery(&self, token: &str, completion: &RecoveryCompletion) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_never_undoes_an_administrators_decision() {
        for kind in RecoveryKind::ALL {
            assert_eq!(
                UserStatus::LockedOut.after_recovery(kind),
                UserStatus::Active
            );
            for kept in [
                UserStatus::Staged,
                UserStatus::Suspended,
                UserStatus::Deprovisioned,
                UserStatus::Active,
            ] {
                assert_eq!(kept.after_recovery(kind), kept, "{kind:?}");
            }
        }
        assert_eq!(
            UserStatus::PasswordExpired.after_recovery(RecoveryKind::ResetPassword),
            UserStatus::Active
        );
        assert_eq!(
            UserStatus::PasswordExpired.after_recovery(RecoveryKind::UnlockAccount),
            UserStatus::PasswordExpired
        );
    }

    #[test]
    fn completions_never_print_passwords() {
        let reset = RecoveryCompletion::ResetPassword {
            new_password: "new-secret".into(),
        };
        assert!(!format!("{reset:?}").contains("secret"));
        assert_eq!(reset.kind(), RecoveryKind::ResetPassword);
        assert_eq!(
            RecoveryCompletion::UnlockAccount.kind(),
            RecoveryKind::UnlockAccount
        );
    }

    #[test]
    fn every_refusal_is_the_same_error_on_token() {
        let Error::InvalidInput { field, message } = invalid_recovery_link() else {
            panic!("expected invalid input");
        };
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("token", INVALID_RECOVERY_LINK)
        );
    }
}
