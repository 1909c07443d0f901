//! Behaviours of the [`TollFreeStore`] port: scoping, number lists in
//! number order with filters, counts and keyset pages, atomic and
//! idempotent submits, and operators' decisions.

use switchboard_core::tollfree::{
    ChangeStatus, Decision, NewChangeRequest, NumberStatus, Rates, RingToChange, TollFreeFilter,
    TollFreeNumber, TollFreeStore,
};
use switchboard_core::{Actor, Error, PageRequest, Scope};

/// What the toll-free behaviours need: two accounts with at least a dozen
/// numbers each (some that can be changed online and some that cannot),
/// a user of the first account, and an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TollFreeFixture {
    /// The account the behaviours read and write.
    pub home: String,
    /// Another account, whose numbers must stay out of `home`'s reach.
    pub other: String,
    /// A user of `home`.
    pub actor: Actor,
    /// Who decides requests.
    pub operator: Actor,
}

impl TollFreeFixture {
    fn scope(&self) -> Scope {
        Scope::new([self.home.clone()])
    }
}

/// Every number of `account` matching `filter`, read `size` at a time.
async fn every_number(
    store: &dyn TollFreeStore,
    scope: &Scope,
    account: &str,
    filter: &TollFreeFilter,
    size: usize,
) -> Vec<TollFreeNumber> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = PageRequest { first: size, after };
        let page = store
            .list_numbers(scope, account, filter, &page)
            .await
            .expect("a page of numbers");
        assert!(page.items.len() <= size, "a page holds at most `first`");
        after = page.end_cursor().map(str::to_string);
        let more = page.has_next_page;
        out.extend(page.into_items());
        if !more {
            return out;
        }
    }
}

/// A ring-to number in the same area code as `n`'s current one, so it
/// satisfies every rule the current one does.
fn nearby(n: &TollFreeNumber, line: u32) -> String {
    format!("{}555{line:04}", &n.ring_to[..3])
}

async fn changeable(store: &dyn TollFreeStore, f: &TollFreeFixture) -> Vec<TollFreeNumber> {
    every_number(store, &f.scope(), &f.home, &TollFreeFilter::default(), 100)
        .await
        .into_iter()
        .filter(|n| n.changeable_online && n.status == NumberStatus::Active)
        .collect()
}

fn request(f: &TollFreeFixture, changes: Vec<RingToChange>, key: Option<&str>) -> NewChangeRequest {
    NewChangeRequest {
        account_id: f.home.clone(),
        changes,
        rates: Rates::default(),
        idempotency_key: key.map(str::to_string),
    }
}

fn change(n: &TollFreeNumber, ring_to: String) -> RingToChange {
    RingToChange {
        number: n.number.clone(),
        ring_to,
    }
}

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

/// A submit is pending with its lines; completing applies the new ring-to
/// numbers; a decided request cannot be decided again.
pub async fn submit_then_complete_applies_the_changes(
    store: &dyn TollFreeStore,
    f: &TollFreeFixture,
) {
    let scope = f.scope();
    let open = changeable(store, f).await;
    let (a, b) = (&open[0], &open[1]);
    let created = store
        .submit(
            &scope,
            &f.actor,
            request(
                f,
                vec![change(a, nearby(a, 21)), change(b, nearby(b, 22))],
                None,
            ),
        )
        .await
        .expect("a valid batch is submitted");
    assert!(!created.replayed);
    let pending = created.record;
    assert_eq!(pending.status, ChangeStatus::Pending);
    assert_eq!(pending.lines.len(), 2);
    assert_eq!(pending.lines[0].old_ring_to, a.ring_to);
    assert_eq!(pending.lines[0].new_ring_to, nearby(a, 21));
    assert!(pending.case_number.starts_with("CS"), "a case was opened");
    let locked = store
        .numbers(&scope, &f.home, &[a.number.clone(), b.number.clone()])
        .await
        .expect("numbers");
    assert!(
        locked
            .iter()
            .all(|n| n.status == NumberStatus::ChangePending)
    );
    let again = store
        .submit(
            &scope,
            &f.actor,
            request(f, vec![change(a, nearby(a, 23))], None),
        )
        .await;
    assert!(
        matches!(&again, Err(Error::InvalidInput { message, .. }) if message.contains("CHANGE_PENDING")),
        "{again:?}"
    );
    let done = store
        .decide(
            &f.operator,
            &pending.id,
            Decision {
                approve: true,
                reason: Some("provisioned".into()),
            },
        )
        .await
        .expect("decide");
    assert_eq!(done.status, ChangeStatus::Completed);
    assert!(done.decided_at.is_some());
    let changed = store
        .numbers(&scope, &f.home, std::slice::from_ref(&a.number))
        .await
        .expect("numbers");
    assert_eq!(changed[0].ring_to, nearby(a, 21));
    assert_eq!(changed[0].status, NumberStatus::Active);
    let twice = store
        .decide(
            &f.operator,
            &pending.id,
            Decision {
                approve: false,
                reason: None,
            },
        )
        .await;
    assert!(matches!(twice, Err(Error::Conflict(_))), "{twice:?}");
    let listed = store
        .change_requests(&scope, std::slice::from_ref(&pending.id))
        .await
        .expect("requests");
    assert_eq!(listed, vec![done]);
    let hidden = store
        .change_requests(
            &Scope::new([f.other.clone()]),
            std::slice::from_ref(&pending.id),
        )
        .await
        .expect("requests");
    assert!(hidden.is_empty(), "another account cannot read the request");
}

/// Rejecting leaves every ring-to as it was and frees the numbers.
pub async fn rejecting_changes_nothing(store: &dyn TollFreeStore, f: &TollFreeFixture) {
    let scope = f.scope();
    let open = changeable(store, f).await;
    let a = &open[2];
    let created = store
        .submit(
            &scope,
            &f.actor,
            request(f, vec![change(a, nearby(a, 31))], None),
        )
        .await
        .expect("submit");
    let rejected = store
        .decide(
            &f.operator,
            &created.record.id,
            Decision {
                approve: false,
                reason: Some("number is being ported".into()),
            },
        )
        .await
        .expect("decide");
    assert_eq!(rejected.status, ChangeStatus::Rejected);
    assert_eq!(rejected.reason.as_deref(), Some("number is being ported"));
    let now = store
        .numbers(&scope, &f.home, std::slice::from_ref(&a.number))
        .await
        .expect("numbers");
    assert_eq!(now, vec![a.clone()], "the number is as it was");
    let missing = store
        .decide(
            &f.operator,
            "999999999",
            Decision {
                approve: true,
                reason: None,
            },
        )
        .await;
    assert!(matches!(missing, Err(Error::NotFound { .. })));
}

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
