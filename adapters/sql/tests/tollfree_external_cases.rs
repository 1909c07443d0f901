//! Toll-free change requests whose case lives in another backend
//! (`SqlStore::with_request_cases`), on SQLite and PostgreSQL: the
//! conformance behaviours still hold, a submit opens exactly one external
//! case (keyed) and no case in the database, a decision resolves that case
//! first, a refused submit resolves its case as not submitted, and an
//! outage of the case backend writes nothing.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use std::sync::{Arc, Mutex};
use switchboard_core::cases::prelude::*;

use async_trait::async_trait;
use switchboard_conformance::{TollFreeFixture, tollfree};
use switchboard_core::cases::{CaseFilter, CaseState};
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_core::tollfree::prelude::*;
use switchboard_core::tollfree::request_cases::NOT_SUBMITTED_NOTE;
use switchboard_core::tollfree::{
    ChangeStatus, Decision, NewChangeRequest, NewRequestCase, NumberStatus, Rates, RequestCase,
    RequestCases, RingToChange, TollFreeFilter, TollFreeNumber,
};
use switchboard_core::{Actor, Error, PageRequest, Result, Scope};
use switchboard_sql::SqlStore;
use switchboard_sql::testing::{TestDb, actor};

/// A case the fake backend keeps.
#[derive(Debug, Clone)]
struct Kept {
    case: RequestCase,
    key: Option<String>,
    opened_for: String,
    title: String,
    resolved: Option<String>,
}

/// A submit that runs while the fake opens a case (its numbers change).
struct Interloper {
    store: SqlStore,
    scope: Scope,
    actor: Actor,
    request: NewChangeRequest,
}

#[derive(Default)]
struct State {
    cases: Vec<Kept>,
    opens: usize,
    /// (case id, note, author name), in order.
    resolves: Vec<(String, String, String)>,
    fail_open: bool,
    fail_resolve: bool,
    interloper: Option<Interloper>,
}

/// An external case backend that records what it is asked.
#[derive(Default)]
struct FakeCases(Mutex<State>);

impl FakeCases {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("the fake's state")
    }
}

#[async_trait]
impl RequestCases for FakeCases {
    fn backend(&self) -> &'static str {
        "fake"
    }

    async fn open(&self, scope: &Scope, actor: &Actor, new: NewRequestCase) -> Result<RequestCase> {
        let (case, interloper) = {
            let mut state = self.state();
            state.opens += 1;
            if state.fail_open {
                return Err(Error::unavailable("fake"));
            }
            if !scope.contains(&new.account_id) {
                return Err(Error::not_found(format!("account {}", new.account_id)));
            }
            let earlier = new.key.as_ref().and_then(|key| {
                state
                    .cases
                    .iter()
                    .find(|k| k.key.as_ref() == Some(key) && k.opened_for == actor.user_id)
            });
            let case = match earlier {
                Some(kept) => RequestCase {
                    open: kept.resolved.is_none(),
                    ..kept.case.clone()
                },
                None => {
                    let n = state.cases.len() + 1;
                    let case = RequestCase {
                        id: format!("ext-{n}"),
                        number: format!("CS9{n:010}"),
                        open: true,
                    };
                    state.cases.push(Kept {
                        case: case.clone(),
                        key: new.key.clone(),
                        opened_for: actor.user_id.clone(),
                        title: new.title.clone(),
                        resolved: None,
                    });
                    case
                }
            };
            (case, state.interloper.take())
        };
        if let Some(i) = interloper {
            i.store.submit(&i.scope, &i.actor, i.request).await?;
        }
        Ok(case)
    }

    async fn resolve(&self, author: &Actor, case_id: &str, note: &str) -> Result<()> {
        let mut state = self.state();
        if state.fail_resolve {
            return Err(Error::unavailable("fake"));
        }
        let kept = state
            .cases
            .iter_mut()
            .find(|k| k.case.id == case_id)
            .ok_or_else(|| Error::not_found(format!("case {case_id}")))?;
        kept.resolved = Some(note.to_string());
        state
            .resolves
            .push((case_id.to_string(), note.to_string(), author.name.clone()));
        Ok(())
    }
}

/// A seeded store without external cases, the same store with the fake,
/// the fixture, and the database (dropped last).
struct Harness {
    plain: SqlStore,
    store: SqlStore,
    fake: Arc<FakeCases>,
    fixture: TollFreeFixture,
    _db: TestDb,
}

impl Harness {
    /// `None` when the backend is PostgreSQL and none answers.
    async fn on(backend: &str) -> Result<Option<Self>> {
        let Some(db) = TestDb::named(backend).await else {
            return Ok(None);
        };
        let plain = db.seeded(2, 10, 5, (2026, 5, 2)).await?;
        let fake = Arc::new(FakeCases::default());
        let store = plain.clone().with_request_cases(fake.clone());
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        let fixture = TollFreeFixture {
            home: home.into(),
            other: other.into(),
            actor: actor(&plain, "pat.primary@harborfreight.example").await?,
            operator: actor(&plain, "olive.operator@switchboard.example").await?,
        };
        Ok(Some(Self {
            plain,
            store,
            fake,
            fixture,
            _db: db,
        }))
    }

    fn scope(&self) -> Scope {
        Scope::new([self.fixture.home.clone()])
    }

    /// The home account's numbers that can change now.
    async fn changeable(&self) -> Result<Vec<TollFreeNumber>> {
        let page = self
            .store
            .list_numbers(
                &self.scope(),
                &self.fixture.home,
                &TollFreeFilter::default(),
                &PageRequest::first(100),
            )
            .await?;
        Ok(page
            .into_items()
            .into_iter()
            .filter(|n| n.changeable_online && n.status == NumberStatus::Active)
            .collect())
    }

    fn request(&self, n: &TollFreeNumber, line: u32, key: Option<&str>) -> NewChangeRequest {
        NewChangeRequest {
            account_id: self.fixture.home.clone(),
            changes: vec![RingToChange {
                number: n.number.clone(),
                ring_to: format!("{}555{line:04}", &n.ring_to[..3]),
            }],
            rates: Rates::default(),
            idempotency_key: key.map(str::to_string),
        }
    }

    /// The home account's cases in the database.
    async fn local_cases(&self) -> Result<u64> {
        self.plain
            .count_cases(&self.scope(), &CaseFilter::default())
            .await
    }
}

async fn a_keyed_submit_opens_one_external_case(h: Harness) -> Result<()> {
    let cases_before = h.local_cases().await?;
    let n = &h.changeable().await?[0];
    let first = h
        .store
        .submit(&h.scope(), &h.fixture.actor, h.request(n, 1, Some("k-1")))
        .await?;
    let retry = h
        .store
        .submit(&h.scope(), &h.fixture.actor, h.request(n, 1, Some("k-1")))
        .await?;
    assert!(!first.replayed && retry.replayed);
    assert_eq!(retry.record, first.record);
    let kept: Vec<Kept> = h.fake.state().cases.clone();
    assert_eq!(kept.len(), 1, "one case upstream");
    let kept = &kept[0];
    assert_eq!(first.record.case_id, kept.case.id);
    assert_eq!(first.record.case_number, kept.case.number);
    assert_eq!(kept.opened_for, h.fixture.actor.user_id);
    assert_eq!(
        kept.title,
        format!("Toll-free ring-to change for {}", n.number)
    );
    let key = kept.key.clone().expect("a keyed submit opens a keyed case");
    assert!(
        !key.contains("k-1"),
        "the upstream key is derived, not the client's"
    );
    assert_eq!(
        h.local_cases().await?,
        cases_before,
        "no case in the database"
    );
    let read = h
        .store
        .change_requests(&h.scope(), std::slice::from_ref(&first.record.id))
        .await?;
    assert_eq!(read, vec![first.record]);
    Ok(())
}

async fn a_decision_resolves_the_external_case_first(h: Harness) -> Result<()> {
    let n = &h.changeable().await?[1];
    let created = h
        .store
        .submit(&h.scope(), &h.fixture.actor, h.request(n, 2, None))
        .await?;
    let approve = Decision {
        approve: true,
        reason: Some("provisioned".into()),
    };
    h.fake.state().fail_resolve = true;
    let failed = h
        .store
        .decide(&h.fixture.operator, &created.record.id, approve.clone())
        .await;
    assert!(
        matches!(failed, Err(Error::Unavailable { .. })),
        "{failed:?}"
    );
    let still = h
        .store
        .change_requests(&h.scope(), std::slice::from_ref(&created.record.id))
        .await?;
    assert_eq!(still[0].status, ChangeStatus::Pending, "nothing decided");
    h.fake.state().fail_resolve = false;
    let done = h
        .store
        .decide(&h.fixture.operator, &created.record.id, approve.clone())
        .await?;
    assert_eq!(done.status, ChangeStatus::Completed);
    assert_eq!(
        h.fake.state().resolves,
        vec![(
            created.record.case_id.clone(),
            "Ring-to change request COMPLETED: provisioned".to_string(),
            h.fixture.operator.name.clone(),
        )]
    );
    let twice = h
        .store
        .decide(&h.fixture.operator, &created.record.id, approve)
        .await;
    assert!(matches!(twice, Err(Error::Conflict(_))), "{twice:?}");
    assert_eq!(
        h.fake.state().resolves.len(),
        1,
        "a conflict resolves nothing"
    );
    Ok(())
}

async fn a_refused_submit_resolves_its_case(h: Harness) -> Result<()> {
    let n = &h.changeable().await?[2];
    // While the case is being opened, another submit takes the number.
    h.fake.state().interloper = Some(Interloper {
        store: h.plain.clone(),
        scope: h.scope(),
        actor: h.fixture.actor.clone(),
        request: h.request(n, 3, None),
    });
    let refused = h
        .store
        .submit(&h.scope(), &h.fixture.actor, h.request(n, 4, Some("k-2")))
        .await;
    assert!(
        matches!(&refused, Err(Error::InvalidInput { message, .. }) if message.contains("CHANGE_PENDING")),
        "{refused:?}"
    );
    let case_id = {
        let state = h.fake.state();
        assert_eq!(state.cases.len(), 1);
        let id = state.cases[0].case.id.clone();
        assert_eq!(
            state.resolves,
            vec![(
                id.clone(),
                NOT_SUBMITTED_NOTE.to_string(),
                h.fixture.actor.name.clone()
            )]
        );
        id
    };
    let requests = h
        .store
        .list_change_requests(&h.scope(), &h.fixture.home, &PageRequest::first(10))
        .await?
        .into_items();
    assert_eq!(requests.len(), 1, "only the interloper's request");
    assert_ne!(requests[0].case_id, case_id);
    // The number is free again; the spent key does not reopen the resolved case.
    h.plain
        .decide(
            &h.fixture.operator,
            &requests[0].id,
            Decision {
                approve: false,
                reason: None,
            },
        )
        .await?;
    let retry = h
        .store
        .submit(&h.scope(), &h.fixture.actor, h.request(n, 4, Some("k-2")))
        .await;
    assert!(matches!(retry, Err(Error::Conflict(_))), "{retry:?}");
    let fresh = h
        .store
        .submit(&h.scope(), &h.fixture.actor, h.request(n, 4, Some("k-3")))
        .await?;
    assert_eq!(fresh.record.status, ChangeStatus::Pending);
    assert_eq!(h.fake.state().cases.len(), 2);
    Ok(())
}

async fn nothing_is_written_when_the_case_cannot_be_opened(h: Harness) -> Result<()> {
    let all = h.changeable().await?;
    let bad = NewChangeRequest {
        changes: vec![RingToChange {
            number: all[3].number.clone(),
            ring_to: "8005550100".into(),
        }],
        ..h.request(&all[3], 0, None)
    };
    let invalid = h.store.submit(&h.scope(), &h.fixture.actor, bad).await;
    assert!(
        matches!(invalid, Err(Error::InvalidInput { .. })),
        "{invalid:?}"
    );
    assert_eq!(h.fake.state().opens, 0, "an invalid batch opens no case");
    h.fake.state().fail_open = true;
    let down = h
        .store
        .submit(
            &h.scope(),
            &h.fixture.actor,
            h.request(&all[3], 5, Some("k-4")),
        )
        .await;
    assert!(matches!(down, Err(Error::Unavailable { .. })), "{down:?}");
    assert_eq!(h.changeable().await?, all, "no number is pending");
    let requests = h
        .store
        .list_change_requests(&h.scope(), &h.fixture.home, &PageRequest::first(10))
        .await?;
    assert!(requests.items.is_empty());
    Ok(())
}

async fn requests_made_before_keep_their_database_case(h: Harness) -> Result<()> {
    let n = &h.changeable().await?[4];
    let before = h
        .plain
        .submit(&h.scope(), &h.fixture.actor, h.request(n, 6, None))
        .await?;
    let case = h
        .plain
        .cases_by_ids(&h.scope(), std::slice::from_ref(&before.record.case_id))
        .await?;
    assert_eq!(case.len(), 1, "a database case");
    h.store
        .decide(
            &h.fixture.operator,
            &before.record.id,
            Decision {
                approve: false,
                reason: Some("ported".into()),
            },
        )
        .await?;
    assert!(
        h.fake.state().resolves.is_empty(),
        "nothing to resolve upstream"
    );
    let case = h
        .plain
        .cases_by_ids(&h.scope(), std::slice::from_ref(&before.record.case_id))
        .await?;
    assert_eq!(case[0].state, CaseState::Resolved);
    Ok(())
}

/// One test per backend: the behaviours above, and the conformance suite
/// with external cases.
macro_rules! external_cases {
    (own: [$($own:ident),*], conformance: [$($behaviour:ident),*]) => {
        external_cases!(@backend sqlite, [$($own),*], [$($behaviour),*]);
        external_cases!(@backend postgres, [$($own),*], [$($behaviour),*]);
    };
    (@backend $backend:ident, [$($own:ident),*], [$($behaviour:ident),*]) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $own() -> Result<()> {
                    match Harness::on(stringify!($backend)).await? {
                        Some(h) => super::$own(h).await,
                        None => Ok(()),
                    }
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $behaviour() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        let before = h.local_cases().await?;
                        tollfree::$behaviour(&h.store, &h.fixture).await;
                        assert_eq!(h.local_cases().await?, before, "no case in the database");
                    }
                    Ok(())
                }
            )*
        }
    };
}

external_cases!(
    own: [
        a_keyed_submit_opens_one_external_case,
        a_decision_resolves_the_external_case_first,
        a_refused_submit_resolves_its_case,
        nothing_is_written_when_the_case_cannot_be_opened,
        requests_made_before_keep_their_database_case
    ],
    conformance: [
        scoping_hides_other_accounts,
        numbers_are_ordered_filtered_and_paged,
        submit_is_all_or_nothing,
        submit_then_complete_applies_the_changes,
        rejecting_changes_nothing,
        retried_submits_are_idempotent
    ]
);
