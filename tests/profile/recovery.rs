//! Account recovery through the gateway's own links (SQL directory) and
//! the limits on asking for them; the Okta counterparts are in
//! `okta_recovery.rs`.

use super::*;

pub(super) async fn reset_links_are_redeemed_without_a_token(gw: Gateway) {
    let link_base = format!("{}/reset", gw.base);
    let token = emailed_token(&gw, RESET, STANDARD_A, &link_base).await;
    let (status, body) = anonymous(
        &gw,
        COMPLETE_RESET,
        json!({ "token": token, "new": "standard-pass" }),
        None,
    )
    .await;
    assert_eq!(
        status, 200,
        "a weak password is not a request error: {body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["field"], "newPassword");
    let message = body["errors"][0]["message"].as_str().unwrap();
    for rule in ["uppercase", "number", "part of the username"] {
        assert!(message.contains(rule), "`{rule}` named: {message}");
    }
    let new = "Harbor-Lights-77";
    let (_, body) = anonymous(
        &gw,
        COMPLETE_RESET,
        json!({ "token": token, "new": new }),
        None,
    )
    .await;
    assert_eq!(body["data"]["completePasswordReset"], true, "{body}");

    let sam = gw.token(STANDARD_A).await;
    let (_, body) = gw
        .post(
            &sam,
            CHANGE,
            json!({ "old": DEMO_PASSWORD, "new": "Harbor-Lights-78" }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "oldPassword",
        "the old password is gone: {body}"
    );
    let data = gw
        .data(
            &sam,
            CHANGE,
            json!({ "old": new, "new": "Harbor-Lights-78" }),
        )
        .await;
    assert_eq!(data["changePassword"], true, "the new password works");

    let (_, body) = anonymous(
        &gw,
        COMPLETE_RESET,
        json!({ "token": token, "new": "Harbor-Lights-79" }),
        None,
    )
    .await;
    assert_invalid_link(&body);
    let (_, body) = anonymous(&gw, COMPLETE_UNLOCK, json!({ "token": token }), None).await;
    assert_invalid_link(&body);

    // Redemptions are audited as anonymous, naming neither token nor password.
    let operator = gw.token(OPERATOR).await;
    let log = gw
        .data(
            &operator,
            "{ auditLog(last: 20) { userId client fields targets outcome } }",
            json!({}),
        )
        .await;
    let entries = log["auditLog"].as_array().unwrap();
    let redemptions: Vec<&Value> = entries
        .iter()
        .filter(|e| e["fields"] == json!(["completePasswordReset"]))
        .collect();
    assert_eq!(redemptions.len(), 3, "{log}");
    assert!(redemptions.iter().all(|e| e["userId"] == "anonymous"
        && e["client"] == "127.0.0.1"
        && e["targets"] == json!([])));
    assert!(
        redemptions.iter().any(|e| e["outcome"] == "OK")
            && redemptions.iter().any(|e| e["outcome"] == "BAD_USER_INPUT")
    );
    assert!(
        !log.to_string().contains(&token),
        "the token is never recorded"
    );
}

pub(super) async fn unlock_links_end_a_lock_out(gw: Gateway) {
    let user = gw
        .store
        .principal_by_email(STANDARD_A)
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    testing::set_user_status(&gw.store, &user, UserStatus::LockedOut)
        .await
        .unwrap();
    assert_eq!(user_status(&gw, STANDARD_A).await, "LOCKED_OUT");
    let link_base = format!("{}/unlock", gw.base);
    let token = emailed_token(&gw, UNLOCK, STANDARD_A, &link_base).await;
    let (_, body) = anonymous(
        &gw,
        COMPLETE_RESET,
        json!({ "token": token, "new": "Harbor-Lights-77" }),
        None,
    )
    .await;
    assert_invalid_link(&body);
    assert_eq!(
        user_status(&gw, STANDARD_A).await,
        "LOCKED_OUT",
        "nothing changed"
    );
    let (_, body) = anonymous(&gw, COMPLETE_UNLOCK, json!({ "token": token }), None).await;
    assert_eq!(body["data"]["completeAccountUnlock"], true, "{body}");
    assert_eq!(user_status(&gw, STANDARD_A).await, "ACTIVE");
    let (_, body) = anonymous(&gw, COMPLETE_UNLOCK, json!({ "token": token }), None).await;
    assert_invalid_link(&body);
}

pub(super) async fn expired_links_are_refused(gw: Gateway) {
    let link_base = format!("{}/reset", gw.base);
    let token = emailed_token(&gw, RESET, STANDARD_A, &link_base).await;
    testing::expire_recovery_links(&gw.store).await.unwrap();
    let (_, body) = anonymous(
        &gw,
        COMPLETE_RESET,
        json!({ "token": token, "new": "Harbor-Lights-77" }),
        None,
    )
    .await;
    assert_invalid_link(&body);
    let sam = gw.token(STANDARD_A).await;
    let data = gw
        .data(
            &sam,
            CHANGE,
            json!({ "old": DEMO_PASSWORD, "new": "Harbor-Lights-78" }),
        )
        .await;
    assert_eq!(data["changePassword"], true, "the password did not change");
}

pub(super) async fn redemptions_are_rate_limited_per_address(gw: Gateway) {
    let client = Some("203.0.113.20");
    for _ in 0..2 {
        let (_, body) = anonymous(&gw, COMPLETE_UNLOCK, json!({ "token": "guess" }), client).await;
        assert_invalid_link(&body);
    }
    let (_, body) = anonymous(&gw, COMPLETE_UNLOCK, json!({ "token": "guess" }), client).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    let (_, body) = anonymous(
        &gw,
        COMPLETE_UNLOCK,
        json!({ "token": "guess" }),
        Some("203.0.113.21"),
    )
    .await;
    assert_invalid_link(&body);
}

pub(super) async fn recovery_links_point_at_the_configured_base(gw: Gateway) {
    let token = emailed_token(
        &gw,
        RESET,
        STANDARD_A,
        "https://portal.example/account/reset",
    )
    .await;
    let (_, body) = anonymous(
        &gw,
        COMPLETE_RESET,
        json!({ "token": token, "new": "Harbor-Lights-77" }),
        None,
    )
    .await;
    assert_eq!(body["data"]["completePasswordReset"], true, "{body}");
}

pub(super) async fn recovery_does_not_enumerate(gw: Gateway) {
    for mutation in [RESET, UNLOCK] {
        let (known_status, known) =
            anonymous(&gw, mutation, json!({ "login": PRIMARY_A }), None).await;
        let (unknown_status, unknown) = anonymous(
            &gw,
            mutation,
            json!({ "login": "nobody@harborfreight.example" }),
            None,
        )
        .await;
        assert_eq!(known_status, 200, "{known}");
        assert_eq!(
            (known_status, &known),
            (unknown_status, &unknown),
            "identical answers"
        );
        assert!(known.get("errors").is_none(), "{known}");
    }
    if let Some(okta) = &gw.okta {
        // Okta sends its own reset e-mail, and for an unlock request only
        // to a LOCKED_OUT user (adapters/okta: proof of mailbox control
        // first); Pat is not locked out, so the unlock request sends
        // nothing. Nothing is written to the gateway's outbox.
        assert_eq!(
            sent_messages(&gw).await,
            [(PRIMARY_A.to_string(), "reset_password".to_string())],
            "one e-mail, for the known login's reset"
        );
        assert_eq!(okta.user_id("nobody@harborfreight.example"), None);
    } else {
        outbox_links_are_the_gateways(&gw).await;
    }

    // The outbox is the operators': customers are refused, and the public
    // mutation never returns it.
    let pat = gw.token(PRIMARY_A).await;
    let (_, body) = gw.post(&pat, OUTBOX, json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN");
    // Without a token, nothing but the public mutations runs.
    let mixed = "mutation($login: String!) { requestPasswordReset(login: $login) { message } resetFactor(factorId: \"1\") { removedFactorIds } }";
    let (status, _) = anonymous(&gw, mixed, json!({ "login": PRIMARY_A }), None).await;
    assert_eq!(status, 401);
    let (status, _) = anonymous(&gw, OUTBOX, json!({}), None).await;
    assert_eq!(status, 401);
    // Public mutations are audited as anonymous, with the client address.
    let operator = gw.token(OPERATOR).await;
    let log = gw
        .data(
            &operator,
            "{ auditLog(last: 10) { userId client fields outcome } }",
            json!({}),
        )
        .await;
    assert!(
        log["auditLog"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["userId"] == "anonymous"
                && e["client"] == "127.0.0.1"
                && e["fields"] == json!(["requestPasswordReset"])),
        "{log}"
    );
}

/// After a reset and an unlock request for Pat: the outbox holds one
/// message per request, each with a link to the gateway valid for an hour.
pub(super) async fn outbox_links_are_the_gateways(gw: &Gateway) {
    let messages = outbox(gw).await;
    assert_eq!(
        messages.len(),
        2,
        "one message per request for the known login: {messages:?}"
    );
    assert!(messages.iter().all(|m| m["recipient"] == PRIMARY_A));
    let reset = messages
        .iter()
        .find(|m| m["kind"] == "RESET_PASSWORD")
        .unwrap();
    let body = reset["body"].as_str().unwrap();
    assert!(
        body.contains(&format!("{}/reset?token=", gw.base)),
        "{body}"
    );
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(
        (at(&reset["expiresAt"]) - at(&reset["createdAt"])).num_seconds(),
        3600
    );
    assert!(messages.iter().any(|m| m["kind"] == "UNLOCK_ACCOUNT"));
}

pub(super) async fn recovery_is_rate_limited_per_login(gw: Gateway) {
    for login in [PRIMARY_A, "nobody@harborfreight.example"] {
        for _ in 0..2 {
            let (_, body) = anonymous(&gw, RESET, json!({ "login": login }), None).await;
            assert!(body.get("errors").is_none(), "{body}");
        }
        // Known and unknown logins are limited alike, and across both kinds.
        let (_, body) =
            anonymous(&gw, UNLOCK, json!({ "login": login.to_uppercase() }), None).await;
        assert_eq!(code(&body), "RATE_LIMITED", "{login}: {body}");
        assert!(
            body["errors"][0]["extensions"]["retryAfterSeconds"]
                .as_u64()
                .unwrap()
                > 0
        );
    }
    assert_eq!(
        sent_messages(&gw).await.len(),
        2,
        "refused requests send nothing"
    );
    let (_, body) = anonymous(&gw, RESET, json!({ "login": STANDARD_A }), None).await;
    assert!(
        body.get("errors").is_none(),
        "other logins are not limited: {body}"
    );
}

pub(super) async fn recovery_is_rate_limited_per_address(gw: Gateway) {
    let client = Some("203.0.113.9");
    for i in 0..3 {
        let login = format!("someone{i}@example.com");
        let (_, body) = anonymous(&gw, RESET, json!({ "login": login }), client).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let (_, body) = anonymous(&gw, RESET, json!({ "login": PRIMARY_A }), client).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    let sent = sent_messages(&gw).await;
    assert!(sent.is_empty(), "a refused request sends nothing: {sent:?}");
    let (_, body) = anonymous(
        &gw,
        RESET,
        json!({ "login": PRIMARY_A }),
        Some("203.0.113.10"),
    )
    .await;
    assert!(
        body.get("errors").is_none(),
        "another address is not limited: {body}"
    );
}
