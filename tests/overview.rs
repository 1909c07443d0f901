//! The overview page in one request (`examples/overview.graphql`), as a
//! BILLING user and as a STANDARD user, and what it costs in SQL
//! statements.

mod common;

use common::{ACCOUNT_A, Gateway, STANDARD_A};
use serde_json::{Value, json};

const OVERVIEW: &str = include_str!("../examples/overview.graphql");
const BILLING_A: &str = "bailey.billing@harborfreight.example";

/// The overview's data, which must come without a single error.
async fn overview(gw: &Gateway, token: &str, variables: Value) -> Value {
    let (status, body) = gw.post(token, OVERVIEW, variables).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "no errors at all: {body}");
    body["data"].clone()
}

fn common_parts_are_there(data: &Value) {
    assert!(
        data["openCases"]["totalCount"].as_u64().unwrap() > 0,
        "{data}"
    );
    assert!(!data["caseUpdates"]["nodes"].as_array().unwrap().is_empty());
    assert!(
        !data["caseCatalog"]["caseTypes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let components = data["systemStatus"]["components"].as_array().unwrap();
    assert!(
        components.iter().any(|c| c["name"] == "Connectivity"),
        "{components:?}"
    );
    assert!(data["systemStatus"]["indicator"].is_string());
    let apps = data["myApps"].as_array().unwrap();
    assert!(!apps.is_empty(), "the demo account has apps");
    assert!(
        apps.iter()
            .all(|a| a["url"].as_str().unwrap().starts_with("https://"))
    );
}

async fn a_billing_user_sees_the_billing_summary(gw: Gateway) {
    let token = gw.token(BILLING_A).await;
    let data = overview(&gw, &token, json!({ "accountId": ACCOUNT_A })).await;
    common_parts_are_there(&data);
    let billing = data["billingSummaries"].as_array().unwrap();
    assert_eq!(billing.len(), 1, "{billing:?}");
    assert_eq!(billing[0]["account"]["id"], ACCOUNT_A);
    assert!(
        billing[0]["latestInvoice"]["number"]
            .as_str()
            .unwrap()
            .starts_with("INV")
    );
    let total = &billing[0]["totalDue"];
    assert_eq!(total["currency"], "USD");
    // A decimal string with exactly two places, never a float.
    let amount = total["amount"].as_str().unwrap();
    let (_, cents) = amount.rsplit_once('.').unwrap();
    assert_eq!(cents.len(), 2, "{amount}");
}

async fn a_standard_user_gets_the_page_without_billing(gw: Gateway) {
    let token = gw.token(STANDARD_A).await;
    let data = overview(&gw, &token, json!({ "accountId": ACCOUNT_A })).await;
    common_parts_are_there(&data);
    assert_eq!(data["billingSummaries"], json!([]));
}

/// Statements the overview costs with these page sizes.
async fn statements(gw: &Gateway, token: &str, first: u32) -> u64 {
    let variables = json!({ "accountId": ACCOUNT_A, "openFirst": first, "updatesFirst": first });
    let before = gw.store.db().statements_run();
    overview(gw, token, variables).await;
    gw.store.db().statements_run() - before
}

async fn the_overview_costs_a_bounded_number_of_statements(gw: Gateway) {
    let token = gw.token(BILLING_A).await;
    // Warm up: the catalog, the status page, the resource library, the
    // account's product names and the caller's entitlements are then
    // served from memory.
    statements(&gw, &token, 1).await;
    let small = statements(&gw, &token, 3).await;
    let large = statements(&gw, &token, 30).await;
    assert_eq!(
        small, large,
        "3 rows cost {small} statements, 30 cost {large}"
    );
    // The open cases, their count and locations, the latest invoices and
    // the updates feed.
    assert!(large <= 5, "the overview cost {large} statements");
}

on_both_backends!(
    a_billing_user_sees_the_billing_summary,
    a_standard_user_gets_the_page_without_billing,
    the_overview_costs_a_bounded_number_of_statements,
);
