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
    /// Replicas starting together on a shared data folder agree on one
    /// key: the file appears whole or not at all, and a replica that loses
    /// the race reads the winner's.
    pub fn load_or_create(data_dir: &Path, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(KEY_FILE);
        let read = |path: &Path| -> anyhow::Result<SigningKey> {
            let pem = std::fs::read_to_string(path)?;
            SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                anyhow::anyhow!("the signing key {} is unreadable: {e}", path.display())
            })
        };
        let key = if path.exists() {
            read(&path)?
        } else {
            let seed: [u8; 32] = rand::rng().random();
            let key = SigningKey::from_bytes(&seed);
            let pem = key
                .to_pkcs8_pem(Default::default())
                .map_err(|e| anyhow::anyhow!("cannot encode the signing key: {e}"))?;
            match write_private(&path, pem.as_bytes()) {
                Ok(()) => {
                    tracing::info!(key.path = %path.display(), "made a new token signing key");
                    key
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(&path)?,
                Err(e) => return Err(e.into()),
            }
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

/// Writes `bytes` readable by the owner only, whole: into a file of this
/// writer's own first, then linked into place, which fails with `AlreadyExists`
/// when another process got there first.
#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let own = path.with_extension(format!(
        "new-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&own)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| match std::fs::hard_link(&own, path) {
            // A volume without hard links: create it in place (a replica
            // starting at that moment may then read it half written).
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)?;
                file.write_all(bytes)
            }
            linked => linked,
        });
    let _ = std::fs::remove_file(&own);
    written
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::EmbeddedIssuer;

    #[test]
    fn replicas_starting_together_on_one_data_folder_share_one_key() {
        let dir = std::env::temp_dir().join(format!("switchboard-key-race-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let keys: Vec<String> = std::thread::scope(|scope| {
            let starts: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        let issuer = EmbeddedIssuer::load_or_create(&dir, "http://gw", "aud")
                            .expect("every replica starts");
                        serde_json::to_string(issuer.jwks()).unwrap()
                    })
                })
                .collect();
            starts.into_iter().map(|s| s.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
        // Only the key file is left.
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(files.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
