//! The org authorization server's token endpoint for service apps
//! (`POST /oauth2/v1/token`, `client_credentials` with a `private_key_jwt`
//! client assertion), and the access tokens it issues.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use rand::RngExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::apps::ServiceApp;
use super::dpop::{self, ProofError};
use super::{Shared, wire};

/// The lifetime of the org authorization server's access tokens.
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// The furthest in the future a client assertion may expire.
const MAX_ASSERTION_SECS: u64 = 3600;

/// What an assertion that cannot be read is told.
const MALFORMED: &str = "The client_assertion token is malformed.";

/// `client_assertion_type` of a JWT assertion.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Algorithms Okta accepts for `private_key_jwt` and DPoP proofs (those
/// the library checks).
pub(crate) const ALGORITHMS: [Algorithm; 5] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// An access token the fake issued.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub scopes: BTreeSet<String>,
    /// The thumbprint of the DPoP key the token is bound to.
    pub jkt: Option<String>,
    pub expires: Instant,
    pub revoked: bool,
}

/// The authorization server's state.
#[derive(Debug)]
pub(crate) struct OAuthState {
    pub apps: Vec<ServiceApp>,
    pub tokens: HashMap<String, Issued>,
    /// (client id, jti) → the assertion's `exp`, until then.
    pub used: HashMap<(String, String), u64>,
    pub lifetime: Duration,
    pub requests: usize,
    /// The nonce DPoP proofs at the token endpoint must carry.
    pub nonce: String,
    /// DPoP proof `jti`s seen, until they are too old to be accepted.
    pub proofs: HashMap<String, u64>,
}

/// A fresh random value, base64url.
pub(crate) fn random_text() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Default for OAuthState {
    fn default() -> Self {
        Self {
            apps: Vec::new(),
            tokens: HashMap::new(),
            used: HashMap::new(),
            lifetime: DEFAULT_LIFETIME,
            requests: 0,
            nonce: random_text(),
            proofs: HashMap::new(),
        }
    }
}

/// An OAuth error answer.
fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    no_store(response.headers_mut());
    response
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

/// 401 `invalid_client`.
fn invalid_client(description: &str) -> Response {
    oauth_error(401, "invalid_client", description)
}

/// The claims the fake reads from an assertion.
#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    aud: Option<Value>,
    #[serde(default)]
    exp: Option<u64>,
    #[serde(default)]
    jti: Option<String>,
}

/// `POST /oauth2/v1/token`.
pub(crate) async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.lock().oauth.requests += 1;
    let form_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return oauth_error(
            400,
            "invalid_request",
            "The request must be application/x-www-form-urlencoded.",
        );
    }
    let Ok(form) = serde_urlencoded::from_bytes::<HashMap<String, String>>(&body) else {
        return oauth_error(400, "invalid_request", "The request body is malformed.");
    };
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if field("grant_type") != "client_credentials" {
        return oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    if field("client_assertion_type") != JWT_BEARER || field("client_assertion").is_empty() {
        return invalid_client(
            "Client authentication failed. Either the client or the client credentials are invalid.",
        );
    }
    let proof = headers.get("dpop").and_then(|v| v.to_str().ok());
    let jkt = match proof {
        None => None,
        Some(proof) => {
            let mut data = shared.lock();
            let oauth = &mut data.oauth;
            let url = format!("{}/oauth2/v1/token", shared.base);
            match dpop::verify(
                proof,
                "POST",
                &url,
                Some(&oauth.nonce),
                None,
                &mut oauth.proofs,
            ) {
                Ok(jkt) => Some(jkt),
                Err(ProofError::Nonce) => {
                    let nonce = oauth.nonce.clone();
                    drop(data);
                    let mut response = oauth_error(
                        400,
                        "use_dpop_nonce",
                        "Authorization server requires nonce in DPoP proof.",
                    );
                    if let Ok(value) = HeaderValue::from_str(&nonce) {
                        response.headers_mut().insert("dpop-nonce", value);
                    }
                    return response;
                }
                Err(ProofError::Invalid(description)) => {
                    return oauth_error(400, "invalid_dpop_proof", description);
                }
            }
        }
    };
    let app = match verify_assertion(&shared, field("client_assertion"), field("client_id")) {
        Ok(app) => app,
        Err(description) => return invalid_client(description),
    };
    if app.dpop && jkt.is_none() {
        return oauth_error(
            400,
            "invalid_dpop_proof",
            "The DPoP proof JWT header is missing.",
        );
    }
    let requested: Vec<&str> = field("scope").split_whitespace().collect();
    if requested.is_empty() {
        return oauth_error(
            400,
            "invalid_scope",
            "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
        );
    }
    if requested.iter().any(|s| !s.starts_with("okta.")) {
        return oauth_error(
            400,
            "invalid_scope",
            "One or more scopes are not configured for the authorization server resource.",
        );
    }
    let granted: BTreeSet<String> = requested
        .iter()
        .filter(|s| app.scopes.contains(**s))
        .map(|s| s.to_string())
        .collect();
    if granted.is_empty() {
        return oauth_error(
            400,
            "invalid_scope",
            "The requested scopes are not allowed for this client.",
        );
    }
    let access_token = random_text();
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    let scope = granted.iter().cloned().collect::<Vec<_>>().join(" ");
    let lifetime = {
        let mut data = shared.lock();
        let lifetime = data.oauth.lifetime;
        data.oauth.tokens.insert(
            access_token.clone(),
            Issued {
                scopes: granted,
                jkt,
                expires: Instant::now() + lifetime,
                revoked: false,
            },
        );
        lifetime
    };
    let mut response = axum::Json(json!({
        "token_type": token_type,
        "expires_in": lifetime.as_secs().max(1),
        "access_token": access_token,
        "scope": scope,
    }))
    .into_response();
    no_store(response.headers_mut());
    response
}

/// The app whose assertion this is, after checking it as Okta does
/// (else the `invalid_client` description):
/// a known client, a registered `kid`, the signature, `iss` = `sub` = the
/// client id, `aud` = this endpoint's URL, an `exp` neither past nor more
/// than an hour away, and a `jti` not seen before.
fn verify_assertion(
    shared: &Shared,
    assertion: &str,
    client_id: &str,
) -> Result<ServiceApp, &'static str> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| MALFORMED)?;
    let unverified = jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(assertion)
        .map_err(|_| MALFORMED)?;
    let issuer = unverified.iss.clone().unwrap_or_default();
    if !client_id.is_empty() && client_id != issuer {
        return Err("The client_assertion token's 'iss' must match the client_id.");
    }
    let app = shared
        .lock()
        .oauth
        .apps
        .iter()
        .find(|a| a.client_id == issuer)
        .cloned()
        .ok_or("Invalid value for 'client_id' parameter.")?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err("The client_assertion token has an unsupported signing algorithm.");
    }
    let key = match (&header.kid, app.keys.as_slice()) {
        (Some(kid), keys) => keys.iter().find(|k| k.kid == *kid),
        (None, [only]) => Some(only),
        (None, _) => None,
    }
    .ok_or("The client_assertion token has an invalid key id ('kid').")?;
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = match jsonwebtoken::decode::<Claims>(assertion, &key.key, &validation) {
        Ok(data) => data.claims,
        Err(e) => {
            return Err(match e.kind() {
                ErrorKind::InvalidSignature
                | ErrorKind::InvalidAlgorithm
                | ErrorKind::InvalidKeyFormat
                | ErrorKind::InvalidEcdsaKey
                | ErrorKind::InvalidRsaKey(_) => "The client_assertion signature is invalid.",
                _ => MALFORMED,
            });
        }
    };
    if claims.sub.as_deref() != Some(app.client_id.as_str()) {
        return Err("The client_assertion token's 'sub' must be the client_id.");
    }
    let token_url = format!("{}/oauth2/v1/token", shared.base);
    let audience_ok = match &claims.aud {
        Some(Value::String(a)) => *a == token_url,
        Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(token_url.as_str())),
        _ => false,
    };
    if !audience_ok {
        return Err(
            "The audience claim for client_assertion must be the endpoint invoked for the request.",
        );
    }
    let now = wire::epoch_secs();
    let exp = claims
        .exp
        .ok_or("The client_assertion token must have an expiration ('exp').")?;
    if exp <= now {
        return Err("The client_assertion token is expired.");
    }
    if exp > now + MAX_ASSERTION_SECS {
        return Err("The client_assertion token has an expiration too far in the future.");
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty())
        .ok_or("The client_assertion token must have a 'jti' claim.")?;
    let mut data = shared.lock();
    data.oauth.used.retain(|_, until| *until > now);
    let seen = data
        .oauth
        .used
        .insert((app.client_id.clone(), jti), exp)
        .is_some();
    if seen {
        return Err("The client_assertion token has already been used.");
    }
    Ok(app)
}
