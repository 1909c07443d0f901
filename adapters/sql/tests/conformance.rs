//! The conformance suite on SQLite and PostgreSQL: every behaviour runs on a
//! fresh, seeded database of each backend.
//!
//! Settings read: those of [`switchboard_sql::testing`] (where PostgreSQL
//! is, and whether its absence fails or skips the PostgreSQL half).

use std::sync::Arc;

use chrono::NaiveDate;
use switchboard_conformance::{Fixture, IdOrder, cases, publishing};
use switchboard_core::{Actor, Error, Result, Role, UserDirectory};
use switchboard_sql::SqlStore;
use switchboard_sql::seed::{self, DEMO_ACCOUNTS, DEMO_USERS, SeedOptions};
use switchboard_sql::testing::TestDb;

/// A seeded store and the fixture over it. The store is dropped before the
/// database it uses.
struct Harness {
    store: Arc<SqlStore>,
    fixture: Fixture,
    _db: TestDb,
}

impl Harness {
    async fn sqlite() -> Result<Option<Self>> {
        Self::seeded(TestDb::sqlite()).await.map(Some)
    }

    /// `None` when no PostgreSQL answers and none is required.
    async fn postgres() -> Result<Option<Self>> {
        match TestDb::postgres().await {
            Some(db) => Self::seeded(db).await.map(Some),
            None => Ok(None),
        }
    }

    async fn seeded(db: TestDb) -> Result<Self> {
        let store = SqlStore::new(db.migrated().await);
        let anchor = NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .ok_or(Error::Internal)?;
        let options = SeedOptions {
            accounts: 2,
            cases: 150,
            seed: 20_261_121,
            anchor,
        };
        seed::seed(&store, &options).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        let fixture = Fixture::discover(
            &store,
            (home, primary_of(&store, home).await?),
            (other, primary_of(&store, other).await?),
            IdOrder::Numeric,
        )
        .await?;
        Ok(Self {
            store: Arc::new(store),
            fixture,
            _db: db,
        })
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
    let principal = store
        .principal_by_email(demo.email)
        .await?
        .ok_or_else(|| Error::not_found(format!("user {}", demo.email)))?;
    Ok(Actor {
        user_id: principal.user.id,
        email: principal.user.email,
        name: principal.user.name,
    })
}

/// One test per backend and behaviour, each on a database of its own.
macro_rules! conformance {
    (cases: [$($case:ident),* $(,)?], publishing: [$($publishing:ident),* $(,)?] $(,)?) => {
        conformance!(@backend sqlite, [$($case),*], [$($publishing),*]);
        conformance!(@backend postgres, [$($case),*], [$($publishing),*]);
    };
    (@backend $backend:ident, [$($case:ident),*], [$($publishing:ident),*]) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $case() -> Result<()> {
                    if let Some(h) = Harness::$backend().await? {
                        cases::$case(h.store.as_ref(), &h.fixture).await;
                    }
                    Ok(())
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $publishing() -> Result<()> {
                    if let Some(h) = Harness::$backend().await? {
                        publishing::$publishing(h.store.clone(), &h.fixture).await;
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
        create_validates_and_stores,
        idempotent_create,
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
}
