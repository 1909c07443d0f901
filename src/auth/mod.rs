//! Identity: the embedded token issuer, external OpenID Connect issuers
//! (discovery, cached key sets, introspection), token verification, and
//! resolving a token to a [`Caller`] through per-issuer claims mapping.

mod caller;
mod introspect;
mod issuer;
mod jwks;
mod keys;
mod mapping;
mod settings;
mod verify;

pub use caller::{Caller, Callers};
pub use issuer::EmbeddedIssuer;
pub use jwks::http_client;
pub use settings::{
    EntitlementSource, IntrospectionConfig, IssuerConfig, ServiceAccount, ServiceConfig,
    check_issuers,
};
pub use verify::{Claims, TrustedIssuer, Verified, Verifier};

/// Why a request is not authenticated. Shown to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header (or connection_init token).
    #[error("a bearer token is required; get one with `switchboard token <email>`")]
    Missing,
    /// The token failed a check.
    #[error("the token is not valid: {0}")]
    Invalid(String),
    /// The token is valid but names no known user.
    #[error("the token's user is not known here")]
    UnknownUser,
    /// A backend the check needs (the directory, the issuer's keys or
    /// introspection, the session store) could not be asked; names it.
    #[error("the {0} backend is unavailable, try again shortly")]
    Unavailable(String),
}

impl AuthError {
    /// The [`AuthError::Unavailable`] a failed backend call deserves: named
    /// by the adapter's error when it says, else `fallback`.
    pub fn unavailable(error: &switchboard_core::Error, fallback: &str) -> Self {
        match error {
            switchboard_core::Error::Unavailable { backend } => Self::Unavailable(backend.clone()),
            _ => Self::Unavailable(fallback.to_string()),
        }
    }
}

/// The token in an `Authorization` header value, if it is a bearer token.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
