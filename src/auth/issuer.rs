//! The embedded issuer: an Ed25519 key kept in the data folder, a JWKS
//! naming it, and short-lived tokens for users of the directory.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngExt;
use sha2::{Digest, Sha256};
use switchboard_core::directory::User;

use super::verify::Claims;

const KEY_FILE: &str = "issuer-ed25519.pem";

/// The gateway's own token issuer.
#[derive(Clone)]
pub struct EmbeddedIssuer {
    issuer: String,
    audience: String,
    kid: String,
    encoding: EncodingKey,
    jwks: JwkSet,
}

impl std::fmt::Debug for EmbeddedIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedIssuer")
            .field("issuer", &self.issuer)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl EmbeddedIssuer {
    /// Loads the signing key from `data_dir`, making one on first use.
    pub fn load_or_create(data_dir: &Path, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(KEY_FILE);
        let key = if path.exists() {
            let pem = std::fs::read_to_string(&path)?;
            SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                anyhow::anyhow!("the signing key {} is unreadable: {e}", path.display())
            })?
        } else {
            let seed: [u8; 32] = rand::rng().random();
            let key = SigningKey::from_bytes(&seed);
            let pem = key
                .to_pkcs8_pem(Default::default())
                .map_err(|e| anyhow::anyhow!("cannot encode the signing key: {e}"))?;
            write_private(&path, pem.as_bytes())?;
            tracing::info!(key.path = %path.display(), "made a new token signing key");
            key
        };
        Self::from_key(&key, issuer, audience)
    }

    fn from_key(key: &SigningKey, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        let public = key.verifying_key().to_bytes();
        let x = URL_SAFE_NO_PAD.encode(public);
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..12]);
        let pem = key
            .to_pkcs8_pem(Default::default())
            .map_err(|e| anyhow::anyhow!("cannot encode the signing key: {e}"))?;
        let encoding = EncodingKey::from_ed_pem(pem.as_bytes())?;
        let jwks: JwkSet = serde_json::from_value(serde_json::json!({
            "keys": [{ "kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig" }]
        }))?;
        Ok(Self {
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            kid,
            encoding,
            jwks,
        })
    }

    /// The issuer identifier (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public keys, as served at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    /// A signed token for `user`, valid for `ttl_secs`.
    pub fn mint(&self, user: &User, ttl_secs: u64) -> anyhow::Result<String> {
        self.mint_with(user, ttl_secs, |_| {})
    }

    /// A signed token whose header `tweak` adjusted (tests of refusals).
    pub(crate) fn mint_with(
        &self,
        user: &User,
        ttl_secs: u64,
        tweak: impl FnOnce(&mut Header),
    ) -> anyhow::Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: user.id.clone(),
            aud: serde_json::Value::String(self.audience.clone()),
            exp: now + ttl_secs,
            nbf: Some(now),
            iat: Some(now),
            email: Some(user.email.clone()),
            name: Some(user.name.clone()),
            azp: None,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        tweak(&mut header);
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding)?)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
