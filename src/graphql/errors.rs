//! The one conversion from errors to GraphQL errors: every error a client
//! sees carries `extensions.code` from [`Code`], and the adapter's name when a
//! backend failed. Messages never carry internals.

use async_graphql::ErrorExtensions;
use switchboard_core::Error;

/// The stable list of error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// No valid credentials.
    Unauthenticated,
    /// Known caller, not allowed.
    Forbidden,
    /// No such record (or not visible to the caller).
    NotFound,
    /// The request or an argument is not acceptable.
    BadUserInput,
    /// The record's state forbids the change.
    Conflict,
    /// Too large a request or upload.
    PayloadTooLarge,
    /// A backend failed; `extensions.backend` names it.
    BackendUnavailable,
    /// A bug; details are in the gateway's log.
    Internal,
    /// A cookie-authenticated request without the cross-site request
    /// forgery protection it needs (HTTP 403).
    CsrfRejected,
    /// Too many attempts; `extensions.retryAfterSeconds` says when to retry.
    RateLimited,
    /// The backend serving the domain cannot do this; `extensions.backend`
    /// names it.
    NotSupported,
    /// An automatic persisted query's hash is not known yet: send the
    /// document with it (message `PersistedQueryNotFound`, HTTP 200).
    PersistedQueryNotFound,
    /// Automatic persisted queries are off: stop sending hashes alone
    /// (message `PersistedQueryNotSupported`, HTTP 200).
    PersistedQueryNotSupported,
    /// No persisted document has this id (HTTP 404).
    PersistedQueryNotInList,
    /// Only persisted documents run here (HTTP 403).
    QueryNotInSafelist,
}

impl Code {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Conflict => "CONFLICT",
            Code::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Code::BackendUnavailable => "BACKEND_UNAVAILABLE",
            Code::RateLimited => "RATE_LIMITED",
            Code::NotSupported => "NOT_SUPPORTED",
            Code::Internal => "INTERNAL",
            Code::CsrfRejected => "CSRF_REJECTED",
            Code::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Code::PersistedQueryNotSupported => "PERSISTED_QUERY_NOT_SUPPORTED",
            Code::PersistedQueryNotInList => "PERSISTED_QUERY_NOT_IN_LIST",
            Code::QueryNotInSafelist => "QUERY_NOT_IN_SAFELIST",
        }
    }
}

/// A GraphQL error with `code`.
pub fn error(code: Code, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, ext| ext.set("code", code.as_str()))
}

/// The code for a domain error.
pub fn code_of(e: &Error) -> Code {
    match e {
        Error::NotFound { .. } => Code::NotFound,
        Error::Forbidden(_) => Code::Forbidden,
        Error::InvalidInput { .. } => Code::BadUserInput,
        Error::Conflict(_) => Code::Conflict,
        Error::PayloadTooLarge { .. } => Code::PayloadTooLarge,
        Error::Unavailable { .. } => Code::BackendUnavailable,
        Error::Unsupported { .. } => Code::NotSupported,
        Error::Internal => Code::Internal,
    }
}

/// Converts a domain error, adding `field` or `backend` where it has one.
pub fn to_gql(e: &Error) -> async_graphql::Error {
    let code = code_of(e);
    async_graphql::Error::new(e.to_string()).extend_with(|_, ext| {
        ext.set("code", code.as_str());
        match e {
            Error::InvalidInput { field, .. } => ext.set("field", field.as_str()),
            Error::Unavailable { backend } | Error::Unsupported { backend, .. } => {
                ext.set("backend", backend.as_str())
            }
            _ => {}
        }
    })
}

/// `.gql()` on a port's result: the only way resolvers turn domain errors
/// into GraphQL errors (a bare `?` would lose the code).
pub trait IntoGql<T> {
    /// Converts the error with [`to_gql`].
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> IntoGql<T> for Result<T, Error> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_gql(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(e: async_graphql::Error) -> serde_json::Value {
        serde_json::to_value(
            e.into_server_error(async_graphql::Pos::default())
                .extensions,
        )
        .unwrap()
    }

    #[test]
    fn every_domain_error_maps_to_its_code() {
        let cases = [
            (Error::not_found("case CS1"), "NOT_FOUND"),
            (Error::Forbidden("no".into()), "FORBIDDEN"),
            (Error::invalid("input.x", "bad"), "BAD_USER_INPUT"),
            (Error::Conflict("state".into()), "CONFLICT"),
            (
                Error::PayloadTooLarge {
                    what: "file".into(),
                    limit_bytes: 1,
                },
                "PAYLOAD_TOO_LARGE",
            ),
            (Error::unavailable("sql"), "BACKEND_UNAVAILABLE"),
            (Error::unsupported("statuspage", "writes"), "NOT_SUPPORTED"),
            (Error::Internal, "INTERNAL"),
        ];
        for (e, code) in cases {
            assert_eq!(ext(to_gql(&e))["code"], code, "{e:?}");
        }
    }

    #[test]
    fn invalid_input_names_the_field_and_unavailable_the_backend() {
        assert_eq!(
            ext(to_gql(&Error::invalid("input.description", "x")))["field"],
            "input.description"
        );
        assert_eq!(
            ext(to_gql(&Error::unavailable("servicenow")))["backend"],
            "servicenow"
        );
    }

    #[test]
    fn internal_errors_say_nothing_of_the_cause() {
        assert_eq!(to_gql(&Error::Internal).message, "internal error");
    }
}
