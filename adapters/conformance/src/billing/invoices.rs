//! Scoping, the summary of charges and invoice orderings.

use super::*;

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
