//! Recovery without user enumeration, access requests, and reset links.

use super::*;

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
