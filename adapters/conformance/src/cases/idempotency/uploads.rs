//! Keyed uploads.

use super::*;

/// An upload retried by the same actor with the same key, case, name, media
/// type and content returns the first attachment, `replayed`, and stores no
/// second file; other input under the key is a conflict; keys belong to
/// their actor and to uploads (a comment's key does not collide); a replay
/// outside the scope, or of a file since deleted, is not found.
pub async fn idempotent_attachment(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let case = open_case(store, &fx.home, "Uploads retried after a timeout.").await;
    let other_case = open_case(store, &fx.home, "Another case for the same upload key.").await;
    let before = activity_len(store, &scope, &case).await;
    let key = "conformance-upload-key-1";
    let file = keyed_file("trace.txt", b"stored once", key);

    let first = ok(
        store
            .add_attachment(&scope, actor, &case.id, file.clone())
            .await,
        "add_attachment with a key",
    );
    assert!(
        !first.replayed,
        "the first upload under a key is reported as replayed"
    );
    let again = ok(
        store
            .add_attachment(&scope, actor, &case.id, file.clone())
            .await,
        "add_attachment retried",
    );
    assert!(
        again.replayed,
        "a retry with the same key and file is not reported as replayed"
    );
    assert_eq!(
        again.record, first.record,
        "a retry did not return the first attachment"
    );
    assert_eq!(
        files(store, &scope, &case).await,
        std::slice::from_ref(&first.record),
        "a retried upload stored another file"
    );
    assert_eq!(
        activity_len(store, &scope, &case).await,
        before + 1,
        "a retried upload added another activity entry"
    );

    let changed = [
        (
            "other content",
            keyed_file("trace.txt", b"stored twice", key),
        ),
        (
            "another name",
            keyed_file("trace-2.txt", b"stored once", key),
        ),
        (
            "another media type",
            NewAttachment {
                content_type: "application/octet-stream".into(),
                ..file.clone()
            },
        ),
    ];
    for (what, changed) in changed {
        expect_conflict(
            store.add_attachment(&scope, actor, &case.id, changed).await,
            &format!("the same upload key with {what}"),
        );
    }
    expect_conflict(
        store
            .add_attachment(&scope, actor, &other_case.id, file.clone())
            .await,
        "the same upload key and file on another case",
    );
    assert_eq!(
        files(store, &scope, &case).await,
        std::slice::from_ref(&first.record),
        "a conflicting upload stored a file"
    );
    assert!(
        files(store, &scope, &other_case).await.is_empty(),
        "a conflicting upload stored a file on the other case"
    );
    expect_invalid(
        store
            .add_attachment(&scope, actor, &case.id, keyed_file("a.txt", b"a", ""))
            .await,
        "idempotencyKey",
        "an upload under an empty key",
    );

    // A comment's key and an upload's key do not collide.
    let commented = ok(
        store
            .add_comment(&scope, actor, &case.id, keyed_comment("Same key.", key))
            .await,
        "add_comment under an upload's key",
    );
    assert!(
        !commented.replayed,
        "a comment under an upload's key is reported as replayed"
    );

    // Another actor's keys are their own.
    let both = fx.both();
    let theirs = ok(
        store
            .add_attachment(&both, &fx.other.actor, &case.id, file.clone())
            .await,
        "add_attachment by another actor under the same key",
    );
    assert!(
        !theirs.replayed && theirs.record.id != first.record.id,
        "another actor's key returned my attachment"
    );
    assert_eq!(files(store, &scope, &case).await.len(), 2);

    expect_not_found(
        store
            .add_attachment(&fx.other.scope(), actor, &case.id, file.clone())
            .await,
        "a retried upload on a case outside the caller's scope",
    );

    // A deleted file stays deleted: the retry does not store it again.
    ok(
        store
            .delete_attachment(&scope, actor, &first.record.id)
            .await,
        "delete_attachment",
    );
    expect_not_found(
        store
            .add_attachment(&scope, actor, &case.id, file.clone())
            .await,
        "a retried upload whose file was deleted",
    );
    assert_eq!(
        files(store, &scope, &case).await,
        [theirs.record],
        "a retried upload of a deleted file stored it again"
    );
}
