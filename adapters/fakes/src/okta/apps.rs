//! Service apps registered on a [`super::FakeOkta`] (client id, public
//! keys by `kid`, granted `okta.*` scopes), and throwaway key pairs for
//! tests ([`TestKey`]).

use std::collections::BTreeSet;
use std::fmt;

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rand::RngExt;
use serde_json::Value;

/// A public key the fake cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidKey(pub String);

impl fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid public key: {}", self.0)
    }
}

impl std::error::Error for InvalidKey {}

/// One public key registered on an app.
#[derive(Clone)]
pub(crate) struct AppKey {
    pub kid: String,
    pub key: DecodingKey,
}

/// An API service app: what Okta's Admin Console holds for it under
/// "Public Keys" and "Okta API Scopes".
#[derive(Clone)]
pub struct ServiceApp {
    pub(crate) client_id: String,
    pub(crate) scopes: BTreeSet<String>,
    pub(crate) keys: Vec<AppKey>,
    pub(crate) dpop: bool,
}

impl fmt::Debug for ServiceApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("ServiceApp")
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("kids", &kids)
            .field("dpop", &self.dpop)
            .finish()
    }
}

impl ServiceApp {
    /// An app with client id `client_id`, granted `scopes`, and no key yet.
    pub fn new(client_id: &str, scopes: &[&str]) -> Self {
        Self {
            client_id: client_id.to_string(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            keys: Vec::new(),
            dpop: false,
        }
    }

    /// Ticks "Require Demonstrating Proof of Possession (DPoP) header in
    /// token requests": token requests without a DPoP proof are refused.
    pub fn require_dpop(mut self) -> Self {
        self.dpop = true;
        self
    }

    /// Registers a public key (`BEGIN PUBLIC KEY`, EC or RSA) as `kid`.
    pub fn with_pem_key(mut self, kid: &str, public_pem: &str) -> Result<Self, InvalidKey> {
        let key = DecodingKey::from_ec_pem(public_pem.as_bytes())
            .or_else(|_| DecodingKey::from_rsa_pem(public_pem.as_bytes()))
            .map_err(|e| InvalidKey(e.to_string()))?;
        self.keys.push(AppKey {
            kid: kid.to_string(),
            key,
        });
        Ok(self)
    }

    /// Registers a public JWK (with its `kid`), as the app's JWKS holds it.
    pub fn with_jwk(mut self, jwk: &Value) -> Result<Self, InvalidKey> {
        let parsed: Jwk =
            serde_json::from_value(jwk.clone()).map_err(|e| InvalidKey(e.to_string()))?;
        let kid = parsed
            .common
            .key_id
            .clone()
            .ok_or_else(|| InvalidKey("the JWK has no kid".into()))?;
        let key = DecodingKey::from_jwk(&parsed).map_err(|e| InvalidKey(e.to_string()))?;
        self.keys.push(AppKey { kid, key });
        Ok(self)
    }
}

/// A fresh P-256 key pair for ES256, made for one test run and never
/// stored; `Debug` does not show the private half.
#[derive(Clone)]
pub struct TestKey {
    kid: String,
    private_pem: String,
    public_pem: String,
    jwk: Value,
}

impl fmt::Debug for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .field("private_pem", &"<redacted>")
            .finish()
    }
}

impl TestKey {
    /// A new random P-256 key named `kid`.
    pub fn es256(kid: &str) -> Self {
        let secret = loop {
            let bytes: [u8; 32] = rand::rng().random();
            if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
                break secret;
            }
        };
        let private_pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .expect("a P-256 key encodes as PKCS#8")
            .to_string();
        let public_pem = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("a P-256 public key encodes as SPKI");
        let encoding =
            EncodingKey::from_ec_pem(private_pem.as_bytes()).expect("the key just made reads");
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256)
            .expect("a P-256 key has a public JWK");
        jwk.common.key_id = Some(kid.to_string());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let jwk = serde_json::to_value(&jwk).expect("a JWK serializes");
        Self {
            kid: kid.to_string(),
            private_pem,
            public_pem,
            jwk,
        }
    }

    /// The key's id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The private key, PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    pub fn private_pem(&self) -> &str {
        &self.private_pem
    }

    /// The public key, SPKI PEM (`BEGIN PUBLIC KEY`).
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// The public key as a JWK with `kid`, `use` and `alg`.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }
}
