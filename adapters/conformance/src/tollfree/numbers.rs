//! Scoping, number lists and all-or-nothing submits.

use super::*;

/// Another account's numbers and requests are not found, never forbidden.
pub async fn scoping_hides_other_accounts(store: &dyn TollFreeStore, f: &TollFreeFixture) {
    let scope = f.scope();
    let listed = store
        .list_numbers(
            &scope,
            &f.other,
            &TollFreeFilter::default(),
            &PageRequest::first(5),
        )
        .await;
    assert!(matches!(listed, Err(Error::NotFound { .. })), "{listed:?}");
    let counted = store
        .count_numbers(&scope, &f.other, &TollFreeFilter::default())
        .await;
    assert!(matches!(counted, Err(Error::NotFound { .. })));
    let theirs = every_number(
        store,
        &Scope::new([f.other.clone()]),
        &f.other,
        &TollFreeFilter::default(),
        100,
    )
    .await;
    assert!(!theirs.is_empty(), "the other account has numbers");
    let submitted = store
        .submit(
            &scope,
            &f.actor,
            NewChangeRequest {
                account_id: f.other.clone(),
                changes: vec![change(&theirs[0], nearby(&theirs[0], 1))],
                rates: Rates::default(),
                idempotency_key: None,
            },
        )
        .await;
    assert!(
        matches!(submitted, Err(Error::NotFound { .. })),
        "{submitted:?}"
    );
    let mine = store
        .numbers(&scope, &f.home, std::slice::from_ref(&theirs[0].number))
        .await
        .expect("numbers");
    assert!(
        mine.is_empty(),
        "another account's number is not this account's"
    );
}

/// Lists are in number order; pages resume after their cursor; filters
/// and counts agree.
pub async fn numbers_are_ordered_filtered_and_paged(
    store: &dyn TollFreeStore,
    f: &TollFreeFixture,
) {
    let scope = f.scope();
    let all = every_number(store, &scope, &f.home, &TollFreeFilter::default(), 100).await;
    assert!(all.len() >= 12, "the fixture has a dozen numbers");
    let paged = every_number(store, &scope, &f.home, &TollFreeFilter::default(), 7).await;
    assert_eq!(paged, all, "small pages read the same list");
    assert!(
        all.windows(2).all(|w| w[0].number < w[1].number),
        "by number"
    );
    let total = store
        .count_numbers(&scope, &f.home, &TollFreeFilter::default())
        .await
        .expect("count");
    assert_eq!(total as usize, all.len());
    let target = &all[3];
    for search in [
        target.number[3..9].to_string(),
        format!("({}) {}", &target.ring_to[..3], &target.ring_to[3..]),
    ] {
        let filter = TollFreeFilter {
            search: Some(search.clone()),
            ..Default::default()
        };
        let found = every_number(store, &scope, &f.home, &filter, 100).await;
        assert!(
            found.contains(target),
            "search {search} finds {}",
            target.number
        );
    }
    for network in [
        switchboard_core::tollfree::Network::OnNet,
        switchboard_core::tollfree::Network::OffNet,
    ] {
        let filter = TollFreeFilter {
            network: Some(network),
            ..Default::default()
        };
        let found = every_number(store, &scope, &f.home, &filter, 100).await;
        let expected: Vec<_> = all
            .iter()
            .filter(|n| n.network == network)
            .cloned()
            .collect();
        assert_eq!(found, expected, "network filter {}", network.as_str());
    }
    let filter = TollFreeFilter {
        changeable_online: Some(false),
        ..Default::default()
    };
    let fixed = every_number(store, &scope, &f.home, &filter, 100).await;
    assert!(!fixed.is_empty() && fixed.iter().all(|n| !n.changeable_online));
    let bad = store
        .list_numbers(
            &scope,
            &f.home,
            &TollFreeFilter::default(),
            &PageRequest {
                first: 5,
                after: Some("not-a-cursor".into()),
            },
        )
        .await;
    assert!(matches!(bad, Err(Error::InvalidInput { ref field, .. }) if field == "after"));
}

/// One invalid line means nothing is written.
pub async fn submit_is_all_or_nothing(store: &dyn TollFreeStore, f: &TollFreeFixture) {
    let scope = f.scope();
    let before = every_number(store, &scope, &f.home, &TollFreeFilter::default(), 100).await;
    let open = changeable(store, f).await;
    let fixed = before
        .iter()
        .find(|n| !n.changeable_online)
        .expect("a number that cannot change online");
    let result = store
        .submit(
            &scope,
            &f.actor,
            request(
                f,
                vec![
                    change(&open[0], nearby(&open[0], 11)),
                    change(fixed, nearby(fixed, 12)),
                ],
                None,
            ),
        )
        .await;
    match result {
        Err(Error::InvalidInput { field, message }) => {
            assert_eq!(field, "changes");
            assert!(message.contains("NOT_CHANGEABLE_ONLINE"), "{message}");
            assert!(message.contains("changes[1]"), "{message}");
        }
        other => panic!("an invalid batch must be refused, got {other:?}"),
    }
    let after = every_number(store, &scope, &f.home, &TollFreeFilter::default(), 100).await;
    assert_eq!(after, before, "no number changed");
    let requests = store
        .list_change_requests(&scope, &f.home, &PageRequest::first(10))
        .await
        .expect("requests");
    assert!(requests.items.is_empty(), "no request was written");
}
