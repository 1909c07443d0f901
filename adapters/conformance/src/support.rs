//! Helpers the behaviours share: walking lists, checking errors, building input.

use std::fmt::Debug;

use futures::StreamExt;
use switchboard_core::cases::{
    Activity, ByteStream, Case, CaseFilter, CaseOrder, CaseState, CaseStore, Catalog, NewCase,
    Priority,
};
use switchboard_core::{Error, Page, PageRequest, Result, Scope};

use crate::fixture::AccountFixture;

/// The page size the walks use when the size is not what is being checked.
pub(crate) const BIG_PAGE: usize = 100;

/// Unwraps `result`, naming the step that failed.
#[track_caller]
pub(crate) fn ok<T>(result: Result<T>, step: &str) -> T {
    result.unwrap_or_else(|error| panic!("{step}: expected success, got {error:?}"))
}

/// Checks that `result` is [`Error::NotFound`].
#[track_caller]
pub(crate) fn expect_not_found<T: Debug>(result: Result<T>, step: &str) {
    match result {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{step}: expected NotFound (never Forbidden), got {other:?}"),
    }
}

/// Checks that `result` is [`Error::Conflict`].
#[track_caller]
pub(crate) fn expect_conflict<T: Debug>(result: Result<T>, step: &str) {
    match result {
        Err(Error::Conflict(_)) => {}
        other => panic!("{step}: expected Conflict, got {other:?}"),
    }
}

/// Checks that `result` is [`Error::InvalidInput`] on a field starting with `field`
/// (so `input.watchList` accepts `input.watchList[1]`).
#[track_caller]
pub(crate) fn expect_invalid<T: Debug>(result: Result<T>, field: &str, step: &str) {
    match result {
        Err(Error::InvalidInput { field: got, .. }) if got.starts_with(field) => {}
        other => panic!("{step}: expected InvalidInput on `{field}`, got {other:?}"),
    }
}

/// Every page of a case list, each item with its cursor, checking the page
/// contract on the way: never more than `first` items, a short page only at
/// the end, and a cursor that moves forward.
pub(crate) async fn walk_with_cursors(
    store: &dyn CaseStore,
    scope: &Scope,
    filter: &CaseFilter,
    order: CaseOrder,
    first: usize,
) -> Vec<(String, Case)> {
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = ok(
            store
                .list_cases(scope, filter, order, &PageRequest { first, after })
                .await,
            &format!("list_cases({order:?}, first {first})"),
        );
        check_page(&page, first, "list_cases");
        let more = page.has_next_page;
        after = page.end_cursor().map(str::to_string);
        items.extend(page.items);
        if !more {
            return items;
        }
        assert!(
            items.len() <= 100_000,
            "list_cases({order:?}) never ends: has_next_page stays true"
        );
    }
}

/// Every case of a list, in the order the store returns them.
pub(crate) async fn walk(
    store: &dyn CaseStore,
    scope: &Scope,
    filter: &CaseFilter,
    order: CaseOrder,
    first: usize,
) -> Vec<Case> {
    walk_with_cursors(store, scope, filter, order, first)
        .await
        .into_iter()
        .map(|(_, case)| case)
        .collect()
}

/// Every item of the keyset list `list`, read `first` at a time by
/// `read` (given each page's request), checking the page contract on the
/// way as [`walk_with_cursors`] does.
pub(crate) async fn every_item<T, Pages>(
    list: &str,
    first: usize,
    mut read: impl FnMut(PageRequest) -> Pages,
) -> Vec<T>
where
    Pages: std::future::Future<Output = Result<Page<T>>>,
{
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = ok(read(PageRequest { first, after }).await, list);
        check_page(&page, first, list);
        let more = page.has_next_page;
        after = page.end_cursor().map(str::to_string);
        items.extend(page.into_items());
        if !more {
            return items;
        }
    }
}

/// Every entry of a case's activity stream, newest first.
pub(crate) async fn walk_activity(
    store: &dyn CaseStore,
    scope: &Scope,
    case_id: &str,
    first: usize,
) -> Vec<Activity> {
    every_item("activity", first, |page| async move {
        store.activity(scope, case_id, &page).await
    })
    .await
}

/// Every entry of the recent updates across `scope`, newest first.
pub(crate) async fn walk_recent_updates(
    store: &dyn CaseStore,
    scope: &Scope,
    first: usize,
) -> Vec<Activity> {
    every_item("recent_updates", first, |page| async move {
        store.recent_updates(scope, &page).await
    })
    .await
}

#[track_caller]
fn check_page<T>(page: &Page<T>, first: usize, list: &str) {
    assert!(
        page.items.len() <= first,
        "{list}: a page asked for {first} items holds {}",
        page.items.len()
    );
    assert!(
        !page.has_next_page || page.items.len() == first,
        "{list}: a page of {} items (asked {first}) says more follow; only the last page may be short",
        page.items.len()
    );
}

/// The ids of `cases`, in order.
pub(crate) fn ids(cases: &[Case]) -> Vec<String> {
    cases.iter().map(|c| c.id.clone()).collect()
}

/// Checks two id sequences are equal, pointing at the first difference.
#[track_caller]
pub(crate) fn assert_same_ids(got: &[String], expected: &[String], what: &str) {
    if got == expected {
        return;
    }
    let at = got
        .iter()
        .zip(expected)
        .position(|(g, e)| g != e)
        .unwrap_or(got.len().min(expected.len()));
    let window = |ids: &[String]| ids[at.saturating_sub(2)..(at + 3).min(ids.len())].to_vec();
    panic!(
        "{what}: got {} items, expected {}; first difference at position {at}: got {:?}, expected {:?}",
        got.len(),
        expected.len(),
        window(got),
        window(expected),
    );
}

/// Checks that no id appears twice.
#[track_caller]
pub(crate) fn assert_unique(ids: &[String], what: &str) {
    let mut sorted = ids.to_vec();
    sorted.sort();
    if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
        panic!("{what}: id {} appears more than once", pair[0]);
    }
}

/// The first case of `scope` in one of `states`, most recently updated first.
pub(crate) async fn case_in(store: &dyn CaseStore, scope: &Scope, states: &[CaseState]) -> Case {
    let filter = CaseFilter {
        states: states.to_vec(),
        ..CaseFilter::default()
    };
    let page = ok(
        store
            .list_cases(scope, &filter, CaseOrder::default(), &PageRequest::first(1))
            .await,
        "list_cases by state",
    );
    page.into_items().into_iter().next().unwrap_or_else(|| {
        panic!("the dataset has no case in {states:?} in scope {scope:?}; the fixture needs one")
    })
}

/// Reads a case back by id.
pub(crate) async fn reread(store: &dyn CaseStore, scope: &Scope, id: &str) -> Case {
    let found = ok(
        store.cases_by_ids(scope, &[id.to_string()]).await,
        "cases_by_ids",
    );
    match found.as_slice() {
        [case] => case.clone(),
        other => panic!(
            "cases_by_ids([{id}]) returned {} cases, expected 1",
            other.len()
        ),
    }
}

/// Reads a whole content stream.
pub(crate) async fn read_all(mut stream: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&ok(chunk, "reading attachment content"));
    }
    out
}

/// A choice of case type, support case type and category customers may use.
#[derive(Debug, Clone)]
pub(crate) struct Form {
    pub case_type: String,
    pub support_case_type: String,
    pub category: String,
    /// A category of another support case type, not offered under this one.
    pub foreign_category: String,
}

impl Form {
    /// The first customer-creatable choice of the store's catalog.
    pub async fn of(store: &dyn CaseStore) -> Self {
        let catalog: Catalog = (*ok(store.catalog().await, "catalog")).clone();
        let (case_type, support) = catalog
            .case_types
            .iter()
            .filter(|t| t.customer_creatable)
            .flat_map(|t| t.support_case_types.iter().map(move |s| (t, s)))
            .find(|(_, s)| !s.categories.is_empty())
            .expect("the catalog offers a customer-creatable category");
        let foreign_category = catalog
            .case_types
            .iter()
            .flat_map(|t| &t.support_case_types)
            .flat_map(|s| &s.categories)
            .map(|c| c.code.clone())
            .find(|code| support.categories.iter().all(|c| &c.code != code))
            .expect("the catalog has a category outside the first support case type");
        Self {
            case_type: case_type.code.clone(),
            support_case_type: support.code.clone(),
            category: support.categories[0].code.clone(),
            foreign_category,
        }
    }

    /// A valid new case on `account`, at its fixture location and product.
    pub fn new_case(&self, account: &AccountFixture, description: &str) -> NewCase {
        NewCase {
            account_id: account.account_id.clone(),
            case_type: self.case_type.clone(),
            support_case_type: Some(self.support_case_type.clone()),
            category: self.category.clone(),
            title: Some(format!("Conformance: {description}")),
            description: description.to_string(),
            priority: Some(Priority::Moderate),
            location_id: Some(account.location_id.clone()),
            product_id: Some(account.product_id.clone()),
            contact_id: Some(account.contact_id.clone()),
            ..NewCase::default()
        }
    }
}

/// Opens a fresh case on `account` as its actor.
pub(crate) async fn open_case(
    store: &dyn CaseStore,
    account: &AccountFixture,
    description: &str,
) -> Case {
    let new = Form::of(store).await.new_case(account, description);
    ok(
        store
            .create_case(&account.scope(), &account.actor, new)
            .await,
        "create_case",
    )
    .record
}
