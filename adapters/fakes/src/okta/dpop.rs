//! DPoP proofs (RFC 9449) as the fake checks them, at the token endpoint
//! and on management API calls with a DPoP-bound token.

use std::collections::HashMap;

use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, ThumbprintHash};
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::oauth::ALGORITHMS;
use super::wire;

/// How old a proof's `iat` may be, and how far ahead, in seconds.
const MAX_AGE_SECS: u64 = 300;
const MAX_AHEAD_SECS: u64 = 60;

/// Why a proof was refused.
pub(crate) enum ProofError {
    /// The proof lacks the current nonce (`use_dpop_nonce`).
    Nonce,
    /// Anything else (`invalid_dpop_proof`), with Okta's words.
    Invalid(&'static str),
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    htm: String,
    #[serde(default)]
    htu: String,
    #[serde(default)]
    iat: Option<u64>,
    #[serde(default)]
    jti: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    ath: Option<String>,
}

/// The base64url SHA-256 of an access token (`ath`).
pub(crate) fn token_hash(token: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// The thumbprint (`jkt`) of the key that signed a valid `proof` for
/// `method` on `url`: `typ` `dpop+jwt`, an asymmetric `alg`, a public
/// `jwk` whose signature holds, `htm`/`htu` naming this request, a recent
/// `iat`, a `jti` not seen before (recorded in `seen`), `nonce` equal to
/// `nonce` when one is required, and `ath` the hash of `access_token` when
/// one is presented.
pub(crate) fn verify(
    proof: &str,
    method: &str,
    url: &str,
    nonce: Option<&str>,
    access_token: Option<&str>,
    seen: &mut HashMap<String, u64>,
) -> Result<String, ProofError> {
    use ProofError::Invalid;
    let header = jsonwebtoken::decode_header(proof)
        .map_err(|_| Invalid("The DPoP proof JWT is malformed."))?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(Invalid("The DPoP proof JWT 'typ' must be 'dpop+jwt'."));
    }
    if !ALGORITHMS.contains(&header.alg) {
        return Err(Invalid("The DPoP proof JWT has an unsupported 'alg'."));
    }
    let jwk = header
        .jwk
        .as_ref()
        .filter(|j| {
            matches!(
                j.algorithm,
                AlgorithmParameters::RSA(_) | AlgorithmParameters::EllipticCurve(_)
            )
        })
        .ok_or(Invalid(
            "The DPoP proof JWT header must hold a public 'jwk'.",
        ))?;
    let key =
        DecodingKey::from_jwk(jwk).map_err(|_| Invalid("The DPoP proof 'jwk' is invalid."))?;
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Claims>(proof, &key, &validation)
        .map_err(|_| Invalid("The DPoP proof signature is invalid."))?
        .claims;
    if !claims.htm.eq_ignore_ascii_case(method) || claims.htu != url {
        return Err(Invalid(
            "The DPoP proof 'htm' and 'htu' must name the request's method and URL.",
        ));
    }
    let now = wire::epoch_secs();
    let iat = claims
        .iat
        .ok_or(Invalid("The DPoP proof must have an 'iat'."))?;
    if iat + MAX_AGE_SECS < now || iat > now + MAX_AHEAD_SECS {
        return Err(Invalid("The DPoP proof 'iat' is not recent."));
    }
    if let Some(token) = access_token
        && claims.ath.as_deref() != Some(token_hash(token).as_str())
    {
        return Err(Invalid(
            "The DPoP proof 'ath' must be the hash of the access token.",
        ));
    }
    if let Some(nonce) = nonce
        && claims.nonce.as_deref() != Some(nonce)
    {
        return Err(ProofError::Nonce);
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty())
        .ok_or(Invalid("The DPoP proof must have a 'jti'."))?;
    seen.retain(|_, until| *until > now);
    if seen.insert(jti, iat + MAX_AGE_SECS).is_some() {
        return Err(Invalid("The DPoP proof 'jti' was already used."));
    }
    jwk.thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| Invalid("The DPoP proof 'jwk' is invalid."))
}
