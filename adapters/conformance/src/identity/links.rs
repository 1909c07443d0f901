//! Unlock links, expired links and racing redemptions.

use super::*;

/// An unlock link ends a lock-out; links work for their own kind only, and
/// unknown tokens get the same refusal.
pub async fn unlock_links_unlock_their_kind_only(
    identity: &dyn Identity,
    f: &IdentityFixture,
    hooks: &impl RecoveryHooks,
) {
    let Some(token) = issue_link(identity, f, RecoveryKind::UnlockAccount).await else {
        return;
    };
    let links = identity.recovery_links().expect("links are redeemed");
    hooks.lock_out(&f.user_id).await;
    let status = async || {
        let home = Scope::new([f.home.clone()]);
        let users = identity.account_users(&home, &f.home).await.expect("users");
        users
            .into_iter()
            .find(|u| u.id == f.user_id)
            .expect("listed")
            .status
    };
    assert_eq!(status().await, UserStatus::LockedOut);
    assert_invalid_link(
        links
            .complete_recovery(&token, &reset_to("Switch-Board-88"))
            .await,
        "an unlock link does not reset a password",
    );
    assert_eq!(status().await, UserStatus::LockedOut, "nothing changed");
    for unknown in ["", "no-such-token", &"x".repeat(4096)] {
        assert_invalid_link(
            links
                .complete_recovery(unknown, &RecoveryCompletion::UnlockAccount)
                .await,
            "an unknown token",
        );
    }
    links
        .complete_recovery(&token, &RecoveryCompletion::UnlockAccount)
        .await
        .expect("the unlock link works");
    assert_eq!(status().await, UserStatus::Active, "the lock-out is over");
    assert_invalid_link(
        links
            .complete_recovery(&token, &RecoveryCompletion::UnlockAccount)
            .await,
        "a link works once",
    );
}

/// An expired link is refused like any other bad link and changes nothing.
pub async fn expired_links_are_refused(
    identity: &dyn Identity,
    f: &IdentityFixture,
    hooks: &impl RecoveryHooks,
) {
    let Some(reset) = issue_link(identity, f, RecoveryKind::ResetPassword).await else {
        return;
    };
    let unlock = issue_link(identity, f, RecoveryKind::UnlockAccount)
        .await
        .expect("an unlock link");
    let links = identity.recovery_links().expect("links are redeemed");
    hooks.expire_links().await;
    assert_invalid_link(
        links
            .complete_recovery(&reset, &reset_to("Switch-Board-88"))
            .await,
        "an expired reset link",
    );
    assert_invalid_link(
        links
            .complete_recovery(&unlock, &RecoveryCompletion::UnlockAccount)
            .await,
        "an expired unlock link",
    );
    assert!(
        password_is(identity, f, &f.password).await,
        "nothing changed"
    );
}

/// Of two redemptions of one link racing, exactly one succeeds, and its
/// password is the one that works.
pub async fn racing_redemptions_have_one_winner(identity: &dyn Identity, f: &IdentityFixture) {
    let Some(token) = issue_link(identity, f, RecoveryKind::ResetPassword).await else {
        return;
    };
    let links = identity.recovery_links().expect("links are redeemed");
    let (first, second) = ("Switch-Board-81", "Switch-Board-82");
    let (to_first, to_second) = (reset_to(first), reset_to(second));
    let (a, b) = futures::join!(
        links.complete_recovery(&token, &to_first),
        links.complete_recovery(&token, &to_second),
    );
    let winner = match (a, b) {
        (Ok(()), loser) => {
            assert_invalid_link(loser, "the second redemption");
            first
        }
        (loser, Ok(())) => {
            assert_invalid_link(loser, "the first redemption");
            second
        }
        (a, b) => panic!("one redemption must succeed: {a:?}, {b:?}"),
    };
    assert!(
        password_is(identity, f, winner).await,
        "the winner's password works"
    );
    assert!(!password_is(identity, f, &f.password).await);
}
