//! A wire-faithful fake of a ServiceNow CSM instance: the Table API, the
//! Attachment API and `oauth_token.do` over in-memory tables, following
//! the instance profile shared with `switchboard-servicenow` (tables
//! `customer_account`, `cmn_location`, `sn_install_base_item`,
//! `customer_contact`, `sys_user`, `sn_customerservice_case`, `sys_choice`,
//! `sys_journal_field`, `sys_audit`, `sys_attachment`).
//!
//! What it reproduces: string values ("" for empty), reference objects
//! `{"link","value"}` (bare ids with `sysparm_exclude_reference_link=true`),
//! `sysparm_fields` with one level of dot-walk, the encoded-query subset
//! (`^`, `^OR`, `^NQ`, `ORDERBY`/`ORDERBYDESC`, the usual operators;
//! conditions on unknown fields silently dropped), `X-Total-Count`, a
//! single comma-separated `Link` header, v2 empty lists (v1 answers 404),
//! the `{"error":{..},"status":"failure"}` envelope, the required `Accept`
//! and `Content-Type` headers, 201 + `Location` on insert, 204 on delete,
//! journal fields that append `sys_journal_field` rows and read back "",
//! `sys_audit` rows for changes of state, priority and watch list, and the
//! case rules (a closed or canceled case rejects updates with 403; closing
//! or canceling needs `close_notes` and `resolution_code`; insert needs
//! `account`). `sys_user` queries also see `customer_contact` rows.
//!
//! What it does not: `sysparm_display_value` other than `false` (400),
//! plain `field=value` list filters, ACLs, the CSM Case API, and rate
//! limits unless injected through [`FakeServiceNow::faults`].

mod agent;
mod attachment_api;
mod auth;
mod demo;
mod query;
mod schema;
mod seed;
mod store;
mod table_api;
mod webhook;
mod wire;
mod writes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value};

use crate::faults::{self, Faults, RequestLog};

pub use demo::DemoSource;
pub use seed::{DEMO_AGENTS, DEMO_PROACTIVE_CASE_TYPES, Dataset};
pub use webhook::signature as webhook_signature;
pub use wire::render_fault;

use store::{Clock, Tables};

/// An OAuth client registered on the fake (`oauth_entity`).
#[derive(Debug, Clone)]
pub struct OAuthClient {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// Access token lifetime (`expires_in`).
    pub token_ttl: Duration,
    /// Whether the password grant is allowed (checked against [`FakeOptions::basic`]).
    pub allow_password_grant: bool,
    /// Whether the client-credentials grant is allowed.
    pub allow_client_credentials: bool,
    /// The "OAuth Application User" client-credentials tokens act as.
    pub application_user: String,
}

impl OAuthClient {
    /// A client allowing both grants, with 30-minute tokens acting as
    /// `switchboard.integration` for client credentials.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            token_ttl: Duration::from_secs(1799),
            allow_password_grant: true,
            allow_client_credentials: true,
            application_user: seed::INTEGRATION_USER.to_owned(),
        }
    }
}

/// How the fake authenticates and whom it notifies.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// Basic auth user name and password (None: Basic is refused).
    pub basic: Option<(String, String)>,
    /// The OAuth client (None: `oauth_token.do` refuses every request).
    pub oauth: Option<OAuthClient>,
    /// Webhook target URL and HMAC secret for agent changes.
    pub webhook: Option<(String, String)>,
}

impl Default for FakeOptions {
    /// Basic auth as `switchboard.integration` / `fake-password`, no OAuth, no webhook.
    fn default() -> Self {
        Self {
            basic: Some((
                seed::INTEGRATION_USER.to_owned(),
                "fake-password".to_owned(),
            )),
            oauth: None,
            webhook: None,
        }
    }
}

/// The mutable state behind the lock.
pub(crate) struct Db {
    pub(crate) tables: Tables,
    pub(crate) clock: Clock,
}

/// An issued OAuth token.
pub(crate) struct Token {
    pub(crate) user: String,
    pub(crate) expires: Instant,
    pub(crate) refresh: bool,
}

/// Everything the handlers share.
pub(crate) struct Shared {
    db: Mutex<Db>,
    pub(crate) tokens: Mutex<HashMap<String, Token>>,
    pub(crate) options: FakeOptions,
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
}

impl Shared {
    /// The tables and clock, locked.
    pub(crate) fn db(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The state handlers get.
pub(crate) type AppState = Arc<Shared>;

/// A running fake ServiceNow instance on 127.0.0.1; stops when dropped.
pub struct FakeServiceNow {
    state: AppState,
    faults: Faults,
    log: RequestLog,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServiceNow {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn unknown_resource() -> Response {
    wire::bad_request("Requested URI does not represent any resource")
}

fn router(state: AppState, faults: Faults, log: RequestLog) -> Router {
    use axum::routing::MethodRouter;
    let table_list = || -> MethodRouter<AppState> { get(table_api::list).post(table_api::create) };
    let table_one = || -> MethodRouter<AppState> {
        get(table_api::get_one)
            .put(table_api::update)
            .patch(table_api::update)
            .delete(table_api::delete)
    };
    let attachment_one = || -> MethodRouter<AppState> {
        get(attachment_api::meta)
            .patch(attachment_api::rename)
            .delete(attachment_api::delete)
    };
    let api = Router::new()
        .route("/api/now/table/{table}", table_list())
        .route("/api/now/{version}/table/{table}", table_list())
        .route("/api/now/table/{table}/{sys_id}", table_one())
        .route("/api/now/{version}/table/{table}/{sys_id}", table_one())
        .route("/api/now/attachment", get(attachment_api::list))
        .route("/api/now/{version}/attachment", get(attachment_api::list))
        .route(
            "/api/now/attachment/file",
            post(attachment_api::upload_file),
        )
        .route(
            "/api/now/{version}/attachment/file",
            post(attachment_api::upload_file),
        )
        .route(
            "/api/now/attachment/upload",
            post(attachment_api::upload_multipart),
        )
        .route(
            "/api/now/{version}/attachment/upload",
            post(attachment_api::upload_multipart),
        )
        .route("/api/now/attachment/{sys_id}", attachment_one())
        .route("/api/now/{version}/attachment/{sys_id}", attachment_one())
        .route(
            "/api/now/attachment/{sys_id}/file",
            get(attachment_api::file),
        )
        .route(
            "/api/now/{version}/attachment/{sys_id}/file",
            get(attachment_api::file),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_auth,
        ));
    Router::new()
        .route("/oauth_token.do", post(auth::token))
        .merge(api)
        .fallback(|| async { unknown_resource() })
        .with_state(state)
        .layer(faults::layer(faults, render_fault))
        .layer(log.layer())
}

impl FakeServiceNow {
    /// Starts the fake on an ephemeral port of 127.0.0.1 over `dataset`.
    pub async fn start(dataset: Dataset, options: FakeOptions) -> std::io::Result<Self> {
        Self::start_on(
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            dataset,
            options,
        )
        .await
    }

    /// Starts the fake on `addr` (port 0: any free port), as
    /// `examples/fakes.rs` does on fixed ports.
    pub async fn start_on(
        addr: std::net::SocketAddr,
        dataset: Dataset,
        options: FakeOptions,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(Shared {
            db: Mutex::new(Db {
                tables: dataset.into_tables(),
                clock: Clock::default(),
            }),
            tokens: Mutex::new(HashMap::new()),
            options,
            base_url,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(std::io::Error::other)?,
        });
        let faults = Faults::default();
        let log = RequestLog::default();
        let app = router(state.clone(), faults.clone(), log.clone());
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(adapter.name = "servicenow-fake", %error, "the fake stopped");
            }
        });
        Ok(Self {
            state,
            faults,
            log,
            task,
        })
    }

    /// The instance URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.state.base_url.clone()
    }

    /// The faults injected into every request.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Every request received (method, path, query).
    pub fn requests(&self) -> &RequestLog {
        &self.log
    }

    /// Every row of `table` as stored (strings; journals ""), in insertion
    /// order; `sys_user` includes contacts.
    pub fn records(&self, table: &str) -> Vec<Map<String, Value>> {
        self.state.db().tables.scan(table).cloned().collect()
    }

    /// The row `sys_id` of `table`, as stored.
    pub fn record(&self, table: &str, sys_id: &str) -> Option<Map<String, Value>> {
        self.state.db().tables.find(table, sys_id).cloned()
    }

    /// The content of an attachment.
    pub fn attachment_content(&self, sys_id: &str) -> Option<bytes::Bytes> {
        self.state.db().tables.content.get(sys_id).cloned()
    }

    /// Freezes the fake's clock at `now` (writes stamp this time).
    pub fn set_clock(&self, now: chrono::DateTime<chrono::Utc>) {
        self.state.db().clock.set(now);
    }

    /// Moves the fake's clock by `by` (frozen or not).
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.state.db().clock.advance(by);
    }

    /// The fake's "now" (one-second resolution).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.db().clock.now()
    }

    /// An agent adds a customer-visible comment to the case `case_number`;
    /// returns the case's sys_id, or None when there is no such case.
    pub async fn agent_comment(
        &self,
        case_number: &str,
        agent_user_name: &str,
        text: &str,
    ) -> Option<String> {
        agent::act(
            &self.state,
            case_number,
            agent_user_name,
            agent::Action::Comment(text),
        )
        .await
    }

    /// An agent adds an internal work note (never shown to customers).
    pub async fn agent_work_note(
        &self,
        case_number: &str,
        agent_user_name: &str,
        text: &str,
    ) -> Option<String> {
        agent::act(
            &self.state,
            case_number,
            agent_user_name,
            agent::Action::WorkNote(text),
        )
        .await
    }

    /// An administrator changes `field` of the record `sys_id` of `table`
    /// inside the instance (a location's name, an account's): the record's
    /// `sys_updated_on` moves and the webhook, when configured, names the
    /// table and record, as a business rule on that table would. False when
    /// there is no such record.
    pub async fn admin_update(&self, table: &str, sys_id: &str, field: &str, value: &str) -> bool {
        agent::edit(&self.state, table, sys_id, field, value).await
    }

    /// An agent sets the case's state (e.g. "10", "18", "6", "3"); closing
    /// fills missing close notes and resolution code as the agent form does.
    pub async fn agent_set_state(
        &self,
        case_number: &str,
        agent_user_name: &str,
        state: &str,
    ) -> Option<String> {
        agent::act(
            &self.state,
            case_number,
            agent_user_name,
            agent::Action::State(state),
        )
        .await
    }
}
