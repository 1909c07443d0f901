//! The Okta fake's org authorization server: `private_key_jwt` client
//! assertions checked as Okta checks them, scopes granted by the app, and
//! bearer tokens on the management API (scope, expiry, revocation).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use switchboard_fakes::okta::{FakeOkta, OktaDirectory, ServiceApp, TestKey};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const CLIENT: &str = "0oaService";
const PAT: &str = "pat.primary@harborfreight.example";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

struct Org {
    fake: FakeOkta,
    key: TestKey,
    http: Client,
    serial: u32,
}

impl Org {
    /// A fake whose app `CLIENT` holds `key` (as a JWK) and `granted`.
    async fn start(granted: &[&str]) -> Result<Self> {
        let fake = FakeOkta::start(OktaDirectory::demo(), "00fakeToken").await?;
        let key = TestKey::es256("k1");
        fake.add_service_app(ServiceApp::new(CLIENT, granted).with_jwk(key.public_jwk())?);
        Ok(Self {
            fake,
            key,
            http: Client::new(),
            serial: 0,
        })
    }

    /// Good claims: a fresh jti, five minutes of life.
    fn claims(&mut self) -> Value {
        self.serial += 1;
        json!({
            "iss": CLIENT, "sub": CLIENT, "aud": self.fake.token_url(),
            "iat": now(), "exp": now() + 300, "jti": format!("jti-{}", self.serial),
        })
    }

    fn sign(&self, claims: &Value, kid: Option<&str>, key: &TestKey) -> Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = kid.map(str::to_string);
        let key = EncodingKey::from_ec_pem(key.private_pem().as_bytes())?;
        Ok(jsonwebtoken::encode(&header, claims, &key)?)
    }

    async fn request(&self, assertion: &str, scope: &str) -> Result<Response> {
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", scope),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ];
        Ok(self
            .http
            .post(self.fake.token_url())
            .form(&form)
            .send()
            .await?)
    }

    /// The answer to `claims` signed by the app's key as `k1`.
    async fn exchange(&self, claims: &Value, scope: &str) -> Result<(StatusCode, Value)> {
        let assertion = self.sign(claims, Some("k1"), &self.key)?;
        let response = self.request(&assertion, scope).await?;
        Ok((response.status(), response.json().await?))
    }

    async fn api(&self, method: reqwest::Method, path: &str, token: &str) -> Result<Response> {
        Ok(self
            .http
            .request(method, format!("{}{path}", self.fake.url()))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await?)
    }
}

fn refused(answer: &(StatusCode, Value), status: u16, error: &str) -> String {
    assert_eq!(answer.0.as_u16(), status, "{answer:?}");
    assert_eq!(answer.1["error"], error, "{answer:?}");
    answer.1["error_description"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn a_good_assertion_gets_the_granted_scopes_only() -> Result {
    let mut org = Org::start(&["okta.users.read", "okta.groups.read"]).await?;
    let claims = org.claims();
    let assertion = org.sign(&claims, Some("k1"), &org.key)?;
    let response = org
        .request(&assertion, "okta.users.read okta.users.manage")
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await?;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "okta.users.read");
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));
    // The same assertion again is a replay.
    let again = org.request(&assertion, "okta.users.read").await?;
    let again = (again.status(), again.json().await?);
    assert!(refused(&again, 401, "invalid_client").contains("already been used"));
    assert_eq!(org.fake.token_requests(), 2);
    Ok(())
}

#[tokio::test]
async fn assertions_okta_would_refuse_are_invalid_client() -> Result {
    let mut org = Org::start(&["okta.users.read"]).await?;
    let scope = "okta.users.read";
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut wrong_aud = org.claims();
    wrong_aud["aud"] = json!(format!("{}/oauth2/default/v1/token", org.fake.url()));
    cases.push((wrong_aud, "audience"));
    let mut expired = org.claims();
    expired["exp"] = json!(now() - 5);
    cases.push((expired, "expired"));
    let mut far = org.claims();
    far["exp"] = json!(now() + 7200);
    cases.push((far, "too far"));
    let mut other_sub = org.claims();
    other_sub["sub"] = json!("someone");
    cases.push((other_sub, "'sub'"));
    let mut no_jti = org.claims();
    no_jti.as_object_mut().map(|c| c.remove("jti"));
    cases.push((no_jti, "jti"));
    let mut unknown = org.claims();
    unknown["iss"] = json!("0oaUnknown");
    unknown["sub"] = json!("0oaUnknown");
    cases.push((unknown, "client_id"));
    for (claims, words) in cases {
        let answer = org.exchange(&claims, scope).await?;
        let description = refused(&answer, 401, "invalid_client");
        assert!(description.contains(words), "{words}: {description}");
    }
    // Signed by another key, or naming a kid the app does not have.
    let stranger = TestKey::es256("k1");
    let claims = org.claims();
    let forged = org.sign(&claims, Some("k1"), &stranger)?;
    let response = org.request(&forged, scope).await?;
    let answer = (response.status(), response.json().await?);
    assert!(refused(&answer, 401, "invalid_client").contains("signature"));
    let claims = org.claims();
    let wrong_kid = org.sign(&claims, Some("k2"), &org.key)?;
    let response = org.request(&wrong_kid, scope).await?;
    let answer = (response.status(), response.json().await?);
    assert!(refused(&answer, 401, "invalid_client").contains("kid"));
    // One key registered: the kid may be left out.
    let claims = org.claims();
    let no_kid = org.sign(&claims, None, &org.key)?;
    assert_eq!(org.request(&no_kid, scope).await?.status(), StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn scopes_must_be_asked_for_and_granted() -> Result {
    let mut org = Org::start(&["okta.users.read"]).await?;
    for scope in ["", "openid okta.users.read", "okta.groups.read"] {
        let claims = org.claims();
        let answer = org.exchange(&claims, scope).await?;
        refused(&answer, 400, "invalid_scope");
    }
    let claims = org.claims();
    let assertion = org.sign(&claims, Some("k1"), &org.key)?;
    let json = org
        .http
        .post(org.fake.token_url())
        .json(&json!({"grant_type": "client_credentials", "client_assertion": assertion}))
        .send()
        .await?;
    assert_eq!(json.status(), StatusCode::BAD_REQUEST, "form-encoded only");
    Ok(())
}

#[tokio::test]
async fn bearer_tokens_need_the_scope_and_stop_at_expiry_or_revocation() -> Result {
    let mut org = Org::start(&["okta.users.read", "okta.groups.read"]).await?;
    org.fake.set_token_lifetime(Duration::from_secs(1));
    let claims = org.claims();
    let (status, body) = org.exchange(&claims, "okta.users.read").await?;
    assert_eq!(
        (status, body["expires_in"].clone()),
        (StatusCode::OK, json!(1))
    );
    let token = body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let pat = org.fake.user_id(PAT).expect("pat");
    let factors = format!("/api/v1/users/{pat}/factors");
    let get = reqwest::Method::GET;
    assert_eq!(
        org.api(get.clone(), &factors, &token).await?.status(),
        StatusCode::OK
    );
    // Groups need okta.groups.read, which this token was not given.
    let groups = org.api(get.clone(), "/api/v1/groups", &token).await?;
    assert_eq!(groups.status(), StatusCode::FORBIDDEN);
    let challenge = groups.headers()["www-authenticate"].to_str()?.to_string();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(
        challenge.contains("scope=\"okta.groups.read\""),
        "{challenge}"
    );
    let body: Value = groups.json().await?;
    assert_eq!(body["errorCode"], "E0000006");
    // A write needs okta.users.manage.
    let change = format!("/api/v1/users/{pat}/credentials/change_password");
    let write = org.api(reqwest::Method::POST, &change, &token).await?;
    assert_eq!(write.status(), StatusCode::FORBIDDEN);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let expired = org.api(get.clone(), &factors, &token).await?;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert!(
        expired.headers()["www-authenticate"]
            .to_str()?
            .contains("invalid_token")
    );
    let body: Value = expired.json().await?;
    assert_eq!(body["errorCode"], "E0000011");
    // A fresh token works until it is revoked.
    org.fake.set_token_lifetime(Duration::from_secs(3600));
    let claims = org.claims();
    let (_, body) = org.exchange(&claims, "okta.users.read").await?;
    let token = body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        org.api(get.clone(), &factors, &token).await?.status(),
        StatusCode::OK
    );
    org.fake.revoke_tokens();
    assert_eq!(
        org.api(get, &factors, &token).await?.status(),
        StatusCode::UNAUTHORIZED
    );
    Ok(())
}

#[tokio::test]
async fn a_pem_key_registers_too_and_the_token_endpoint_needs_no_api_token() -> Result {
    let fake = FakeOkta::start(OktaDirectory::demo(), "00fakeToken").await?;
    let key = TestKey::es256("pem-key");
    fake.add_service_app(
        ServiceApp::new(CLIENT, &["okta.users.manage"])
            .with_pem_key("pem-key", key.public_pem())?,
    );
    assert!(
        ServiceApp::new(CLIENT, &[])
            .with_pem_key("x", "not a key")
            .is_err()
    );
    let claims = json!({
        "iss": CLIENT, "sub": CLIENT, "aud": fake.token_url(),
        "iat": now(), "exp": now() + 60, "jti": "only-once",
    });
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("pem-key".into());
    let assertion = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_ec_pem(key.private_pem().as_bytes())?,
    )?;
    let response = Client::new()
        .post(fake.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "okta.users.manage"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
        ])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await?;
    let token = body["access_token"].as_str().unwrap_or_default();
    // okta.users.manage grants reads of users too.
    let pat = fake.user_id(PAT).expect("pat");
    let read = Client::new()
        .get(format!("{}/api/v1/users/{pat}", fake.url()))
        .bearer_auth(token)
        .send()
        .await?;
    assert_eq!(read.status(), StatusCode::OK);
    assert!(!format!("{key:?}").contains("PRIVATE"));
    Ok(())
}
