//! Keyed comments.

use super::*;

/// A comment retried by the same actor with the same key, case and body
/// returns the first comment, `replayed`, without a second activity entry or
/// a new `updated_at`, even once the case is canceled; other input under the
/// key is a conflict; keys are checked, belong to their actor, and a replay
/// on a case outside the scope is not found.
pub async fn idempotent_comment(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let case = open_case(store, &fx.home, "Comments retried after a timeout.").await;
    let other_case = open_case(store, &fx.home, "Another case for the same key.").await;
    let before = activity_len(store, &scope, &case).await;
    let other_before = activity_len(store, &scope, &other_case).await;
    let key = "conformance-comment-key-1";
    let comment = keyed_comment("  Posted once, whatever the retries.  ", key);

    let first = ok(
        store
            .add_comment(&scope, actor, &case.id, comment.clone())
            .await,
        "add_comment with a key",
    );
    assert!(
        !first.replayed,
        "the first comment under a key is reported as replayed"
    );
    assert_eq!(first.record.body, "Posted once, whatever the retries.");
    let written = reread(store, &scope, &case.id).await;

    let again = ok(
        store
            .add_comment(&scope, actor, &case.id, comment.clone())
            .await,
        "add_comment retried",
    );
    assert!(
        again.replayed,
        "a retry with the same key and input is not reported as replayed"
    );
    assert_eq!(
        again.record, first.record,
        "a retry did not return the first comment"
    );
    assert_eq!(
        activity_len(store, &scope, &case).await,
        before + 1,
        "a retried comment added another activity entry"
    );
    assert_eq!(
        reread(store, &scope, &case.id).await.updated_at,
        written.updated_at,
        "a retried comment bumped updated_at"
    );

    expect_conflict(
        store
            .add_comment(
                &scope,
                actor,
                &case.id,
                keyed_comment("Other words under the same key.", key),
            )
            .await,
        "the same key with another body",
    );
    expect_conflict(
        store
            .add_comment(&scope, actor, &other_case.id, comment.clone())
            .await,
        "the same key and body on another case",
    );
    assert_eq!(
        activity_len(store, &scope, &case).await,
        before + 1,
        "a conflicting retry added an activity entry"
    );
    assert_eq!(
        activity_len(store, &scope, &other_case).await,
        other_before,
        "a conflicting retry commented on the other case"
    );

    for bad in [String::new(), "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1)] {
        expect_invalid(
            store
                .add_comment(&scope, actor, &case.id, keyed_comment("Hello.", &bad))
                .await,
            "idempotencyKey",
            &format!("a comment under a key of {} characters", bad.len()),
        );
    }
    let longest = "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS);
    let long = ok(
        store
            .add_comment(
                &scope,
                actor,
                &case.id,
                keyed_comment("Long key.", &longest),
            )
            .await,
        "add_comment under the longest key accepted",
    );
    assert!(!long.replayed);
    assert_eq!(activity_len(store, &scope, &case).await, before + 2);

    // Another actor's keys are their own.
    let someone_else = &fx.other.actor;
    let both = fx.both();
    let theirs = ok(
        store
            .add_comment(&both, someone_else, &case.id, comment.clone())
            .await,
        "add_comment by another actor under the same key",
    );
    assert!(
        !theirs.replayed && theirs.record.id != first.record.id,
        "another actor's key returned my comment"
    );
    let theirs_again = ok(
        store
            .add_comment(&both, someone_else, &case.id, comment.clone())
            .await,
        "add_comment retried by another actor",
    );
    assert!(theirs_again.replayed && theirs_again.record == theirs.record);
    assert_eq!(activity_len(store, &scope, &case).await, before + 3);

    // A replay is scoped like any read.
    expect_not_found(
        store
            .add_comment(&fx.other.scope(), actor, &case.id, comment.clone())
            .await,
        "a retry on a case outside the caller's scope",
    );

    // Without a key every call comments.
    let plain = NewComment::new("Said twice.");
    for _ in 0..2 {
        let made = ok(
            store
                .add_comment(&scope, actor, &case.id, plain.clone())
                .await,
            "add_comment without a key",
        );
        assert!(
            !made.replayed,
            "a comment without a key is reported as replayed"
        );
    }
    assert_eq!(activity_len(store, &scope, &case).await, before + 5);

    // The write happened, so a retry still answers after the case is canceled.
    ok(
        store.cancel_case(&scope, actor, &case.id, None).await,
        "cancel_case",
    );
    let late = ok(
        store
            .add_comment(&scope, actor, &case.id, comment.clone())
            .await,
        "add_comment retried on a canceled case",
    );
    assert!(
        late.replayed && late.record == first.record,
        "a retry on a canceled case did not return the first comment"
    );
    expect_conflict(
        store
            .add_comment(
                &scope,
                actor,
                &case.id,
                keyed_comment("New words.", "conformance-comment-key-2"),
            )
            .await,
        "a new keyed comment on a canceled case",
    );
}
