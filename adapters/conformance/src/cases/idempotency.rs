//! Idempotency keys on comments and uploads: a retried write returns the
//! first record and writes nothing.

use bytes::Bytes;
use switchboard_core::Scope;
use switchboard_core::cases::{Attachment, Case, CaseStore, Created, NewAttachment, NewComment};
use switchboard_core::validate::MAX_IDEMPOTENCY_KEY_CHARS;

use crate::Fixture;
use crate::support::{
    BIG_PAGE, expect_conflict, expect_invalid, expect_not_found, ok, open_case, reread,
    walk_activity,
};

/// How many retries race each other in the concurrency checks.
const RACERS: usize = 6;

fn keyed_comment(body: &str, key: &str) -> NewComment {
    NewComment {
        body: body.to_string(),
        idempotency_key: Some(key.to_string()),
    }
}

fn keyed_file(name: &str, content: &'static [u8], key: &str) -> NewAttachment {
    NewAttachment {
        file_name: name.to_string(),
        content_type: "text/plain".into(),
        data: Bytes::from_static(content),
        idempotency_key: Some(key.to_string()),
    }
}

async fn activity_len(store: &dyn CaseStore, scope: &Scope, case: &Case) -> usize {
    walk_activity(store, scope, &case.id, BIG_PAGE).await.len()
}

async fn files(store: &dyn CaseStore, scope: &Scope, case: &Case) -> Vec<Attachment> {
    ok(
        store
            .attachments(scope, std::slice::from_ref(&case.id))
            .await,
        "attachments",
    )
}

/// Checks that concurrent retries made one record: all answered with it,
/// exactly one as the original.
#[track_caller]
fn assert_one_winner<T: PartialEq + std::fmt::Debug>(results: &[Created<T>], what: &str) {
    let first = &results[0].record;
    assert!(
        results.iter().all(|c| &c.record == first),
        "concurrent retries of {what} with one key answered with different records: {results:?}"
    );
    assert_eq!(
        results.iter().filter(|c| !c.replayed).count(),
        1,
        "exactly one of the concurrent retries of {what} must be the original"
    );
}

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

/// Retries racing each other under one key make exactly one comment and
/// one attachment; each retry answers with it, one as the original.
pub async fn concurrent_keyed_writes(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let case = open_case(store, &fx.home, "Retries racing each other.").await;
    let before = activity_len(store, &scope, &case).await;

    let comment = keyed_comment("Raced.", "conformance-raced-comment");
    let racing = (0..RACERS).map(|_| store.add_comment(&scope, actor, &case.id, comment.clone()));
    let comments: Vec<_> = futures::future::join_all(racing)
        .await
        .into_iter()
        .map(|r| ok(r, "add_comment retried concurrently"))
        .collect();
    assert_one_winner(&comments, "a comment");
    assert_eq!(
        activity_len(store, &scope, &case).await,
        before + 1,
        "concurrent retries of a comment added several entries"
    );

    let file = keyed_file("raced.txt", b"raced", "conformance-raced-upload");
    let racing = (0..RACERS).map(|_| store.add_attachment(&scope, actor, &case.id, file.clone()));
    let uploads: Vec<_> = futures::future::join_all(racing)
        .await
        .into_iter()
        .map(|r| ok(r, "add_attachment retried concurrently"))
        .collect();
    assert_one_winner(&uploads, "an upload");
    assert_eq!(
        files(store, &scope, &case).await,
        std::slice::from_ref(&uploads[0].record),
        "concurrent retries of an upload stored several files"
    );
    assert_eq!(
        activity_len(store, &scope, &case).await,
        before + 2,
        "concurrent retries of an upload added several entries"
    );
}
