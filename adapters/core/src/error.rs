//! The semantic error every adapter maps its own failures into.

use std::fmt;

/// Result with the shared [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a client can act on.
///
/// Adapters keep their own private error types and convert them into this
/// enum at their boundary; messages must never carry SQL, credentials or
/// other internals, since the GraphQL layer shows them to clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The record does not exist, or exists outside the caller's scope.
    #[error("{what} not found")]
    NotFound {
        /// A short name of what was looked for, e.g. `case CS00000000001`.
        what: String,
    },
    /// The caller is known but their role does not allow the operation.
    #[error("{0}")]
    Forbidden(String),
    /// A value supplied by the caller is not acceptable.
    #[error("{message}")]
    InvalidInput {
        /// The input field at fault, as the client named it (`input.description`).
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The operation conflicts with the record's current state.
    #[error("{0}")]
    Conflict(String),
    /// A payload is larger than the configured limit.
    #[error("{what} is larger than the limit of {limit_bytes} bytes")]
    PayloadTooLarge {
        /// What was too large.
        what: String,
        /// The limit in bytes.
        limit_bytes: u64,
    },
    /// A backend did not answer, or answered with a failure that may pass.
    #[error("the {backend} backend is unavailable, try again shortly")]
    Unavailable {
        /// The name of the backend (`sql`, `servicenow`).
        backend: String,
    },
    /// The backend serving this domain cannot do this (a capability it
    /// declares absent, e.g. writes to a read-only status page).
    #[error("{what} is not supported by the {backend} backend")]
    Unsupported {
        /// The name of the backend (`statuspage`, `okta`).
        backend: String,
        /// What was asked, e.g. `changing system status`.
        what: String,
    },
    /// Anything else; the detail is logged where it happened, not shown.
    #[error("internal error")]
    Internal,
}

impl Error {
    /// A [`Error::NotFound`] for `what`.
    pub fn not_found(what: impl fmt::Display) -> Self {
        Self::NotFound {
            what: what.to_string(),
        }
    }

    /// A [`Error::InvalidInput`] for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A [`Error::Unsupported`]: `backend` cannot do `what`.
    pub fn unsupported(backend: impl Into<String>, what: impl Into<String>) -> Self {
        Self::Unsupported {
            backend: backend.into(),
            what: what.into(),
        }
    }

    /// A [`Error::Unavailable`] naming `backend`.
    pub fn unavailable(backend: impl Into<String>) -> Self {
        Self::Unavailable {
            backend: backend.into(),
        }
    }
}
