//! switchboard's Okta adapter: [`Identity`] and
//! [`UserDirectory`](switchboard_core::UserDirectory) over
//! Okta's management API (users, groups, factors, lifecycle and
//! credentials), authenticated with an API token (`SSWS`) or as an OAuth
//! 2.0 service app.
//!
//! Settings read: see [`settings`].
//!
//! - **Authentication**: `auth.method = "api_token"` sends `Authorization:
//!   SSWS <token>`. `auth.method = "oauth_service_app"` ([`ServiceApp`])
//!   gets access tokens from the org authorization server
//!   (`{org_url}/oauth2/v1/token`, `client_credentials`, `private_key_jwt`:
//!   an assertion signed RS256/384/512 or ES256/384 with the key whose
//!   public half is registered on the app under `key_id`) and sends
//!   `Authorization: Bearer <token>`. The token is fetched on first use,
//!   shared by concurrent calls (one fetch at a time), replaced a minute
//!   before it expires, and replaced once when Okta answers 401 (the call
//!   is then sent again, writes included: Okta did not process it). The
//!   app needs the `okta.*` scopes the calls use granted to it (reads:
//!   `okta.users.read`, `okta.groups.read`; factor resets, password
//!   changes and reset emails: `okta.users.manage`) and an admin role
//!   allowing them. The key is checked at start-up (a bad PEM, an RSA key
//!   under 2048 bits or an `algorithm` that does not fit the key is
//!   [`Error::InvalidInput`] on `okta.auth.*`). With `dpop = true` (for an
//!   app with "Require DPoP", Okta's default for new API service apps) the
//!   tokens are DPoP-bound to a key the adapter makes at start-up: token
//!   requests follow Okta's `use_dpop_nonce`, and every call sends
//!   `Authorization: DPoP <token>` with a fresh proof (`ath` included).
//! - **Entitlements** come from group names following a pattern
//!   (`acct-{account}-{role}`, the role in lowercase as the gateway's token
//!   mapping reads groups) or from a multi-valued profile attribute of
//!   `ACCOUNT:ROLE` values; a user with several roles on one account gets
//!   the one with the most authority. Operators are the members of the
//!   configured `operator_group` (none by default). DEPROVISIONED and
//!   SUSPENDED users have no principal.
//! - **Account users** are the members of the account's groups (found by
//!   Okta's group name prefix search `q`), or the users whose attribute
//!   names the account; ordered by name. The account team is not in Okta:
//!   it comes from the `local` [`Identity`].
//! - **Factors**: resetting one of Okta Verify's factors (push, code,
//!   FastPass) makes Okta remove all three; the adapter lists the factors
//!   before and after and reports every one removed.
//! - **Recovery**: Okta writes and sends its own emails, so
//!   [`Identity::outbox`] and [`Identity::recovery_links`] are `None`. A
//!   known login (compared case-insensitively through
//!   `filter=profile.login eq "…"`) gets Okta's password reset email
//!   (`reset_password?sendEmail=true`). An unlock request for a LOCKED_OUT
//!   user gets the same email: completing the reset returns the user to
//!   ACTIVE, so proof of mailbox control comes first. The adapter never
//!   calls `unlock` for a recovery request; [`Okta::unlock`] is an
//!   administrator's action. An unknown login, or a known one with nothing
//!   to send, answers the same `Ok(())`; a failure to send is logged, not
//!   returned, so the answer does not tell whether the login exists.
//! - **Errors**: Okta's `errorCode` decides: E0000007 is
//!   [`Error::NotFound`]; E0000011/E0000004 (a bad token) and
//!   E0000005/E0000006 (a token without permission; the log names the
//!   missing scope when Okta's `WWW-Authenticate` challenge does) are
//!   logged and [`Error::Unavailable`]. A token request Okta refuses
//!   (`invalid_client`, `invalid_scope`, …) is logged with Okta's
//!   description and [`Error::Unavailable`], and not asked again for five
//!   seconds. Rate limits beyond `max_wait_ms`, 5xx and transport failures
//!   (of API and token requests alike) are [`Error::Unavailable`]. A wrong
//!   current password (E0000014) and a policy violation (E0000080,
//!   E0000001) are [`Error::InvalidInput`] on `oldPassword` /
//!   `newPassword`. The API token, access tokens, client assertions and
//!   the private key are never in an error, a log line or `Debug` output.

mod client;
mod directory;
mod error;
mod identity;
mod oauth;
mod pattern;
pub mod settings;
mod wire;

use std::sync::Arc;

use switchboard_core::directory::AccountStore;
use switchboard_core::identity::Identity;
use switchboard_core::{Error, Result};

use crate::client::Client;
use crate::pattern::GroupPattern;
pub use crate::settings::{Auth, EntitlementSource, ServiceApp, Settings, SigningAlgorithm};

/// The backend name this adapter reports in errors and logs.
pub const BACKEND: &str = "okta";

/// Where entitlements come from, checked.
enum Entitlements {
    Groups {
        pattern: GroupPattern,
        operator_group: Option<String>,
    },
    Attribute {
        attribute: String,
        operator_group: Option<String>,
    },
}

struct Inner {
    client: Client,
    entitlements: Entitlements,
    accounts: Arc<dyn AccountStore>,
    local: Arc<dyn Identity>,
}

/// The Okta adapter: [`Identity`] and
/// [`UserDirectory`](switchboard_core::UserDirectory). Cheap to clone.
#[derive(Clone)]
pub struct Okta {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Okta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Okta { .. }")
    }
}

fn invalid_setting(field: &str, message: impl Into<String>) -> Error {
    Error::invalid(format!("okta.{field}"), message)
}

impl Okta {
    /// An adapter over the org `settings` names. `accounts` names the
    /// accounts of a principal; `local` serves what Okta does not hold
    /// (the account team). A bad setting is [`Error::InvalidInput`] naming it.
    pub fn new(
        settings: Settings,
        accounts: Arc<dyn AccountStore>,
        local: Arc<dyn Identity>,
    ) -> Result<Self> {
        let client = Client::new(&settings).map_err(|(field, m)| invalid_setting(field, m))?;
        let entitlements = match settings.entitlements {
            EntitlementSource::Groups {
                pattern,
                operator_group,
            } => Entitlements::Groups {
                pattern: GroupPattern::parse(&pattern)
                    .map_err(|m| invalid_setting("entitlements.pattern", m))?,
                operator_group,
            },
            EntitlementSource::ProfileAttribute {
                attribute,
                operator_group,
            } => {
                let plain = !attribute.is_empty()
                    && attribute
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !plain {
                    return Err(invalid_setting(
                        "entitlements.attribute",
                        "must be a profile attribute name (letters, digits, `_`)",
                    ));
                }
                Entitlements::Attribute {
                    attribute,
                    operator_group,
                }
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                entitlements,
                accounts,
                local,
            }),
        })
    }

    /// Asks the org for one user: whether it answers and takes the
    /// credentials (checked at start-up, before anything is written).
    pub async fn check(&self) -> Result<()> {
        let client = &self.inner.client;
        let url = client.url(&["users"], &[("limit", "1")]);
        client
            .get::<serde_json::Value>(url)
            .await
            .map(|_| ())
            .map_err(|e| e.into_core("the org"))
    }

    /// Unlocks a LOCKED_OUT user (`lifecycle/unlock`): an administrator's
    /// action, not part of public recovery. An unknown user is
    /// [`Error::NotFound`]; a user who is not locked out is
    /// [`Error::Conflict`].
    pub async fn unlock(&self, user_id: &str) -> Result<()> {
        let client = &self.inner.client;
        let url = client.url(&["users", user_id, "lifecycle", "unlock"], &[]);
        match client.post(url, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("E0000038") => {
                Err(Error::Conflict("the user is not locked out".into()))
            }
            Err(e) => Err(e.into_core(&format!("user {user_id}"))),
        }
    }
}

/// A search/filter string literal: `"` and `\` escaped.
pub(crate) fn quoted(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}
