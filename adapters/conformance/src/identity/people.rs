//! Account users and teams, factors and password changes.

use super::*;

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
