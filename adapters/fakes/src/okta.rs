//! A wire-faithful fake of Okta's management API (users, groups, factors,
//! lifecycle and credentials), over an [`OktaDirectory`], on
//! `127.0.0.1:<ephemeral>` until dropped.
//!
//! What it does like Okta (contract §4b–4d):
//! - `Authorization: SSWS <token>`, or `Bearer <access token>` of a service
//!   app; anything else is 401 E0000011. A bearer token that is unknown,
//!   expired or revoked ([`FakeOkta::revoke_tokens`]) is 401 E0000011, one
//!   without the scope the call needs is 403 E0000006; both carry a
//!   `WWW-Authenticate: Bearer …` challenge naming the scope and the
//!   `error` (`invalid_token`, `insufficient_scope`). Reads of groups need
//!   `okta.groups.read`; reads of users, a user's groups and a user's
//!   factors `okta.users.read`; factor resets, lifecycle and credentials
//!   `okta.users.manage`; a `.manage` scope grants its `.read`. Okta lists
//!   a user's factors under the users scopes (`okta.factors.*` is for the
//!   org's factor settings), so `okta.factors.*` grants nothing here;
//! - `POST /oauth2/v1/token` (the org authorization server) for service
//!   apps registered with [`FakeOkta::add_service_app`]:
//!   `grant_type=client_credentials`, form-encoded, authenticated by a
//!   `private_key_jwt` assertion (`client_assertion_type` jwt-bearer). The
//!   assertion is checked as Okta does: a known client (`iss`, and
//!   `client_id` if sent), a registered `kid` (optional when the app has
//!   one key), an RS256/384/512 or ES256/384 signature by that key, `sub`
//!   = the client id, `aud` = the endpoint's own URL, an `exp` neither past
//!   nor more than an hour away, a `jti` never used before. Failures are
//!   401 `invalid_client`. The requested `scope` must be given and hold
//!   only `okta.*` scopes; the token gets those the app was granted (none:
//!   400 `invalid_scope`). Answers are `{"token_type": "Bearer",
//!   "expires_in", "access_token", "scope"}` with `Cache-Control:
//!   no-store`; tokens are opaque and live an hour
//!   ([`FakeOkta::set_token_lifetime`] shortens it for tests);
//!   [`FakeOkta::token_requests`] counts the requests;
//! - DPoP (RFC 9449) for apps that require it
//!   ([`ServiceApp::require_dpop`]), or whenever a token request carries a
//!   `DPoP` proof: the proof (`typ` `dpop+jwt`, an asymmetric `alg`, the
//!   public `jwk`, `htm`, `htu`, a recent `iat`, a fresh `jti`) must carry
//!   the current nonce, else 400 `use_dpop_nonce` with a `DPoP-Nonce`
//!   header ([`FakeOkta::rotate_dpop_nonce`] changes it); a bad or missing
//!   proof is 400 `invalid_dpop_proof`. The token is then `token_type:
//!   DPoP`, bound to the key's thumbprint: API calls must send
//!   `Authorization: DPoP <token>` and a proof by that key naming the
//!   request, with `ath` the hash of the token (no nonce); otherwise 401
//!   E0000011 with a `WWW-Authenticate: DPoP …` challenge. A bound token
//!   sent as `Bearer` is refused. Not implemented: client secrets, the
//!   admin roles a real service app also needs;
//! - errors use the envelope (`errorCode`, `errorSummary`, `errorLink`,
//!   `errorId`, `errorCauses`);
//! - every answer carries `X-Rate-Limit-Limit/-Remaining/-Reset` (epoch
//!   seconds) of one bucket ([`OktaDirectory::with_rate_limit`], default 600
//!   a minute); past the limit, 429 E0000047 until the window ends;
//! - lists are paged by `limit` (default and max 200) and an opaque `after`
//!   cursor, with separate `link` headers `rel="self"` and `rel="next"`;
//! - `GET /api/v1/users` takes `search` (`eq`/`sw`, `and`/`or`, parentheses),
//!   `filter` (`eq` on its documented fields) and `q` (prefix of first name,
//!   last name or email; at most `limit` (default 10), unpaged); with none
//!   of them DEPROVISIONED users are left out; `GET /api/v1/users/{id}`
//!   takes an id, a login or a login's short name;
//! - `GET /api/v1/groups` takes `q` (name prefix) or `search`
//!   (`profile.name sw "…"`); `GET /api/v1/groups/{id}/users` and
//!   `GET /api/v1/users/{id}/groups` are paged;
//! - deleting one of Okta Verify's factors (provider OKTA: `push`,
//!   `token:software:totp`, `signed_nonce`) deletes all three; an unknown
//!   factor is 404 E0000007;
//! - `reset_password` (users ACTIVE, RECOVERY, LOCKED_OUT or
//!   PASSWORD_EXPIRED) moves the user to RECOVERY and records an email
//!   ([`FakeOkta::emails_sent`]) or returns `resetPasswordUrl`;
//! - `unlock` moves LOCKED_OUT to ACTIVE. Okta does not document the error
//!   for another status; the fake answers 403 E0000038, as Okta does for
//!   the other lifecycle operations refused by status;
//! - `change_password` (users STAGED, ACTIVE, PASSWORD_EXPIRED or RECOVERY;
//!   others 403 E0000038): a wrong old password is 403 E0000014 with the
//!   cause `oldPassword: The credentials provided were incorrect.`; a new
//!   password breaking the policy (at least 8 characters, a lowercase
//!   letter, an uppercase letter, a number, no parts of the username) is
//!   403 E0000080 with one `password:` cause listing only the broken parts.
//!
//! Faults ([`Faults`]) render as Okta errors; injected rate limits look
//! like Okta's concurrent-limit 429s (limit and remaining `0`).

mod access;
mod apps;
mod directory;
mod dpop;
mod handlers;
mod lifecycle;
mod oauth;
mod search;
mod wire;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde_json::Value;

pub use apps::{InvalidKey, ServiceApp, TestKey};
pub use directory::{DEMO_ENTITLEMENTS_ATTRIBUTE, DEMO_OPERATOR_GROUP, OktaDirectory, group_name};

use crate::faults::{self, Faults, RequestLog};

/// What the handlers share.
pub(crate) struct Data {
    pub dir: OktaDirectory,
    /// (login, kind) of every email Okta would have sent.
    pub emails: Vec<(String, String)>,
    /// The rate-limit window now counted, and the requests in it.
    pub window: u64,
    pub used: u32,
    /// Service apps and the tokens issued to them.
    pub oauth: oauth::OAuthState,
}

/// The fake's state, cheap to clone.
#[derive(Clone)]
pub(crate) struct Shared {
    data: Arc<Mutex<Data>>,
    /// The org URL, for links.
    pub base: String,
    token: Arc<str>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fake Okta org; the server stops when this is dropped.
pub struct FakeOkta {
    shared: Shared,
    faults: Faults,
    log: RequestLog,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeOkta {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeOkta {
    /// Serves `directory` to clients presenting `SSWS {api_token}`.
    pub async fn start(directory: OktaDirectory, api_token: &str) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), directory, api_token).await
    }

    /// [`FakeOkta::start`] on a given address (port 0: an ephemeral one).
    pub async fn start_on(
        addr: SocketAddr,
        directory: OktaDirectory,
        api_token: &str,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let shared = Shared {
            data: Arc::new(Mutex::new(Data {
                dir: directory,
                emails: Vec::new(),
                window: 0,
                used: 0,
                oauth: oauth::OAuthState::default(),
            })),
            base,
            token: api_token.into(),
        };
        let faults = Faults::default();
        let log = RequestLog::default();
        let router = Router::new()
            .route("/api/v1/users", get(handlers::list_users))
            .route("/api/v1/users/{id}", get(handlers::get_user))
            .route("/api/v1/users/{id}/groups", get(handlers::user_groups))
            .route("/api/v1/groups", get(handlers::list_groups))
            .route("/api/v1/groups/{id}/users", get(handlers::group_users))
            .route("/api/v1/users/{id}/factors", get(lifecycle::list_factors))
            .route(
                "/api/v1/users/{id}/factors/{factor}",
                delete(lifecycle::delete_factor),
            )
            .route(
                "/api/v1/users/{id}/lifecycle/reset_password",
                post(lifecycle::reset_password),
            )
            .route(
                "/api/v1/users/{id}/lifecycle/unlock",
                post(lifecycle::unlock),
            )
            .route(
                "/api/v1/users/{id}/credentials/change_password",
                post(lifecycle::change_password),
            )
            .route("/oauth2/v1/token", post(oauth::token))
            .fallback(|| async { wire::not_found("path") })
            .layer(axum::middleware::from_fn_with_state(shared.clone(), gate))
            .with_state(shared.clone())
            .layer(faults::layer(faults.clone(), wire::render_fault))
            .layer(log.layer());
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::warn!(%error, "the fake Okta stopped");
            }
        });
        Ok(Self {
            shared,
            faults,
            log,
            task,
        })
    }

    /// The org URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.shared.base.clone()
    }

    /// The faults injected into this fake.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Every request received.
    pub fn requests(&self) -> &RequestLog {
        &self.log
    }

    /// The user with this id as `GET /api/v1/users/{id}` serves it.
    pub fn user(&self, id: &str) -> Option<Value> {
        let data = self.shared.lock();
        data.dir
            .users
            .iter()
            .find(|u| u.id == id)
            .map(|u| wire::user(&self.shared.base, u))
    }

    /// The id of the user with this login (case-insensitive).
    pub fn user_id(&self, login: &str) -> Option<String> {
        self.shared.lock().dir.user_id(login)
    }

    /// Puts a user in the group named `group` (created when missing), or
    /// takes them out, as an administrator would in Okta's console.
    pub fn set_member(&self, group: &str, user_id: &str, member: bool) {
        let mut data = self.shared.lock();
        if member {
            data.dir.add_member(group, user_id);
        } else {
            data.dir.remove_member(group, user_id);
        }
    }

    /// Sets a user's status (e.g. `LOCKED_OUT`), as Okta would after
    /// failed sign-ins.
    pub fn set_status(&self, user_id: &str, status: &str) {
        let mut data = self.shared.lock();
        if let Some(u) = data.dir.users.iter_mut().find(|u| u.id == user_id) {
            u.status = status.to_string();
            u.status_changed = chrono::Utc::now();
        }
    }

    /// (login, kind) of every email sent, oldest first; kind is
    /// `reset_password`.
    pub fn emails_sent(&self) -> Vec<(String, String)> {
        self.shared.lock().emails.clone()
    }

    /// Registers a service app; its tokens come from
    /// [`FakeOkta::token_url`].
    pub fn add_service_app(&self, app: ServiceApp) {
        let mut data = self.shared.lock();
        data.oauth.apps.retain(|a| a.client_id != app.client_id);
        data.oauth.apps.push(app);
    }

    /// The org authorization server's token endpoint,
    /// `{org}/oauth2/v1/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/v1/token", self.shared.base)
    }

    /// The lifetime of access tokens issued from now on (Okta's is an
    /// hour; `expires_in` says it in whole seconds, at least 1).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.lock().oauth.lifetime = lifetime;
    }

    /// Revokes every access token issued so far: calls with them get 401.
    pub fn revoke_tokens(&self) {
        for token in self.shared.lock().oauth.tokens.values_mut() {
            token.revoked = true;
        }
    }

    /// Replaces the nonce DPoP proofs at the token endpoint must carry (as
    /// Okta does from time to time).
    pub fn rotate_dpop_nonce(&self) {
        self.shared.lock().oauth.nonce = oauth::random_text();
    }

    /// How many requests reached the token endpoint (refused ones too).
    pub fn token_requests(&self) -> usize {
        self.shared.lock().oauth.requests
    }
}

/// Counts the request in the rate-limit bucket, checks the credentials of
/// management API calls ([`access::refuse`]), and adds the rate-limit
/// headers to the answer.
async fn gate(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let now = wire::epoch_secs();
    let (limit, remaining, reset, over) = {
        let mut data = shared.lock();
        let (limit, window_secs) = data.dir.rate_limit;
        let window = now / window_secs;
        if window != data.window {
            data.window = window;
            data.used = 0;
        }
        data.used = data.used.saturating_add(1);
        let over = data.used > limit;
        (
            limit,
            limit.saturating_sub(data.used),
            (window + 1) * window_secs,
            over,
        )
    };
    if over {
        return wire::rate_limited(limit, reset);
    }
    let path = request.uri().path().to_string();
    let refused = if path.starts_with("/oauth2/") {
        None
    } else {
        access::refuse(&shared, request.headers(), request.method(), &path)
    };
    let mut response = match refused {
        None => next.run(request).await,
        Some(response) => response,
    };
    wire::rate_headers(response.headers_mut(), limit, remaining, reset);
    response
}
