//! Invoice search and the latest invoice.

use super::*;

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
