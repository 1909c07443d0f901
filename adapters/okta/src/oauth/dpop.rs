//! DPoP proofs (RFC 9449) for a service app whose tokens Okta binds to a
//! key ("Require DPoP" on the app).
//!
//! - The key is the adapter's own: a P-256 pair made at start-up and kept
//!   in memory only (tokens bound to it die with the process), separate
//!   from the key that signs client assertions.
//! - A proof is a JWT with header `typ: dpop+jwt`, `alg: ES256` and the
//!   public `jwk`, and claims `htm` (the method), `htu` (the URL without
//!   query or fragment), `iat`, a fresh `jti`; on token requests the
//!   authorization server's `nonce` once it asked for one (`use_dpop_nonce`
//!   with a `DPoP-Nonce` header; the latest nonce is kept), on API calls
//!   `ath`, the base64url SHA-256 of the access token.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use rand::RngExt;
use reqwest::{Method, Url};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::OktaError;

/// The claims of a proof.
#[derive(Serialize)]
struct Claims<'a> {
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
}

/// The adapter's DPoP key and the authorization server's latest nonce.
pub(crate) struct Dpop {
    key: EncodingKey,
    jwk: Jwk,
    nonce: Mutex<Option<String>>,
}

impl Dpop {
    /// A fresh key pair; `None` if the platform could not make one.
    pub(crate) fn generate() -> Option<Self> {
        let secret = (0..16).find_map(|_| {
            let bytes: [u8; 32] = rand::rng().random();
            p256::SecretKey::from_slice(&bytes).ok()
        })?;
        let der = secret.to_pkcs8_der().ok()?;
        let key = EncodingKey::from_ec_der(der.as_bytes());
        let jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).ok()?;
        Some(Self {
            key,
            jwk,
            nonce: Mutex::new(None),
        })
    }

    /// Keeps the nonce the authorization server sent.
    pub(crate) fn set_nonce(&self, nonce: &str) {
        *self.nonce.lock().unwrap_or_else(|e| e.into_inner()) = Some(nonce.to_string());
    }

    /// A proof for `method` on `url`; with `access_token`, bound to it.
    pub(crate) fn proof(
        &self,
        method: &Method,
        url: &Url,
        access_token: Option<&str>,
    ) -> Result<String, OktaError> {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let jti: [u8; 16] = rand::rng().random();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims = Claims {
            htm: method.as_str(),
            htu: htu.as_str(),
            iat,
            jti: b64.encode(jti),
            // The authorization server's nonce is for the token endpoint.
            nonce: match access_token {
                None => self.nonce.lock().unwrap_or_else(|e| e.into_inner()).clone(),
                Some(_) => None,
            },
            ath: access_token.map(|t| b64.encode(Sha256::digest(t.as_bytes()))),
        };
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|_| OktaError::Contract("a DPoP proof could not be signed".into()))
    }
}
