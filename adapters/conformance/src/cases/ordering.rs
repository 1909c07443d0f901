//! Case lists are ordered exactly as asked and page by keyset cursors.

use std::cmp::Ordering;

use switchboard_core::PageRequest;
use switchboard_core::cases::{Case, CaseFilter, CaseOrder, CaseOrderField, CaseStore, Direction};

use crate::support::{
    BIG_PAGE, assert_same_ids, assert_unique, expect_invalid, ids, ok, open_case, walk,
    walk_with_cursors,
};
use crate::{Fixture, IdOrder};

const fn by(field: CaseOrderField, direction: Direction) -> CaseOrder {
    CaseOrder { field, direction }
}

/// Every ordering the port offers, in both directions.
pub const ORDERS: [CaseOrder; 10] = {
    use CaseOrderField::*;
    use Direction::*;
    [
        by(Number, Asc),
        by(Number, Desc),
        by(Opened, Asc),
        by(Opened, Desc),
        by(Updated, Asc),
        by(Updated, Desc),
        by(State, Asc),
        by(State, Desc),
        by(Priority, Asc),
        by(Priority, Desc),
    ]
};

/// Where `a` goes relative to `b` in `order`: by the field, then by id, both
/// in the order's direction.
pub(crate) fn compare(a: &Case, b: &Case, order: CaseOrder, ids: IdOrder) -> Ordering {
    let by_field = match order.field {
        CaseOrderField::Number => a.number.cmp(&b.number),
        CaseOrderField::Opened => a.opened_at.cmp(&b.opened_at),
        CaseOrderField::Updated => a.updated_at.cmp(&b.updated_at),
        CaseOrderField::State => a.state.rank().cmp(&b.state.rank()),
        CaseOrderField::Priority => a.priority.level().cmp(&b.priority.level()),
    };
    let ascending = by_field.then_with(|| ids.compare(&a.id, &b.id));
    match order.direction {
        Direction::Asc => ascending,
        Direction::Desc => ascending.reverse(),
    }
}

/// `cases` sorted as `order` asks.
pub(crate) fn sorted(cases: &[Case], order: CaseOrder, ids: IdOrder) -> Vec<Case> {
    let mut out = cases.to_vec();
    out.sort_by(|a, b| compare(a, b, order, ids));
    out
}

/// For every field and direction, a walk in small pages returns every case
/// once, in exactly the order of a sorted copy (ties broken by id in the
/// same direction).
pub async fn ordering_by_every_field(store: &dyn CaseStore, fx: &Fixture) {
    let scope = fx.both();
    let all = CaseFilter::default();
    let reference = walk(store, &scope, &all, CaseOrder::default(), BIG_PAGE).await;
    assert_unique(&ids(&reference), "the default ordering");
    let total = ok(store.count_cases(&scope, &all).await, "count_cases");
    assert_eq!(
        reference.len() as u64,
        total,
        "a full walk and count_cases disagree"
    );
    for order in ORDERS {
        let got = walk(store, &scope, &all, order, 13).await;
        let expected = sorted(&reference, order, fx.id_order);
        assert_same_ids(&ids(&got), &ids(&expected), &format!("{order:?}"));
    }
}

/// First page, a page ending exactly at the last case, the empty page
/// after it, resuming after any item's cursor, and cursors that belong to
/// another ordering or list.
pub async fn pagination_edges(store: &dyn CaseStore, fx: &Fixture) {
    let scope = fx.home.scope();
    let all = CaseFilter::default();
    let order = by(CaseOrderField::Number, Direction::Asc);
    let reference = walk_with_cursors(store, &scope, &all, order, BIG_PAGE).await;
    let total = reference.len();
    assert!(
        total >= 10,
        "the fixture needs at least 10 cases on the home account"
    );
    let cursor = |i: usize| Some(reference[i].0.clone());
    let id_at = |range: std::ops::Range<usize>| -> Vec<String> {
        reference[range].iter().map(|(_, c)| c.id.clone()).collect()
    };
    let list = async |first: usize, after: Option<String>| {
        ok(
            store
                .list_cases(&scope, &all, order, &PageRequest { first, after })
                .await,
            "list_cases",
        )
    };

    let first = list(3, None).await;
    assert_same_ids(
        &ids(&first.clone().into_items()),
        &id_at(0..3),
        "the first page",
    );
    assert!(
        first.has_next_page,
        "the first page of many says nothing follows"
    );

    let resumed = list(2, Some(first.items[1].0.clone())).await;
    assert_same_ids(
        &ids(&resumed.into_items()),
        &id_at(2..4),
        "resuming after the cursor of a page's middle item",
    );

    let k = 4;
    let last = list(k, cursor(total - k - 1)).await;
    assert_same_ids(
        &ids(&last.clone().into_items()),
        &id_at(total - k..total),
        "the last page",
    );
    assert!(
        !last.has_next_page,
        "a page ending exactly at the last case says more follow"
    );
    let short = list(k, cursor(total - k - 2)).await;
    assert!(
        short.has_next_page,
        "a page one short of the end says nothing follows"
    );
    let tail = list(k, short.end_cursor().map(str::to_string)).await;
    assert_same_ids(
        &ids(&tail.clone().into_items()),
        &id_at(total - 1..total),
        "the tail page",
    );
    assert!(!tail.has_next_page, "the tail page says more follow");
    let beyond = list(k, cursor(total - 1)).await;
    assert!(
        beyond.items.is_empty(),
        "the page after the last case holds items"
    );
    assert!(
        !beyond.has_next_page,
        "the page after the last case says more follow"
    );
    if total <= BIG_PAGE {
        let whole = list(total, None).await;
        assert_eq!(whole.items.len(), total, "a page as large as the list");
        assert!(
            !whole.has_next_page,
            "a page holding the whole list says more follow"
        );
    }

    let from_number = cursor(2);
    for other in ORDERS.iter().filter(|o| **o != order) {
        expect_invalid(
            store
                .list_cases(
                    &scope,
                    &all,
                    *other,
                    &PageRequest {
                        first: 3,
                        after: from_number.clone(),
                    },
                )
                .await,
            "after",
            &format!("a {order:?} cursor used for {other:?}"),
        );
    }
    let updates = ok(
        store.recent_updates(&scope, &PageRequest::first(1)).await,
        "recent_updates",
    );
    for foreign in [
        updates.end_cursor().map(str::to_string),
        Some("not-a-cursor".to_string()),
    ] {
        expect_invalid(
            store
                .list_cases(
                    &scope,
                    &all,
                    order,
                    &PageRequest {
                        first: 3,
                        after: foreign,
                    },
                )
                .await,
            "after",
            "a cursor that does not come from this list",
        );
    }

    // Tiny pages, on orderings full of ties, still visit every case once.
    let tied = [
        by(CaseOrderField::State, Direction::Asc),
        by(CaseOrderField::Priority, Direction::Desc),
    ];
    for first in [1, 2, 7] {
        for order in tied {
            let got = walk(store, &scope, &all, order, first).await;
            let expected = walk(store, &scope, &all, order, BIG_PAGE).await;
            assert_same_ids(
                &ids(&got),
                &ids(&expected),
                &format!("{order:?} in pages of {first}"),
            );
        }
    }
}

/// A case opened in the middle of a walk does not make the walk repeat or
/// skip any case that existed before it.
pub async fn pagination_survives_inserts(store: &dyn CaseStore, fx: &Fixture) {
    let scope = fx.both();
    let all = CaseFilter::default();
    for (n, order) in ORDERS.into_iter().enumerate() {
        let before = walk(store, &scope, &all, order, BIG_PAGE).await;
        let mut seen = Vec::new();
        let mut after = None;
        let mut inserted = None;
        for page_number in 0.. {
            let page = ok(
                store
                    .list_cases(&scope, &all, order, &PageRequest { first: 10, after })
                    .await,
                "list_cases",
            );
            after = page.end_cursor().map(str::to_string);
            let more = page.has_next_page;
            seen.extend(page.into_items());
            if page_number == 1 {
                let description = format!("opened during a {order:?} walk ({n})");
                inserted = Some(open_case(store, &fx.home, &description).await.id);
            }
            if !more {
                break;
            }
        }
        let inserted = inserted.expect("the walk is longer than two pages");
        let (new, old): (Vec<String>, Vec<String>) =
            ids(&seen).into_iter().partition(|id| *id == inserted);
        assert!(
            new.len() <= 1,
            "{order:?}: the case opened mid-walk was listed {} times",
            new.len()
        );
        assert_same_ids(
            &old,
            &ids(&before),
            &format!("{order:?} walk with a case opened after the second page"),
        );
    }
}
