//! Token verification: every token, the embedded issuer's included, is
//! checked against a trusted issuer's JWKS with the same rules (issuer,
//! audience, expiry and not-before with leeway, an algorithm allow-list).

use std::collections::HashMap;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use super::AuthError;

/// Algorithms a token may be signed with. `none` and the HMAC family are
/// never accepted: a shared secret cannot prove who signed.
pub const ALLOWED_ALGORITHMS: [Algorithm; 3] =
    [Algorithm::EdDSA, Algorithm::RS256, Algorithm::ES256];

/// The claims switchboard reads.
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

/// An issuer whose tokens are accepted.
#[derive(Clone)]
pub struct TrustedIssuer {
    /// Its `iss`.
    pub issuer: String,
    /// Audiences accepted from it.
    pub audiences: Vec<String>,
    /// Its keys by `kid`.
    keys: HashMap<String, (Algorithm, DecodingKey)>,
}

impl TrustedIssuer {
    /// An issuer with a fixed key set.
    pub fn new(issuer: &str, audiences: Vec<String>, jwks: &JwkSet) -> anyhow::Result<Self> {
        let mut keys = HashMap::new();
        for jwk in &jwks.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            let alg = match jwk.common.key_algorithm {
                Some(jsonwebtoken::jwk::KeyAlgorithm::EdDSA) => Algorithm::EdDSA,
                Some(jsonwebtoken::jwk::KeyAlgorithm::RS256) => Algorithm::RS256,
                Some(jsonwebtoken::jwk::KeyAlgorithm::ES256) => Algorithm::ES256,
                _ => continue,
            };
            keys.insert(kid, (alg, DecodingKey::from_jwk(jwk)?));
        }
        anyhow::ensure!(!keys.is_empty(), "issuer {issuer} has no usable keys");
        Ok(Self {
            issuer: issuer.to_string(),
            audiences,
            keys,
        })
    }
}

/// Checks tokens against the trusted issuers.
#[derive(Clone)]
pub struct Verifier {
    issuers: Vec<TrustedIssuer>,
    leeway_secs: u64,
}

impl Verifier {
    /// A verifier trusting `issuers`, allowing `leeway_secs` of clock skew.
    pub fn new(issuers: Vec<TrustedIssuer>, leeway_secs: u64) -> Self {
        Self {
            issuers,
            leeway_secs,
        }
    }

    /// The verified claims of `token`.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::Invalid("it is not a JWT".into()))?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err(AuthError::Invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Invalid("it names no key (kid)".into()))?;
        let (issuer, (alg, key)) = self
            .issuers
            .iter()
            .find_map(|i| i.keys.get(&kid).map(|k| (i, k)))
            .ok_or_else(|| AuthError::Invalid("it was signed by an unknown key".into()))?;
        if *alg != header.alg {
            return Err(AuthError::Invalid(
                "its algorithm does not match its key".into(),
            ));
        }
        let mut validation = Validation::new(*alg);
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer.issuer.as_str()]);
        validation.set_audience(&issuer.audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                AuthError::Invalid(
                    match e.kind() {
                        K::ExpiredSignature => "it has expired",
                        K::ImmatureSignature => "it is not valid yet",
                        K::InvalidIssuer => "its issuer is not trusted",
                        K::InvalidAudience => "it is not meant for this gateway",
                        K::InvalidSignature => "its signature does not match",
                        K::MissingRequiredClaim(_) => "it lacks a required claim",
                        _ => "it could not be verified",
                    }
                    .into(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::EmbeddedIssuer;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

    #[test]
    fn a_minted_token_verifies() {
        let (issuer, verifier, _d) = setup();
        let claims = verifier.verify(&issuer.mint(&user(), 60).unwrap()).unwrap();
        assert_eq!(claims.sub, "7");
    }

    #[test]
    fn the_key_survives_a_restart() {
        let (issuer, _, dir) = setup();
        let again =
            EmbeddedIssuer::load_or_create(&dir.0, "http://issuer.test", "switchboard").unwrap();
        assert_eq!(issuer.jwks(), again.jwks());
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_are_refused() {
        let (issuer, verifier, _d) = setup();
        let expired = {
            let mut t = issuer.mint(&user(), 0).unwrap();
            // ttl 0 with no leeway expires at once; make sure by checking after a second.
            std::thread::sleep(std::time::Duration::from_millis(1100));
            std::mem::take(&mut t)
        };
        assert!(
            matches!(verifier.verify(&expired), Err(AuthError::Invalid(m)) if m.contains("expired"))
        );

        let token = issuer.mint(&user(), 60).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        payload["sub"] = "1".into();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(payload.to_string()),
            parts[2]
        );
        assert!(verifier.verify(&tampered).is_err());

        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert!(verifier.verify(&none).is_err());

        let hmac = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &payload,
            &jsonwebtoken::EncodingKey::from_secret(b"secret"),
        )
        .unwrap();
        assert!(
            matches!(verifier.verify(&hmac), Err(AuthError::Invalid(m)) if m.contains("not accepted"))
        );

        let (other, _, _d2) = setup();
        assert!(verifier.verify(&other.mint(&user(), 60).unwrap()).is_err());
    }

    #[test]
    fn wrong_audience_is_refused() {
        let (issuer, _, _d) = setup();
        let trusted =
            TrustedIssuer::new("http://issuer.test", vec!["other".into()], issuer.jwks()).unwrap();
        let verifier = Verifier::new(vec![trusted], 0);
        assert!(matches!(
            verifier.verify(&issuer.mint(&user(), 60).unwrap()),
            Err(AuthError::Invalid(m)) if m.contains("not meant")
        ));
    }
}
