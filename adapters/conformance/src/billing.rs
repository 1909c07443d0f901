//! Behaviours of the [`BillingStore`] port: scoping, the summary of charges
//! adding up to the cent, invoice ordering, search and keyset pagination,
//! the latest invoice per account, and usage filters, pages and totals.

use std::cmp::Ordering;

use switchboard_core::billing::{
    BillingStore, Direction, Invoice, InvoiceFilter, InvoiceOrder, InvoiceOrderField, Money,
    TimeRange, UsageFilter, UsageKind, UsageOrder, UsageOrderField, UsageRecord,
};
use switchboard_core::{Error, PageRequest, Scope};

/// What the billing behaviours need to know about the dataset: two
/// accounts, each with billing details, at least a dozen invoices with
/// charge lines, and usage records billed on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingFixture {
    /// The account the behaviours read.
    pub home: String,
    /// Another account, whose records must stay out of `home`'s reach.
    pub other: String,
}

impl BillingFixture {
    fn home_scope(&self) -> Scope {
        Scope::new([self.home.clone()])
    }
}

fn is_not_found<T: std::fmt::Debug>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::NotFound { .. }))
}

/// Every invoice of `account` matching `filter`, read `size` at a time.
async fn every_invoice(
    store: &dyn BillingStore,
    scope: &Scope,
    account: &str,
    filter: &InvoiceFilter,
    order: InvoiceOrder,
    size: usize,
) -> Vec<Invoice> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = PageRequest { first: size, after };
        let page = store
            .list_invoices(scope, account, filter, order, &page)
            .await
            .expect("a page of invoices");
        assert!(
            page.items.len() <= size,
            "a page holds at most `first` items"
        );
        after = page.end_cursor().map(str::to_string);
        let more = page.has_next_page;
        out.extend(page.into_items());
        if !more {
            return out;
        }
    }
}

/// Every usage record of `account` matching `filter`, read `size` at a time.
async fn every_call(
    store: &dyn BillingStore,
    scope: &Scope,
    account: &str,
    filter: &UsageFilter,
    order: UsageOrder,
    size: usize,
) -> Vec<UsageRecord> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = PageRequest { first: size, after };
        let page = store
            .list_usage(scope, account, filter, order, &page)
            .await
            .expect("a page of usage");
        after = page.end_cursor().map(str::to_string);
        let more = page.has_next_page;
        out.extend(page.into_items());
        if !more {
            return out;
        }
    }
}

fn numeric(id: &str) -> i64 {
    id.parse().unwrap_or(i64::MAX)
}

fn invoice_cmp(field: InvoiceOrderField, a: &Invoice, b: &Invoice) -> Ordering {
    let by_field = match field {
        InvoiceOrderField::InvoiceDate => a.invoice_date.cmp(&b.invoice_date),
        InvoiceOrderField::DueDate => a.due_date.cmp(&b.due_date),
        InvoiceOrderField::Number => a.number.cmp(&b.number),
        InvoiceOrderField::TotalDue => a.total_due().minor.cmp(&b.total_due().minor),
    };
    by_field.then_with(|| numeric(&a.id).cmp(&numeric(&b.id)))
}

/// Another account's billing is not found, exactly like a missing one, and
/// batches leave it out.
pub async fn scoping_hides_other_accounts(store: &dyn BillingStore, f: &BillingFixture) {
    let home = f.home_scope();
    let other = Scope::new([f.other.clone()]);
    let order = InvoiceOrder::default();
    let theirs = every_invoice(
        store,
        &other,
        &f.other,
        &InvoiceFilter::default(),
        order,
        50,
    )
    .await;
    assert!(!theirs.is_empty(), "the other account has invoices");
    let page = PageRequest::first(10);
    let filter = InvoiceFilter::default();
    for account in [f.other.as_str(), "0000000000"] {
        assert!(is_not_found(
            &store
                .list_invoices(&home, account, &filter, order, &page)
                .await
        ));
        assert!(is_not_found(
            &store.count_invoices(&home, account, &filter).await
        ));
        let usage = UsageFilter::default();
        let usage_order = UsageOrder::default();
        assert!(is_not_found(
            &store
                .list_usage(&home, account, &usage, usage_order, &page)
                .await
        ));
        assert!(is_not_found(
            &store.usage_totals(&home, account, &usage).await
        ));
    }
    let ids: Vec<String> = theirs.iter().map(|i| i.id.clone()).collect();
    let found = store.invoices_by_ids(&home, &ids).await.expect("a batch");
    assert!(
        found.is_empty(),
        "another account's invoices by id: {found:?}"
    );
    assert!(
        store
            .charges(&home, &ids)
            .await
            .expect("a batch")
            .is_empty()
    );
    assert!(is_not_found(
        &store.invoice_by_number(&home, &theirs[0].number).await
    ));
    let both = [f.home.clone(), f.other.clone()];
    let details = store.billing_details(&home, &both).await.expect("details");
    assert_eq!(details.len(), 1, "only the home account's details");
    assert_eq!(details[0].account_id, f.home);
    let latest = store.latest_invoices(&home, &both).await.expect("latest");
    assert!(latest.iter().all(|i| i.account_id == f.home));
    assert!(
        store
            .billing_details(&Scope::default(), &both)
            .await
            .expect("none")
            .is_empty()
    );
}

/// Every invoice's charge lines add up to its current charges, and its
/// total to balance forward + late fee + current charges, to the cent.
pub async fn summary_of_charges_adds_up(store: &dyn BillingStore, f: &BillingFixture) {
    let scope = f.home_scope();
    let filter = InvoiceFilter::default();
    let all = every_invoice(
        store,
        &scope,
        &f.home,
        &filter,
        InvoiceOrder::default(),
        100,
    )
    .await;
    assert!(all.len() >= 12, "the home account has a year of invoices");
    let ids: Vec<String> = all.iter().map(|i| i.id.clone()).collect();
    let lines = store.charges(&scope, &ids).await.expect("charges");
    for invoice in &all {
        let mine: Vec<_> = lines
            .iter()
            .filter(|l| l.invoice_id == invoice.id)
            .collect();
        assert!(!mine.is_empty(), "{} has charge lines", invoice.number);
        let positions: Vec<i32> = mine.iter().map(|l| l.position).collect();
        let mut sorted = positions.clone();
        sorted.sort();
        assert_eq!(positions, sorted, "lines come in position order");
        let sum = mine
            .iter()
            .fold(Money::zero(&invoice.current_charges.currency), |s, l| {
                s.plus(&l.amount)
            });
        assert_eq!(sum, invoice.current_charges, "{} lines", invoice.number);
        let forward =
            invoice.previous_amount.minor + invoice.payments.minor + invoice.adjustments.minor;
        assert_eq!(invoice.balance_forward().minor, forward);
        assert_eq!(
            invoice.total_due().minor,
            forward + invoice.late_fee.minor + invoice.current_charges.minor
        );
        assert!(invoice.due_date >= invoice.invoice_date);
    }
}

/// Each ordering lists every invoice once, in order, ties broken by id,
/// across pages; a cursor of another ordering is refused.
pub async fn invoice_orderings_paginate(store: &dyn BillingStore, f: &BillingFixture) {
    let scope = f.home_scope();
    let filter = InvoiceFilter::default();
    let count = store
        .count_invoices(&scope, &f.home, &filter)
        .await
        .expect("count");
    let fields = [
        InvoiceOrderField::InvoiceDate,
        InvoiceOrderField::DueDate,
        InvoiceOrderField::Number,
        InvoiceOrderField::TotalDue,
    ];
    for field in fields {
        for direction in [Direction::Asc, Direction::Desc] {
            let order = InvoiceOrder { field, direction };
            let listed = every_invoice(store, &scope, &f.home, &filter, order, 5).await;
            assert_eq!(
                listed.len() as u64,
                count,
                "{order:?} lists every invoice once"
            );
            let mut expected = listed.clone();
            expected.sort_by(|a, b| match direction {
                Direction::Asc => invoice_cmp(field, a, b),
                Direction::Desc => invoice_cmp(field, b, a),
            });
            assert_eq!(listed, expected, "{order:?}");
        }
    }
    let newest = InvoiceOrder::default();
    let first = store
        .list_invoices(&scope, &f.home, &filter, newest, &PageRequest::first(2))
        .await
        .expect("a page");
    let cursor = first.end_cursor().map(str::to_string);
    let by_number = InvoiceOrder {
        field: InvoiceOrderField::Number,
        direction: Direction::Asc,
    };
    let page = PageRequest {
        first: 2,
        after: cursor,
    };
    match store
        .list_invoices(&scope, &f.home, &filter, by_number, &page)
        .await
    {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "after"),
        other => panic!("a cursor of another ordering is invalid input, got {other:?}"),
    }
}

/// Invoices are found by any part of their number, case-insensitively;
/// wildcards match themselves only.
pub async fn invoices_are_searchable_by_number(store: &dyn BillingStore, f: &BillingFixture) {
    let scope = f.home_scope();
    let order = InvoiceOrder::default();
    let all = every_invoice(
        store,
        &scope,
        &f.home,
        &InvoiceFilter::default(),
        order,
        100,
    )
    .await;
    let target = &all[all.len() / 2];
    let tail = target.number[target.number.len() - 5..].to_string();
    for text in [target.number.to_lowercase(), tail.clone()] {
        let filter = InvoiceFilter {
            number: Some(text.clone()),
        };
        let found = every_invoice(store, &scope, &f.home, &filter, order, 100).await;
        assert!(
            found.iter().any(|i| i.id == target.id),
            "`{text}` finds {}",
            target.number
        );
        assert!(found.iter().all(|i| i.number.contains(&tail)));
        let counted = store
            .count_invoices(&scope, &f.home, &filter)
            .await
            .expect("count");
        assert_eq!(counted, found.len() as u64);
    }
    for text in ["%", "_", "ZZZ"] {
        let filter = InvoiceFilter {
            number: Some(text.into()),
        };
        let found = every_invoice(store, &scope, &f.home, &filter, order, 100).await;
        assert!(found.is_empty(), "`{text}` matches nothing: {found:?}");
    }
    let by_number = store
        .invoice_by_number(&scope, &target.number.to_lowercase())
        .await;
    assert_eq!(by_number.expect("by number").id, target.id);
    let by_id = store
        .invoices_by_ids(&scope, std::slice::from_ref(&target.id))
        .await;
    assert_eq!(by_id.expect("by id"), vec![target.clone()]);
}

/// The latest invoice of each account is the first of its newest-first list.
pub async fn latest_invoice_is_the_newest(store: &dyn BillingStore, f: &BillingFixture) {
    let both = Scope::new([f.home.clone(), f.other.clone()]);
    let accounts = [f.home.clone(), f.other.clone(), "0000000000".to_string()];
    let latest = store
        .latest_invoices(&both, &accounts)
        .await
        .expect("latest");
    assert_eq!(latest.len(), 2, "one per account with invoices");
    for account in [&f.home, &f.other] {
        let newest = store
            .list_invoices(
                &both,
                account,
                &InvoiceFilter::default(),
                InvoiceOrder::default(),
                &PageRequest::first(1),
            )
            .await
            .expect("a page")
            .into_items();
        let mine: Vec<&Invoice> = latest.iter().filter(|i| &i.account_id == account).collect();
        assert_eq!(mine, newest.iter().collect::<Vec<_>>(), "account {account}");
    }
}

/// Usage filters by invoice, period, kind and number; pages follow each
/// ordering; totals equal the sum of the listed records to the cent.
pub async fn usage_filters_pages_and_totals(store: &dyn BillingStore, f: &BillingFixture) {
    let scope = f.home_scope();
    let invoice = store
        .latest_invoices(&scope, std::slice::from_ref(&f.home))
        .await
        .expect("latest")
        .pop()
        .expect("the home account has an invoice");
    let on_invoice = UsageFilter {
        invoice_id: Some(invoice.id.clone()),
        ..UsageFilter::default()
    };
    let calls = every_call(
        store,
        &scope,
        &f.home,
        &on_invoice,
        UsageOrder::default(),
        7,
    )
    .await;
    assert!(!calls.is_empty(), "the latest invoice has calls");
    assert!(
        calls
            .iter()
            .all(|c| c.invoice_id.as_deref() == Some(invoice.id.as_str()))
    );
    let totals = store
        .usage_totals(&scope, &f.home, &on_invoice)
        .await
        .expect("totals");
    assert_eq!(totals.count, calls.len() as u64);
    let charge: i64 = calls.iter().map(|c| c.charge.minor).sum();
    assert_eq!(totals.charge.minor, charge, "usage totals to the cent");
    let seconds: i64 = calls.iter().map(|c| i64::from(c.duration_secs)).sum();
    assert_eq!(totals.duration_secs, seconds);
    for field in [
        UsageOrderField::StartedAt,
        UsageOrderField::Duration,
        UsageOrderField::Charge,
    ] {
        for direction in [Direction::Asc, Direction::Desc] {
            let order = UsageOrder { field, direction };
            let listed = every_call(store, &scope, &f.home, &on_invoice, order, 4).await;
            let key = |c: &UsageRecord| match field {
                UsageOrderField::StartedAt => c.started_at.timestamp_micros(),
                UsageOrderField::Duration => i64::from(c.duration_secs),
                UsageOrderField::Charge => c.charge.minor,
            };
            let mut expected = listed.clone();
            expected.sort_by_key(|c| (key(c), numeric(&c.id)));
            if direction == Direction::Desc {
                expected.reverse();
            }
            assert_eq!(listed.len(), calls.len(), "{order:?} lists every call once");
            assert_eq!(listed, expected, "{order:?}");
        }
    }
    let kind = calls[0].kind;
    let of_kind = UsageFilter {
        kinds: vec![kind],
        ..on_invoice.clone()
    };
    let found = every_call(store, &scope, &f.home, &of_kind, UsageOrder::default(), 50).await;
    assert_eq!(found.len(), calls.iter().filter(|c| c.kind == kind).count());
    let other_kinds: Vec<UsageKind> = UsageKind::ALL.into_iter().filter(|k| *k != kind).collect();
    assert!(found.iter().all(|c| !other_kinds.contains(&c.kind)));
    let middle = &calls[calls.len() / 2];
    let period = UsageFilter {
        period: TimeRange {
            from: Some(middle.started_at),
            to: None,
        },
        ..on_invoice.clone()
    };
    let later = every_call(store, &scope, &f.home, &period, UsageOrder::default(), 50).await;
    assert_eq!(
        later.len(),
        calls
            .iter()
            .filter(|c| c.started_at >= middle.started_at)
            .count()
    );
    let digits = middle.to[middle.to.len() - 4..].to_string();
    let by_number = UsageFilter {
        number: Some(digits.clone()),
        ..on_invoice
    };
    let matched = every_call(
        store,
        &scope,
        &f.home,
        &by_number,
        UsageOrder::default(),
        50,
    )
    .await;
    assert!(matched.iter().any(|c| c.id == middle.id));
    assert!(
        matched
            .iter()
            .all(|c| c.from.contains(&digits) || c.to.contains(&digits))
    );
}
