//! Filters select exactly the cases they describe, and counts agree with lists.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use switchboard_core::Scope;
use switchboard_core::cases::{
    Case, CaseFilter, CaseOrder, CaseOrderField, CaseState, CaseStore, Direction, Priority,
    TimeRange,
};

use crate::Fixture;
use crate::support::{BIG_PAGE, assert_same_ids, ids, ok, walk};

pub(super) const ORDER: CaseOrder = CaseOrder {
    field: CaseOrderField::Number,
    direction: Direction::Asc,
};

/// Lists `filter` in `scope` and checks it yields exactly the cases of
/// `all` that `expected` keeps, and that `count_cases` agrees.
pub(super) async fn check(
    store: &dyn CaseStore,
    scope: &Scope,
    all: &[Case],
    filter: CaseFilter,
    expected: impl Fn(&Case) -> bool,
    what: &str,
) -> usize {
    let want: Vec<Case> = all
        .iter()
        .filter(|c| scope.contains(&c.account_id) && expected(c))
        .cloned()
        .collect();
    let got = walk(store, scope, &filter, ORDER, 25).await;
    assert_same_ids(&ids(&got), &ids(&want), &format!("filter {what}"));
    let counted = ok(store.count_cases(scope, &filter).await, "count_cases");
    assert_eq!(
        counted,
        got.len() as u64,
        "count_cases and the list disagree for filter {what}"
    );
    want.len()
}

/// Like [`check`], and the filter must match something, or the check says nothing.
pub(super) async fn check_some(
    store: &dyn CaseStore,
    scope: &Scope,
    all: &[Case],
    filter: CaseFilter,
    expected: impl Fn(&Case) -> bool,
    what: &str,
) {
    let n = check(store, scope, all, filter, expected, what).await;
    assert!(
        n > 0,
        "the dataset has no case for filter {what}; the check would be vacuous"
    );
}

fn in_range(t: DateTime<Utc>, range: TimeRange) -> bool {
    range.from.is_none_or(|from| t >= from) && range.to.is_none_or(|to| t < to)
}

/// The `n`-th smallest of `times`.
fn nth(times: &[DateTime<Utc>], n: usize) -> DateTime<Utc> {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[n.min(sorted.len() - 1)]
}

/// The `n` most frequent values of `key` among `cases`.
fn most_common(cases: &[Case], n: usize, key: impl Fn(&Case) -> Option<String>) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for value in cases.iter().filter_map(key) {
        *counts.entry(value).or_default() += 1;
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.into_iter().take(n).map(|(v, _)| v).collect()
}

/// Each filter field, alone and combined, selects exactly what a full walk
/// says it should; accounts are always narrowed to the scope.
pub async fn filters_match_a_full_walk(store: &dyn CaseStore, fx: &Fixture) {
    let both = fx.both();
    let home = fx.home.scope();
    let all = walk(store, &both, &CaseFilter::default(), ORDER, BIG_PAGE).await;
    let (home_id, other_id) = (&fx.home.account_id, &fx.other.account_id);

    let states = vec![CaseState::New, CaseState::AwaitingInfo];
    let filter = CaseFilter {
        states: states.clone(),
        ..CaseFilter::default()
    };
    check_some(
        store,
        &both,
        &all,
        filter,
        |c| states.contains(&c.state),
        "states",
    )
    .await;

    for (scope, accounts, what) in [
        (&both, vec![home_id.clone()], "accounts: the home account"),
        (
            &home,
            vec![home_id.clone(), other_id.clone()],
            "accounts: both, in the home scope",
        ),
    ] {
        let filter = CaseFilter {
            accounts,
            ..CaseFilter::default()
        };
        check_some(
            store,
            scope,
            &all,
            filter,
            |c| c.account_id == *home_id,
            what,
        )
        .await;
    }
    for (accounts, what) in [
        (
            vec![other_id.clone()],
            "accounts: only an account outside the scope",
        ),
        (
            vec!["0000000000".to_string()],
            "accounts: an account that does not exist",
        ),
    ] {
        let filter = CaseFilter {
            accounts,
            ..CaseFilter::default()
        };
        check(store, &home, &all, filter, |_| false, what).await;
    }

    let home_cases: Vec<Case> = all
        .iter()
        .filter(|c| c.account_id == *home_id)
        .cloned()
        .collect();
    let locations = most_common(&home_cases, 2, |c| c.location_id.clone());
    let filter = CaseFilter {
        locations: locations.clone(),
        ..CaseFilter::default()
    };
    let at = |c: &Case| {
        c.location_id
            .as_ref()
            .is_some_and(|l| locations.contains(l))
    };
    check_some(store, &both, &all, filter, at, "locations").await;
    let filter = CaseFilter {
        locations: vec![fx.other.location_id.clone()],
        ..CaseFilter::default()
    };
    check(
        store,
        &home,
        &all,
        filter,
        |_| false,
        "locations: another account's",
    )
    .await;

    let case_types = most_common(&all, 1, |c| Some(c.case_type.clone()));
    let filter = CaseFilter {
        case_types: case_types.clone(),
        ..CaseFilter::default()
    };
    check_some(
        store,
        &both,
        &all,
        filter,
        |c| case_types.contains(&c.case_type),
        "case types",
    )
    .await;

    let categories = most_common(&all, 2, |c| Some(c.category.clone()));
    let filter = CaseFilter {
        categories: categories.clone(),
        ..CaseFilter::default()
    };
    check_some(
        store,
        &both,
        &all,
        filter,
        |c| categories.contains(&c.category),
        "categories",
    )
    .await;

    let priorities = vec![Priority::Critical, Priority::High];
    let filter = CaseFilter {
        priorities: priorities.clone(),
        ..CaseFilter::default()
    };
    check_some(
        store,
        &both,
        &all,
        filter,
        |c| priorities.contains(&c.priority),
        "priorities",
    )
    .await;

    // Ranges bounded by existing cases' times: `from` includes, `to` excludes.
    let n = all.len();
    let opened: Vec<DateTime<Utc>> = all.iter().map(|c| c.opened_at).collect();
    let updated: Vec<DateTime<Utc>> = all.iter().map(|c| c.updated_at).collect();
    let ranges = [
        (nth(&opened, n / 4), nth(&opened, n / 2)),
        (nth(&updated, n / 3), nth(&updated, 2 * n / 3)),
    ];
    for (from, to) in ranges {
        for range in [
            TimeRange {
                from: Some(from),
                to: Some(to),
            },
            TimeRange {
                from: Some(from),
                to: None,
            },
            TimeRange {
                from: None,
                to: Some(to),
            },
        ] {
            let filter = CaseFilter {
                opened: range,
                ..CaseFilter::default()
            };
            let what = format!("opened {range:?}");
            check_some(
                store,
                &both,
                &all,
                filter,
                |c| in_range(c.opened_at, range),
                &what,
            )
            .await;
            let filter = CaseFilter {
                updated: range,
                ..CaseFilter::default()
            };
            let what = format!("updated {range:?}");
            check_some(
                store,
                &both,
                &all,
                filter,
                |c| in_range(c.updated_at, range),
                &what,
            )
            .await;
        }
    }

    let combined = CaseFilter {
        states: vec![CaseState::New, CaseState::Open, CaseState::Closed],
        priorities: vec![Priority::Moderate, Priority::Low],
        accounts: vec![home_id.clone()],
        opened: TimeRange {
            from: Some(nth(&opened, n / 5)),
            to: None,
        },
        ..CaseFilter::default()
    };
    let expected = |c: &Case| {
        combined.states.contains(&c.state)
            && combined.priorities.contains(&c.priority)
            && c.account_id == *home_id
            && in_range(c.opened_at, combined.opened)
    };
    check_some(store, &both, &all, combined.clone(), expected, "combined").await;
}

/// `count_cases` equals the length of a full walk, whatever the scope.
pub async fn count_agrees_with_walk(store: &dyn CaseStore, fx: &Fixture) {
    let all = CaseFilter::default();
    for scope in [
        fx.home.scope(),
        fx.other.scope(),
        fx.both(),
        Scope::default(),
    ] {
        let walked = walk(store, &scope, &all, CaseOrder::default(), 17).await;
        let counted = ok(store.count_cases(&scope, &all).await, "count_cases");
        assert_eq!(
            counted,
            walked.len() as u64,
            "count_cases and a full walk disagree in scope {scope:?}"
        );
    }
    let home = walk(
        store,
        &fx.home.scope(),
        &all,
        CaseOrder::default(),
        BIG_PAGE,
    )
    .await;
    let other = walk(
        store,
        &fx.other.scope(),
        &all,
        CaseOrder::default(),
        BIG_PAGE,
    )
    .await;
    let both = ok(store.count_cases(&fx.both(), &all).await, "count_cases");
    assert_eq!(
        both,
        (home.len() + other.len()) as u64,
        "the count over both accounts is not the sum of each"
    );
}

/// The counts the portal shows (per state, open cases, all cases; one
/// account or both) per filter, each checked against a full walk.
async fn state_counts(store: &dyn CaseStore, fx: &Fixture) -> BTreeMap<String, u64> {
    let open = vec![CaseState::New, CaseState::Open, CaseState::AwaitingInfo];
    let filters = CaseState::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), vec![*s]))
        .chain([("open".to_string(), open), ("all".to_string(), vec![])]);
    let mut counts = BTreeMap::new();
    for (name, states) in filters {
        let filter = CaseFilter {
            states,
            ..CaseFilter::default()
        };
        for (who, scope) in [("home", fx.home.scope()), ("both", fx.both())] {
            let counted = ok(store.count_cases(&scope, &filter).await, "count_cases");
            let walked = walk(store, &scope, &filter, ORDER, BIG_PAGE).await.len() as u64;
            assert_eq!(
                counted, walked,
                "count_cases of {name} in {who} disagrees with a walk"
            );
            counts.insert(format!("{name} {who}"), counted);
        }
    }
    counts
}

/// Counts by account and state follow every write at once, concurrent
/// ones included: creates add to the new case's state, cancels move a case
/// to CANCELED, comments move nothing.
pub async fn counts_follow_writes(store: &dyn CaseStore, fx: &Fixture) {
    let (scope, actor) = (fx.home.scope(), &fx.home.actor);
    let before = state_counts(store, fx).await;
    let descriptions: Vec<String> = (0..4).map(|i| format!("Counted case {i}.")).collect();
    let created = futures::future::join_all(
        descriptions
            .iter()
            .map(|d| crate::support::open_case(store, &fx.home, d)),
    )
    .await;
    let born = created[0].state;
    assert!(
        created.iter().all(|c| c.state == born),
        "new cases differ in state"
    );
    ok(
        store
            .add_comment(
                &scope,
                actor,
                &created[0].id,
                switchboard_core::cases::NewComment::new("Counted comment."),
            )
            .await,
        "add_comment",
    );
    let cancels = futures::future::join_all(
        created[1..]
            .iter()
            .chain(&created[1..2])
            .map(|c| store.cancel_case(&scope, actor, &c.id, None)),
    )
    .await;
    assert_eq!(
        cancels.iter().filter(|r| r.is_ok()).count(),
        3,
        "{cancels:?}"
    );
    let after = state_counts(store, fx).await;

    let born_open = matches!(
        born,
        CaseState::New | CaseState::Open | CaseState::AwaitingInfo
    );
    let born = born.as_str();
    let canceled = CaseState::Canceled.as_str();
    for (key, was) in &before {
        let (name, _) = key.split_once(' ').unwrap_or((key, ""));
        let moved: i64 = match name {
            "all" => 4,
            "open" => i64::from(born_open),
            n if n == born => 1,
            n if n == canceled => 3,
            _ => 0,
        };
        assert_eq!(
            after[key] as i64 - *was as i64,
            moved,
            "count of {key} after 4 creates and 3 cancels"
        );
    }
}

/// `list_and_count_cases` answers what `list_cases` and `count_cases` do,
/// for every ordering, on the first page and after a cursor.
pub async fn list_and_count_agree(store: &dyn CaseStore, fx: &Fixture) {
    use switchboard_core::PageRequest;
    let filters = [
        CaseFilter::default(),
        CaseFilter {
            states: vec![CaseState::New, CaseState::Open],
            ..CaseFilter::default()
        },
        CaseFilter {
            priorities: vec![Priority::High, Priority::Critical],
            ..CaseFilter::default()
        },
    ];
    for scope in [fx.home.scope(), fx.both(), Scope::default()] {
        for filter in &filters {
            for order in super::ORDERS {
                let mut page = PageRequest::first(7);
                for step in 0..2 {
                    let what = format!("{filter:?} {order:?} step {step} in {scope:?}");
                    let (listed, total) = ok(
                        store
                            .list_and_count_cases(&scope, filter, order, &page)
                            .await,
                        "list_and_count_cases",
                    );
                    let alone = ok(
                        store.list_cases(&scope, filter, order, &page).await,
                        "list_cases",
                    );
                    let counted = ok(store.count_cases(&scope, filter).await, "count_cases");
                    assert_eq!(listed, alone, "the pages differ: {what}");
                    assert_eq!(total, counted, "the totals differ: {what}");
                    let Some((cursor, _)) = listed.items.last() else {
                        break;
                    };
                    page = PageRequest {
                        after: Some(cursor.clone()),
                        ..page
                    };
                }
            }
        }
    }
}
