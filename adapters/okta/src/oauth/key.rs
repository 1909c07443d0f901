//! The service app's signing key: read from the settings and checked at
//! start-up (a key the adapter cannot sign with, or one Okta refuses,
//! stops start-up with an error that names the setting and never holds
//! the key).

use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use crate::settings::{ServiceApp, SigningAlgorithm};

/// The smallest RSA modulus Okta accepts for `private_key_jwt`, in bits.
const MIN_RSA_BITS: usize = 2048;

/// What a key that cannot be read is told.
const KEY_FORMAT: &str = "must be a PEM-encoded private key: PKCS#8 (`BEGIN PRIVATE KEY`) \
     RSA or EC P-256/P-384, or PKCS#1 (`BEGIN RSA PRIVATE KEY`) RSA";

/// A setting at fault and what is wrong with it.
pub(crate) type SettingError = (&'static str, String);

/// A private key and the algorithm it signs client assertions with.
pub(crate) struct SigningKey {
    pub key: EncodingKey,
    pub algorithm: Algorithm,
}

/// The app's key, checked: its kind decides the algorithm unless
/// `algorithm` names one of the same kind; a test signature must succeed.
pub(crate) fn load(app: &ServiceApp) -> Result<SigningKey, SettingError> {
    let (field, pem) = pem_text(app)?;
    if pem.contains("ENCRYPTED PRIVATE KEY") {
        return Err((
            field,
            "is encrypted; give the unencrypted PKCS#8 key (`BEGIN PRIVATE KEY`)".into(),
        ));
    }
    let bad = || (field, KEY_FORMAT.to_string());
    let (key, natural) = if let Ok(key) = EncodingKey::from_ec_pem(pem.as_bytes()) {
        let algorithm = ec_algorithm(&key).ok_or_else(bad)?;
        (key, algorithm)
    } else if let Ok(key) = EncodingKey::from_rsa_pem(pem.as_bytes()) {
        let bits = rsa_bits(&key).ok_or_else(bad)?;
        if bits < MIN_RSA_BITS {
            return Err((
                field,
                format!("is a {bits}-bit RSA key; Okta needs at least {MIN_RSA_BITS} bits"),
            ));
        }
        (key, Algorithm::RS256)
    } else {
        return Err(bad());
    };
    let algorithm = match app.algorithm {
        None => natural,
        Some(chosen) => {
            let chosen = jwt_algorithm(chosen);
            let fits = match natural {
                Algorithm::RS256 => chosen.family() == natural.family(),
                _ => chosen == natural,
            };
            if !fits {
                return Err((
                    "auth.algorithm",
                    format!("{chosen:?} does not fit the key, which signs with {natural:?}"),
                ));
            }
            chosen
        }
    };
    jsonwebtoken::encode(&Header::new(algorithm), &serde_json::json!({}), &key)
        .map_err(|_| bad())?;
    Ok(SigningKey { key, algorithm })
}

/// The PEM and the setting it came from; `\n` escapes become line breaks
/// when the text has none (a key passed through an environment variable).
fn pem_text(app: &ServiceApp) -> Result<(&'static str, String), SettingError> {
    let (field, text) = match (&app.private_key, &app.private_key_file) {
        (Some(_), Some(_)) => {
            return Err((
                "auth.private_key",
                "give `private_key` or `private_key_file`, not both".into(),
            ));
        }
        (None, None) => {
            return Err((
                "auth.private_key",
                "is required (or `private_key_file`)".into(),
            ));
        }
        (Some(pem), None) => ("auth.private_key", pem.clone()),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                (
                    "auth.private_key_file",
                    format!("cannot read {}: {}", path.display(), e.kind()),
                )
            })?;
            ("auth.private_key_file", text)
        }
    };
    let text = if !text.contains('\n') && text.contains("\\n") {
        text.replace("\\n", "\n")
    } else {
        text
    };
    Ok((field, text))
}

/// ES256 for a P-256 key, ES384 for a P-384 key.
fn ec_algorithm(key: &EncodingKey) -> Option<Algorithm> {
    [Algorithm::ES256, Algorithm::ES384]
        .into_iter()
        .find(|alg| {
            matches!(
                Jwk::from_encoding_key(key, *alg).map(|jwk| jwk.algorithm),
                Ok(AlgorithmParameters::EllipticCurve(p))
                    if matches!(p.curve, EllipticCurve::P256 | EllipticCurve::P384)
            )
        })
}

/// The size of an RSA key's modulus, in bits.
fn rsa_bits(key: &EncodingKey) -> Option<usize> {
    let jwk = Jwk::from_encoding_key(key, Algorithm::RS256).ok()?;
    let AlgorithmParameters::RSA(rsa) = jwk.algorithm else {
        return None;
    };
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(rsa.n.trim_end_matches('='))
        .ok()?;
    let first = n.iter().position(|b| *b != 0)?;
    Some((n.len() - first) * 8 - n[first].leading_zeros() as usize)
}

fn jwt_algorithm(algorithm: SigningAlgorithm) -> Algorithm {
    match algorithm {
        SigningAlgorithm::RS256 => Algorithm::RS256,
        SigningAlgorithm::RS384 => Algorithm::RS384,
        SigningAlgorithm::RS512 => Algorithm::RS512,
        SigningAlgorithm::ES256 => Algorithm::ES256,
        SigningAlgorithm::ES384 => Algorithm::ES384,
    }
}
