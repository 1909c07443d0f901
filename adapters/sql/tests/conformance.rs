//! The conformance suite on SQLite and PostgreSQL: every behaviour runs on a
//! fresh, seeded database of each backend.
//!
//! Settings read: those of [`switchboard_sql::testing`] (where PostgreSQL
//! is, and whether its absence fails or skips the PostgreSQL half).

use std::sync::Arc;

use switchboard_conformance::{Fixture, IdOrder, accounts, audit, cases, publishing};
use switchboard_core::demo::{DEMO_ACCOUNTS, DEMO_USERS};
use switchboard_core::publishing::Publishing;
use switchboard_core::{Actor, Error, InProcessBus, Result, Role};
use switchboard_sql::SqlStore;
use switchboard_sql::testing::{TestDb, actor};

/// A seeded store and the fixture over it. The store is dropped before the
/// database it uses.
struct Harness {
    store: Arc<SqlStore>,
    fixture: Fixture,
    _db: TestDb,
}

impl Harness {
    /// `None` when the backend is PostgreSQL and none answers.
    async fn on(backend: &str) -> Result<Option<Self>> {
        let Some(db) = TestDb::named(backend).await else {
            return Ok(None);
        };
        let store = db.seeded(2, 150, 20_261_121, (2026, 1, 1)).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        let fixture = Fixture::discover(
            &store,
            (home, primary_of(&store, home).await?),
            (other, primary_of(&store, other).await?),
            IdOrder::Numeric,
        )
        .await?;
        Ok(Some(Self {
            store: Arc::new(store),
            fixture,
            _db: db,
        }))
    }
}

/// The demo user with primary authority on `account_id`, as an actor.
async fn primary_of(store: &SqlStore, account_id: &str) -> Result<Actor> {
    let demo = DEMO_USERS
        .iter()
        .find(|u| {
            u.entitlements
                .contains(&(account_id, Role::PrimaryAuthority))
        })
        .ok_or_else(|| Error::not_found(format!("a primary authority of {account_id}")))?;
    actor(store, demo.email).await
}

/// One test per backend and behaviour, each on a database of its own.
macro_rules! conformance {
    (
        cases: [$($case:ident),* $(,)?],
        publishing: [$($publishing:ident),* $(,)?],
        accounts: [$($accounts:ident),* $(,)?],
        audit: [$($audit:ident),* $(,)?] $(,)?
    ) => {
        conformance!(@backend sqlite, [$($case),*], [$($publishing),*], [$($accounts),*], [$($audit),*]);
        conformance!(@backend postgres, [$($case),*], [$($publishing),*], [$($accounts),*], [$($audit),*]);
    };
    (@backend $backend:ident, [$($case:ident),*], [$($publishing:ident),*], [$($accounts:ident),*], [$($audit:ident),*]) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $case() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        cases::$case(h.store.as_ref(), &h.fixture).await;
                    }
                    Ok(())
                }
            )*
            /// The case behaviours behind the publishing decorator, as the
            /// gateway serves the store.
            mod published {
                use super::*;
                $(
                    #[tokio::test(flavor = "multi_thread")]
                    async fn $case() -> Result<()> {
                        if let Some(h) = Harness::on(stringify!($backend)).await? {
                            let bus = Arc::new(InProcessBus::new(1024));
                            let store = Publishing::new(h.store.clone(), bus);
                            cases::$case(&store, &h.fixture).await;
                        }
                        Ok(())
                    }
                )*
            }
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $publishing() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        publishing::$publishing(h.store.clone(), &h.fixture).await;
                    }
                    Ok(())
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $accounts() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        accounts::$accounts(h.store.as_ref(), &h.fixture).await;
                    }
                    Ok(())
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $audit() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        audit::$audit(h.store.as_ref()).await;
                    }
                    Ok(())
                }
            )*
        }
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
    audit: [
        entries_come_back_whole_newest_first,
        concurrent_entries_are_all_kept,
        an_entry_recorded_again_is_stored_once,
    ],
}
