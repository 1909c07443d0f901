//! The [`UserDirectory`] port: who a token's subject is.

use switchboard_core::UserDirectory;

use super::*;

/// A user is found by id and by login email (trimmed, in any case) as the
/// same principal, with their accounts; an unknown or blank id or email is
/// nobody (None), not an error.
pub async fn principals_by_id_and_email(directory: &dyn UserDirectory, f: &IdentityFixture) {
    let by_id = directory
        .principal_by_id(&f.user_id)
        .await
        .expect("principal_by_id")
        .expect("the fixture's user is found by id");
    assert_eq!(
        by_id.user.id, f.user_id,
        "principal_by_id found another user"
    );
    assert!(
        by_id.user.email.eq_ignore_ascii_case(&f.login),
        "the user's email is {}, not their login {}",
        by_id.user.email,
        f.login
    );
    assert!(!by_id.user.name.is_empty(), "the user has no display name");
    assert!(
        by_id.scope().contains(&f.home),
        "the user's scope lacks their account"
    );
    assert!(
        by_id
            .accounts
            .iter()
            .any(|a| a.id == f.home && !a.name.is_empty()),
        "the user's accounts do not name their account"
    );
    assert!(!by_id.operator, "a customer user is an operator");

    for email in [
        f.login.clone(),
        f.login.to_uppercase(),
        format!("  {}  ", f.login),
    ] {
        let by_email = directory
            .principal_by_email(&email)
            .await
            .expect("principal_by_email")
            .unwrap_or_else(|| panic!("the user is not found by email {email:?}"));
        assert_eq!(by_email, by_id, "by email {email:?} differs from by id");
    }

    let other = directory
        .principal_by_id(&f.other_user_id)
        .await
        .expect("principal_by_id")
        .expect("the other user is found");
    assert_ne!(other.user.id, by_id.user.id, "two users share an id");
    assert!(
        other.scope().contains(&f.other),
        "the other user's scope lacks their account"
    );

    for nobody in ["", "   ", "999999999", "nobody-here"] {
        assert_eq!(
            directory
                .principal_by_id(nobody)
                .await
                .expect("principal_by_id"),
            None,
            "the id {nobody:?} names a user"
        );
    }
    for nobody in ["", "nobody@example.invalid"] {
        assert_eq!(
            directory
                .principal_by_email(nobody)
                .await
                .expect("principal_by_email"),
            None,
            "the email {nobody:?} names a user"
        );
    }
}
