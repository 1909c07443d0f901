//! Usage: filters, pages and totals.

use super::*;

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
