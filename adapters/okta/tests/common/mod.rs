//! The adapter over a fake Okta org, with a seeded SQLite store as the
//! account store and the local identity (the account team).
// Shared by several test files; each uses a part.
#![allow(dead_code)]

use std::sync::Arc;

use switchboard_core::Result;
use switchboard_fakes::okta::{FakeOkta, OktaDirectory};
use switchboard_okta::{Okta, Settings};
use switchboard_sql::SqlStore;
use switchboard_sql::testing::TestDb;

/// The API token the fakes accept.
pub const TOKEN: &str = "00aTestTokenThatMustNeverLeak-x9";

/// The demo user with several factors, and another with some.
pub const USER: &str = "pat.primary@harborfreight.example";
pub const OTHER_USER: &str = "dana.primary@disneysprings.example";

/// A fake org, the adapter over it, and the store behind it (dropped last).
pub struct Harness {
    pub fake: FakeOkta,
    pub okta: Okta,
    pub store: SqlStore,
    _db: TestDb,
}

impl Harness {
    /// The Okta id of the user with `login`.
    pub fn id(&self, login: &str) -> String {
        self.fake.user_id(login).expect("a demo user")
    }

    /// Another adapter over the same fake and store, with other settings.
    pub fn adapter(&self, tweak: impl FnOnce(&mut Settings)) -> Result<Okta> {
        let mut settings = settings(&self.fake);
        tweak(&mut settings);
        Okta::new(
            settings,
            Arc::new(self.store.clone()),
            Arc::new(self.store.clone()),
        )
    }
}

/// Fast settings for tests over `fake`.
pub fn settings(fake: &FakeOkta) -> Settings {
    let mut s = Settings::new(fake.url(), TOKEN);
    s.timeout_ms = 5_000;
    s.backoff_ms = 10;
    s.max_wait_ms = 3_000;
    s
}

/// The adapter over a fake serving `directory`, with `tweak`ed settings.
pub async fn harness_with(
    directory: OktaDirectory,
    tweak: impl FnOnce(&mut Settings),
) -> Result<Harness> {
    let db = TestDb::sqlite();
    let store = db.seeded(3, 20, 7, (2026, 1, 1)).await?;
    let fake = FakeOkta::start(directory, TOKEN)
        .await
        .expect("the fake starts");
    let mut s = settings(&fake);
    tweak(&mut s);
    let okta = Okta::new(s, Arc::new(store.clone()), Arc::new(store.clone()))?;
    Ok(Harness {
        fake,
        okta,
        store,
        _db: db,
    })
}

/// The adapter over the demo org with default (fast) settings.
pub async fn harness() -> Result<Harness> {
    harness_with(OktaDirectory::demo(), |_| {}).await
}
