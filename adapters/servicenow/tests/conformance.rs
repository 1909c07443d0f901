//! The conformance suite on ServiceNow: every behaviour the SQL adapter
//! passes runs against the adapter over the ServiceNow fake, each on a fresh
//! demo dataset.

use std::sync::Arc;

use switchboard_conformance::{Fixture, IdOrder, accounts, cases, publishing};
use switchboard_core::demo::{DEMO_ACCOUNTS, DEMO_USERS};
use switchboard_core::ledger::InMemoryLedger;
use switchboard_core::{Actor, Error, Result, Role};
use switchboard_fakes::servicenow::{Dataset, FakeOptions, FakeServiceNow};
use switchboard_servicenow::{Auth, ServiceNow, Settings};
use switchboard_sql::testing::TestDb;

/// The adapter over a fresh fake, and the fixture over it. The adapter is
/// dropped before the fake.
struct Harness {
    store: Arc<ServiceNow>,
    fixture: Fixture,
    _fake: FakeServiceNow,
}

/// The demo user with primary authority on `account_id`, as an actor.
fn primary_of(account_id: &str) -> Result<Actor> {
    let demo = DEMO_USERS
        .iter()
        .find(|u| {
            u.entitlements
                .contains(&(account_id, Role::PrimaryAuthority))
        })
        .ok_or_else(|| Error::not_found(format!("a primary authority of {account_id}")))?;
    Ok(Actor {
        user_id: demo.email.to_string(),
        email: demo.email.to_string(),
        name: demo.name.to_string(),
    })
}

impl Harness {
    async fn new() -> Result<Self> {
        let (_db, source) = TestDb::demo_source(2, 150, 20_261_121, (2026, 1, 1)).await?;
        let dataset = Dataset::demo(&source, 2).await?;
        let fake = FakeServiceNow::start(dataset, FakeOptions::default())
            .await
            .map_err(|_| Error::unavailable("fake"))?;
        let settings = Settings::new(
            fake.url(),
            Auth::Basic {
                username: "switchboard.integration".into(),
                password: "fake-password".into(),
            },
        );
        let store = ServiceNow::connect(settings, Arc::new(InMemoryLedger::new())).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        let fixture = Fixture::discover(
            &store,
            (home, primary_of(home)?),
            (other, primary_of(other)?),
            IdOrder::Text,
        )
        .await?;
        Ok(Self {
            store: Arc::new(store),
            fixture,
            _fake: fake,
        })
    }
}

macro_rules! conformance {
    (cases: [$($case:ident),* $(,)?], publishing: [$($publishing:ident),* $(,)?], accounts: [$($accounts:ident),* $(,)?] $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $case() -> Result<()> {
                let h = Harness::new().await?;
                cases::$case(h.store.as_ref(), &h.fixture).await;
                Ok(())
            }
        )*
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $publishing() -> Result<()> {
                let h = Harness::new().await?;
                publishing::$publishing(h.store.clone(), &h.fixture).await;
                Ok(())
            }
        )*
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $accounts() -> Result<()> {
                let h = Harness::new().await?;
                accounts::$accounts(h.store.as_ref(), &h.fixture).await;
                Ok(())
            }
        )*
    };
}

conformance! {
    cases: [
        scoping_hides_other_accounts,
        scoping_unknown_and_empty,
        ordering_by_every_field,
        pagination_edges,
        pagination_survives_inserts,
        filters_match_a_full_walk,
        text_search,
        count_agrees_with_walk,
        counts_follow_writes,
        list_and_count_agree,
        create_validates_and_stores,
        idempotent_create,
        create_with_files_is_retry_safe,
        idempotent_comment,
        idempotent_attachment,
        concurrent_keyed_writes,
        comments,
        latest_activity,
        recent_updates,
        watch_list,
        cancel_from_active_states_only,
        concurrent_cancels_cancel_once,
        canceled_cases_refuse_writes,
        attachments_round_trip,
        attachment_file_names,
    ],
    publishing: [one_event_per_write],
    accounts: [
        account_lists_are_scoped,
        batch_look_ups_agree_with_lists,
        products_filter_by_location,
    ],
}
