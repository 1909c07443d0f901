//! Every read and write is confined to the caller's scope.

use bytes::Bytes;
use switchboard_core::cases::{
    CaseFilter, CaseOrder, CaseState, CaseStore, NewAttachment, NewComment,
};
use switchboard_core::{PageRequest, Scope};

use crate::Fixture;
use crate::support::{
    Form, case_in, expect_not_found, ok, reread, walk_activity, walk_recent_updates,
};

/// A case of another account is not found through any method, exactly like
/// a case that does not exist, and is left untouched by every write.
pub async fn scoping_hides_other_accounts(store: &dyn CaseStore, fx: &Fixture) {
    let (home, theirs_scope) = (fx.home.scope(), fx.other.scope());
    let active = [CaseState::New, CaseState::Open, CaseState::AwaitingInfo];
    let mine = case_in(store, &home, &active).await;
    // An active case: every write would succeed on it if scoping failed.
    let theirs = case_in(store, &theirs_scope, &active).await;
    let their_file = ok(
        store
            .add_attachment(
                &theirs_scope,
                &fx.other.actor,
                &theirs.id,
                NewAttachment {
                    file_name: "theirs.txt".into(),
                    content_type: "text/plain".into(),
                    data: Bytes::from_static(b"not yours"),
                    ..NewAttachment::default()
                },
            )
            .await,
        "add_attachment in the other account's own scope",
    )
    .record;
    let watcher = "their.watcher@example.com".to_string();
    ok(
        store
            .add_watchers(
                &theirs_scope,
                &fx.other.actor,
                &theirs.id,
                std::slice::from_ref(&watcher),
            )
            .await,
        "add_watchers in the other account's own scope",
    );
    let ids = [theirs.id.clone()];
    let before = reread(store, &theirs_scope, &theirs.id).await;
    let activity_before = walk_activity(store, &theirs_scope, &theirs.id, 100).await;

    // Reads.
    let found = ok(
        store
            .cases_by_ids(&home, &[mine.id.clone(), theirs.id.clone()])
            .await,
        "cases_by_ids",
    );
    assert_eq!(
        found.iter().map(|c| &c.id).collect::<Vec<_>>(),
        [&mine.id],
        "cases_by_ids returns only the case in scope"
    );
    expect_not_found(
        store.case_by_number(&home, &theirs.number).await,
        "case_by_number of another account's case",
    );
    let by_text = CaseFilter {
        text: Some(theirs.number.clone()),
        ..CaseFilter::default()
    };
    let page = ok(
        store
            .list_cases(
                &home,
                &by_text,
                CaseOrder::default(),
                &PageRequest::first(10),
            )
            .await,
        "list_cases by another account's case number",
    );
    assert!(
        page.items.is_empty(),
        "text search finds {} of another account's cases",
        page.items.len()
    );
    assert_eq!(
        ok(store.count_cases(&home, &by_text).await, "count_cases"),
        0
    );
    expect_not_found(
        store
            .activity(&home, &theirs.id, &PageRequest::first(10))
            .await,
        "activity of another account's case",
    );
    let latest = ok(store.latest_activity(&home, &ids).await, "latest_activity");
    assert!(
        latest.is_empty(),
        "latest_activity shows another account's activity"
    );
    let watchers = ok(store.watch_lists(&home, &ids).await, "watch_lists");
    assert!(
        watchers.is_empty(),
        "watch_lists shows another account's watch list"
    );
    let files = ok(store.attachments(&home, &ids).await, "attachments");
    assert!(
        files.is_empty(),
        "attachments lists another account's files"
    );
    expect_not_found(
        store
            .attachment_content(&home, &their_file.id)
            .await
            .map(|(meta, _)| meta),
        "attachment_content of another account's file",
    );
    let recent = walk_recent_updates(store, &home, 100).await;
    assert!(
        recent.iter().all(|a| a.case_id != theirs.id),
        "recent_updates shows another account's activity"
    );

    // Writes.
    let actor = &fx.home.actor;
    expect_not_found(
        store
            .add_comment(&home, actor, &theirs.id, NewComment::new("hello"))
            .await,
        "add_comment on another account's case",
    );
    expect_not_found(
        store
            .add_watchers(&home, actor, &theirs.id, &["intruder@example.com".into()])
            .await,
        "add_watchers on another account's case",
    );
    expect_not_found(
        store
            .remove_watchers(&home, actor, &theirs.id, std::slice::from_ref(&watcher))
            .await,
        "remove_watchers on another account's case",
    );
    expect_not_found(
        store.cancel_case(&home, actor, &theirs.id, None).await,
        "cancel_case of another account's case",
    );
    expect_not_found(
        store
            .add_attachment(
                &home,
                actor,
                &theirs.id,
                NewAttachment {
                    file_name: "intruder.txt".into(),
                    content_type: "text/plain".into(),
                    data: Bytes::from_static(b"x"),
                    ..NewAttachment::default()
                },
            )
            .await,
        "add_attachment on another account's case",
    );
    expect_not_found(
        store
            .rename_attachment(&home, actor, &their_file.id, "renamed.txt")
            .await,
        "rename_attachment of another account's file",
    );
    expect_not_found(
        store.delete_attachment(&home, actor, &their_file.id).await,
        "delete_attachment of another account's file",
    );
    let form = Form::of(store).await;
    expect_not_found(
        store
            .create_case(&home, actor, form.new_case(&fx.other, "not my account"))
            .await,
        "create_case on an account outside the scope",
    );

    // Nothing changed on their side.
    assert_eq!(
        reread(store, &theirs_scope, &theirs.id).await,
        before,
        "a refused write changed another account's case"
    );
    assert_eq!(
        walk_activity(store, &theirs_scope, &theirs.id, 100).await,
        activity_before,
        "a refused write added activity to another account's case"
    );
    let files = ok(store.attachments(&theirs_scope, &ids).await, "attachments");
    assert_eq!(
        files,
        [their_file],
        "a refused write changed the attachments"
    );
    let watchers = ok(store.watch_lists(&theirs_scope, &ids).await, "watch_lists");
    assert_eq!(
        watchers.iter().map(|w| &w.email).collect::<Vec<_>>(),
        [&watcher],
        "a refused write changed the watch list"
    );
}

/// An empty scope sees nothing, and ids that do not exist are not found.
pub async fn scoping_unknown_and_empty(store: &dyn CaseStore, fx: &Fixture) {
    let home = fx.home.scope();
    let nobody = Scope::default();
    let mine = case_in(store, &home, &[CaseState::Open]).await;
    let all = CaseFilter::default();
    let page = ok(
        store
            .list_cases(&nobody, &all, CaseOrder::default(), &PageRequest::first(10))
            .await,
        "list_cases in an empty scope",
    );
    assert!(page.items.is_empty(), "an empty scope lists cases");
    assert!(!page.has_next_page, "an empty list says more follow");
    assert_eq!(ok(store.count_cases(&nobody, &all).await, "count_cases"), 0);
    let found = ok(
        store
            .cases_by_ids(&nobody, std::slice::from_ref(&mine.id))
            .await,
        "cases_by_ids",
    );
    assert!(found.is_empty(), "an empty scope reads a case by id");
    expect_not_found(
        store.case_by_number(&nobody, &mine.number).await,
        "case_by_number in an empty scope",
    );

    let actor = &fx.home.actor;
    for missing in ["0", "999999999", "no-such-case"] {
        expect_not_found(
            store
                .activity(&home, missing, &PageRequest::first(10))
                .await,
            "activity of a case that does not exist",
        );
        expect_not_found(
            store
                .add_comment(&home, actor, missing, NewComment::new("hello"))
                .await,
            "add_comment on a case that does not exist",
        );
        expect_not_found(
            store.cancel_case(&home, actor, missing, None).await,
            "cancel_case of a case that does not exist",
        );
        expect_not_found(
            store
                .attachment_content(&home, missing)
                .await
                .map(|(meta, _)| meta),
            "attachment_content of a file that does not exist",
        );
        expect_not_found(
            store.delete_attachment(&home, actor, missing).await,
            "delete_attachment of a file that does not exist",
        );
        let found = ok(
            store.cases_by_ids(&home, &[missing.to_string()]).await,
            "cases_by_ids of an id that does not exist",
        );
        assert!(
            found.is_empty(),
            "cases_by_ids invents a case for `{missing}`"
        );
    }
    expect_not_found(
        store.case_by_number(&home, "CS99999999999").await,
        "case_by_number of a number that does not exist",
    );
}
