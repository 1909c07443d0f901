//! Token verification: every token, the embedded issuer's included, is
//! checked with the same rules (an algorithm allow-list, the key of the
//! issuer its `iss` names, issuer, audience, expiry and not-before with
//! leeway). Opaque tokens are introspected at issuers configured for it.
//!
//! A signed token that passed is remembered for up to [`REMEMBER`] (never
//! past its expiry, and only while its issuer's key set is the one it was
//! checked under and fresh), so a client sending the same token with every
//! request pays for the signature check once a minute rather than each
//! time; a key withdrawn from an issuer's JWKS stops its tokens as soon as
//! the gateway loads the new set. Introspected tokens are asked about each
//! time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use openidconnect::reqwest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::AuthError;
use super::introspect::Introspector;
use super::jwks::RemoteKeys;
pub use super::keys::ALLOWED_ALGORITHMS;
use super::keys::KeySet;
use super::mapping::Mapping;
use super::settings::IssuerConfig;

/// The claims the embedded issuer writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Subject: the user's directory id.
    pub sub: String,
    /// Audience: a string or a list.
    pub aud: serde_json::Value,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// Not before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// The user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The user's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The OAuth client the token was issued to (`azp`), if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
}

/// Why the embedded issuer refuses a key it does not hold: its key lives
/// in the data folder, so the usual cause is a token minted from another.
const FOREIGN_KEY: &str = "it was signed by an unknown key: the embedded issuer signs with \
     the key kept in the gateway's data folder, so this token was minted from another data \
     folder (--data-dir) or by another gateway; mint one with the token command the \
     gateway's start banner prints";

enum KeySource {
    Fixed(KeySet),
    Remote(Arc<RemoteKeys>),
}

/// An issuer whose tokens are accepted.
pub struct TrustedIssuer {
    /// Its `iss`.
    pub issuer: String,
    /// Audiences accepted from it.
    pub audiences: Vec<String>,
    /// How its claims become callers.
    pub mapping: Mapping,
    keys: KeySource,
    introspector: Option<Introspector>,
}

impl TrustedIssuer {
    /// An issuer with a fixed key set whose subjects are directory ids
    /// (the embedded issuer).
    pub fn new(issuer: &str, audiences: Vec<String>, jwks: &JwkSet) -> anyhow::Result<Self> {
        let keys = KeySet::from_jwks(&serde_json::to_value(jwks)?);
        anyhow::ensure!(!keys.is_empty(), "issuer {issuer} has no usable keys");
        Ok(Self {
            issuer: issuer.to_string(),
            audiences,
            mapping: Mapping::embedded(),
            keys: KeySource::Fixed(keys),
            introspector: None,
        })
    }

    /// An external OpenID Connect issuer; its keys load on first use (see
    /// [`Verifier::warm_up`]).
    pub fn from_config(config: &IssuerConfig, http: reqwest::Client) -> anyhow::Result<Self> {
        let keys = RemoteKeys::new(
            &config.issuer,
            config.jwks_url.clone(),
            Duration::from_secs(config.jwks_refetch_secs),
            http.clone(),
        );
        Ok(Self {
            issuer: config.issuer.clone(),
            audiences: config.audiences.clone(),
            mapping: Mapping::from_config(config).map_err(|e| anyhow::anyhow!(e))?,
            keys: KeySource::Remote(Arc::new(keys)),
            introspector: config
                .introspection
                .clone()
                .map(|c| Introspector::new(c, http)),
        })
    }

    /// Which load of its keys is current and fresh (fixed keys: always the
    /// first); a token checked under another is checked again.
    fn key_generation(&self) -> Option<u64> {
        match &self.keys {
            KeySource::Fixed(_) => Some(0),
            KeySource::Remote(remote) => remote.fresh_generation(),
        }
    }

    async fn key(&self, kid: &str) -> Result<(Algorithm, DecodingKey), AuthError> {
        match &self.keys {
            KeySource::Fixed(keys) => keys
                .get(kid)
                .cloned()
                .ok_or_else(|| AuthError::Invalid(FOREIGN_KEY.into())),
            KeySource::Remote(remote) => remote.key(kid).await,
        }
    }

    /// Whether its keys are known (always, for a fixed key set).
    pub fn is_ready(&self) -> bool {
        match &self.keys {
            KeySource::Fixed(_) => true,
            KeySource::Remote(remote) => remote.is_ready(),
        }
    }
}

/// A token that passed every check.
#[derive(Clone)]
pub struct Verified {
    /// The issuer that vouches for it.
    pub issuer: Arc<TrustedIssuer>,
    /// All its claims.
    pub claims: Map<String, Value>,
    /// Its expiry (seconds since the epoch).
    pub expires_at: u64,
}

/// How long a verified signed token is remembered, at most.
const REMEMBER: Duration = Duration::from_secs(60);
/// Tokens remembered, at most; past that the memory starts afresh.
const REMEMBERED: usize = 10_000;

/// Signed tokens that passed: when, under which generation of their
/// issuer's keys, and what they said.
type Remembered = HashMap<String, (Instant, u64, Verified)>;

/// Checks tokens against the trusted issuers.
#[derive(Clone)]
pub struct Verifier {
    issuers: Vec<Arc<TrustedIssuer>>,
    leeway_secs: u64,
    /// Signed tokens that passed, with when they were checked and the
    /// generation of their issuer's keys then.
    remembered: Arc<Mutex<Remembered>>,
}

impl Verifier {
    /// A verifier trusting `issuers`, allowing `leeway_secs` of clock skew.
    pub fn new(issuers: Vec<TrustedIssuer>, leeway_secs: u64) -> Self {
        Self {
            issuers: issuers.into_iter().map(Arc::new).collect(),
            leeway_secs,
            remembered: Arc::default(),
        }
    }

    /// Starts loading external issuers' keys in the background.
    pub fn warm_up(&self) {
        for issuer in &self.issuers {
            if let KeySource::Remote(remote) = &issuer.keys {
                remote.warm_up();
            }
        }
    }

    /// Each issuer and whether its keys are known.
    pub fn readiness(&self) -> Vec<(String, bool)> {
        self.issuers
            .iter()
            .map(|i| (i.issuer.clone(), i.is_ready()))
            .collect()
    }

    /// The verified claims of `token`.
    pub async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        if token.split('.').count() != 3 {
            return self.introspect(token).await;
        }
        if let Some(verified) = self.recall(token) {
            return Ok(verified);
        }
        let (verified, generation) = self.check_signed(token).await?;
        if let Some(generation) = generation {
            let mut remembered = self.remembered.lock().unwrap_or_else(|p| p.into_inner());
            if remembered.len() >= REMEMBERED {
                remembered.clear();
            }
            let entry = (Instant::now(), generation, verified.clone());
            remembered.insert(token.to_string(), entry);
        }
        Ok(verified)
    }

    /// `token`, when it passed within [`REMEMBER`], has not expired, and
    /// its issuer's keys are still those it was checked under.
    fn recall(&self, token: &str) -> Option<Verified> {
        let remembered = self.remembered.lock().unwrap_or_else(|p| p.into_inner());
        let (checked, generation, verified) = remembered.get(token)?;
        let now = jsonwebtoken::get_current_timestamp();
        (checked.elapsed() < REMEMBER
            && now < verified.expires_at.saturating_add(self.leeway_secs)
            && verified.issuer.key_generation() == Some(*generation))
        .then(|| verified.clone())
    }

    /// The claims of a signed token, checked; with the generation of its
    /// issuer's keys it was checked under, when that stayed the same
    /// throughout (else it is not remembered).
    async fn check_signed(&self, token: &str) -> Result<(Verified, Option<u64>), AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            invalid(&match peek_algorithm(token) {
                Some(alg) => format!("algorithm {alg:.20} is not accepted"),
                None => "it is not a well-formed JWT".into(),
            })
        })?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err(invalid(&format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        // RFC 7515 §4.1.11: a recipient must refuse a token whose `crit`
        // names an extension it does not understand; this gateway
        // understands none, and an empty list is itself malformed.
        if let Some(critical) = &header.crit {
            let names: Vec<String> = critical
                .iter()
                .take(5)
                .map(|c| format!("{c:.40}"))
                .collect();
            return Err(invalid(&format!(
                "its header marks extensions this gateway does not understand as critical \
                 (crit: [{}])",
                names.join(", ")
            )));
        }
        let kid = header.kid.ok_or_else(|| invalid("it names no key (kid)"))?;
        let iss = peek_issuer(token).ok_or_else(|| invalid("it names no issuer"))?;
        let issuer = self
            .issuers
            .iter()
            .find(|i| i.issuer == iss)
            .ok_or_else(|| invalid("its issuer is not trusted"))?;
        let before = issuer.key_generation();
        let (alg, key) = issuer.key(&kid).await?;
        let generation = before.filter(|g| issuer.key_generation() == Some(*g));
        if alg != header.alg {
            return Err(invalid("its algorithm does not match its key"));
        }
        let claims = self.decode(token, issuer, alg, &key)?;
        let expires_at = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        let verified = Verified {
            issuer: issuer.clone(),
            claims,
            expires_at,
        };
        Ok((verified, generation))
    }

    fn decode(
        &self,
        token: &str,
        issuer: &TrustedIssuer,
        alg: Algorithm,
        key: &DecodingKey,
    ) -> Result<Map<String, Value>, AuthError> {
        let mut validation = Validation::new(alg);
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer.issuer.as_str()]);
        validation.set_audience(&issuer.audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                invalid(match e.kind() {
                    K::ExpiredSignature => "it has expired",
                    K::ImmatureSignature => "it is not valid yet",
                    K::InvalidIssuer => "its issuer is not trusted",
                    K::InvalidAudience => "it is not meant for this gateway",
                    K::InvalidSignature => "its signature does not match",
                    K::MissingRequiredClaim(_) => "it lacks a required claim",
                    _ => "it could not be verified",
                })
            })
    }

    /// An opaque token: asks the issuers configured for introspection.
    async fn introspect(&self, token: &str) -> Result<Verified, AuthError> {
        let mut asked = false;
        for issuer in &self.issuers {
            let Some(introspector) = &issuer.introspector else {
                continue;
            };
            asked = true;
            if let Some(claims) = introspector.introspect(token).await? {
                let expires_at = self.check_introspected(issuer, &claims)?;
                return Ok(Verified {
                    issuer: issuer.clone(),
                    claims,
                    expires_at,
                });
            }
        }
        Err(invalid(if asked {
            "its issuer says it is not active"
        } else {
            "it is not a JWT"
        }))
    }

    /// Checks an active introspection answer's issuer, audience and times.
    fn check_introspected(
        &self,
        issuer: &TrustedIssuer,
        claims: &Map<String, Value>,
    ) -> Result<u64, AuthError> {
        if claims
            .get("iss")
            .and_then(Value::as_str)
            .is_some_and(|iss| iss != issuer.issuer)
        {
            return Err(invalid("its issuer is not trusted"));
        }
        if let Some(aud) = claims.get("aud") {
            let named = |a: &Value| {
                a.as_str()
                    .is_some_and(|a| issuer.audiences.iter().any(|x| x == a))
            };
            let ok = match aud {
                Value::Array(items) => items.iter().any(named),
                one => named(one),
            };
            if !ok {
                return Err(invalid("it is not meant for this gateway"));
            }
        }
        let now = jsonwebtoken::get_current_timestamp();
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid("it lacks a required claim"))?;
        if exp + self.leeway_secs <= now {
            return Err(invalid("it has expired"));
        }
        if claims
            .get("nbf")
            .and_then(Value::as_u64)
            .is_some_and(|nbf| nbf > now + self.leeway_secs)
        {
            return Err(invalid("it is not valid yet"));
        }
        Ok(exp)
    }
}

fn invalid(why: &str) -> AuthError {
    AuthError::Invalid(why.to_string())
}

/// The `alg` a JWT's header names, unverified (for messages only).
fn peek_algorithm(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.get("alg")?.as_str().map(str::to_string)
}

/// The `iss` a JWT claims, unverified: only for choosing which issuer's
/// keys to verify it with, and for logs.
pub fn peek_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.get("iss")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::EmbeddedIssuer;
    use switchboard_core::directory::User;

    fn setup() -> (EmbeddedIssuer, Verifier, tempdir::Dir) {
        let dir = tempdir::Dir::new();
        let issuer =
            EmbeddedIssuer::load_or_create(&dir.0, "http://issuer.test", "switchboard").unwrap();
        let trusted = TrustedIssuer::new(
            "http://issuer.test",
            vec!["switchboard".into()],
            issuer.jwks(),
        )
        .unwrap();
        (issuer, Verifier::new(vec![trusted], 0), dir)
    }

    fn user() -> User {
        User {
            id: "7".into(),
            email: "a@b.example".into(),
            name: "A".into(),
        }
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let p = std::env::temp_dir().join(format!(
                    "sb-auth-{}-{}",
                    std::process::id(),
                    rand_suffix()
                ));
                std::fs::create_dir_all(&p).unwrap();
                Self(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
        fn rand_suffix() -> u64 {
            use rand::RngExt;
            rand::rng().random()
        }
    }

    fn reason(result: Result<Verified, AuthError>) -> String {
        match result {
            Err(AuthError::Invalid(m)) => m,
            Err(other) => format!("{other:?}"),
            Ok(_) => "accepted".into(),
        }
    }

    #[tokio::test]
    async fn a_minted_token_verifies() {
        let (issuer, verifier, _d) = setup();
        let token = issuer.mint(&user(), 60).unwrap();
        let verified = verifier.verify(&token).await.unwrap();
        assert_eq!(verified.claims["sub"], "7");
        assert_eq!(peek_issuer(&token).as_deref(), Some("http://issuer.test"));
    }

    #[tokio::test]
    async fn a_remembered_token_still_expires_and_a_tampered_copy_is_checked() {
        let (issuer, verifier, _d) = setup();
        let token = issuer.mint(&user(), 2).unwrap();
        assert!(verifier.verify(&token).await.is_ok());
        assert!(verifier.verify(&token).await.is_ok(), "remembered");
        // Another token (its signature changed) is checked on its own.
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_ne!(reason(verifier.verify(&tampered).await), "accepted");
        tokio::time::sleep(Duration::from_millis(3100)).await;
        assert!(reason(verifier.verify(&token).await).contains("expired"));
    }

    #[test]
    fn the_key_survives_a_restart() {
        let (issuer, _, dir) = setup();
        let again =
            EmbeddedIssuer::load_or_create(&dir.0, "http://issuer.test", "switchboard").unwrap();
        assert_eq!(issuer.jwks(), again.jwks());
    }

    #[tokio::test]
    async fn expired_tampered_and_foreign_tokens_are_refused() {
        let (issuer, verifier, _d) = setup();
        let expired = issuer.mint(&user(), 0).unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert!(reason(verifier.verify(&expired).await).contains("expired"));

        let token = issuer.mint(&user(), 60).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut payload: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        payload["sub"] = "1".into();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(payload.to_string()),
            parts[2]
        );
        assert!(reason(verifier.verify(&tampered).await).contains("signature"));

        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert!(reason(verifier.verify(&none).await).contains("none is not accepted"));

        let hmac = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &payload,
            &jsonwebtoken::EncodingKey::from_secret(b"secret"),
        )
        .unwrap();
        assert!(reason(verifier.verify(&hmac).await).contains("not accepted"));

        let (other, _, _d2) = setup();
        let foreign = other.mint(&user(), 60).unwrap();
        assert!(reason(verifier.verify(&foreign).await).contains("unknown key"));
    }

    #[tokio::test]
    async fn critical_extensions_are_refused() {
        let (issuer, verifier, _d) = setup();
        let crit = issuer
            .mint_with(&user(), 60, |h| h.crit = Some(vec!["exp".into()]))
            .unwrap();
        assert!(reason(verifier.verify(&crit).await).contains("crit: [exp]"));
        let empty = issuer
            .mint_with(&user(), 60, |h| h.crit = Some(vec![]))
            .unwrap();
        assert!(reason(verifier.verify(&empty).await).contains("critical"));
        let plain = issuer.mint_with(&user(), 60, |_| {}).unwrap();
        assert_eq!(reason(verifier.verify(&plain).await), "accepted");
    }

    #[tokio::test]
    async fn wrong_audience_and_unknown_issuers_are_refused() {
        let (issuer, _, _d) = setup();
        let trusted =
            TrustedIssuer::new("http://issuer.test", vec!["other".into()], issuer.jwks()).unwrap();
        let verifier = Verifier::new(vec![trusted], 0);
        let token = issuer.mint(&user(), 60).unwrap();
        assert!(reason(verifier.verify(&token).await).contains("not meant"));

        let trusted = TrustedIssuer::new(
            "http://elsewhere.test",
            vec!["switchboard".into()],
            issuer.jwks(),
        )
        .unwrap();
        let verifier = Verifier::new(vec![trusted], 0);
        assert!(reason(verifier.verify(&token).await).contains("issuer is not trusted"));
        assert!(reason(verifier.verify("opaque-token").await).contains("not a JWT"));
    }
}
