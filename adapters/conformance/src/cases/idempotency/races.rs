//! Concurrent retries under one key.

use super::*;

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
