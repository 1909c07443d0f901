//! A real gateway on an ephemeral port, over a fresh SQLite file or a fresh
//! PostgreSQL schema, with a small demo dataset; and clients for it.

#![allow(dead_code)]

pub mod clients;
pub mod oidc;

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use switchboard::App;
use switchboard::config::{CasesBackend, Config, DirectoryBackend};
use switchboard_fakes::okta::{FakeOkta, OktaDirectory};
use switchboard_fakes::servicenow::{Dataset, FakeOptions, FakeServiceNow};
use switchboard_sql::testing::TestDb;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Which backends a gateway runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// Cases and accounts in ServiceNow (its fake); the rest on SQLite.
    ServiceNow,
    /// Cases in ServiceNow, users and identity in Okta (their fakes); the
    /// rest on SQLite.
    Mixed,
}

/// The password of the fake ServiceNow's integration user.
pub const SERVICENOW_USER: (&str, &str) = ("switchboard.integration", "fake-password");
/// The fake Okta org's API token.
const OKTA_TOKEN: &str = "00fake-okta-api-token";

/// Demo users (see the README).
pub const PRIMARY_A: &str = "pat.primary@harborfreight.example";
pub const OPERATOR: &str = "olive.operator@switchboard.example";
pub const STANDARD_A: &str = "sam.standard@harborfreight.example";
pub const PRIMARY_B: &str = "dana.primary@disneysprings.example";
pub const ACCOUNT_A: &str = "1234567890";
pub const ACCOUNT_B: &str = "2345678901";

/// A running gateway.
pub struct Gateway {
    pub base: String,
    pub addr: SocketAddr,
    pub app_state: switchboard::server::AppState,
    pub store: switchboard_sql::SqlStore,
    pub http: reqwest::Client,
    /// The fake ServiceNow instance, when cases live there.
    pub servicenow: Option<FakeServiceNow>,
    /// The fake Okta org, when users live there.
    pub okta: Option<FakeOkta>,
    stop: Option<oneshot::Sender<()>>,
    _db: TestDb,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The seed of the demo data in the database and in the fake ServiceNow.
pub const FAKE_SEED: u64 = 20_261_121;

/// Starts a gateway, or `None` when PostgreSQL is wanted but absent (and not required).
pub async fn start(backend: Backend) -> Option<Gateway> {
    start_with(backend, |_| {}).await
}

/// Starts a gateway after `tweak` adjusts its configuration.
pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<Gateway> {
    let db = match backend {
        Backend::Postgres => TestDb::postgres().await?,
        _ => TestDb::sqlite(),
    };
    let servicenow = match backend {
        Backend::ServiceNow | Backend::Mixed => {
            let (_source_db, source) = TestDb::demo_source(3, 240, FAKE_SEED, (2026, 1, 1))
                .await
                .expect("the demo source");
            let dataset = Dataset::demo(&source, 3)
                .await
                .expect("the ServiceNow demo dataset");
            Some(
                FakeServiceNow::start(dataset, FakeOptions::default())
                    .await
                    .expect("the fake ServiceNow starts"),
            )
        }
        _ => None,
    };
    let okta = match backend {
        Backend::Mixed => Some(
            FakeOkta::start(OktaDirectory::demo(), OKTA_TOKEN)
                .await
                .expect("the fake Okta starts"),
        ),
        _ => None,
    };
    let dir = std::env::temp_dir().join(format!(
        "switchboard-e2e-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config {
        data_dir: dir.clone(),
        ..Config::default()
    };
    config.server.listen = addr;
    config.database.url = Some(db.url.clone());
    config.database.demo_data = Some(true);
    config.database.demo_cases = 240;
    config.database.demo_accounts = 3;
    config.database.pool_size = 4;
    if let Some(fake) = &servicenow {
        // The same dataset as the fake's (built from this seed), so the
        // database's inventory names the fake's locations and products.
        config.database.demo_seed = FAKE_SEED;
        config.cases.backend = CasesBackend::Servicenow;
        config.cases.servicenow = Some(object(json!({
            "instance_url": fake.url(),
            "auth": {
                "method": "basic",
                "username": SERVICENOW_USER.0,
                "password": SERVICENOW_USER.1,
            },
            "poll_secs": 0,
        })));
    }
    if let Some(fake) = &okta {
        config.directory.backend = DirectoryBackend::Okta;
        config.directory.okta = Some(object(json!({
            "org_url": fake.url(),
            "auth": { "method": "api_token", "token": OKTA_TOKEN },
            "entitlements": {
                "source": "groups",
                "pattern": "acct-{account}-{role}",
                "operator_group": "switchboard-operators",
            },
        })));
    }
    tweak(&mut config);
    let app = App::build(config).await.expect("the gateway builds");
    let app_state = app.state.clone();
    let store = app.store.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    Some(Gateway {
        base: format!("http://{addr}"),
        addr,
        app_state,
        store,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        servicenow,
        okta,
        stop: Some(stop),
        _db: db,
        _dir: TempDir(dir),
    })
}

/// A JSON object's map (adapter settings tables are maps).
fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) * 1_000_000
        + u64::from(std::process::id() % 1000)
        + chrono_nanos()
}

fn chrono_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0)
}

impl Gateway {
    /// A bearer token for a demo user.
    pub async fn token(&self, email: &str) -> String {
        let principal = self
            .app_state
            .callers
            .directory()
            .principal_by_email(email)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no demo user {email}"));
        self.app_state.issuer.mint(&principal.user, 600).unwrap()
    }

    /// The first NEW or OPEN case of the caller's accounts: (id, number).
    pub async fn open_case(&self, token: &str) -> (String, String) {
        let list = self
            .data(
                token,
                "{ cases(filter: { states: [NEW, OPEN] }, first: 1) { nodes { id number } } }",
                json!({}),
            )
            .await;
        let case = &list["cases"]["nodes"][0];
        let text = |v: &Value| v.as_str().expect("an open case").to_string();
        (text(&case["id"]), text(&case["number"]))
    }

    /// POSTs a GraphQL request; returns the status and the JSON body.
    pub async fn post(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs and expects data without errors.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(token, query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// POSTs and returns the first error's code.
    pub async fn error_code(&self, token: &str, query: &str, variables: Value) -> String {
        let (_, body) = self.post(token, query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error: {body}"))
            .to_string()
    }

    /// Opens a subscription over WebSocket with `protocol`
    /// (`graphql-transport-ws` or `graphql-ws`).
    pub async fn subscribe(
        &self,
        protocol: &str,
        token: &str,
        query: &str,
        variables: Value,
    ) -> Subscription {
        let mut request = format!("ws://{}/graphql", self.addr)
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("WebSocket connects");
        let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
        socket.send(Message::text(init.to_string())).await.unwrap();
        let mut sub = Subscription {
            socket,
            legacy: protocol == "graphql-ws",
        };
        let ack = sub
            .next_message()
            .await
            .expect("a reply to connection_init");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        let start = if sub.legacy { "start" } else { "subscribe" };
        let message = json!({ "id": "1", "type": start, "payload": { "query": query, "variables": variables } });
        sub.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
        sub
    }
}

/// An open subscription.
pub struct Subscription {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    legacy: bool,
}

impl Subscription {
    /// The next protocol message (keep-alives skipped), or `None` after 10 s or a close.
    pub async fn next_message(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .ok()??
                .ok()?;
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).ok()?;
                    if value["type"] == "ka" || value["type"] == "ping" || value["type"] == "pong" {
                        continue;
                    }
                    return Some(value);
                }
                Message::Close(frame) => {
                    return Some(json!({
                        "type": "closed",
                        "code": frame.as_ref().map(|f| u16::from(f.code)),
                        "reason": frame.map(|f| f.reason.to_string()),
                    }));
                }
                _ => continue,
            }
        }
    }

    /// The next event's payload data.
    pub async fn next_event(&mut self) -> Value {
        let message = self.next_message().await.expect("an event within 10 s");
        let expected = if self.legacy { "data" } else { "next" };
        assert_eq!(message["type"], expected, "{message}");
        message["payload"].clone()
    }
}

/// Runs the test body on SQLite and, when one answers, PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(gw) = $crate::common::start($crate::common::Backend::Sqlite).await {
                        super::$name(gw).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(gw) = $crate::common::start($crate::common::Backend::Postgres).await {
                        super::$name(gw).await;
                    }
                }
            )*
        }
    };
}

/// Like `on_both_backends!`, plus a module running every test with its
/// cases in ServiceNow (the fake), unchanged: the same GraphQL operations
/// must pass whatever serves the cases.
#[macro_export]
macro_rules! on_every_case_backend {
    ($($name:ident),* $(,)?) => {
        $crate::on_both_backends!($($name),*);
        mod servicenow {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let gw = $crate::common::start($crate::common::Backend::ServiceNow)
                        .await
                        .expect("a gateway on the fake ServiceNow");
                    super::$name(gw).await;
                }
            )*
        }
    };
}

/// The [`Backend`] a test module's name stands for: `sqlite`, `postgres`,
/// `servicenow`, or `okta` (users and identity in the fake Okta, cases in
/// the fake ServiceNow, the rest on SQLite: [`Backend::Mixed`]).
#[macro_export]
macro_rules! backend_named {
    (sqlite) => {
        $crate::common::Backend::Sqlite
    };
    (postgres) => {
        $crate::common::Backend::Postgres
    };
    (servicenow) => {
        $crate::common::Backend::ServiceNow
    };
    (okta) => {
        $crate::common::Backend::Mixed
    };
}

/// Like `on_both_backends!`, plus a module `okta` running every test with
/// its users and identity in Okta (the fake; cases in the fake ServiceNow,
/// the rest on SQLite), unchanged: the same GraphQL operations must pass
/// whatever serves the directory. Tests listed after `sql_only:` run on
/// SQLite and PostgreSQL only (say why where they are listed).
#[macro_export]
macro_rules! on_every_directory_backend {
    ($($name:ident),* $(,)? $(; sql_only: $($sql:ident),* $(,)?)?) => {
        $crate::on_both_backends!($($name,)* $($($sql),*)?);
        mod okta {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let gw = $crate::common::start($crate::common::Backend::Mixed)
                        .await
                        .expect("a gateway on the fake Okta");
                    super::$name(gw).await;
                }
            )*
        }
    };
}
