//! The activity stream: comments, the newest entry per case, recent updates.

use std::collections::HashSet;

use switchboard_core::cases::{
    Activity, ActivityKind, CaseFilter, CaseOrder, CaseState, CaseStore, NewComment,
};
use switchboard_core::{PageRequest, Scope};

use crate::Fixture;
use crate::support::{
    BIG_PAGE, assert_unique, case_in, expect_invalid, ok, open_case, reread, walk, walk_activity,
    walk_recent_updates,
};

/// Checks `entries` run newest first with no entry twice.
#[track_caller]
fn assert_newest_first(entries: &[Activity], what: &str) {
    let ids: Vec<String> = entries.iter().map(|a| a.id.clone()).collect();
    assert_unique(&ids, what);
    if let Some(pair) = entries
        .windows(2)
        .find(|w| w[0].created_at < w[1].created_at)
    {
        panic!(
            "{what}: entry {} ({}) comes before the newer entry {} ({})",
            pair[0].id, pair[0].created_at, pair[1].id, pair[1].created_at
        );
    }
}

/// A comment is appended at the top of the stream, written as given
/// (trimmed) by the actor, and bumps the case's `updated_at`; an empty
/// comment is refused.
pub async fn comments(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let case = case_in(store, &scope, &[CaseState::Open]).await;
    let history = walk_activity(store, &scope, &case.id, BIG_PAGE).await;

    let first = ok(
        store
            .add_comment(
                &scope,
                actor,
                &case.id,
                NewComment::new("  First conformance comment.  "),
            )
            .await,
        "add_comment",
    )
    .record;
    assert_eq!(first.kind, ActivityKind::Comment);
    assert_eq!(
        first.body, "First conformance comment.",
        "the comment is stored trimmed"
    );
    assert_eq!(
        first.author, actor.name,
        "the comment's author is the actor"
    );
    assert_eq!(
        (&first.case_id, &first.case_number),
        (&case.id, &case.number)
    );
    let bumped = reread(store, &scope, &case.id).await;
    assert!(
        bumped.updated_at > case.updated_at && bumped.updated_at >= first.created_at,
        "a comment did not bump updated_at (was {}, now {}, comment at {})",
        case.updated_at,
        bumped.updated_at,
        first.created_at
    );

    let second = ok(
        store
            .add_comment(
                &scope,
                actor,
                &case.id,
                NewComment::new("Second conformance comment."),
            )
            .await,
        "add_comment",
    )
    .record;
    let top = ok(
        store
            .activity(&scope, &case.id, &PageRequest::first(2))
            .await,
        "activity",
    );
    assert!(
        top.has_next_page,
        "the activity page says nothing follows two new comments"
    );
    assert_eq!(
        top.into_items(),
        [second.clone(), first.clone()],
        "the newest comments do not lead the stream, newest first"
    );
    let after = walk_activity(store, &scope, &case.id, BIG_PAGE).await;
    assert_newest_first(&after, "activity");
    assert_eq!(
        after.len(),
        history.len() + 2,
        "two comments added other than two entries"
    );
    assert_eq!(
        &after[2..],
        &history[..],
        "older entries changed under new comments"
    );
    let small_pages = walk_activity(store, &scope, &case.id, 1).await;
    assert_eq!(
        small_pages, after,
        "activity in pages of one differs from one big page"
    );

    expect_invalid(
        store
            .add_comment(&scope, actor, &case.id, NewComment::new("   "))
            .await,
        "body",
        "an empty comment",
    );
    let unchanged = walk_activity(store, &scope, &case.id, BIG_PAGE).await;
    assert_eq!(unchanged.len(), after.len(), "a refused comment was stored");
}

/// `latest_activity` returns exactly the head of each case's stream, one per
/// case, and nothing for cases outside the scope or that do not exist.
pub async fn latest_activity(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let recent = ok(
        store
            .list_cases(
                &scope,
                &CaseFilter::default(),
                CaseOrder::default(),
                &PageRequest::first(5),
            )
            .await,
        "list_cases",
    );
    let mut case_ids: Vec<String> = recent.into_items().into_iter().map(|c| c.id).collect();
    let commented = case_in(store, &scope, &[CaseState::AwaitingInfo]).await;
    ok(
        store
            .add_comment(
                &scope,
                actor,
                &commented.id,
                NewComment::new("The newest word."),
            )
            .await,
        "add_comment",
    );
    let fresh = open_case(store, &fx.home, "Latest activity of a fresh case.").await;
    case_ids.extend([commented.id.clone(), fresh.id.clone()]);
    case_ids.sort();
    case_ids.dedup();
    let theirs = case_in(store, &fx.other.scope(), &[CaseState::Open]).await;
    let mut asked = case_ids.clone();
    asked.extend([theirs.id.clone(), "no-such-case".into()]);

    let latest = ok(
        store.latest_activity(&scope, &asked).await,
        "latest_activity",
    );
    let mut per_case = std::collections::HashMap::new();
    for entry in latest {
        assert!(
            case_ids.contains(&entry.case_id),
            "latest_activity returned an entry of case {}, which is out of scope or was not asked",
            entry.case_id
        );
        if let Some(earlier) = per_case.insert(entry.case_id.clone(), entry) {
            panic!(
                "latest_activity returned two entries for case {}",
                earlier.case_id
            );
        }
    }
    for id in &case_ids {
        let head = ok(
            store.activity(&scope, id, &PageRequest::first(1)).await,
            "activity",
        )
        .into_items()
        .into_iter()
        .next();
        assert_eq!(
            per_case.get(id),
            head.as_ref(),
            "latest_activity of case {id} is not the head of its activity stream"
        );
    }
    assert_eq!(
        per_case.get(&commented.id).map(|a| a.body.as_str()),
        Some("The newest word."),
        "latest_activity misses a comment just added"
    );

    // With the records in hand: the same answer, and still nothing for a
    // case of another account, even handed over as a record.
    let mut records = ok(store.cases_by_ids(&scope, &case_ids).await, "cases_by_ids");
    records.push(theirs);
    let of = ok(
        store.latest_activity_of(&scope, &records).await,
        "latest_activity_of",
    );
    let of: std::collections::HashMap<String, Activity> =
        of.into_iter().map(|a| (a.case_id.clone(), a)).collect();
    assert_eq!(
        of, per_case,
        "latest_activity_of and latest_activity disagree (or the other account's case leaked)"
    );
}

/// `recent_updates` holds exactly the activity of the cases in scope,
/// newest first, pages consistently, and leads with the newest write.
pub async fn recent_updates(store: &dyn CaseStore, fx: &Fixture) {
    let (home, other) = (fx.home.scope(), fx.other.scope());
    let mine = case_in(store, &home, &[CaseState::Open]).await;
    let theirs = case_in(store, &other, &[CaseState::Open]).await;
    let my_comment = ok(
        store
            .add_comment(
                &home,
                &fx.home.actor,
                &mine.id,
                NewComment::new("Mine, written first."),
            )
            .await,
        "add_comment",
    )
    .record;
    let their_comment = ok(
        store
            .add_comment(
                &other,
                &fx.other.actor,
                &theirs.id,
                NewComment::new("Theirs, written last."),
            )
            .await,
        "add_comment",
    )
    .record;

    for (scope, newest, what) in [
        (&home, &my_comment, "the home account"),
        (&other, &their_comment, "the other account"),
    ] {
        let updates = walk_recent_updates(store, scope, 50).await;
        assert_newest_first(&updates, "recent_updates");
        assert_eq!(
            updates.first(),
            Some(newest),
            "recent_updates of {what} does not lead with its newest comment"
        );
        let cases = walk(
            store,
            scope,
            &CaseFilter::default(),
            CaseOrder::default(),
            BIG_PAGE,
        )
        .await;
        let in_scope: HashSet<&String> = cases.iter().map(|c| &c.id).collect();
        if let Some(stray) = updates.iter().find(|a| !in_scope.contains(&a.case_id)) {
            panic!(
                "recent_updates of {what} shows case {}, outside the scope",
                stray.case_id
            );
        }
        let mut expected = 0;
        for case in &cases {
            expected += walk_activity(store, scope, &case.id, BIG_PAGE).await.len();
        }
        assert_eq!(
            updates.len(),
            expected,
            "recent_updates of {what} does not hold every entry of every case in scope"
        );
        let small_pages = walk_recent_updates(store, scope, 7).await;
        assert_eq!(
            small_pages, updates,
            "recent_updates in pages of 7 differs from pages of 50"
        );
    }
    let nobody = ok(
        store
            .recent_updates(&Scope::default(), &PageRequest::first(10))
            .await,
        "recent_updates",
    );
    assert!(
        nobody.items.is_empty(),
        "an empty scope sees recent updates"
    );
}
