//! The adapter as a service app whose tokens Okta binds to a DPoP key:
//! the nonce exchange, `Authorization: DPoP` with a proof on every call,
//! a rotated nonce, and the clear error when the app requires DPoP but the
//! settings do not say so.

mod common;

use common::{CLIENT_ID, Harness, KEY_ID, LogCapture, SCOPES, USER, harness_with};
use switchboard_core::demo::DEMO_ACCOUNTS;
use switchboard_core::demo::DEMO_PASSWORD;
use switchboard_core::identity::{Identity, PasswordChange};
use switchboard_core::{Error, Result, Scope};
use switchboard_fakes::okta::{OktaDirectory, ServiceApp as FakeApp, TestKey};
use switchboard_okta::{Auth, ServiceApp};

const HOME: &str = DEMO_ACCOUNTS[0].0;

/// A fake whose app requires DPoP (or not), and the adapter with `dpop`.
async fn dpop_harness(app_requires: bool, adapter_sends: bool) -> Result<Harness> {
    let key = TestKey::es256(KEY_ID);
    let mut app = FakeApp::new(CLIENT_ID, &SCOPES)
        .with_jwk(key.public_jwk())
        .expect("a generated key registers");
    if app_requires {
        app = app.require_dpop();
    }
    let h = harness_with(OktaDirectory::demo(), |s| {
        let mut settings = ServiceApp::new(CLIENT_ID, KEY_ID, key.private_pem(), SCOPES);
        settings.dpop = adapter_sends;
        s.auth = Auth::OauthServiceApp(settings);
    })
    .await?;
    h.fake.add_service_app(app);
    Ok(h)
}

#[tokio::test]
async fn a_dpop_app_is_served_with_bound_tokens_and_proofs() -> Result<()> {
    let h = dpop_harness(true, true).await?;
    let pat = h.id(USER);
    assert_eq!(h.okta.factors(&pat).await?.len(), 5);
    assert_eq!(h.fake.token_requests(), 2, "use_dpop_nonce, then the token");
    let users = h
        .okta
        .account_users(&Scope::new([HOME.to_string()]), HOME)
        .await?;
    assert!(users.iter().any(|u| u.email == USER));
    let change = PasswordChange {
        old_password: DEMO_PASSWORD.into(),
        new_password: "Switch-Board-77".into(),
    };
    h.okta.change_password(&pat, &change).await?;
    assert_eq!(h.fake.token_requests(), 2, "one token for every call");
    // A new token after a revocation and a rotated nonce: the stale nonce
    // costs one more request, the call still succeeds.
    h.fake.revoke_tokens();
    h.fake.rotate_dpop_nonce();
    assert_eq!(h.okta.factors(&pat).await?.len(), 5);
    assert_eq!(h.fake.token_requests(), 4);
    // The kept nonce serves the next token at once.
    h.fake.revoke_tokens();
    assert_eq!(h.okta.factors(&pat).await?.len(), 5);
    assert_eq!(h.fake.token_requests(), 5);
    Ok(())
}

#[tokio::test]
async fn dpop_on_an_app_that_does_not_require_it_still_works() -> Result<()> {
    let h = dpop_harness(false, true).await?;
    assert_eq!(h.okta.factors(&h.id(USER)).await?.len(), 5);
    Ok(())
}

#[tokio::test]
async fn a_dpop_app_without_dpop_in_the_settings_is_a_clear_error() -> Result<()> {
    let logs = LogCapture::start();
    let h = dpop_harness(true, false).await?;
    match h.okta.factors(&h.id(USER)).await {
        Err(Error::Unavailable { backend }) => assert_eq!(backend, "okta"),
        other => panic!("expected okta to be unavailable, got {other:?}"),
    }
    let logged = logs.text();
    assert!(
        logged.contains("oauth.error=invalid_dpop_proof"),
        "{logged}"
    );
    assert!(
        logged.contains("DPoP proof JWT header is missing"),
        "{logged}"
    );
    assert!(
        logged.contains("`dpop`"),
        "the log says which setting: {logged}"
    );
    Ok(())
}
