//! The identity behaviours of the conformance suite on SQLite and
//! PostgreSQL, each on a freshly seeded database.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use chrono::NaiveDate;
use switchboard_conformance::identity::RecoveryHooks;
use switchboard_conformance::{IdentityFixture, identity};
use switchboard_core::identity::UserStatus;
use switchboard_core::{Error, Result, UserDirectory};
use switchboard_sql::SqlStore;
use switchboard_sql::identity::{DEMO_PASSWORD, testing};
use switchboard_sql::seed::{self, DEMO_ACCOUNTS, SeedOptions};
use switchboard_sql::testing::TestDb;

/// The demo user with several factors, and another with one.
const USER: &str = "pat.primary@harborfreight.example";
const OTHER_USER: &str = "dana.primary@disneysprings.example";

/// A seeded store, the fixture over it, and the database it lives in
/// (dropped after the store).
struct Harness {
    store: SqlStore,
    fixture: IdentityFixture,
    _db: TestDb,
}

async fn user_id(store: &SqlStore, email: &str) -> Result<String> {
    Ok(store
        .principal_by_email(email)
        .await?
        .ok_or_else(|| Error::not_found(email))?
        .user
        .id)
}

impl Harness {
    async fn sqlite() -> Result<Option<Self>> {
        Self::seeded(TestDb::sqlite()).await.map(Some)
    }

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
            accounts: 3,
            cases: 20,
            seed: 7,
            anchor,
        };
        seed::seed(&store, &options).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        let fixture = IdentityFixture {
            home: home.into(),
            other: other.into(),
            user_id: user_id(&store, USER).await?,
            login: USER.into(),
            password: DEMO_PASSWORD.into(),
            other_user_id: user_id(&store, OTHER_USER).await?,
        };
        Ok(Self {
            store,
            fixture,
            _db: db,
        })
    }
}

impl RecoveryHooks for Harness {
    async fn expire_links(&self) {
        testing::expire_recovery_links(&self.store)
            .await
            .expect("links expire");
    }

    async fn lock_out(&self, user_id: &str) {
        testing::set_user_status(&self.store, user_id, UserStatus::LockedOut)
            .await
            .expect("the user is locked out");
    }
}

/// One test per backend and behaviour.
macro_rules! identity_conformance {
    (
        [$($behaviour:ident),* $(,)?],
        [$($hooked:ident),* $(,)?],
        [$($requests:ident),* $(,)?] $(,)?
    ) => {
        identity_conformance!(@backend sqlite, [$($behaviour),*], [$($hooked),*], [$($requests),*]);
        identity_conformance!(@backend postgres, [$($behaviour),*], [$($hooked),*], [$($requests),*]);
    };
    (@backend $backend:ident, [$($behaviour:ident),*], [$($hooked:ident),*], [$($requests:ident),*]) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $behaviour() -> Result<()> {
                    if let Some(h) = Harness::$backend().await? {
                        identity::$behaviour(&h.store, &h.fixture).await;
                    }
                    Ok(())
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $hooked() -> Result<()> {
                    if let Some(h) = Harness::$backend().await? {
                        identity::$hooked(&h.store, &h.fixture, &h).await;
                    }
                    Ok(())
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $requests() -> Result<()> {
                    if let Some(h) = Harness::$backend().await? {
                        identity::$requests(&h.store).await;
                    }
                    Ok(())
                }
            )*
        }
    };
}

identity_conformance!(
    [
        account_users_are_scoped,
        account_team_is_scoped,
        factors_belong_to_their_user,
        password_changes,
        recovery_does_not_enumerate,
        reset_links_set_a_new_password,
        racing_redemptions_have_one_winner,
    ],
    [
        unlock_links_unlock_their_kind_only,
        expired_links_are_refused
    ],
    [access_requests_are_stored],
);
