//! The identity behaviours of the conformance suite on SQLite and
//! PostgreSQL, each on a freshly seeded database.
//!
//! Settings read: those of [`switchboard_sql::testing`].

use switchboard_conformance::identity::RecoveryHooks;
use switchboard_conformance::{IdentityFixture, identity};
use switchboard_core::Result;
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_core::identity::UserStatus;
use switchboard_sql::SqlStore;
use switchboard_sql::identity::{DEMO_PASSWORD, testing};
use switchboard_sql::testing::{TestDb, actor};

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

impl Harness {
    /// `None` when the backend is PostgreSQL and none answers.
    async fn on(backend: &str) -> Result<Option<Self>> {
        let Some(db) = TestDb::named(backend).await else {
            return Ok(None);
        };
        let store = db.seeded(3, 20, 7, (2026, 1, 1)).await?;
        let [(home, _), (other, _)] = DEMO_ACCOUNTS;
        let fixture = IdentityFixture {
            home: home.into(),
            other: other.into(),
            user_id: actor(&store, USER).await?.user_id,
            login: USER.into(),
            password: DEMO_PASSWORD.into(),
            other_user_id: actor(&store, OTHER_USER).await?.user_id,
        };
        Ok(Some(Self {
            store,
            fixture,
            _db: db,
        }))
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
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        identity::$behaviour(&h.store, &h.fixture).await;
                    }
                    Ok(())
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $hooked() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
                        identity::$hooked(&h.store, &h.fixture, &h).await;
                    }
                    Ok(())
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $requests() -> Result<()> {
                    if let Some(h) = Harness::on(stringify!($backend)).await? {
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
        principals_by_id_and_email,
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
