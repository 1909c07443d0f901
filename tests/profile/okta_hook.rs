//! Okta's event hook (`/webhooks/okta`): a group membership changed in Okta
//! holds at once, although principals are cached for an hour; the hook
//! answers Okta's verification and refuses requests without its secret.

use common::Backend;
use switchboard_core::Role;
use switchboard_fakes::okta::group_name;

use super::*;

const SECRET: &str = "an-okta-event-hook-secret";

/// The caller's role on each of their accounts.
async fn roles(gw: &Gateway, token: &str) -> Vec<String> {
    let me = gw
        .data(token, "{ me { accounts { role } } }", json!({}))
        .await;
    me["me"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|access| access["role"].as_str().unwrap().to_string())
        .collect()
}

/// Sends `request` to the hook with `secret` (none: no header).
async fn hook(request: reqwest::RequestBuilder, secret: Option<&str>) -> (u16, Value) {
    let request = match secret {
        Some(secret) => request.header("authorization", secret),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_changed_in_okta_holds_once_its_event_hook_says_so() {
    let gw = common::start_with(Backend::Mixed, |c| {
        c.auth.principal_cache_secs = 3600;
        c.directory.event_hook_secret = Some(SECRET.into());
    })
    .await
    .expect("a gateway on the fake Okta");
    let okta = gw.okta.as_ref().expect("the fake Okta");
    let sam = okta.user_id(STANDARD_A).expect("Sam is in the fake Okta");
    let token = gw.token(STANDARD_A).await;
    assert_eq!(roles(&gw, &token).await, ["STANDARD"]);

    // An administrator makes Sam the primary authority in Okta: the
    // gateway still holds the cached principal.
    okta.set_member(&group_name(ACCOUNT_A, Role::Standard), &sam, false);
    okta.set_member(&group_name(ACCOUNT_A, Role::PrimaryAuthority), &sam, true);
    assert_eq!(roles(&gw, &token).await, ["STANDARD"]);

    // Okta verifies the hook once.
    let url = format!("{}/webhooks/okta", gw.base);
    let challenge = || {
        gw.http
            .get(&url)
            .header(okta_hook_challenge(), "a-challenge")
    };
    assert_eq!(
        hook(challenge(), Some(SECRET)).await,
        (200, json!({ "verification": "a-challenge" }))
    );
    assert_eq!(hook(challenge(), None).await.0, 401);

    let delivery = json!({
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "data": { "events": [
            { "eventType": "group.user_membership.remove",
              "target": [{ "id": sam, "type": "User" }, { "id": "00gstandard", "type": "UserGroup" }] },
            { "eventType": "group.user_membership.add",
              "target": [{ "id": sam, "type": "User" }, { "id": "00gprimary", "type": "UserGroup" }] },
        ]},
    });
    let post = || gw.http.post(&url).json(&delivery);
    assert_eq!(hook(post(), Some("not-the-secret-at-all")).await.0, 401);
    assert_eq!(
        roles(&gw, &token).await,
        ["STANDARD"],
        "a refused post changes nothing"
    );
    assert_eq!(
        hook(post(), Some(SECRET)).await,
        (200, json!({ "announced": true }))
    );
    assert_eq!(roles(&gw, &token).await, ["PRIMARY_AUTHORITY"]);

    let malformed = gw.http.post(&url).body("{\"data\": 1}");
    let (status, body) = hook(malformed, Some(SECRET)).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

fn okta_hook_challenge() -> &'static str {
    switchboard::server::okta_hook::CHALLENGE_HEADER
}
