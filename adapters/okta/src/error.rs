//! The adapter's own errors and their one mapping into
//! [`switchboard_core::Error`]. Nothing here carries the API token, an
//! access token or the service app's key, and Okta's summaries are
//! logged, never shown to clients.

use switchboard_core::Error;

use crate::BACKEND;
use crate::wire::ErrorBody;

/// Why a call to Okta failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OktaError {
    /// The request did not complete (connection, timeout); the URL is
    /// stripped, it may hold a login.
    #[error("request failed: {0}")]
    Transport(reqwest::Error),
    /// Okta answered with an error envelope (or a bare error status).
    #[error("okta answered HTTP {status} {}", body.error_code)]
    Api {
        /// The HTTP status.
        status: u16,
        /// The envelope (`errorCode` empty when there was none).
        body: ErrorBody,
        /// The scope an `insufficient_scope` challenge asked for.
        scope: Option<String>,
    },
    /// The token endpoint refused the service app (an OAuth error such as
    /// `invalid_client` or `invalid_scope`).
    #[error("okta refused the token request: HTTP {status} {error}")]
    Token {
        /// The HTTP status.
        status: u16,
        /// The OAuth `error`.
        error: String,
        /// The OAuth `error_description`.
        description: String,
        /// Whether this is a remembered refusal, already logged.
        repeated: bool,
    },
    /// Waiting for the rate limit to reset would take longer than allowed.
    #[error("rate limited for {wait_ms} ms, more than the {max_ms} ms allowed")]
    RateLimited {
        /// How long Okta asked to wait.
        wait_ms: u64,
        /// The configured cap.
        max_ms: u64,
    },
    /// A body or header does not follow Okta's contract.
    #[error("the answer does not follow the contract: {0}")]
    Contract(String),
}

impl OktaError {
    /// The transport error, without its URL.
    pub(crate) fn transport(e: reqwest::Error) -> Self {
        OktaError::Transport(e.without_url())
    }

    /// Okta's `errorCode`, when it answered with one.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            OktaError::Api { body, .. } if !body.error_code.is_empty() => {
                Some(body.error_code.as_str())
            }
            _ => None,
        }
    }

    /// Whether Okta answered 404 / E0000007.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, OktaError::Api { status: 404, .. }) || self.code() == Some("E0000007")
    }

    /// The shared error for this failure, logged once here. `what` names
    /// what was asked for, for [`Error::NotFound`].
    pub(crate) fn into_core(self, what: &str) -> Error {
        if self.is_not_found() {
            return Error::not_found(what);
        }
        match (self.code(), &self) {
            (Some("E0000011" | "E0000004"), _) => {
                tracing::error!(
                    adapter.name = BACKEND,
                    "okta rejected the API token or the service app's access token"
                );
                return Error::unavailable(BACKEND);
            }
            (Some("E0000005" | "E0000006"), OktaError::Api { scope, .. }) => {
                match scope {
                    Some(scope) => tracing::error!(
                        adapter.name = BACKEND,
                        okta.required_scope = %scope,
                        "okta refused the operation: the service app's token lacks the scope; grant it to the app and add it to `scopes`"
                    ),
                    None => tracing::error!(
                        adapter.name = BACKEND,
                        "okta refused the operation: the API token's admin, or the service app's admin role, lacks the permission"
                    ),
                }
                return Error::unavailable(BACKEND);
            }
            _ => {}
        }
        match &self {
            OktaError::Token {
                status,
                error,
                description,
                repeated,
            } => {
                let description = printable(description);
                if *repeated {
                    tracing::debug!(adapter.name = BACKEND, http.status = status, oauth.error = %error, "okta refused the service app moments ago; not asking again yet");
                } else {
                    tracing::error!(
                        adapter.name = BACKEND,
                        http.status = status,
                        oauth.error = %printable(error),
                        oauth.error_description = %description,
                        "okta refused the service app's token request; check client_id, key_id, the public key registered on the app, the scopes granted to it, and `dpop` (on when the app requires DPoP)"
                    );
                }
                Error::unavailable(BACKEND)
            }
            OktaError::Api { status, body, .. } if *status < 500 && *status != 429 => {
                tracing::error!(
                    adapter.name = BACKEND,
                    http.status = status,
                    okta.error_code = %body.error_code,
                    okta.error_id = %body.error_id,
                    "okta refused a request the adapter built"
                );
                Error::Internal
            }
            OktaError::Api { status, body, .. } => {
                tracing::warn!(
                    adapter.name = BACKEND,
                    http.status = status,
                    okta.error_code = %body.error_code,
                    okta.error_id = %body.error_id,
                    "okta failed"
                );
                Error::unavailable(BACKEND)
            }
            other => {
                tracing::warn!(adapter.name = BACKEND, error = %other, "okta could not be reached");
                Error::unavailable(BACKEND)
            }
        }
    }
}

/// At most 200 printable characters of a text Okta sent, for a log line.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}
