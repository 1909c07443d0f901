//! The adapter over a fake Okta org, with a seeded SQLite store as the
//! account store and the local identity (the account team).
// Shared by several test files; each uses a part.
#![allow(dead_code)]

use std::sync::Arc;

use switchboard_core::Result;
use switchboard_fakes::okta::{FakeOkta, OktaDirectory, ServiceApp as FakeApp, TestKey};
use switchboard_okta::{Auth, Okta, ServiceApp, Settings};
use switchboard_sql::SqlStore;
use switchboard_sql::testing::TestDb;

/// The API token the fakes accept.
pub const TOKEN: &str = "00aTestTokenThatMustNeverLeak-x9";

/// The service app's client id and key id.
pub const CLIENT_ID: &str = "0oaSwitchboardService";
pub const KEY_ID: &str = "switchboard-2026";

/// The scopes the adapter needs: users, their groups and factors, writes.
pub const SCOPES: [&str; 3] = ["okta.users.read", "okta.users.manage", "okta.groups.read"];

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

/// A fake org with a service app granted `granted`, holding `key`'s public
/// half; the adapter signs with `key` and asks for [`SCOPES`].
pub async fn service_app_harness_with(
    key: &TestKey,
    granted: &[&str],
    tweak: impl FnOnce(&mut Settings),
) -> Result<Harness> {
    let app = FakeApp::new(CLIENT_ID, granted)
        .with_jwk(key.public_jwk())
        .expect("a generated key registers");
    let key = key.clone();
    let h = harness_with(OktaDirectory::demo(), move |s| {
        s.auth = service_app_auth(&key);
        tweak(s)
    })
    .await?;
    h.fake.add_service_app(app);
    Ok(h)
}

/// `auth` of a service app signing with `key` and asking for [`SCOPES`].
pub fn service_app_auth(key: &TestKey) -> Auth {
    Auth::OauthServiceApp(ServiceApp::new(
        CLIENT_ID,
        key.kid(),
        key.private_pem(),
        SCOPES,
    ))
}

/// The demo org with a service app granted [`SCOPES`]; the adapter uses it.
pub async fn service_app_harness() -> Result<Harness> {
    service_app_harness_with(&TestKey::es256(KEY_ID), &SCOPES, |_| {}).await
}

/// Every log line written while a [`LogCapture`] is alive, on this thread.
pub struct LogCapture {
    lines: Arc<std::sync::Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl LogCapture {
    /// Captures every event, down to TRACE.
    pub fn start() -> Self {
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = Writer(lines.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        Self {
            lines,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        let bytes = self.lines.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[derive(Clone)]
struct Writer(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut lines) = self.0.lock() {
            lines.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
