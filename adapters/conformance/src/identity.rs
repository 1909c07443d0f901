//! Behaviours of the [`Identity`] port (and, where a backend declares
//! them, its [`Outbox`](switchboard_core::identity::Outbox) and its
//! [`RecoveryLinks`](switchboard_core::identity::RecoveryLinks)) and of the
//! [`AccessRequests`] port.

use switchboard_core::identity::{
    AccessRequest, AccessRequests, INVALID_RECOVERY_LINK, Identity, PasswordChange,
    RECOVERY_LINK_TTL_SECS, RecoveryCompletion, RecoveryKind, UserStatus,
};
use switchboard_core::{Error, PageRequest, Scope};

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

/// An account's users are listed only inside the scope; outside it the
/// account is not found, exactly like an unknown one.
pub async fn account_users_are_scoped(identity: &dyn Identity, f: &IdentityFixture) {
    let home = Scope::new([f.home.clone()]);
    let users = identity.account_users(&home, &f.home).await.expect("users");
    assert!(
        users
            .iter()
            .any(|u| u.id == f.user_id && u.email == f.login),
        "the fixture's user is on the home account's list"
    );
    let mut names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
    let listed = names.clone();
    names.sort();
    assert_eq!(listed, names, "users are ordered by name");
    for account in [f.other.as_str(), "0000000000"] {
        assert!(
            is_not_found(&identity.account_users(&home, account).await),
            "account {account} outside the scope is not found"
        );
    }
    assert!(is_not_found(
        &identity.account_users(&Scope::default(), &f.home).await
    ));
}

/// An account's team is listed in role order, inside the scope only.
pub async fn account_team_is_scoped(identity: &dyn Identity, f: &IdentityFixture) {
    let both = Scope::new([f.home.clone(), f.other.clone()]);
    let team = identity.account_team(&both, &f.home).await.expect("team");
    assert!(!team.is_empty(), "the home account has a team");
    let rank = |m: &switchboard_core::identity::TeamMember| {
        switchboard_core::identity::TeamRole::ALL
            .iter()
            .position(|r| *r == m.role)
    };
    assert!(
        team.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "members are in role order"
    );
    let home_only = Scope::new([f.home.clone()]);
    assert!(is_not_found(
        &identity.account_team(&home_only, &f.other).await
    ));
}

/// A user sees and resets only their own factors; a reset factor is gone,
/// and resetting it again (or another user's) is not found.
pub async fn factors_belong_to_their_user(identity: &dyn Identity, f: &IdentityFixture) {
    let mine = identity.factors(&f.user_id).await.expect("factors");
    assert!(mine.len() >= 2, "the fixture's user has factors");
    let theirs = identity.factors(&f.other_user_id).await.expect("factors");
    let their_factor = theirs
        .first()
        .expect("the other user has a factor")
        .id
        .clone();
    assert!(mine.iter().all(|m| m.id != their_factor));

    let stolen = identity.reset_factor(&f.user_id, &their_factor).await;
    assert!(is_not_found(&stolen), "another user's factor: {stolen:?}");
    assert_eq!(
        identity.factors(&f.other_user_id).await.expect("factors"),
        theirs,
        "a refused reset changes nothing"
    );

    let target = mine.last().expect("a factor").id.clone();
    let removed = identity
        .reset_factor(&f.user_id, &target)
        .await
        .expect("reset");
    assert!(removed.contains(&target), "the reset factor is reported");
    let after = identity.factors(&f.user_id).await.expect("factors");
    assert!(
        after.iter().all(|x| !removed.contains(&x.id)),
        "removed factors are gone"
    );
    assert_eq!(after.len(), mine.len() - removed.len());
    assert!(is_not_found(
        &identity.reset_factor(&f.user_id, &target).await
    ));
    assert!(is_not_found(
        &identity.reset_factor(&f.user_id, "no such id").await
    ));
}

/// A password change needs the current password and a new one that keeps
/// the policy; on success only the new password works.
pub async fn password_changes(identity: &dyn Identity, f: &IdentityFixture) {
    let change = |old: &str, new: &str| PasswordChange {
        old_password: old.into(),
        new_password: new.into(),
    };
    let fresh = "Switch-Board-77";
    assert_eq!(
        field_of(
            identity
                .change_password(&f.user_id, &change("Wrong-Pass-1", fresh))
                .await
        ),
        "oldPassword"
    );
    match identity
        .change_password(&f.user_id, &change(&f.password, "short"))
        .await
    {
        Err(Error::InvalidInput { field, message }) => {
            assert_eq!(field, "newPassword");
            for rule in ["characters", "uppercase", "number"] {
                assert!(message.contains(rule), "`{rule}` is named: {message}");
            }
        }
        other => panic!("a weak password is refused, got {other:?}"),
    }
    identity
        .change_password(&f.user_id, &change(&f.password, fresh))
        .await
        .expect("a good change succeeds");
    assert_eq!(
        field_of(
            identity
                .change_password(&f.user_id, &change(&f.password, "Another-One-8"))
                .await
        ),
        "oldPassword",
        "the old password no longer works"
    );
    identity
        .change_password(&f.user_id, &change(fresh, &f.password))
        .await
        .expect("the new password works");
}

/// Recovery answers the same for known and unknown logins; with an outbox,
/// exactly one message with a one-hour link is written, for the known one.
pub async fn recovery_does_not_enumerate(identity: &dyn Identity, f: &IdentityFixture) {
    let base = "https://portal.example";
    let before = match identity.outbox() {
        Some(outbox) => outbox
            .messages(&PageRequest::first(100))
            .await
            .expect("outbox")
            .into_items(),
        None => Vec::new(),
    };
    for kind in RecoveryKind::ALL {
        let unknown = identity
            .request_recovery("nobody.at.all@nowhere.example", kind, base)
            .await;
        let known = identity
            .request_recovery(&f.login.to_uppercase(), kind, base)
            .await;
        assert_eq!(unknown, Ok(()), "unknown login, {kind:?}");
        assert_eq!(known, Ok(()), "known login, {kind:?}");
    }
    let Some(outbox) = identity.outbox() else {
        return;
    };
    let after = outbox
        .messages(&PageRequest::first(100))
        .await
        .expect("outbox")
        .into_items();
    let new: Vec<_> = after.iter().filter(|m| !before.contains(m)).collect();
    assert_eq!(new.len(), 2, "one message per request for the known login");
    for message in new {
        assert_eq!(message.recipient, f.login);
        assert!(
            message.body.contains(&format!("{base}/")),
            "{}",
            message.body
        );
        assert!(message.body.contains("?token="), "{}", message.body);
        assert_eq!(
            (message.expires_at - message.created_at).num_seconds(),
            RECOVERY_LINK_TTL_SECS
        );
    }
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

/// Access requests are validated, stored normalised and listed newest first.
pub async fn access_requests_are_stored(store: &dyn AccessRequests) {
    let bad = AccessRequest {
        phone: "12".into(),
        ..access_request()
    };
    assert_eq!(
        field_of(store.record_access_request(&bad, None).await),
        "input.phone"
    );
    assert!(
        store
            .access_requests(&PageRequest::first(10))
            .await
            .expect("list")
            .items
            .is_empty(),
        "a refused request stores nothing"
    );
    let first = store
        .record_access_request(&access_request(), None)
        .await
        .expect("stored");
    assert_eq!(first.request.phone, "5554151337");
    let second = store
        .record_access_request(&access_request(), Some("CS00000000042"))
        .await
        .expect("stored");
    let page = store
        .access_requests(&PageRequest::first(1))
        .await
        .expect("list");
    assert!(page.has_next_page);
    assert_eq!(page.items[0].1.id, second.id, "newest first");
    assert_eq!(
        page.items[0].1.case_number.as_deref(),
        Some("CS00000000042")
    );
    let rest = store
        .access_requests(&PageRequest {
            first: 10,
            after: page.end_cursor().map(str::to_string),
        })
        .await
        .expect("next page");
    assert_eq!(rest.into_items(), vec![first]);
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

/// A reset link sets a new password once: a weak one is refused naming
/// the rules and leaves the link usable; afterwards only the new password
/// works, the link and the user's other reset links are spent, and their
/// unlock links still work.
pub async fn reset_links_set_a_new_password(identity: &dyn Identity, f: &IdentityFixture) {
    let Some(older) = issue_link(identity, f, RecoveryKind::ResetPassword).await else {
        return;
    };
    let unlock = issue_link(identity, f, RecoveryKind::UnlockAccount)
        .await
        .expect("an unlock link");
    let token = issue_link(identity, f, RecoveryKind::ResetPassword)
        .await
        .expect("a reset link");
    let links = identity.recovery_links().expect("links are redeemed");
    match links.complete_recovery(&token, &reset_to("weakpass")).await {
        Err(Error::InvalidInput { field, message }) => {
            assert_eq!(field, "newPassword");
            for rule in ["uppercase", "number"] {
                assert!(message.contains(rule), "`{rule}` is named: {message}");
            }
        }
        other => panic!("a weak password is refused, got {other:?}"),
    }
    assert!(
        password_is(identity, f, &f.password).await,
        "nothing changed"
    );
    let fresh = "Switch-Board-88";
    links
        .complete_recovery(&token, &reset_to(fresh))
        .await
        .expect("the link still works after a weak password");
    assert!(
        !password_is(identity, f, &f.password).await,
        "the old password is gone"
    );
    assert!(
        password_is(identity, f, fresh).await,
        "the new password works"
    );
    assert_invalid_link(
        links
            .complete_recovery(&token, &reset_to("Switch-Board-89"))
            .await,
        "a link works once",
    );
    assert_invalid_link(
        links
            .complete_recovery(&older, &reset_to("Switch-Board-89"))
            .await,
        "an older reset link of the user is spent too",
    );
    assert!(
        password_is(identity, f, fresh).await,
        "refusals change nothing"
    );
    links
        .complete_recovery(&unlock, &RecoveryCompletion::UnlockAccount)
        .await
        .expect("links of the other kind still work");
}

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
