//! The rules in the README's "Who may do what" table, end to end: a caller
//! without the rule's role gets FORBIDDEN on that field while the field's
//! siblings still resolve.

mod common;

use common::{Gateway, PRIMARY_A, STANDARD_A};
use serde_json::{Value, json};

const OPERATOR: &str = "olive.operator@switchboard.example";

/// The codes of a response's errors, with their paths.
fn errors(body: &Value) -> Vec<(String, Value)> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["extensions"]["code"].as_str().unwrap_or("").to_string(),
                e["path"].clone(),
            )
        })
        .collect()
}

async fn anonymous_callers_are_unauthenticated(gw: Gateway) {
    let response = gw
        .http
        .post(format!("{}/graphql", gw.base))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ me { name } cases { totalCount } }" }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let codes: Vec<String> = errors(&body).into_iter().map(|(c, _)| c).collect();
    assert!(!codes.is_empty(), "{body}");
    assert!(codes.iter().all(|c| c == "UNAUTHENTICATED"), "{body}");
    assert!(
        body["data"].is_null() || body["data"]["me"].is_null(),
        "{body}"
    );
}

async fn only_operators_read_the_audit_log(gw: Gateway) {
    // Something to audit: a comment by a customer.
    let primary = gw.token(PRIMARY_A).await;
    let list = gw
        .data(
            &primary,
            "{ cases(filter: { states: [OPEN] }, first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let case = list["cases"]["nodes"][0]["id"].clone();
    gw.data(
        &primary,
        "mutation($id: ID!) { addCaseComment(caseId: $id, body: \"audit me\") { id } }",
        json!({ "id": case }),
    )
    .await;

    let query = "{ me { name } auditLog(last: 5) { userId operation fields outcome } }";
    for customer in [PRIMARY_A, STANDARD_A] {
        let token = gw.token(customer).await;
        let (status, body) = gw.post(&token, query, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            errors(&body),
            vec![("FORBIDDEN".to_string(), json!(["auditLog"]))],
            "{customer}: {body}"
        );
        assert!(body["data"]["auditLog"].is_null(), "{body}");
        assert!(
            body["data"]["me"]["name"].is_string(),
            "sibling resolves: {body}"
        );
    }

    let operator = gw.token(OPERATOR).await;
    let body = gw.data(&operator, query, json!({})).await;
    assert_eq!(body["me"]["name"], "Olive Operator");
    let entries = body["auditLog"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["fields"] == json!(["addCaseComment"]) && e["outcome"] == "OK"),
        "{body}"
    );
}

async fn operators_see_no_customer_data(gw: Gateway) {
    let operator = gw.token(OPERATOR).await;
    let body = gw
        .data(
            &operator,
            "{ me { accounts { role } } accounts { id } cases { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(body["me"]["accounts"], json!([]));
    assert_eq!(body["accounts"], json!([]));
    assert_eq!(body["cases"]["totalCount"], 0);
}

async fn audit_log_bounds_are_checked(gw: Gateway) {
    let operator = gw.token(OPERATOR).await;
    for last in [0, 501] {
        let code = gw
            .error_code(
                &operator,
                "query($n: Int!) { auditLog(last: $n) { at } }",
                json!({ "n": last }),
            )
            .await;
        assert_eq!(code, "BAD_USER_INPUT", "last: {last}");
    }
}

async fn account_billing_follows_the_billing_rule(gw: Gateway) {
    let query = "{ accounts { id name billing { details { accountNumber } } } }";
    let morgan = gw.token("morgan.multi@partner.example").await;
    let body = gw.data(&morgan, query, json!({})).await;
    let accounts = body["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{body}");
    for account in accounts {
        assert_eq!(
            account["billing"]["details"]["accountNumber"],
            account["id"]
        );
    }

    let sam = gw.token(STANDARD_A).await;
    let (status, body) = gw.post(&sam, query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        errors(&body),
        vec![("FORBIDDEN".to_string(), json!(["accounts", 0, "billing"]))],
        "{body}"
    );
    assert!(body["data"]["accounts"][0]["billing"].is_null(), "{body}");
    assert!(body["data"]["accounts"][0]["name"].is_string(), "{body}");
}

on_both_backends!(
    account_billing_follows_the_billing_rule,
    anonymous_callers_are_unauthenticated,
    only_operators_read_the_audit_log,
    operators_see_no_customer_data,
    audit_log_bounds_are_checked,
);
