//! DPoP on the Okta fake: a service app that requires it gets a token only
//! with a proof carrying the server's nonce, and the token works only with
//! the DPoP scheme and a proof by the same key bound to the request and
//! the token.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use switchboard_fakes::okta::{FakeOkta, OktaDirectory, ServiceApp, TestKey};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const CLIENT: &str = "0oaDpop";
const PAT: &str = "pat.primary@harborfreight.example";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

struct Org {
    fake: FakeOkta,
    app_key: TestKey,
    dpop_key: TestKey,
    http: Client,
    serial: u32,
}

impl Org {
    async fn start() -> Result<Self> {
        let fake = FakeOkta::start(OktaDirectory::demo(), "00fakeToken").await?;
        let app_key = TestKey::es256("app");
        fake.add_service_app(
            ServiceApp::new(CLIENT, &["okta.users.read"])
                .with_jwk(app_key.public_jwk())?
                .require_dpop(),
        );
        Ok(Self {
            fake,
            app_key,
            dpop_key: TestKey::es256("dpop"),
            http: Client::new(),
            serial: 0,
        })
    }

    fn jti(&mut self) -> String {
        self.serial += 1;
        format!("jti-{}", self.serial)
    }

    fn assertion(&mut self) -> Result<String> {
        let claims = json!({
            "iss": CLIENT, "sub": CLIENT, "aud": self.fake.token_url(),
            "iat": now(), "exp": now() + 300, "jti": self.jti(),
        });
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("app".into());
        let key = EncodingKey::from_ec_pem(self.app_key.private_pem().as_bytes())?;
        Ok(jsonwebtoken::encode(&header, &claims, &key)?)
    }

    /// A proof by `key` with `claims` (plus a fresh jti and iat).
    fn proof(&mut self, key: &TestKey, mut claims: Value) -> Result<String> {
        claims["iat"] = json!(now());
        claims["jti"] = json!(self.jti());
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        let mut jwk: Jwk = serde_json::from_value(key.public_jwk().clone())?;
        jwk.common.key_id = None;
        header.jwk = Some(jwk);
        let signing = EncodingKey::from_ec_pem(key.private_pem().as_bytes())?;
        Ok(jsonwebtoken::encode(&header, &claims, &signing)?)
    }

    fn token_request(&mut self, proof: Option<String>) -> Result<RequestBuilder> {
        let form = [
            ("grant_type", "client_credentials".to_string()),
            ("scope", "okta.users.read".to_string()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
            ),
            ("client_assertion", self.assertion()?),
        ];
        let mut request = self.http.post(self.fake.token_url()).form(&form);
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        Ok(request)
    }

    /// A DPoP-bound token, after the nonce exchange, and the nonce.
    async fn bound_token(&mut self) -> Result<(String, String)> {
        let key = self.dpop_key.clone();
        let htu = self.fake.token_url();
        let proof = self.proof(&key, json!({"htm": "POST", "htu": htu}))?;
        let first = self.token_request(Some(proof))?.send().await?;
        assert_eq!(first.status(), StatusCode::BAD_REQUEST);
        let nonce = first.headers()["dpop-nonce"].to_str()?.to_string();
        let body: Value = first.json().await?;
        assert_eq!(body["error"], "use_dpop_nonce");
        let proof = self.proof(&key, json!({"htm": "POST", "htu": htu, "nonce": nonce}))?;
        let second = self.token_request(Some(proof))?.send().await?;
        assert_eq!(second.status(), StatusCode::OK);
        let body: Value = second.json().await?;
        assert_eq!(body["token_type"], "DPoP");
        let token = body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok((token, nonce))
    }
}

fn ath(token: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

#[tokio::test]
async fn a_dpop_app_needs_a_proof_with_the_nonce() -> Result {
    let mut org = Org::start().await?;
    let without = org.token_request(None)?.send().await?;
    assert_eq!(without.status(), StatusCode::BAD_REQUEST);
    let body: Value = without.json().await?;
    assert_eq!(body["error"], "invalid_dpop_proof");
    // A proof for another URL is refused outright.
    let key = org.dpop_key.clone();
    let elsewhere = org.proof(
        &key,
        json!({"htm": "POST", "htu": "https://example.com/token"}),
    )?;
    let response = org.token_request(Some(elsewhere))?.send().await?;
    let body: Value = response.json().await?;
    assert_eq!(body["error"], "invalid_dpop_proof");
    let (_, nonce) = org.bound_token().await?;
    // After a rotation, the old nonce is refused, naming the new one.
    org.fake.rotate_dpop_nonce();
    let htu = org.fake.token_url();
    let stale = org.proof(&key, json!({"htm": "POST", "htu": htu, "nonce": nonce}))?;
    let response = org.token_request(Some(stale))?.send().await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let fresh = response.headers()["dpop-nonce"].to_str()?.to_string();
    assert_ne!(fresh, nonce);
    let body: Value = response.json().await?;
    assert_eq!(body["error"], "use_dpop_nonce");
    org.bound_token().await?;
    Ok(())
}

#[tokio::test]
async fn a_bound_token_needs_the_dpop_scheme_and_a_proof_for_the_request() -> Result {
    let mut org = Org::start().await?;
    let (token, _) = org.bound_token().await?;
    let pat = org.fake.user_id(PAT).expect("pat");
    let url = format!("{}/api/v1/users/{pat}", org.fake.url());
    let key = org.dpop_key.clone();
    let http = org.http.clone();
    let get = |auth: String, proof: Option<String>| {
        let mut request = http
            .request(Method::GET, &url)
            .header("authorization", auth);
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        request
    };
    let good = org.proof(&key, json!({"htm": "GET", "htu": url, "ath": ath(&token)}))?;
    let ok = get(format!("DPoP {token}"), Some(good.clone()))
        .send()
        .await?;
    assert_eq!(ok.status(), StatusCode::OK);
    let stranger = TestKey::es256("stranger");
    let refused = [
        ("Bearer", None),
        ("DPoP", None),
        ("DPoP", Some(good)),
        (
            "DPoP",
            Some(org.proof(&key, json!({"htm": "GET", "htu": url, "ath": ath("other")}))?),
        ),
        (
            "DPoP",
            Some(org.proof(&key, json!({"htm": "POST", "htu": url, "ath": ath(&token)}))?),
        ),
        (
            "DPoP",
            Some(org.proof(
                &stranger,
                json!({"htm": "GET", "htu": url, "ath": ath(&token)}),
            )?),
        ),
    ];
    for (i, (scheme, proof)) in refused.into_iter().enumerate() {
        let response = get(format!("{scheme} {token}"), proof).send().await?;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "case {i}");
        let challenge = response.headers()["www-authenticate"].to_str()?.to_string();
        assert!(challenge.starts_with(scheme), "case {i}: {challenge}");
    }
    Ok(())
}
