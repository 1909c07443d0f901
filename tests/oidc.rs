//! Tokens from a real OpenID Provider (`tests/oidc/provider.mjs`): user
//! tokens through the authorization-code flow, client-credentials tokens,
//! key rotation, introspection of opaque tokens, and attacks. Skips without
//! node (see tests/common/oidc.rs) unless `SWITCHBOARD_REQUIRE_OIDC=1`.

mod common;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::oidc::{AUDIENCE, OidcProvider, ProviderOptions};
use common::{ACCOUNT_A, ACCOUNT_B, Backend, Gateway};
use serde_json::{Value, json};
use switchboard::auth::IssuerConfig;

const ME: &str = "{ me { id name email accounts { role account { id name } } } }";

/// How the gateway trusts the provider in these tests (see
/// `OidcProvider::issuer_json`), adjusted by `tweak`.
fn trust(op: &OidcProvider, tweak: impl FnOnce(&mut Value)) -> IssuerConfig {
    let mut config = op.issuer_json();
    tweak(&mut config);
    serde_json::from_value(config).expect("a valid issuer configuration")
}

async fn gateway(op: &OidcProvider, tweak: impl FnOnce(&mut Value)) -> Gateway {
    let issuer = trust(op, tweak);
    common::start_with(Backend::Sqlite, move |c| {
        c.auth.leeway_secs = 5;
        c.auth.issuers.push(issuer);
    })
    .await
    .expect("SQLite is always there")
}

/// The status and first error code of a request with `token`.
async fn refusal(gw: &Gateway, token: &str) -> (u16, String) {
    let (status, body) = gw.post(token, "{ me { id } }", json!({})).await;
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
        .to_string();
    (status, code)
}

async fn assert_refused(gw: &Gateway, what: &str, token: &str) {
    assert_eq!(
        refusal(gw, token).await,
        (401, "UNAUTHENTICATED".to_string()),
        "{what} must be refused"
    );
}

/// The gateway's warnings, as JSON lines, captured for this whole test
/// binary from the first call on.
fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || LogSink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other subscriber in this test binary");
        buffer
    })
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How many "token refused" warnings mention `needle` so far.
fn refusals_logged(needle: &str) -> usize {
    let logs = captured_logs().lock().unwrap();
    String::from_utf8_lossy(&logs)
        .lines()
        .filter(|l| l.contains("token refused") && l.contains(needle))
        .count()
}

/// [`assert_refused`], and the refusal left a warning naming `needle`
/// (the issuer the token claims).
async fn assert_refused_and_logged(gw: &Gateway, what: &str, token: &str, needle: &str) {
    let before = refusals_logged(needle);
    assert_refused(gw, what, token).await;
    assert!(
        refusals_logged(needle) > before,
        "{what}: no `token refused` warning naming {needle}"
    );
}

fn claims_of(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread")]
async fn user_tokens_map_groups_to_accounts_and_roles() {
    let Some(op) = OidcProvider::start().await else {
        return;
    };
    let gw = gateway(&op, |_| {}).await;

    let bailey = op.user_token("bailey", "openid email read write").await;
    assert_eq!(claims_of(&bailey)["aud"], AUDIENCE);
    let me = &gw.data(&bailey, ME, json!({})).await["me"];
    assert_eq!(me["id"], "bailey");
    assert_eq!(me["email"], "bailey.billing@harborfreight.example");
    assert_eq!(
        me["accounts"],
        json!([{ "role": "BILLING",
                 "account": { "id": ACCOUNT_A, "name": "Harbor Freight Tools USA Inc." } }])
    );
    let cases = gw
        .data(
            &bailey,
            "{ cases(first: 50) { nodes { account { id } } } }",
            json!({}),
        )
        .await;
    let nodes = cases["cases"]["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|n| n["account"]["id"] == ACCOUNT_A));

    let morgan = op.user_token("morgan", "openid read").await;
    let me = &gw.data(&morgan, ME, json!({})).await["me"];
    let roles: Vec<(String, String)> = me["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["account"]["id"].as_str().unwrap().into(),
                a["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(roles.contains(&(ACCOUNT_A.into(), "ALTERNATE_AUTHORITY".into())));
    assert!(roles.contains(&(ACCOUNT_B.into(), "STANDARD".into())));

    // The same token opens a subscription (it goes in connection_init).
    let _sub = gw
        .subscribe(
            "graphql-transport-ws",
            &bailey,
            "subscription { caseEvents { kind } }",
            json!({}),
        )
        .await;

    // A user with no matching groups sees nothing, but is signed in.
    let pat = op.user_token("pat", "openid").await;
    let me = &gw.data(&pat, ME, json!({})).await["me"];
    assert_eq!(me["accounts"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn entitlements_can_come_from_the_directory_by_email() {
    let Some(op) = OidcProvider::start().await else {
        return;
    };
    let gw = gateway(&op, |c| {
        c["user_claim"] = "email".into();
        c["entitlements"] = "directory".into();
    })
    .await;
    // `pat` has no groups at the provider; the directory knows the email.
    let pat = op.user_token("pat", "openid email").await;
    let me = &gw.data(&pat, ME, json!({})).await["me"];
    assert_eq!(me["email"], common::PRIMARY_A);
    assert_eq!(me["accounts"][0]["role"], "PRIMARY_AUTHORITY");
    // An email the directory does not know is refused.
    let stranger = op.user_token("stranger", "openid email").await;
    assert_refused(&gw, "an unknown user", &stranger).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_tokens_act_as_configured_services() {
    let Some(op) = OidcProvider::start().await else {
        return;
    };
    let gw = gateway(&op, |_| {}).await;
    let token = op.client_credentials("integrator", "read write").await;
    assert_eq!(claims_of(&token)["sub"], "integrator");

    let me = &gw.data(&token, ME, json!({})).await["me"];
    assert_eq!(me["id"], "service:integrator");
    assert_eq!(me["name"], "Acme Integrations");
    assert_eq!(me["accounts"][0]["account"]["id"], ACCOUNT_A);
    let cases = gw
        .data(
            &token,
            "{ cases(first: 20) { totalCount nodes { account { id } } } }",
            json!({}),
        )
        .await;
    let nodes = cases["cases"]["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|n| n["account"]["id"] == ACCOUNT_A));

    // Its configured scopes lack `write`: the caller may not write.
    let caller = gw.app_state.callers.authenticate(&token).await.unwrap();
    assert!(!caller.may_write);
    assert_eq!(caller.client.as_deref(), Some("integrator"));
    let feedback = "mutation($a: ID!) { sendFeedback(input: { accountId: $a, kind: ISSUE, description: \"x\" }) { id } }";
    assert_eq!(
        gw.error_code(&token, feedback, json!({ "a": ACCOUNT_A }))
            .await,
        "FORBIDDEN"
    );

    // A client the provider knows but the gateway does not configure.
    let reporting = op.client_credentials("reporting", "read").await;
    assert_refused(&gw, "an unconfigured client", &reporting).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rotated_keys_are_picked_up_and_unknown_kids_cannot_hammer_the_issuer() {
    let Some(op) = OidcProvider::start().await else {
        return;
    };
    let gw = gateway(&op, |_| {}).await;
    let before = op.client_credentials("integrator", "read").await;
    gw.data(&before, ME, json!({})).await;

    // New signing keys; the old ones stay published for a while.
    op.rotate_keys(false).await;
    let after = op.client_credentials("integrator", "read").await;
    let kid = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_ne!(kid(&before), kid(&after));
    gw.data(&after, ME, json!({})).await;
    gw.data(&before, ME, json!({})).await;

    // The provider forgets the old keys: once the gateway refetches (no
    // sooner than jwks_refetch_secs after the last refetch), tokens signed
    // by them stop working and the newest keys work.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    op.rotate_keys(true).await;
    let newest = op.client_credentials("integrator", "read").await;
    gw.data(&newest, ME, json!({})).await;
    assert_refused(&gw, "a token signed by a dropped key", &before).await;

    // A flood of made-up kids causes at most one refetch per interval.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let fetches = op.jwks_fetches().await;
    let payload = claims_of(&newest);
    let started = std::time::Instant::now();
    for i in 0..40 {
        let forged = op
            .sign(
                "ES256",
                json!({ "kid": format!("made-up-{i}") }),
                payload.clone(),
            )
            .await;
        assert_refused(&gw, "a token naming an unknown kid", &forged).await;
    }
    let elapsed = started.elapsed().as_secs();
    let extra = op.jwks_fetches().await - fetches;
    assert!(extra >= 1, "the first unknown kid refetches");
    assert!(
        extra <= 1 + elapsed / 2,
        "{extra} JWKS fetches in {elapsed} s for 40 unknown kids"
    );
    gw.data(&newest, ME, json!({})).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn attacks_are_refused_and_the_gateway_stays_healthy() {
    let Some(op) = OidcProvider::start().await else {
        return;
    };
    captured_logs();
    let gw = gateway(&op, |_| {}).await;
    let good = op.user_token("bailey", "openid read").await;
    gw.data(&good, ME, json!({})).await;
    let issuer = op.issuer.clone();
    let parts: Vec<&str> = good.split('.').collect();
    let claims = claims_of(&good);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap().to_string();

    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT", "kid": kid }).to_string()),
        parts[1]
    );
    assert_refused_and_logged(&gw, "alg none", &none, &issuer).await;

    // HS256 with the issuer's public key as the shared secret.
    let jwks = op.public_jwks().await;
    let public = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap()
        .to_string();
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = Some(kid.clone());
    let hmac = jsonwebtoken::encode(
        &hs,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    assert_refused_and_logged(&gw, "HS256 signed with the public key", &hmac, &issuer).await;

    let mut elevated = claims.clone();
    elevated["groups"] = json!(["acct-2345678901-primary_authority", "switchboard-operators"]);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(elevated.to_string()),
        parts[2]
    );
    assert_refused_and_logged(&gw, "a tampered payload", &tampered, &issuer).await;

    let signed = |change: Value| {
        let mut payload = claims.clone();
        for (k, v) in change.as_object().unwrap() {
            payload[k] = v.clone();
        }
        payload
    };
    let cases = [
        ("a wrong audience", signed(json!({ "aud": "api://other" }))),
        (
            "an unknown issuer",
            signed(json!({ "iss": "https://evil.example" })),
        ),
        ("an expired token", signed(json!({ "exp": now() - 60 }))),
        (
            "a token not valid yet",
            signed(json!({ "nbf": now() + 120 })),
        ),
        ("a token with no expiry", {
            let mut p = claims.clone();
            p.as_object_mut().unwrap().remove("exp");
            p
        }),
    ];
    for (what, payload) in cases {
        let claimed = payload["iss"].as_str().unwrap_or_default().to_string();
        let forged = op.sign("RS256", json!({}), payload).await;
        assert_refused_and_logged(&gw, what, &forged, &claimed).await;
    }
    assert_refused_and_logged(&gw, "garbage", "not-a-token-at-all", "").await;

    // Still serving, and the real token still works.
    let health = gw
        .http
        .get(format!("{}/healthz", gw.base))
        .send()
        .await
        .unwrap();
    assert!(health.status().is_success());
    gw.data(&good, ME, json!({})).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn opaque_tokens_are_introspected_and_revocation_is_seen() {
    let Some(op) = OidcProvider::start().await else {
        return;
    };
    let gw = gateway(&op, |_| {}).await;
    let token = op.client_credentials("opaque-integrator", "read").await;
    assert_eq!(token.split('.').count(), 1, "an opaque token");
    let me = &gw.data(&token, ME, json!({})).await["me"];
    assert_eq!(me["id"], "service:opaque-integrator");
    assert_eq!(me["accounts"][0]["account"]["id"], ACCOUNT_B);
    let caller = gw.app_state.callers.authenticate(&token).await.unwrap();
    assert!(caller.may_write);

    op.revoke("opaque-integrator", &token).await;
    // Answers are cached for `cache_secs` (1 s here).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_refused(&gw, "a revoked opaque token", &token).await;
    assert_refused(&gw, "an opaque token nobody issued", "made-up-opaque-token").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issuer_whose_keys_cannot_be_loaded_answers_unavailable() {
    let Some(op) = OidcProvider::start_with(ProviderOptions::default()).await else {
        return;
    };
    let token = op.client_credentials("integrator", "read").await;
    // Point the gateway at a key set URL nobody answers.
    let gw = gateway(&op, |c| {
        c["jwks_url"] = "http://127.0.0.1:9/jwks".into();
    })
    .await;
    let (status, body) = gw.post(&token, "{ me { id } }", json!({})).await;
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(status, 503, "{body}");
    assert_eq!(extensions["code"], "BACKEND_UNAVAILABLE", "{body}");
    assert_eq!(extensions["backend"], "issuer", "{body}");
    let ready = gw
        .http
        .get(format!("{}/readyz", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    assert!(ready.text().await.unwrap().contains(&op.issuer));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_is_ready_once_the_issuers_keys_are_loaded() {
    let Some(op) = OidcProvider::start().await else {
        return;
    };
    let gw = gateway(&op, |_| {}).await;
    let mut status = 0;
    for _ in 0..50 {
        let ready = gw
            .http
            .get(format!("{}/readyz", gw.base))
            .send()
            .await
            .unwrap();
        status = ready.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expiring_provider_token_ends_its_subscription_with_a_close_reason() {
    let options = ProviderOptions {
        access_token_ttl_secs: Some(2),
        ..ProviderOptions::default()
    };
    let Some(op) = OidcProvider::start_with(options).await else {
        return;
    };
    let gw = gateway(&op, |c| c["jwks_refetch_secs"] = 1.into()).await;
    let token = op.client_credentials("integrator", "read").await;
    let mut sub = gw
        .subscribe(
            "graphql-transport-ws",
            &token,
            "subscription { caseEvents { kind } }",
            json!({}),
        )
        .await;
    let complete = sub.next_message().await.expect("the subscription ends");
    assert_eq!(complete["type"], "complete", "{complete}");
    let closed = sub.next_message().await.expect("the socket closes");
    assert_eq!(
        (closed["code"].as_u64(), closed["reason"].as_str()),
        (Some(4401), Some("token expired")),
        "{closed}"
    );
}
