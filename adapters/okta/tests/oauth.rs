//! The adapter as an OAuth 2.0 service app (`private_key_jwt`) against the
//! fake org: one token for many calls, shared by concurrent calls,
//! refreshed before it expires, replaced once when refused; missing
//! scopes, unknown keys and token endpoint outages; and no key or token in
//! errors, logs or `Debug`.

mod common;

use std::time::Duration;

use common::{
    CLIENT_ID, KEY_ID, LogCapture, SCOPES, USER, service_app_auth, service_app_harness,
    service_app_harness_with,
};
use reqwest::Method;
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_core::demo::DEMO_PASSWORD;
use switchboard_core::identity::{Identity, PasswordChange, RecoveryKind};
use switchboard_core::{Error, Result, Scope, UserDirectory};
use switchboard_fakes::faults::{Fault, Rule};
use switchboard_fakes::okta::TestKey;
use switchboard_okta::{Auth, ServiceApp, SigningAlgorithm};

const HOME: &str = DEMO_ACCOUNTS[0].0;
const TOKEN_PATH: &str = "/oauth2/v1/token";

fn unavailable<T: std::fmt::Debug>(result: Result<T>) {
    match result {
        Err(Error::Unavailable { backend }) => assert_eq!(backend, "okta"),
        other => panic!("expected okta to be unavailable, got {other:?}"),
    }
}

/// Management API requests the fake received.
fn api_requests(h: &common::Harness) -> Vec<(Method, String)> {
    h.fake
        .requests()
        .entries()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/"))
        .map(|r| (r.method, r.path))
        .collect()
}

/// Requests that reached the token endpoint's URL (faulted ones too).
fn token_posts(h: &common::Harness) -> usize {
    h.fake
        .requests()
        .entries()
        .iter()
        .filter(|r| r.path == TOKEN_PATH)
        .count()
}

fn new_password() -> PasswordChange {
    PasswordChange {
        old_password: DEMO_PASSWORD.into(),
        new_password: "Switch-Board-77".into(),
    }
}

#[tokio::test]
async fn a_service_app_reads_and_writes_with_one_token() -> Result<()> {
    let logs = LogCapture::start();
    let h = service_app_harness().await?;
    let pat = h.id(USER);
    let users = h
        .okta
        .account_users(&Scope::new([HOME.to_string()]), HOME)
        .await?;
    assert!(users.iter().any(|u| u.email == USER), "{users:?}");
    assert_eq!(h.okta.factors(&pat).await?.len(), 5);
    let principal = h
        .okta
        .principal_by_email(USER)
        .await?
        .expect("pat signs in");
    assert!(principal.entitlements.iter().any(|e| e.account_id == HOME));
    h.okta.change_password(&pat, &new_password()).await?;
    h.okta
        .request_recovery(USER, RecoveryKind::ResetPassword, "")
        .await?;
    assert_eq!(h.fake.emails_sent().len(), 1);
    assert_eq!(h.fake.token_requests(), 1, "one token served every call");
    assert!(api_requests(&h).len() >= 6);
    let logged = logs.text();
    assert!(
        !logged.contains("eyJ"),
        "no assertion or token is logged: {logged}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_calls_share_one_token_request() -> Result<()> {
    let h = service_app_harness().await?;
    let pat = h.id(USER);
    // Slow answers, so every call asks for a token while the first fetch runs.
    h.fake.faults().set_latency(Duration::from_millis(150));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let okta = h.okta.clone();
        let pat = pat.clone();
        calls.spawn(async move { okta.factors(&pat).await });
    }
    while let Some(done) = calls.join_next().await {
        assert_eq!(done.expect("the call ran")?.len(), 5);
    }
    assert_eq!(h.fake.token_requests(), 1);
    Ok(())
}

#[tokio::test]
async fn a_short_lived_token_is_replaced_before_it_expires() -> Result<()> {
    let h = service_app_harness().await?;
    h.fake.set_token_lifetime(Duration::from_secs(2));
    let pat = h.id(USER);
    h.okta.factors(&pat).await?;
    h.okta.factors(&pat).await?;
    assert_eq!(h.fake.token_requests(), 1);
    // Replaced at 80 % of a short life (a minute early for Okta's hour).
    tokio::time::sleep(Duration::from_millis(1_750)).await;
    h.okta.factors(&pat).await?;
    assert_eq!(h.fake.token_requests(), 2);
    assert_eq!(
        api_requests(&h).len(),
        3,
        "no call was refused for an expired token"
    );
    Ok(())
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once_and_the_call_succeeds() -> Result<()> {
    let h = service_app_harness().await?;
    let pat = h.id(USER);
    h.okta.factors(&pat).await?;
    h.fake.revoke_tokens();
    h.fake.requests().clear();
    assert_eq!(h.okta.factors(&pat).await?.len(), 5);
    assert_eq!(h.fake.token_requests(), 2);
    let paths: Vec<String> = h
        .fake
        .requests()
        .entries()
        .into_iter()
        .map(|r| r.path)
        .collect();
    let factors = format!("/api/v1/users/{pat}/factors");
    assert_eq!(paths, [factors.as_str(), TOKEN_PATH, factors.as_str()]);
    // A refused write was not processed: it is sent again too.
    h.fake.revoke_tokens();
    h.okta.change_password(&pat, &new_password()).await?;
    assert_eq!(h.fake.token_requests(), 3);
    Ok(())
}

#[tokio::test]
async fn a_token_refused_twice_is_unavailable_without_a_third_fetch() -> Result<()> {
    let h = service_app_harness().await?;
    let pat = h.id(USER);
    h.okta.factors(&pat).await?;
    h.fake
        .faults()
        .inject(Rule::new(Fault::Status(401)).path_prefix("/api/").times(2));
    unavailable(h.okta.factors(&pat).await);
    assert_eq!(h.fake.token_requests(), 2, "one fresh token, no more");
    assert_eq!(h.fake.faults().pending(), 0);
    assert_eq!(h.okta.factors(&pat).await?.len(), 5, "and it recovers");
    assert_eq!(h.fake.token_requests(), 2);
    Ok(())
}

#[tokio::test]
async fn a_missing_scope_is_unavailable_and_the_log_names_it() -> Result<()> {
    let logs = LogCapture::start();
    let key = TestKey::es256(KEY_ID);
    let h =
        service_app_harness_with(&key, &["okta.users.read", "okta.groups.read"], |_| {}).await?;
    let pat = h.id(USER);
    assert_eq!(h.okta.factors(&pat).await?.len(), 5, "reads are granted");
    unavailable(h.okta.change_password(&pat, &new_password()).await);
    assert_eq!(h.fake.token_requests(), 1);
    let logged = logs.text();
    assert!(logged.contains("fewer scopes than configured"), "{logged}");
    assert!(
        logged.contains("okta.required_scope=okta.users.manage"),
        "{logged}"
    );
    Ok(())
}

#[tokio::test]
async fn a_key_okta_does_not_know_is_invalid_client_and_remembered() -> Result<()> {
    let logs = LogCapture::start();
    let registered = TestKey::es256(KEY_ID);
    let other = TestKey::es256(KEY_ID);
    let h = service_app_harness_with(&registered, &SCOPES, |s| s.auth = service_app_auth(&other))
        .await?;
    let pat = h.id(USER);
    let error = h.okta.factors(&pat).await.expect_err("an unknown key");
    assert_eq!(error, Error::unavailable("okta"));
    unavailable(h.okta.factors(&pat).await);
    assert_eq!(
        h.fake.token_requests(),
        1,
        "a refusal is not asked again at once"
    );
    assert!(
        api_requests(&h).is_empty(),
        "no call went out without a token"
    );
    let logged = logs.text();
    assert!(logged.contains("oauth.error=invalid_client"), "{logged}");
    assert!(
        logged.contains("The client_assertion signature is invalid."),
        "{logged}"
    );
    let printed = format!("{error} {error:?} {:?}", h.okta);
    for text in [&logged, &printed] {
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        for line in other
            .private_pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
        {
            assert!(!text.contains(line), "the key leaked: {text}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn scopes_the_app_was_not_granted_are_invalid_scope() -> Result<()> {
    let logs = LogCapture::start();
    let key = TestKey::es256(KEY_ID);
    let h = service_app_harness_with(&key, &["okta.apps.read"], |_| {}).await?;
    unavailable(h.okta.factors(&h.id(USER)).await);
    assert!(
        logs.text().contains("oauth.error=invalid_scope"),
        "{}",
        logs.text()
    );
    Ok(())
}

#[tokio::test]
async fn a_token_endpoint_outage_is_retried_like_a_read() -> Result<()> {
    let h = service_app_harness().await?;
    let pat = h.id(USER);
    let faults = h.fake.faults();
    faults.inject(
        Rule::new(Fault::Status(503))
            .path_prefix(TOKEN_PATH)
            .times(1),
    );
    faults.inject(Rule::new(Fault::Reset).path_prefix(TOKEN_PATH).times(1));
    assert_eq!(h.okta.factors(&pat).await?.len(), 5);
    assert_eq!(token_posts(&h), 3);
    // A token issued but whose answer was lost: the retry's assertion has
    // a new jti, so Okta does not refuse it as a replay.
    h.fake.revoke_tokens();
    faults.inject(
        Rule::new(Fault::Status(502))
            .path_prefix(TOKEN_PATH)
            .after_handler(),
    );
    assert_eq!(h.okta.factors(&pat).await?.len(), 5);
    assert_eq!(h.fake.token_requests(), 3);
    // Beyond the retries: unavailable, and the next call fetches again.
    h.fake.revoke_tokens();
    faults.inject(
        Rule::new(Fault::Status(500))
            .path_prefix(TOKEN_PATH)
            .times(3),
    );
    unavailable(h.okta.factors(&pat).await);
    assert_eq!(faults.pending(), 0, "one try and two retries");
    assert_eq!(h.okta.factors(&pat).await?.len(), 5);
    Ok(())
}

#[tokio::test]
async fn a_key_from_a_file_or_with_escaped_line_breaks_signs() -> Result<()> {
    let key = TestKey::es256(KEY_ID);
    let h = service_app_harness_with(&key, &SCOPES, |_| {}).await?;
    let pat = h.id(USER);
    let path = std::env::temp_dir().join(format!(
        "switchboard-okta-test-{}-{}.pem",
        std::process::id(),
        KEY_ID
    ));
    std::fs::write(&path, key.private_pem()).expect("a temporary key file");
    let from_file = h.adapter(|s| {
        let mut app = ServiceApp::new(CLIENT_ID, KEY_ID, "", SCOPES);
        app.private_key = None;
        app.private_key_file = Some(path.clone());
        s.auth = Auth::OauthServiceApp(app);
    });
    std::fs::remove_file(&path).expect("the key file is removed");
    assert_eq!(from_file?.factors(&pat).await?.len(), 5);
    let escaped = h.adapter(|s| {
        let one_line = key.private_pem().replace('\n', "\\n");
        s.auth = Auth::OauthServiceApp(ServiceApp::new(CLIENT_ID, KEY_ID, one_line, SCOPES));
    })?;
    assert_eq!(escaped.factors(&pat).await?.len(), 5);
    assert_eq!(h.fake.token_requests(), 2);
    Ok(())
}

#[tokio::test]
async fn bad_service_app_settings_are_refused_without_the_key() -> Result<()> {
    let key = TestKey::es256(KEY_ID);
    let h = service_app_harness_with(&key, &SCOPES, |_| {}).await?;
    let refused = |tweak: &dyn Fn(&mut ServiceApp)| {
        let mut app = ServiceApp::new(CLIENT_ID, KEY_ID, key.private_pem(), SCOPES);
        tweak(&mut app);
        let text = app.private_key.clone().unwrap_or_default();
        match h.adapter(|s| s.auth = Auth::OauthServiceApp(app)) {
            Err(Error::InvalidInput { field, message }) => {
                for line in text
                    .lines()
                    .filter(|l| l.len() > 8 && !l.starts_with("-----"))
                {
                    assert!(!message.contains(line), "the key leaked: {message}");
                }
                field
            }
            other => panic!("expected a refused setting, got {other:?}"),
        }
    };
    let garbage = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwgc29ycnk=\n-----END PRIVATE KEY-----\n";
    assert_eq!(
        refused(&|a| a.private_key = Some(garbage.into())),
        "okta.auth.private_key"
    );
    assert_eq!(
        refused(&|a| a.private_key = Some(key.public_pem().into())),
        "okta.auth.private_key"
    );
    assert_eq!(
        refused(&|a| a.private_key_file = Some("/nonexistent/key.pem".into())),
        "okta.auth.private_key",
        "a key and a file"
    );
    assert_eq!(
        refused(&|a| {
            a.private_key = None;
            a.private_key_file = Some("/nonexistent/key.pem".into());
        }),
        "okta.auth.private_key_file"
    );
    assert_eq!(refused(&|a| a.scopes.clear()), "okta.auth.scopes");
    assert_eq!(
        refused(&|a| a.scopes = vec!["openid".into()]),
        "okta.auth.scopes"
    );
    assert_eq!(refused(&|a| a.client_id.clear()), "okta.auth.client_id");
    assert_eq!(refused(&|a| a.key_id = " ".into()), "okta.auth.key_id");
    assert_eq!(
        refused(&|a| a.algorithm = Some(SigningAlgorithm::RS256)),
        "okta.auth.algorithm"
    );
    assert_eq!(h.fake.requests().count(), 0, "nothing was asked of Okta");
    Ok(())
}

#[tokio::test]
async fn settings_debug_shows_no_key_material() -> Result<()> {
    let key = TestKey::es256(KEY_ID);
    let h = service_app_harness_with(&key, &SCOPES, |_| {}).await?;
    let mut settings = common::settings(&h.fake);
    settings.auth = service_app_auth(&key);
    let printed = format!("{settings:?} {settings:#?} {:?} {:?}", h.okta, key);
    assert!(printed.contains(CLIENT_ID), "{printed}");
    assert!(printed.contains("<redacted>"), "{printed}");
    assert!(!printed.contains("PRIVATE KEY"), "{printed}");
    for line in key
        .private_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
    {
        assert!(!printed.contains(line), "the key leaked: {printed}");
    }
    Ok(())
}
