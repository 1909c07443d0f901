//! A mixed deployment in one process: cases in ServiceNow, users and
//! identity in Okta (both fakes), billing and the rest in SQLite. The
//! portal's operations work unchanged across the three.

mod common;

use serde_json::json;

use common::{ACCOUNT_A, ACCOUNT_B, Backend, PRIMARY_A, STANDARD_A};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_query_spans_servicenow_okta_and_the_database() {
    let gw = common::start(Backend::Mixed)
        .await
        .expect("a mixed gateway");
    let okta = gw.okta.as_ref().expect("the fake Okta");
    let token = gw.token(PRIMARY_A).await;
    let data = gw
        .data(
            &token,
            "query($a: ID!) { me { id email accounts { account { id } role } } \
               cases(first: 3) { nodes { number account { id } } } \
               billingSummaries { account { id } } \
               myFactors { id label } \
               accountUsers(accountId: $a) { email role status } }",
            json!({ "a": ACCOUNT_A }),
        )
        .await;
    let me = &data["me"];
    assert_eq!(me["email"], PRIMARY_A);
    assert_eq!(
        Some(me["id"].as_str().unwrap()),
        okta.user_id(PRIMARY_A).as_deref(),
        "the principal is Okta's user"
    );
    let cases = data["cases"]["nodes"].as_array().unwrap();
    assert_eq!(cases.len(), 3, "{data}");
    assert!(
        cases.iter().all(|c| c["account"]["id"] == ACCOUNT_A),
        "{data}"
    );
    assert!(!data["billingSummaries"].as_array().unwrap().is_empty());
    let labels: Vec<&str> = data["myFactors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"Okta Verify (push)"), "{labels:?}");
    let users = data["accountUsers"].as_array().unwrap();
    assert!(
        users
            .iter()
            .any(|u| u["email"] == STANDARD_A && u["role"] == "STANDARD"),
        "{users:?}"
    );

    // Another customer's account stays out of reach through every backend.
    let (_, body) = gw
        .post(
            &token,
            "query($b: ID!) { accountUsers(accountId: $b) { email } }",
            json!({ "b": ACCOUNT_B }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_changes_go_to_okta() {
    let gw = common::start(Backend::Mixed)
        .await
        .expect("a mixed gateway");
    let token = gw.token(PRIMARY_A).await;
    let change = "mutation($old: String!, $new: String!) { \
                  changePassword(oldPassword: $old, newPassword: $new) }";
    let (_, body) = gw
        .post(
            &token,
            change,
            json!({ "old": "Portal-Demo-2026", "new": "short" }),
        )
        .await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(error["extensions"]["field"], "newPassword", "{body}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("uppercase"), "{message}");
}
