//! The [`Publishing`] decorator publishes one event per successful write.

use std::sync::Arc;
use switchboard_core::cases::prelude::*;

use bytes::Bytes;
use futures::FutureExt;
use futures::stream::{BoxStream, StreamExt};
use switchboard_core::cases::{Case, CaseStore, NewAttachment, NewCase, NewComment};
use switchboard_core::publishing::Publishing;
use switchboard_core::{CaseEvent, CaseEventKind, InProcessBus};

use crate::Fixture;
use crate::support::{Form, expect_conflict, expect_invalid, ok};

/// The events already published, without waiting: [`Publishing`] publishes
/// before the write returns, so anything not there yet was never sent.
fn drain(events: &mut BoxStream<'static, CaseEvent>) -> Vec<CaseEvent> {
    let mut out = Vec::new();
    // Unconstrained: tokio's cooperative budget must not make a ready event look pending.
    while let Some(Some(event)) = tokio::task::coop::unconstrained(events.next()).now_or_never() {
        out.push(event);
    }
    out
}

#[track_caller]
fn assert_one(events: Vec<CaseEvent>, kind: CaseEventKind, case: &Case, write: &str) {
    match events.as_slice() {
        [event] => {
            assert_eq!(
                event.kind, kind,
                "{write} published the wrong kind of event"
            );
            assert_eq!(
                (&event.case_id, &event.case_number, &event.account_id),
                (&case.id, &case.number, &case.account_id),
                "{write} published an event about the wrong case"
            );
        }
        other => panic!(
            "{write} published {} events, expected one: {other:?}",
            other.len()
        ),
    }
}

/// Every write publishes exactly one event of its kind about its case (a
/// rename is an update, as [`CaseEventKind`] documents); a replayed create,
/// comment or upload and a refused write publish none.
pub async fn one_event_per_write(store: Arc<dyn CaseStore>, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let bus = Arc::new(InProcessBus::new(64));
    let publishing = Publishing::new(store.clone(), bus.clone());
    let mut events = bus.subscribe();
    let new = NewCase {
        idempotency_key: Some("conformance-publishing".into()),
        ..Form::of(store.as_ref())
            .await
            .new_case(&fx.home, "Events for every write.")
    };

    let created = ok(
        publishing.create_case(&scope, actor, new.clone()).await,
        "create_case",
    );
    let case = created.record;
    assert_one(
        drain(&mut events),
        CaseEventKind::Created,
        &case,
        "create_case",
    );

    let replayed = ok(
        publishing.create_case(&scope, actor, new).await,
        "create_case retried",
    );
    assert!(
        replayed.replayed,
        "the retried create is not reported as replayed"
    );
    let extra = drain(&mut events);
    assert!(extra.is_empty(), "a replayed create published {extra:?}");

    let comment = NewComment {
        body: "Hello.".into(),
        idempotency_key: Some("conformance-publishing-comment".into()),
    };
    let first = ok(
        publishing
            .add_comment(&scope, actor, &case.id, comment.clone())
            .await,
        "add_comment",
    );
    assert_one(
        drain(&mut events),
        CaseEventKind::CommentAdded,
        &case,
        "add_comment",
    );
    let again = ok(
        publishing
            .add_comment(&scope, actor, &case.id, comment.clone())
            .await,
        "add_comment retried",
    );
    assert!(
        again.replayed && again.record == first.record,
        "the retried comment is not reported as a replay of the first"
    );
    let extra = drain(&mut events);
    assert!(extra.is_empty(), "a replayed comment published {extra:?}");

    expect_invalid(
        publishing
            .add_comment(&scope, actor, &case.id, NewComment::new("  "))
            .await,
        "body",
        "an empty comment",
    );
    let extra = drain(&mut events);
    assert!(extra.is_empty(), "a refused comment published {extra:?}");

    let watchers = ["watcher@example.com".to_string()];
    ok(
        publishing
            .add_watchers(&scope, actor, &case.id, &watchers)
            .await,
        "add_watchers",
    );
    assert_one(
        drain(&mut events),
        CaseEventKind::WatchListChanged,
        &case,
        "add_watchers",
    );
    ok(
        publishing
            .remove_watchers(&scope, actor, &case.id, &watchers)
            .await,
        "remove_watchers",
    );
    assert_one(
        drain(&mut events),
        CaseEventKind::WatchListChanged,
        &case,
        "remove_watchers",
    );

    let upload = NewAttachment {
        file_name: "events.txt".into(),
        content_type: "text/plain".into(),
        data: Bytes::from_static(b"events"),
        idempotency_key: Some("conformance-publishing-upload".into()),
    };
    let file = ok(
        publishing
            .add_attachment(&scope, actor, &case.id, upload.clone())
            .await,
        "add_attachment",
    )
    .record;
    assert_one(
        drain(&mut events),
        CaseEventKind::AttachmentAdded,
        &case,
        "add_attachment",
    );
    let again = ok(
        publishing
            .add_attachment(&scope, actor, &case.id, upload)
            .await,
        "add_attachment retried",
    );
    assert!(
        again.replayed && again.record == file,
        "the retried upload is not reported as a replay of the first"
    );
    let extra = drain(&mut events);
    assert!(extra.is_empty(), "a replayed upload published {extra:?}");
    ok(
        publishing
            .rename_attachment(&scope, actor, &file.id, "renamed.txt")
            .await,
        "rename_attachment",
    );
    assert_one(
        drain(&mut events),
        CaseEventKind::Updated,
        &case,
        "rename_attachment",
    );
    ok(
        publishing.delete_attachment(&scope, actor, &file.id).await,
        "delete_attachment",
    );
    assert_one(
        drain(&mut events),
        CaseEventKind::AttachmentRemoved,
        &case,
        "delete_attachment",
    );

    let canceled = ok(
        publishing.cancel_case(&scope, actor, &case.id, None).await,
        "cancel_case",
    );
    assert_one(
        drain(&mut events),
        CaseEventKind::Canceled,
        &canceled,
        "cancel_case",
    );

    expect_conflict(
        publishing.cancel_case(&scope, actor, &case.id, None).await,
        "canceling twice",
    );
    expect_conflict(
        publishing
            .add_comment(&scope, actor, &case.id, NewComment::new("Too late."))
            .await,
        "a comment on a canceled case",
    );
    let extra = drain(&mut events);
    assert!(extra.is_empty(), "refused writes published {extra:?}");

    let late = ok(
        publishing
            .add_comment(&scope, actor, &case.id, comment)
            .await,
        "add_comment retried on the canceled case",
    );
    assert!(
        late.replayed,
        "the retried comment is not reported as replayed"
    );
    let extra = drain(&mut events);
    assert!(
        extra.is_empty(),
        "a comment replayed on a canceled case published {extra:?}"
    );
}
