//! What the public profile mutations need: the client's address, which
//! operations may run without a token, and the rate limits.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_graphql::ErrorExtensions;
use async_graphql::parser::types::{OperationType, Selection};
use axum::http::HeaderMap;

use crate::config::IdentityConfig;
use crate::graphql::errors::{Code, error};
use crate::limits::{Limits, RateLimiter};

/// The root fields anyone may call without a token.
pub const PUBLIC_FIELDS: [&str; 5] = [
    "requestPasswordReset",
    "requestAccountUnlock",
    "completePasswordReset",
    "completeAccountUnlock",
    "requestPortalAccess",
];

/// The address a request came from (request data of every HTTP request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The connection's peer, or, when `trust_forwarded_for` is set, the
    /// first address of `X-Forwarded-For` (the client as the proxy saw it).
    pub fn of(peer: Option<SocketAddr>, headers: &HeaderMap, trust_forwarded_for: bool) -> Self {
        let forwarded = trust_forwarded_for
            .then(|| headers.get("x-forwarded-for")?.to_str().ok())
            .flatten()
            .and_then(|v| v.split(',').next())
            .and_then(|first| first.trim().parse::<IpAddr>().ok());
        let peer = peer.map(|p| p.ip());
        Self(forwarded.or(peer).unwrap_or(IpAddr::from([0, 0, 0, 0])))
    }
}

/// Whether `request` may run without a caller: a single mutation whose root
/// selections are all [`PUBLIC_FIELDS`] (or `__typename`).
pub fn is_public(request: &async_graphql::Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let wanted = request.operation_name.as_deref();
    let mut operations = doc.operations.iter().filter(|(name, _)| match wanted {
        Some(w) => name.is_some_and(|n| n.as_str() == w),
        None => true,
    });
    let (Some((_, op)), None) = (operations.next(), operations.next()) else {
        return false;
    };
    op.node.ty == OperationType::Mutation
        && op
            .node
            .selection_set
            .node
            .items
            .iter()
            .all(|item| match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    name == "__typename" || PUBLIC_FIELDS.contains(&name)
                }
                _ => false,
            })
}

/// The rate limits of the profile features.
#[derive(Debug)]
pub struct ProfileLimits {
    /// Recovery requests per login.
    pub recovery_login: RateLimiter,
    /// Recovery requests per client address.
    pub recovery_address: RateLimiter,
    /// Recovery-link redemptions per client address (counted apart from
    /// requests, with the same quota).
    pub redemption_address: RateLimiter,
    /// Password-change attempts per user.
    pub password_attempts: RateLimiter,
    /// Access requests per client address.
    pub access_address: RateLimiter,
    /// Where access-request cases are opened.
    pub intake_account: Option<String>,
    /// Where recovery links point, when not at the gateway's public URL.
    pub recovery_link_base: Option<String>,
}

impl ProfileLimits {
    /// Limits as configured, counted in `limits`.
    pub fn new(config: &IdentityConfig, limits: &Limits) -> Self {
        let login_window = Duration::from_secs(config.recovery_window_secs);
        let address_window = Duration::from_secs(config.address_window_secs);
        Self {
            recovery_login: limits.limiter(
                "recovery_login",
                config.recovery_per_login,
                login_window,
            ),
            recovery_address: limits.limiter(
                "recovery_address",
                config.recovery_per_address,
                address_window,
            ),
            redemption_address: limits.limiter(
                "redemption_address",
                config.recovery_per_address,
                address_window,
            ),
            password_attempts: limits.limiter(
                "password_attempts",
                config.password_attempts,
                login_window,
            ),
            access_address: limits.limiter(
                "access_address",
                config.access_requests_per_address,
                address_window,
            ),
            intake_account: config.intake_account.clone(),
            recovery_link_base: config.recovery_link_base.clone(),
        }
    }
}

/// The RATE_LIMITED error, with `extensions.retryAfterSeconds`.
pub fn rate_limited(wait: Duration) -> async_graphql::Error {
    let seconds = wait.as_secs().max(1);
    error(
        Code::RateLimited,
        format!("too many attempts; try again in {seconds} seconds"),
    )
    .extend_with(|_, ext| ext.set("retryAfterSeconds", seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(query: &str) -> bool {
        is_public(&async_graphql::Request::new(query))
    }

    #[test]
    fn only_public_mutations_run_without_a_token() {
        assert!(public(
            r#"mutation { requestPasswordReset(login: "a") { message } }"#
        ));
        assert!(public(
            r#"mutation M { __typename requestAccountUnlock(login: "a") { message } }"#
        ));
        assert!(public(
            r#"mutation { completePasswordReset(token: "t", newPassword: "p") }"#
        ));
        assert!(public(r#"mutation { completeAccountUnlock(token: "t") }"#));
        assert!(!public(r#"{ requestPasswordReset }"#), "a query");
        assert!(!public(
            r#"mutation { requestPasswordReset(login: "a") { message } resetFactor(factorId: "1") { factors { id } } }"#
        ));
        assert!(!public(
            r#"mutation { ...F } fragment F on Mutation { resetFactor(factorId: "1") { removedFactorIds } }"#
        ));
        assert!(!public(
            "mutation A { requestPasswordReset(login: \"a\") { message } } mutation B { resetFactor(factorId: \"1\") { removedFactorIds } }"
        ));
        assert!(!public("not graphql"));
    }

    #[test]
    fn forwarded_for_is_honoured_only_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.7, 10.0.0.1".parse().unwrap());
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 9)));
        assert_eq!(
            ClientAddr::of(peer, &headers, true).0.to_string(),
            "203.0.113.7"
        );
        assert_eq!(
            ClientAddr::of(peer, &headers, false).0.to_string(),
            "127.0.0.1"
        );
        headers.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(
            ClientAddr::of(peer, &headers, true).0.to_string(),
            "127.0.0.1"
        );
    }
}
