//! Completing and rejecting a request.

use super::*;

/// A submit is pending with its lines; completing applies the new ring-to
/// numbers; a decided request cannot be decided again.
pub async fn submit_then_complete_applies_the_changes(
    store: &dyn TollFreeStore,
    f: &TollFreeFixture,
) {
    let scope = f.scope();
    let open = changeable(store, f).await;
    let (a, b) = (&open[0], &open[1]);
    let created = store
        .submit(
            &scope,
            &f.actor,
            request(
                f,
                vec![change(a, nearby(a, 21)), change(b, nearby(b, 22))],
                None,
            ),
        )
        .await
        .expect("a valid batch is submitted");
    assert!(!created.replayed);
    let pending = created.record;
    assert_eq!(pending.status, ChangeStatus::Pending);
    assert_eq!(pending.lines.len(), 2);
    assert_eq!(pending.lines[0].old_ring_to, a.ring_to);
    assert_eq!(pending.lines[0].new_ring_to, nearby(a, 21));
    assert!(pending.case_number.starts_with("CS"), "a case was opened");
    let locked = store
        .numbers(&scope, &f.home, &[a.number.clone(), b.number.clone()])
        .await
        .expect("numbers");
    assert!(
        locked
            .iter()
            .all(|n| n.status == NumberStatus::ChangePending)
    );
    let again = store
        .submit(
            &scope,
            &f.actor,
            request(f, vec![change(a, nearby(a, 23))], None),
        )
        .await;
    assert!(
        matches!(&again, Err(Error::InvalidInput { message, .. }) if message.contains("CHANGE_PENDING")),
        "{again:?}"
    );
    let done = store
        .decide(
            &f.operator,
            &pending.id,
            Decision {
                approve: true,
                reason: Some("provisioned".into()),
            },
        )
        .await
        .expect("decide");
    assert_eq!(done.status, ChangeStatus::Completed);
    assert!(done.decided_at.is_some());
    let changed = store
        .numbers(&scope, &f.home, std::slice::from_ref(&a.number))
        .await
        .expect("numbers");
    assert_eq!(changed[0].ring_to, nearby(a, 21));
    assert_eq!(changed[0].status, NumberStatus::Active);
    let twice = store
        .decide(
            &f.operator,
            &pending.id,
            Decision {
                approve: false,
                reason: None,
            },
        )
        .await;
    assert!(matches!(twice, Err(Error::Conflict(_))), "{twice:?}");
    let listed = store
        .change_requests(&scope, std::slice::from_ref(&pending.id))
        .await
        .expect("requests");
    assert_eq!(listed, vec![done]);
    let hidden = store
        .change_requests(
            &Scope::new([f.other.clone()]),
            std::slice::from_ref(&pending.id),
        )
        .await
        .expect("requests");
    assert!(hidden.is_empty(), "another account cannot read the request");
}

/// Rejecting leaves every ring-to as it was and frees the numbers.
pub async fn rejecting_changes_nothing(store: &dyn TollFreeStore, f: &TollFreeFixture) {
    let scope = f.scope();
    let open = changeable(store, f).await;
    let a = &open[2];
    let created = store
        .submit(
            &scope,
            &f.actor,
            request(f, vec![change(a, nearby(a, 31))], None),
        )
        .await
        .expect("submit");
    let rejected = store
        .decide(
            &f.operator,
            &created.record.id,
            Decision {
                approve: false,
                reason: Some("number is being ported".into()),
            },
        )
        .await
        .expect("decide");
    assert_eq!(rejected.status, ChangeStatus::Rejected);
    assert_eq!(rejected.reason.as_deref(), Some("number is being ported"));
    let now = store
        .numbers(&scope, &f.home, std::slice::from_ref(&a.number))
        .await
        .expect("numbers");
    assert_eq!(now, vec![a.clone()], "the number is as it was");
    let missing = store
        .decide(
            &f.operator,
            "999999999",
            Decision {
                approve: true,
                reason: None,
            },
        )
        .await;
    assert!(matches!(missing, Err(Error::NotFound { .. })));
}
