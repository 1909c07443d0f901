//! Watch lists: addresses kept once, lower-cased; removal is idempotent.

use switchboard_core::cases::{CaseStore, WatchEntry};

use crate::Fixture;
use crate::support::{BIG_PAGE, expect_invalid, ok, open_case, reread, walk_activity};

/// The addresses of a list, sorted.
fn emails(list: &[WatchEntry]) -> Vec<String> {
    let mut out: Vec<String> = list.iter().map(|w| w.email.clone()).collect();
    out.sort();
    out
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Adding keeps each address once, trimmed and lower-cased, and bumps
/// `updated_at`; a bad address is refused; removing is case-insensitive
/// and idempotent; `watch_lists` agrees with what the writes return.
pub async fn watch_list(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let case = open_case(store, &fx.home, "Watch list behaviour.").await;
    let neighbour = open_case(store, &fx.home, "A neighbour with its own list.").await;
    let read = async |id: &str| {
        ok(
            store.watch_lists(&scope, &[id.to_string()]).await,
            "watch_lists",
        )
    };
    assert!(
        read(&case.id).await.is_empty(),
        "a case opened without watchers has some"
    );

    let history = walk_activity(store, &scope, &case.id, BIG_PAGE).await;
    let added = strings(&[
        "Watcher.One@Example.COM",
        "watcher.one@example.com",
        "  watcher.two@example.com ",
    ]);
    let list = ok(
        store.add_watchers(&scope, actor, &case.id, &added).await,
        "add_watchers",
    );
    assert_eq!(
        emails(&list),
        ["watcher.one@example.com", "watcher.two@example.com"],
        "added addresses are not kept once each, trimmed and lower-cased"
    );
    assert!(
        list.iter().all(|w| w.case_id == case.id),
        "an entry names another case"
    );
    let activity = walk_activity(store, &scope, &case.id, BIG_PAGE).await;
    assert!(
        activity.len() > history.len(),
        "adding watchers left no entry in the activity stream"
    );
    let after = reread(store, &scope, &case.id).await;
    assert!(
        after.updated_at >= activity[0].created_at && after.updated_at >= case.updated_at,
        "adding watchers did not bump updated_at"
    );

    let more = strings(&["WATCHER.ONE@example.com", "watcher.three@example.com"]);
    let list = ok(
        store.add_watchers(&scope, actor, &case.id, &more).await,
        "add_watchers",
    );
    let three = [
        "watcher.one@example.com",
        "watcher.three@example.com",
        "watcher.two@example.com",
    ];
    assert_eq!(
        emails(&list),
        three,
        "adding a present address again duplicated it"
    );
    assert_eq!(
        emails(&read(&case.id).await),
        three,
        "watch_lists differs from add_watchers"
    );

    expect_invalid(
        store
            .add_watchers(&scope, actor, &case.id, &strings(&["not an email"]))
            .await,
        "emails",
        "adding a bad address",
    );
    assert_eq!(
        emails(&read(&case.id).await),
        three,
        "a refused add changed the list"
    );

    ok(
        store
            .add_watchers(
                &scope,
                actor,
                &neighbour.id,
                &strings(&["neighbour@example.com"]),
            )
            .await,
        "add_watchers",
    );
    let together = ok(
        store
            .watch_lists(&scope, &[case.id.clone(), neighbour.id.clone()])
            .await,
        "watch_lists",
    );
    let of = |id: &str| -> Vec<WatchEntry> {
        together
            .iter()
            .filter(|w| w.case_id == id)
            .cloned()
            .collect()
    };
    assert_eq!(
        emails(&of(&case.id)),
        three,
        "watch_lists of two cases mixes them up"
    );
    assert_eq!(emails(&of(&neighbour.id)), ["neighbour@example.com"]);
    assert_eq!(
        together.len(),
        4,
        "watch_lists of two cases returns stray entries"
    );

    let remove = strings(&["Watcher.One@EXAMPLE.com"]);
    let rest = ["watcher.three@example.com", "watcher.two@example.com"];
    let list = ok(
        store
            .remove_watchers(&scope, actor, &case.id, &remove)
            .await,
        "remove_watchers",
    );
    assert_eq!(
        emails(&list),
        rest,
        "removing an address in another letter case failed"
    );
    let list = ok(
        store
            .remove_watchers(&scope, actor, &case.id, &remove)
            .await,
        "removing an address twice",
    );
    assert_eq!(
        emails(&list),
        rest,
        "removing an absent address changed the list"
    );
    let list = ok(
        store
            .remove_watchers(
                &scope,
                actor,
                &case.id,
                &strings(&["never.there@example.com"]),
            )
            .await,
        "removing an address never on the list",
    );
    assert_eq!(emails(&list), rest);
    assert_eq!(
        emails(&read(&case.id).await),
        rest,
        "watch_lists differs from remove_watchers"
    );
    assert_eq!(
        emails(&read(&neighbour.id).await),
        ["neighbour@example.com"],
        "removing from one case changed another's list"
    );
}
