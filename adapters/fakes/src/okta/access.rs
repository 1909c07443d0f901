//! Who may call the management API: the API token (`SSWS`), or an access
//! token the fake issued holding the scope the call needs (`Bearer`, or
//! `DPoP` with a proof signed by the key the token is bound to, naming the
//! request and hashing the token in `ath`).
//!
//! Scopes: reads of `/api/v1/groups…` need `okta.groups.read`, writes
//! `okta.groups.manage`; reads of `/api/v1/users…` (users, a user's groups,
//! a user's factors) need `okta.users.read`, writes (factor resets,
//! lifecycle, credentials) `okta.users.manage`. A `.manage` scope also
//! grants the matching `.read`. Okta documents the user's factors under the
//! users scopes; `okta.factors.*` is for the org's factor settings
//! (`/api/v1/org/factors`), so it grants nothing here.

use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::Response;

use super::dpop::{self, ProofError};
use super::{Shared, wire};

/// The scope a call to `path` with `method` needs.
pub(crate) fn required_scope(method: &Method, path: &str) -> &'static str {
    let rest = path.strip_prefix("/api/v1/").unwrap_or(path);
    let read = matches!(*method, Method::GET | Method::HEAD);
    match (rest.split('/').next(), read) {
        (Some("groups"), true) => "okta.groups.read",
        (Some("groups"), false) => "okta.groups.manage",
        (_, true) => "okta.users.read",
        (_, false) => "okta.users.manage",
    }
}

/// Whether `scopes` grant `needed`.
fn grants<'a>(mut scopes: impl Iterator<Item = &'a String>, needed: &str) -> bool {
    let manage = needed.strip_suffix(".read").map(|s| format!("{s}.manage"));
    scopes.any(|s| s == needed || Some(s) == manage.as_ref())
}

/// `None` when a call with `headers` may be made, else Okta's answer.
pub(crate) fn refuse(
    shared: &Shared,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
) -> Option<Response> {
    let authorization = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if authorization == format!("SSWS {}", shared.token) {
        return None;
    }
    let needed = required_scope(method, path);
    let (scheme, token) = match authorization.split_once(' ') {
        Some(("Bearer", token)) => ("Bearer", token),
        Some(("DPoP", token)) => ("DPoP", token),
        _ => return Some(wire::error(401, "E0000011", "Invalid token provided", &[])),
    };
    let refusal = |status: u16, error: &str, description: &str| {
        let mut response = if status == 403 {
            wire::error(
                403,
                "E0000006",
                "You do not have permission to perform the requested action",
                &[],
            )
        } else {
            wire::error(401, "E0000011", "Invalid token provided", &[])
        };
        challenge(
            &mut response,
            shared,
            scheme,
            needed,
            error,
            description,
            path,
        );
        Some(response)
    };
    let mut data = shared.lock();
    let Some(issued) = data
        .oauth
        .tokens
        .get(token)
        .filter(|t| !t.revoked && t.expires > std::time::Instant::now())
        .cloned()
    else {
        return refusal(401, "invalid_token", "The token is not valid.");
    };
    match (scheme, &issued.jkt) {
        ("Bearer", Some(_)) => {
            return refusal(
                401,
                "invalid_token",
                "The access token is DPoP-bound; send it with the DPoP scheme and a proof.",
            );
        }
        ("DPoP", None) => {
            return refusal(401, "invalid_token", "The access token is not DPoP-bound.");
        }
        ("DPoP", Some(jkt)) => {
            let Some(proof) = headers.get("dpop").and_then(|v| v.to_str().ok()) else {
                return refusal(401, "invalid_dpop_proof", "The DPoP proof is missing.");
            };
            let url = format!("{}{path}", shared.base);
            let checked = dpop::verify(
                proof,
                method.as_str(),
                &url,
                None,
                Some(token),
                &mut data.oauth.proofs,
            );
            match checked {
                Ok(key) if key == *jkt => {}
                Ok(_) => {
                    return refusal(
                        401,
                        "invalid_dpop_proof",
                        "The DPoP proof is not signed by the token's key.",
                    );
                }
                Err(ProofError::Invalid(description)) => {
                    return refusal(401, "invalid_dpop_proof", description);
                }
                Err(ProofError::Nonce) => {
                    return refusal(401, "use_dpop_nonce", "A nonce is required.");
                }
            }
        }
        _ => {}
    }
    drop(data);
    if grants(issued.scopes.iter(), needed) {
        return None;
    }
    refusal(
        403,
        "insufficient_scope",
        "The access token provided does not contain the required scopes.",
    )
}

/// Adds Okta's `WWW-Authenticate` challenge for `scheme` (`Bearer` or
/// `DPoP`).
fn challenge(
    response: &mut Response,
    shared: &Shared,
    scheme: &str,
    scope: &str,
    error: &str,
    description: &str,
    path: &str,
) {
    let base = &shared.base;
    let algs = if scheme == "DPoP" {
        " algs=\"RS256 RS384 RS512 ES256 ES384\","
    } else {
        ""
    };
    let value = format!(
        "{scheme}{algs} authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\", \
         scope=\"{scope}\", error=\"{error}\", error_description=\"{description}\", \
         resource=\"{path}\""
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_resource_and_the_method() {
        assert_eq!(
            required_scope(&Method::GET, "/api/v1/users/00u1/factors"),
            "okta.users.read"
        );
        assert_eq!(
            required_scope(&Method::DELETE, "/api/v1/users/00u1/factors/f1"),
            "okta.users.manage"
        );
        assert_eq!(
            required_scope(&Method::GET, "/api/v1/groups/00g1/users"),
            "okta.groups.read"
        );
        let manage = ["okta.users.manage".to_string()];
        assert!(grants(manage.iter(), "okta.users.read"));
        assert!(!grants(manage.iter(), "okta.groups.read"));
        let factors = ["okta.factors.manage".to_string()];
        assert!(!grants(factors.iter(), "okta.users.manage"));
    }
}
