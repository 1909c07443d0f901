//! GraphiQL: its files served by the gateway under a strict
//! Content-Security-Policy, the `server.graphiql` / `server.introspection`
//! modes, and operators' sign-in against a real OpenID Provider
//! (`tests/oidc/provider.mjs`, see tests/common/oidc.rs): authorization
//! code with PKCE, the session cookie, CSRF rules, logout.

mod common;

use std::time::Duration;

use common::oidc::{AUDIENCE, OidcProvider, ProviderOptions};
use futures::{SinkExt, StreamExt};
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};
use switchboard::App;
use switchboard::config::{Access, Config, Mode};
use switchboard_sql::testing::TestDb;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const OPERATOR: &str = "olive.operator@switchboard.example";
const CUSTOMER: &str = common::PRIMARY_A;
const INTROSPECT: &str = "{ __schema { queryType { name } } }";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The `Set-Cookie` header setting `name`, if any.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_string()
}

// ---------------------------------------------------------------------------
// The page and its files.

/// Whether GraphiQL's npm packages are installed (`npm ci --prefix
/// web/graphiql`); a test needing them skips without, unless
/// `SWITCHBOARD_REQUIRE_GRAPHIQL=1` (as CI sets), which makes it fail.
fn installed() -> bool {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("web/graphiql/node_modules/graphiql/graphiql.min.js");
    if file.exists() {
        return true;
    }
    if std::env::var("SWITCHBOARD_REQUIRE_GRAPHIQL").as_deref() == Ok("1") {
        panic!("GraphiQL's files are required but missing: run `npm ci --prefix web/graphiql`");
    }
    eprintln!("skipping the page checks: run `npm ci --prefix web/graphiql`");
    false
}

/// The status `/graphiql` answers an admitted visitor with.
fn page_status() -> u16 {
    if installed() { 200 } else { 503 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_loads_only_same_origin_files() {
    if !installed() {
        return;
    }
    let gw = common::start(common::Backend::Sqlite).await.unwrap();
    let page = gw
        .http
        .get(format!("{}/graphiql", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "style-src 'self';",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(
        !policy.contains("unpkg") && !policy.contains("unsafe"),
        "{policy}"
    );
    let html = page.text().await.unwrap();
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("//unpkg"));
    assert!(!html.contains("<script>"), "no inline script: {html}");
    let sources: Vec<&str> = html
        .split(['"'])
        .filter(|part| part.starts_with("/graphiql/assets/"))
        .collect();
    assert_eq!(sources.len(), 6, "{html}");
    for source in sources {
        let asset = gw
            .http
            .get(format!("{}{source}", gw.base))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), 200, "{source}");
        let content_type = asset.headers()["content-type"].to_str().unwrap();
        let expected = if source.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(
            content_type.starts_with(expected),
            "{source}: {content_type}"
        );
        assert_eq!(
            asset.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(asset.headers()["x-content-type-options"], "nosniff");
        assert!(!asset.bytes().await.unwrap().is_empty());
    }
    let stale = gw
        .http
        .get(format!("{}/graphiql/assets/0000/graphiql.min.js", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.status(),
        404,
        "a file is served only under its digest"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_files_get_a_clear_page() {
    let gw = common::start_with(common::Backend::Sqlite, |c| {
        c.server.graphiql_assets = Some("no/such/node_modules".into());
    })
    .await
    .unwrap();
    let page = gw
        .http
        .get(format!("{}/graphiql", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.text().await.unwrap().contains("npm ci"));
}

// ---------------------------------------------------------------------------
// Modes.

async fn introspects(gw: &common::Gateway, email: &str) -> bool {
    let token = gw.token(email).await;
    let (status, body) = gw.post(&token, INTROSPECT, json!({})).await;
    let answered = body["data"]["__schema"]["queryType"]["name"] == "Query";
    assert!(answered || status == 200 || status == 400, "{body}");
    answered
}

async fn graphiql_status(gw: &common::Gateway) -> u16 {
    let response = gw
        .http
        .get(format!("{}/graphiql", gw.base))
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_keeps_the_tools_open() {
    let gw = common::start(common::Backend::Sqlite).await.unwrap();
    assert!(introspects(&gw, CUSTOMER).await);
    assert!(introspects(&gw, OPERATOR).await);
    assert_eq!(graphiql_status(&gw).await, page_status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_limits_the_tools_to_operators() {
    let gw = common::start_with(common::Backend::Sqlite, |c| {
        c.server.mode = Mode::Production;
    })
    .await
    .unwrap();
    assert!(!introspects(&gw, CUSTOMER).await);
    assert!(introspects(&gw, OPERATOR).await);
    // Anonymous callers get no answer at all.
    let anonymous = gw
        .http
        .post(format!("{}/graphql", gw.base))
        .json(&json!({ "query": INTROSPECT }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    // Without [operator_login] nobody can get a session: a clear 403.
    assert_eq!(graphiql_status(&gw).await, 403);
    // Over WebSocket too: a customer's introspection is refused.
    let token = gw.token(CUSTOMER).await;
    let mut sub = gw
        .subscribe("graphql-transport-ws", &token, INTROSPECT, json!({}))
        .await;
    let first = sub.next_message().await.unwrap();
    assert!(first["payload"]["data"]["__schema"].is_null(), "{first}");
    let operator = gw.token(OPERATOR).await;
    let mut sub = gw
        .subscribe("graphql-transport-ws", &operator, INTROSPECT, json!({}))
        .await;
    let first = sub.next_message().await.unwrap();
    assert_eq!(
        first["payload"]["data"]["__schema"]["queryType"]["name"], "Query",
        "{first}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_settings_override_the_mode() {
    let gw = common::start_with(common::Backend::Sqlite, |c| {
        c.server.mode = Mode::Production;
        c.server.graphiql = Some(Access::Off);
        c.server.introspection = Some(Access::Open);
    })
    .await
    .unwrap();
    assert_eq!(graphiql_status(&gw).await, 404);
    assert!(introspects(&gw, CUSTOMER).await);

    let gw = common::start_with(common::Backend::Sqlite, |c| {
        c.server.introspection = Some(Access::Off);
        c.server.graphiql = Some(Access::Open);
    })
    .await
    .unwrap();
    assert!(!introspects(&gw, OPERATOR).await);
    assert_eq!(graphiql_status(&gw).await, page_status());
}

#[test]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail runs closures that return its own large error"
)]
fn the_modes_are_read_from_configuration() {
    use figment::Jail;
    Jail::expect_with(|jail| {
        jail.create_file(
            "c.toml",
            "[server]\nmode = \"production\"\ngraphiql = true\nintrospection = \"operators\"\n",
        )?;
        let path = std::path::Path::new("c.toml");
        let c = Config::load(Some(path), &Default::default()).unwrap();
        assert_eq!(c.graphiql_access(), Access::Open);
        assert_eq!(c.introspection_access(), Access::Operators);
        jail.set_env("SWITCHBOARD_SERVER__GRAPHIQL", "off");
        let c = Config::load(Some(path), &Default::default()).unwrap();
        assert_eq!(c.graphiql_access(), Access::Off);
        jail.set_env("SWITCHBOARD_SERVER__GRAPHIQL", "everyone");
        let err = Config::load(Some(path), &Default::default()).unwrap_err();
        assert!(err.to_string().contains("server.graphiql"), "{err}");
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// Operators' sign-in against a real OpenID Provider.

/// A gateway in production mode whose operators sign in at `op`.
struct LoginGateway {
    base: String,
    addr: std::net::SocketAddr,
    op: OidcProvider,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _db: TestDb,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for LoginGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the provider (with the gateway's callback registered) and the
/// gateway; `None` when node or PostgreSQL is absent and not required.
async fn start_login(postgres: bool, secret: Option<&str>) -> Option<LoginGateway> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let op = OidcProvider::start_with(ProviderOptions {
        client_id: Some("switchboard-graphiql".into()),
        client_secret: Some(secret.unwrap_or("").into()),
        redirect_uris: vec![format!("http://{addr}/graphiql/callback")],
        ..ProviderOptions::default()
    })
    .await?;
    let db = if postgres {
        TestDb::postgres().await?
    } else {
        TestDb::sqlite()
    };
    let dir = std::env::temp_dir().join(format!(
        "switchboard-graphiql-{}-{}",
        std::process::id(),
        addr.port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = Config {
        data_dir: dir.clone(),
        ..Config::default()
    };
    config.server.listen = addr;
    config.server.mode = Mode::Production;
    config.database.url = Some(db.url.clone());
    config.database.demo_data = Some(true);
    config.database.demo_cases = 20;
    config.database.demo_accounts = 2;
    config.auth.issuers = vec![
        serde_json::from_value(json!({
            "issuer": op.issuer,
            "audiences": [AUDIENCE],
            "operator_group": "switchboard-operators",
        }))
        .unwrap(),
    ];
    config.operator_login.issuer = Some(op.issuer.clone());
    config.operator_login.client_id = "switchboard-graphiql".into();
    config.operator_login.client_secret = secret.map(str::to_string);
    config.operator_login.scopes = vec!["email".into(), "groups".into()];
    let app = App::build(config).await.expect("the gateway builds");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    Some(LoginGateway {
        base: format!("http://{addr}"),
        addr,
        op,
        stop: Some(stop),
        _db: db,
        _dir: TempDir(dir),
    })
}

impl LoginGateway {
    /// Signs `login` in from GraphiQL, as a browser: answers the callback's
    /// response (the login and session cookies land in `browser`).
    async fn sign_in(&self, browser: &reqwest::Client, login: &str) -> reqwest::Response {
        let page = browser
            .get(format!("{}/graphiql", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 303, "anonymous visitors are sent to sign in");
        assert_eq!(location(&page), "/graphiql/login");
        let start = browser
            .get(format!("{}/graphiql/login", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 303);
        let login_cookie = set_cookie(start.headers(), "__Host-switchboard_login").unwrap();
        assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("Secure"));
        let authorize = location(&start);
        assert!(authorize.starts_with(&self.op.issuer), "{authorize}");
        for param in ["code_challenge", "nonce", "state"] {
            assert!(
                common::oidc::query_param(&authorize, param).is_some(),
                "{param} in {authorize}"
            );
        }
        assert_eq!(
            common::oidc::query_param(&authorize, "code_challenge_method").as_deref(),
            Some("S256")
        );
        let back = self.op.sign_in(&authorize, login).await;
        assert!(
            back.starts_with(&format!("{}/graphiql/callback?", self.base)),
            "{back}"
        );
        browser.get(back).send().await.unwrap()
    }

    async fn graphql(&self, browser: &reqwest::Client, query: &str) -> (u16, Value) {
        let response = browser
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A WebSocket upgrade with `cookie` from `origin`; answers whether the
    /// server acknowledged a `connection_init` without a token.
    async fn socket_with_cookie(&self, cookie: &str, origin: &str) -> Result<bool, u16> {
        let mut request = format!("ws://{}/graphql", self.addr)
            .into_client_request()
            .unwrap();
        let headers = request.headers_mut();
        headers.insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        headers.insert("cookie", cookie.parse().unwrap());
        headers.insert("origin", origin.parse().unwrap());
        let (mut socket, _) = match tokio_tungstenite::connect_async(request).await {
            Ok(connected) => connected,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                return Err(response.status().as_u16());
            }
            Err(other) => panic!("{other}"),
        };
        let init = json!({ "type": "connection_init", "payload": {} });
        socket.send(Message::text(init.to_string())).await.unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .unwrap();
        Ok(matches!(reply, Some(Ok(Message::Text(text))) if text.contains("connection_ack")))
    }
}

async fn operator_signs_in_and_out(postgres: bool, secret: Option<&str>) {
    let Some(gw) = start_login(postgres, secret).await else {
        return;
    };
    let browser = client();
    let callback = gw.sign_in(&browser, "olive").await;
    assert_eq!(callback.status(), 200);
    let session =
        set_cookie(callback.headers(), "__Host-switchboard_session").expect("a session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    let cookie = session.split(';').next().unwrap().to_string();
    let cleared = set_cookie(callback.headers(), "__Host-switchboard_login").unwrap();
    assert!(
        cleared.contains("Max-Age=0"),
        "the login cookie is used once: {cleared}"
    );

    // GraphiQL, `me` and introspection through the cookie.
    let page = browser
        .get(format!("{}/graphiql", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), page_status());
    if installed() {
        let html = page.text().await.unwrap();
        assert!(
            html.contains("data-session=\"cookie\"") && html.contains(OPERATOR),
            "{html}"
        );
    }
    let (status, body) = gw.graphql(&browser, "{ me { email } }").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["email"], OPERATOR, "{body}");
    let (_, body) = gw.graphql(&browser, INTROSPECT).await;
    assert_eq!(
        body["data"]["__schema"]["queryType"]["name"], "Query",
        "{body}"
    );

    csrf_rules_hold(&gw, &browser, &cookie).await;

    // Logout ends the session on the server: the old cookie is refused.
    let logout = browser
        .post(format!("{}/graphiql/logout", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    let gone = set_cookie(logout.headers(), "__Host-switchboard_session").unwrap();
    assert!(gone.contains("Max-Age=0"), "{gone}");
    let replay = reqwest::Client::new()
        .post(format!("{}/graphql", gw.base))
        .header("cookie", &cookie)
        .json(&json!({ "query": "{ me { email } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    let body: Value = replay.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let page = browser
        .get(format!("{}/graphiql", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303, "signed out: back to the sign-in");
}

async fn csrf_rules_hold(gw: &LoginGateway, browser: &reqwest::Client, cookie: &str) {
    let url = format!("{}/graphql", gw.base);
    let code = |body: &Value| body["errors"][0]["extensions"]["code"].clone();
    // A form-like text/plain POST carrying the cookie.
    let plain = browser
        .post(&url)
        .header("content-type", "text/plain")
        .body(json!({ "query": "{ me { email } }" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 403);
    assert_eq!(code(&plain.json().await.unwrap()), "CSRF_REJECTED");
    // A multipart upload without the preflight header; then with it.
    let operations = json!({ "query": "mutation($f: Upload!) { addCaseAttachment(caseId: \"1\", file: $f) { id } }", "variables": { "f": null } });
    let form = || {
        reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.f"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt"),
            )
    };
    let upload = browser.post(&url).multipart(form()).send().await.unwrap();
    assert_eq!(upload.status(), 403);
    assert_eq!(code(&upload.json().await.unwrap()), "CSRF_REJECTED");
    let upload = browser
        .post(&url)
        .header("x-switchboard-csrf", "1")
        .multipart(form())
        .send()
        .await
        .unwrap();
    let body: Value = upload.json().await.unwrap();
    assert_ne!(code(&body), "CSRF_REJECTED", "{body}");
    // GET never runs a mutation.
    let get = browser
        .get(&url)
        .query(&[("query", "mutation { cancelCase(caseId: \"1\") { id } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    // The same cookie from a bearer-less WebSocket: only from our origin.
    assert_eq!(
        gw.socket_with_cookie(cookie, "https://evil.example").await,
        Err(403)
    );
    assert_eq!(gw.socket_with_cookie(cookie, &gw.base).await, Ok(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_with_a_public_client_on_sqlite() {
    operator_signs_in_and_out(false, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_with_a_confidential_client_on_postgres() {
    operator_signs_in_and_out(true, Some("graphiql-secret")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_get_no_session() {
    let Some(gw) = start_login(false, None).await else {
        return;
    };
    let browser = client();
    let callback = gw.sign_in(&browser, "bailey").await;
    assert_eq!(callback.status(), 403);
    assert!(set_cookie(callback.headers(), "__Host-switchboard_session").is_none());
    assert!(callback.text().await.unwrap().contains("OPERATOR"));
    let (status, body) = gw.graphql(&browser, "{ me { email } }").await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_from_another_browser_is_refused() {
    let Some(gw) = start_login(false, None).await else {
        return;
    };
    // The attacker starts a sign-in and hands the callback to a victim,
    // whose browser holds no matching login cookie.
    let attacker = client();
    let start = attacker
        .get(format!("{}/graphiql/login", gw.base))
        .send()
        .await
        .unwrap();
    let back = gw.op.sign_in(&location(&start), "olive").await;
    let victim = client();
    let response = victim.get(&back).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(set_cookie(response.headers(), "__Host-switchboard_session").is_none());
    // A state that does not match the browser's sign-in is refused too.
    let forged = back.replace("state=", "state=x");
    let response = attacker.get(&forged).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(set_cookie(response.headers(), "__Host-switchboard_session").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_from_a_real_browser() {
    if !common::clients::available(true) {
        return;
    }
    let Some(gw) = start_login(false, Some("graphiql-secret")).await else {
        return;
    };
    // Chromium follows the redirects, fills the provider's login and
    // consent pages, lands on GraphiQL with a session and runs a query.
    let seen = common::clients::run("graphiql.mjs", &[&gw.base, "operator", "olive"]).await;
    assert!(
        seen["banner"]
            .as_str()
            .unwrap()
            .contains(&format!("Signed in as {OPERATOR}")),
        "{seen}"
    );
    assert!(
        seen["result"].as_str().unwrap().contains(OPERATOR),
        "{seen}"
    );
}
