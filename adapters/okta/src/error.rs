//! The adapter's own errors and their one mapping into
//! [`switchboard_core::Error`]. Nothing here carries the API token, and
//! Okta's summaries are logged, never shown to clients.

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
        match self.code() {
            Some("E0000011" | "E0000004") => {
                tracing::error!(adapter.name = BACKEND, "okta rejected the API token");
                return Error::unavailable(BACKEND);
            }
            Some("E0000005" | "E0000006") => {
                tracing::error!(
                    adapter.name = BACKEND,
                    "okta refused the operation: the API token lacks the permission"
                );
                return Error::unavailable(BACKEND);
            }
            _ => {}
        }
        match &self {
            OktaError::Api { status, body } if *status < 500 && *status != 429 => {
                tracing::error!(
                    adapter.name = BACKEND,
                    http.status = status,
                    okta.error_code = %body.error_code,
                    okta.error_id = %body.error_id,
                    "okta refused a request the adapter built"
                );
                Error::Internal
            }
            OktaError::Api { status, body } => {
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
