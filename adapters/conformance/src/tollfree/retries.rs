//! Submits retried under their key.

use super::*;

/// A retry under the same key returns the first request; other input
/// under that key conflicts.
pub async fn retried_submits_are_idempotent(store: &dyn TollFreeStore, f: &TollFreeFixture) {
    let scope = f.scope();
    let open = changeable(store, f).await;
    let a = &open[3];
    let batch = vec![change(a, nearby(a, 41))];
    let first = store
        .submit(
            &scope,
            &f.actor,
            request(f, batch.clone(), Some("tf-key-1")),
        )
        .await
        .expect("first");
    let retry = store
        .submit(&scope, &f.actor, request(f, batch, Some("tf-key-1")))
        .await
        .expect("retry");
    assert!(retry.replayed && !first.replayed);
    assert_eq!(retry.record, first.record);
    let different = store
        .submit(
            &scope,
            &f.actor,
            request(
                f,
                vec![change(&open[4], nearby(&open[4], 42))],
                Some("tf-key-1"),
            ),
        )
        .await;
    assert!(
        matches!(different, Err(Error::Conflict(_))),
        "{different:?}"
    );
    let page = store
        .list_change_requests(&scope, &f.home, &PageRequest::first(10))
        .await
        .expect("requests");
    assert_eq!(page.items.len(), 1, "one request for one key");
}
