//! Canceling: allowed while a case is being worked, final afterwards.

use bytes::Bytes;
use switchboard_core::cases::{
    ActivityKind, CaseFilter, CaseState, CaseStore, NewAttachment, NewComment,
};

use crate::Fixture;
use crate::support::{
    BIG_PAGE, case_in, expect_conflict, ok, open_case, read_all, reread, walk, walk_activity,
};

/// NEW, OPEN and AWAITING_INFO cases can be canceled, once; RESOLVED and
/// CLOSED ones cannot.
pub async fn cancel_from_active_states_only(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    for state in [CaseState::New, CaseState::Open, CaseState::AwaitingInfo] {
        let case = case_in(store, &scope, &[state]).await;
        let history = walk_activity(store, &scope, &case.id, BIG_PAGE).await;
        let canceled = ok(
            store
                .cancel_case(&scope, actor, &case.id, Some("No longer needed."))
                .await,
            &format!("cancel_case of a {} case", state.as_str()),
        );
        assert_eq!(canceled.state, CaseState::Canceled);
        assert_eq!(canceled.id, case.id);
        assert!(
            canceled.updated_at > case.updated_at,
            "canceling a {} case did not bump updated_at",
            state.as_str()
        );
        assert_eq!(
            reread(store, &scope, &case.id).await,
            canceled,
            "the stored case differs"
        );
        let activity = walk_activity(store, &scope, &case.id, BIG_PAGE).await;
        let added = &activity[..activity.len().saturating_sub(history.len())];
        assert!(
            added.iter().any(|a| a.kind == ActivityKind::StateChange),
            "canceling a {} case left no state change in the activity stream",
            state.as_str()
        );
        expect_conflict(
            store.cancel_case(&scope, actor, &case.id, None).await,
            "canceling a case twice",
        );
    }
    for state in [CaseState::Resolved, CaseState::Closed] {
        let case = case_in(store, &scope, &[state]).await;
        expect_conflict(
            store.cancel_case(&scope, actor, &case.id, None).await,
            &format!("canceling a {} case", state.as_str()),
        );
        assert_eq!(
            reread(store, &scope, &case.id).await,
            case,
            "a refused cancel changed the case"
        );
    }
    let canceled = walk(
        store,
        &scope,
        &CaseFilter {
            states: vec![CaseState::Canceled],
            ..CaseFilter::default()
        },
        Default::default(),
        BIG_PAGE,
    )
    .await;
    assert!(
        canceled.iter().all(|c| c.state == CaseState::Canceled),
        "the CANCELED filter lists a case in another state"
    );
}

/// Every write to a canceled case is a conflict and changes nothing; reads
/// still work.
pub async fn canceled_cases_refuse_writes(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let case = open_case(store, &fx.home, "Canceled before the work started.").await;
    let watcher = "kept@example.com".to_string();
    ok(
        store
            .add_watchers(&scope, actor, &case.id, std::slice::from_ref(&watcher))
            .await,
        "add_watchers",
    );
    let file = ok(
        store
            .add_attachment(&scope, actor, &case.id, text_file("before.txt", "kept"))
            .await,
        "add_attachment",
    )
    .record;
    let canceled = ok(
        store.cancel_case(&scope, actor, &case.id, None).await,
        "cancel_case",
    );
    let activity = walk_activity(store, &scope, &case.id, BIG_PAGE).await;

    expect_conflict(
        store
            .add_comment(&scope, actor, &case.id, NewComment::new("Too late."))
            .await,
        "add_comment on a canceled case",
    );
    expect_conflict(
        store
            .add_watchers(&scope, actor, &case.id, &["late@example.com".into()])
            .await,
        "add_watchers on a canceled case",
    );
    expect_conflict(
        store
            .remove_watchers(&scope, actor, &case.id, std::slice::from_ref(&watcher))
            .await,
        "remove_watchers on a canceled case",
    );
    expect_conflict(
        store
            .add_attachment(&scope, actor, &case.id, text_file("late.txt", "late"))
            .await,
        "add_attachment on a canceled case",
    );
    expect_conflict(
        store
            .rename_attachment(&scope, actor, &file.id, "renamed.txt")
            .await,
        "rename_attachment on a canceled case",
    );
    expect_conflict(
        store.delete_attachment(&scope, actor, &file.id).await,
        "delete_attachment on a canceled case",
    );
    expect_conflict(
        store.cancel_case(&scope, actor, &case.id, None).await,
        "cancel_case on a canceled case",
    );

    assert_eq!(
        reread(store, &scope, &case.id).await,
        canceled,
        "a refused write changed the case"
    );
    assert_eq!(
        walk_activity(store, &scope, &case.id, BIG_PAGE).await,
        activity,
        "a refused write added activity"
    );
    let ids = [case.id.clone()];
    let watchers = ok(store.watch_lists(&scope, &ids).await, "watch_lists");
    assert_eq!(
        watchers.iter().map(|w| &w.email).collect::<Vec<_>>(),
        [&watcher],
        "a refused write changed the watch list"
    );
    let files = ok(store.attachments(&scope, &ids).await, "attachments");
    assert_eq!(
        files,
        std::slice::from_ref(&file),
        "a refused write changed the attachments"
    );
    let (meta, content) = ok(
        store.attachment_content(&scope, &file.id).await,
        "attachment_content of a canceled case",
    );
    assert_eq!(meta, file);
    assert_eq!(
        read_all(content).await,
        b"kept",
        "a canceled case's file reads back changed"
    );
}

fn text_file(name: &str, text: &'static str) -> NewAttachment {
    NewAttachment {
        file_name: name.into(),
        content_type: "text/plain".into(),
        data: Bytes::from_static(text.as_bytes()),
        ..NewAttachment::default()
    }
}

/// Cancels racing each other on one case: exactly one succeeds, the others
/// are conflicts, and the activity stream records one state change.
pub async fn concurrent_cancels_cancel_once(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let case = open_case(store, &fx.home, "Canceled by several tabs at once.").await;
    // Warm the backend's connections so the cancels really overlap.
    let ids = [case.id.clone()];
    futures::future::join_all((0..6).map(|_| store.cases_by_ids(&scope, &ids))).await;
    let racing = (0..6).map(|_| store.cancel_case(&scope, actor, &case.id, None));
    let results = futures::future::join_all(racing).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{won} of 6 racing cancels succeeded: {results:?}");
    for result in results.into_iter().filter(Result::is_err) {
        expect_conflict(result, "a cancel that lost the race");
    }
    let changes = walk_activity(store, &scope, &case.id, BIG_PAGE)
        .await
        .into_iter()
        .filter(|a| a.kind == ActivityKind::StateChange)
        .count();
    assert_eq!(
        changes, 1,
        "racing cancels recorded {changes} state changes"
    );
}
