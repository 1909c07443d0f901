//! Recovery with users in Okta (the fake; cases in the fake ServiceNow, the
//! rest on SQLite): the counterparts of the tests redeeming the gateway's
//! own links. Okta writes and sends its own e-mails, so these check what
//! the gateway asks of Okta (adapters/okta, "Recovery"): a reset request
//! for a known login makes Okta e-mail that user, an unknown login makes
//! it send nothing; an unlock request sends the same reset e-mail, only to
//! a LOCKED_OUT user; the gateway's outbox stays empty and it redeems no
//! link.

use axum::http::Method;
use common::Backend;
use switchboard_fakes::okta::FakeOkta;

use super::*;

async fn okta_gateway() -> Gateway {
    common::start(Backend::Mixed)
        .await
        .expect("a gateway on the fake Okta")
}

fn okta(gw: &Gateway) -> &FakeOkta {
    gw.okta.as_ref().expect("the fake Okta")
}

fn reset_email(login: &str) -> (String, String) {
    (login.to_string(), "reset_password".to_string())
}

/// The lifecycle calls the gateway made to the fake Okta, as
/// `(path, query)`.
fn lifecycle_calls(okta: &FakeOkta) -> Vec<(String, String)> {
    okta.requests()
        .entries()
        .into_iter()
        .filter(|r| r.method == Method::POST && r.path.contains("/lifecycle/"))
        .map(|r| (r.path, r.query))
        .collect()
}

/// The counterpart of `reset_links_are_redeemed_without_a_token`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_requests_make_okta_send_its_email() {
    let gw = okta_gateway().await;
    let okta = okta(&gw);
    let sam = okta.user_id(STANDARD_A).expect("Sam is in the fake Okta");

    let (_, unknown) = anonymous(
        &gw,
        RESET,
        json!({ "login": "nobody@harborfreight.example" }),
        None,
    )
    .await;
    assert!(unknown.get("errors").is_none(), "{unknown}");
    assert!(
        okta.emails_sent().is_empty(),
        "nothing for an unknown login"
    );
    assert!(lifecycle_calls(okta).is_empty());

    let (_, known) = anonymous(
        &gw,
        RESET,
        json!({ "login": STANDARD_A.to_uppercase() }),
        None,
    )
    .await;
    assert_eq!(known, unknown, "identical answers");
    assert_eq!(okta.emails_sent(), [reset_email(STANDARD_A)]);
    assert_eq!(
        lifecycle_calls(okta),
        [(
            format!("/api/v1/users/{sam}/lifecycle/reset_password"),
            "sendEmail=true".to_string()
        )],
        "Okta writes and sends the e-mail"
    );
    assert_eq!(user_status(&gw, STANDARD_A).await, "RECOVERY");
    assert!(outbox(&gw).await.is_empty(), "nothing of ours");

    // The gateway knows none of Okta's links: a redemption is refused like
    // an unknown link, and Sam's password did not change.
    let (_, body) = anonymous(
        &gw,
        COMPLETE_RESET,
        json!({ "token": "XE6wSomeOktaRecoveryToken", "new": "Harbor-Lights-77" }),
        None,
    )
    .await;
    assert_invalid_link(&body);
    let token = gw.token(STANDARD_A).await;
    let data = gw
        .data(
            &token,
            CHANGE,
            json!({ "old": DEMO_PASSWORD, "new": "Harbor-Lights-78" }),
        )
        .await;
    assert_eq!(data["changePassword"], true, "the password did not change");
}

/// The counterpart of `unlock_links_end_a_lock_out`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_requests_email_only_locked_out_users() {
    let gw = okta_gateway().await;
    let okta = okta(&gw);
    let sam = okta.user_id(STANDARD_A).expect("Sam is in the fake Okta");
    okta.set_status(&sam, "LOCKED_OUT");
    assert_eq!(user_status(&gw, STANDARD_A).await, "LOCKED_OUT");

    // Pat is not locked out: nothing to send, and the same answer.
    let (_, active) = anonymous(&gw, UNLOCK, json!({ "login": PRIMARY_A }), None).await;
    assert!(active.get("errors").is_none(), "{active}");
    assert!(okta.emails_sent().is_empty());
    assert_eq!(user_status(&gw, PRIMARY_A).await, "ACTIVE");

    let (_, locked) = anonymous(&gw, UNLOCK, json!({ "login": STANDARD_A }), None).await;
    assert_eq!(locked, active, "identical answers");
    // Okta's reset e-mail, not an unlock: proof of mailbox control comes
    // first, and completing the reset returns Sam to ACTIVE.
    assert_eq!(okta.emails_sent(), [reset_email(STANDARD_A)]);
    assert_eq!(
        lifecycle_calls(okta),
        [(
            format!("/api/v1/users/{sam}/lifecycle/reset_password"),
            "sendEmail=true".to_string()
        )],
        "the adapter never unlocks for a recovery request"
    );
    assert_eq!(user_status(&gw, STANDARD_A).await, "RECOVERY");
    assert!(outbox(&gw).await.is_empty(), "nothing of ours");

    let (_, body) = anonymous(
        &gw,
        COMPLETE_UNLOCK,
        json!({ "token": "XE6wSomeOktaRecoveryToken" }),
        None,
    )
    .await;
    assert_invalid_link(&body);
}
