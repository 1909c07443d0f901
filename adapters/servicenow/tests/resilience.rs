//! Resilience and efficiency against the fake's injected faults: retries,
//! timeouts, the circuit breaker, lost answers to creates, token expiry,
//! and the number of upstream requests a page costs.

use std::sync::Arc;
use std::time::{Duration, Instant};
use switchboard_core::cases::prelude::*;

use reqwest::Method;
use switchboard_core::cases::{CaseFilter, CaseOrder, NewCase, Priority};
use switchboard_core::ledger::InMemoryLedger;
use switchboard_core::{AccountStore, Actor, Error, PageRequest, Result, Scope};
use switchboard_fakes::faults::{Fault, Rule};
use switchboard_fakes::servicenow::{Dataset, FakeOptions, FakeServiceNow, OAuthClient};
use switchboard_servicenow::{Auth, Grant, ServiceNow, Settings};
use switchboard_sql::testing::TestDb;

const HOME: &str = "1234567890";

fn basic() -> Auth {
    Auth::Basic {
        username: "switchboard.integration".into(),
        password: "fake-password".into(),
    }
}

async fn fake(options: FakeOptions) -> Result<FakeServiceNow> {
    let (_db, source) = TestDb::demo_source(2, 60, 20_261_121, (2026, 1, 1)).await?;
    let dataset = Dataset::demo(&source, 2).await?;
    FakeServiceNow::start(dataset, options)
        .await
        .map_err(|_| Error::unavailable("fake"))
}

/// Fast settings: short backoff, small timeout.
fn settings(fake: &FakeServiceNow, auth: Auth) -> Settings {
    let mut s = Settings::new(fake.url(), auth);
    s.backoff_ms = 5;
    s.timeout_ms = 2_000;
    s
}

async fn connect(settings: Settings) -> Result<ServiceNow> {
    ServiceNow::connect(settings, Arc::new(InMemoryLedger::new())).await
}

fn home() -> Scope {
    Scope::new([HOME.to_string()])
}

async fn first_page(store: &ServiceNow) -> Result<usize> {
    let page = store
        .list_cases(
            &home(),
            &CaseFilter::default(),
            CaseOrder::default(),
            &PageRequest::first(5),
        )
        .await?;
    Ok(page.items.len())
}

fn actor() -> Actor {
    Actor {
        user_id: "pat.primary@harborfreight.example".into(),
        email: "pat.primary@harborfreight.example".into(),
        name: "Pat Primary".into(),
    }
}

async fn new_case(store: &ServiceNow) -> Result<NewCase> {
    let catalog = store.catalog().await?;
    let (t, s) = catalog
        .case_types
        .iter()
        .filter(|t| t.customer_creatable)
        .flat_map(|t| t.support_case_types.iter().map(move |s| (t, s)))
        .find(|(_, s)| !s.categories.is_empty())
        .ok_or(Error::Internal)?;
    Ok(NewCase {
        account_id: HOME.into(),
        case_type: t.code.clone(),
        support_case_type: Some(s.code.clone()),
        category: s.categories[0].code.clone(),
        description: "Resilience test case.".into(),
        priority: Some(Priority::High),
        location_not_listed: true,
        product_not_listed: true,
        ..NewCase::default()
    })
}

fn get_rule(fault: Fault) -> Rule {
    Rule::new(fault)
        .method(Method::GET)
        .path_prefix("/api/now/table/sn_customerservice_case")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_5xx_burst_shorter_than_the_budget_recovers() -> Result<()> {
    let fake = fake(FakeOptions::default()).await?;
    let store = connect(settings(&fake, basic())).await?;
    fake.faults().inject(get_rule(Fault::Status(503)).times(2));
    assert_eq!(first_page(&store).await?, 5);
    assert_eq!(fake.faults().pending(), 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_5xx_burst_longer_than_the_budget_is_unavailable() -> Result<()> {
    let fake = fake(FakeOptions::default()).await?;
    let store = connect(settings(&fake, basic())).await?;
    fake.faults().inject(get_rule(Fault::Status(500)).times(4));
    let result = first_page(&store).await;
    assert!(
        matches!(result, Err(Error::Unavailable { ref backend }) if backend == "servicenow"),
        "{result:?}"
    );
    assert_eq!(first_page(&store).await?, 5, "recovers once the burst ends");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured() -> Result<()> {
    let fake = fake(FakeOptions::default()).await?;
    let store = connect(settings(&fake, basic())).await?;
    fake.faults().inject(get_rule(Fault::RateLimited {
        retry_after: Duration::from_secs(1),
    }));
    let started = Instant::now();
    assert_eq!(first_page(&store).await?, 5);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the retry did not wait for Retry-After"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stall_times_out_as_unavailable() -> Result<()> {
    let fake = fake(FakeOptions::default()).await?;
    let mut s = settings(&fake, basic());
    s.timeout_ms = 200;
    s.retries = 1;
    let store = connect(s).await?;
    fake.faults()
        .inject(get_rule(Fault::Stall(Duration::from_secs(3))).times(2));
    let result = first_page(&store).await;
    assert!(
        matches!(result, Err(Error::Unavailable { .. })),
        "{result:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_on_a_get_recovers() -> Result<()> {
    let fake = fake(FakeOptions::default()).await?;
    let store = connect(settings(&fake, basic())).await?;
    fake.faults().inject(get_rule(Fault::Reset));
    assert_eq!(first_page(&store).await?, 5);
    Ok(())
}

/// The create POST is handled but its answer lost: the adapter finds the
/// case by correlation id, so exactly one case exists and the call returns it.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_create_answer_makes_exactly_one_case() -> Result<()> {
    for fault in [Fault::Reset, Fault::Status(502)] {
        let fake = fake(FakeOptions::default()).await?;
        let store = connect(settings(&fake, basic())).await?;
        let new = new_case(&store).await?;
        let before = store.count_cases(&home(), &CaseFilter::default()).await?;
        fake.faults().inject(
            Rule::new(fault)
                .method(Method::POST)
                .path_prefix("/api/now/table/sn_customerservice_case")
                .after_handler(),
        );
        let created = store.create_case(&home(), &actor(), new).await?;
        assert_eq!(fake.faults().pending(), 0, "the fault was not applied");
        let after = store.count_cases(&home(), &CaseFilter::default()).await?;
        assert_eq!(after, before + 1, "exactly one case is made");
        let found = store
            .case_by_number(&home(), &created.record.number)
            .await?;
        assert_eq!(found, created.record);
        assert_eq!(found.opened_by, "Pat Primary");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_breaker_opens_and_recovers() -> Result<()> {
    let fake = fake(FakeOptions::default()).await?;
    let mut s = settings(&fake, basic());
    s.retries = 0;
    s.breaker_failures = 2;
    s.breaker_cooldown_ms = 300;
    let store = connect(s).await?;
    fake.faults().inject(get_rule(Fault::Status(500)).times(2));
    for _ in 0..2 {
        assert!(first_page(&store).await.is_err());
    }
    let sent = store.upstream_requests();
    let result = first_page(&store).await;
    assert!(
        matches!(result, Err(Error::Unavailable { .. })),
        "{result:?}"
    );
    assert_eq!(
        store.upstream_requests(),
        sent,
        "an open breaker still called the instance"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        first_page(&store).await?,
        5,
        "the half-open probe closes it"
    );
    assert_eq!(first_page(&store).await?, 5);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_refreshed_when_they_expire() -> Result<()> {
    for grant in [Grant::Password, Grant::ClientCredentials] {
        let options = FakeOptions {
            oauth: Some(OAuthClient {
                token_ttl: Duration::from_secs(2),
                ..OAuthClient::new("portal", "portal-secret")
            }),
            ..FakeOptions::default()
        };
        let fake = fake(options).await?;
        let auth = Auth::Oauth {
            grant,
            client_id: "portal".into(),
            client_secret: "portal-secret".into(),
            username: Some("switchboard.integration".into()),
            password: Some("fake-password".into()),
        };
        let store = connect(settings(&fake, auth)).await?;
        assert_eq!(first_page(&store).await?, 5);
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        assert_eq!(first_page(&store).await?, 5, "after the token expired");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_are_unavailable_without_secrets() -> Result<()> {
    let fake = fake(FakeOptions::default()).await?;
    let auth = Auth::Basic {
        username: "switchboard.integration".into(),
        password: "wrong-password".into(),
    };
    let result = connect(settings(&fake, auth)).await;
    match result {
        Err(error @ Error::Unavailable { .. }) => {
            assert!(!error.to_string().contains("wrong-password"));
        }
        Err(other) => panic!("expected Unavailable, got {other:?}"),
        Ok(_) => panic!("connected with a wrong password"),
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn unmappable_states_fail_connect_loudly() -> Result<()> {
    let fake = fake(FakeOptions::default()).await?;
    let mut s = settings(&fake, basic());
    s.states.insert("CANCELED".into(), "99".into());
    match connect(s).await {
        Err(Error::InvalidInput { message, .. }) => assert!(message.contains("99"), "{message}"),
        Err(other) => panic!("expected a clear configuration error, got {other:?}"),
        Ok(_) => panic!("connected with an unmappable state"),
    }
    Ok(())
}

/// A page of 50 cases, then the accounts, locations and contacts it names:
/// at most 3 upstream requests, cold or warm.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_and_its_references_cost_three_requests() -> Result<()> {
    let fake = fake(FakeOptions::default()).await?;
    let store = connect(settings(&fake, basic())).await?;
    let scope = Scope::new(["1234567890".to_string(), "2345678901".to_string()]);
    for round in ["cold", "warm"] {
        let before = store.upstream_requests();
        let page = store
            .list_cases(
                &scope,
                &CaseFilter::default(),
                CaseOrder::default(),
                &PageRequest::first(50),
            )
            .await?;
        let cases = page.into_items();
        assert_eq!(cases.len(), 50);
        let accounts: Vec<String> = cases.iter().map(|c| c.account_id.clone()).collect();
        let locations: Vec<String> = cases.iter().filter_map(|c| c.location_id.clone()).collect();
        let contacts: Vec<String> = cases.iter().filter_map(|c| c.contact_id.clone()).collect();
        let (a, l, c) = futures::join!(
            store.accounts_by_ids(&scope, &accounts),
            store.locations_by_ids(&scope, &locations),
            store.contacts_by_ids(&scope, &contacts)
        );
        assert!(!a?.is_empty() && !l?.is_empty() && !c?.is_empty());
        let spent = store.upstream_requests() - before;
        assert!(spent <= 3, "{round}: {spent} upstream requests");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_created_case_names_its_portal_opener_to_agents_only() -> Result<()> {
    let fake = fake(FakeOptions::default()).await?;
    let store = connect(settings(&fake, basic())).await?;
    let scope = Scope::new([HOME.to_string()]);
    let case = store
        .create_case(&scope, &actor(), new_case(&store).await?)
        .await?
        .record;
    let notes: Vec<String> = fake
        .records("sys_journal_field")
        .iter()
        .filter(|r| r["element_id"] == case.id.as_str() && r["element"] == "work_notes")
        .map(|r| r["value"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        notes,
        ["Opened in the customer portal by Pat Primary <pat.primary@harborfreight.example>."],
        "agents are told who opened the case"
    );
    let activity = store
        .activity(&scope, &case.id, &PageRequest::first(50))
        .await?
        .into_items();
    assert!(
        activity
            .iter()
            .all(|a| !a.body.contains("customer portal by")),
        "the agents' note reached the portal: {activity:?}"
    );
    Ok(())
}
