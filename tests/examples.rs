//! The page operations in `examples/` run as written, without an error,
//! for a user whose role the page is meant for.

mod common;

use common::{ACCOUNT_A, Gateway, PRIMARY_A, STANDARD_A};
use serde_json::{Value, json};

const BILLING: &str = include_str!("../examples/billing.graphql");
const TOLLFREE: &str = include_str!("../examples/tollfree.graphql");
const STATUS: &str = include_str!("../examples/status.graphql");
const BILLING_A: &str = "bailey.billing@harborfreight.example";

/// Runs `operation` of `document` and returns its data; any error fails.
async fn run(
    gw: &Gateway,
    email: &str,
    document: &str,
    operation: &str,
    variables: Value,
) -> Value {
    let token = gw.token(email).await;
    let response = gw
        .http
        .post(format!("{}/graphql", gw.base))
        .bearer_auth(token)
        .json(&json!({ "query": document, "operationName": operation, "variables": variables }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{operation}");
    let body: Value = response.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{operation}: {body}");
    body["data"].clone()
}

async fn billing_pages(gw: Gateway) {
    let account = json!({ "accountId": ACCOUNT_A });
    let page = run(&gw, BILLING_A, BILLING, "BillingPage", account).await;
    let invoices = &page["billing"]["invoices"];
    assert!(invoices["totalCount"].as_u64().unwrap() > 0, "{page}");
    let number = invoices["nodes"][0]["number"].as_str().unwrap();
    let variables = json!({ "accountId": ACCOUNT_A, "number": number });
    let detail = run(&gw, BILLING_A, BILLING, "InvoiceDetail", variables).await;
    let invoice = &detail["billing"]["invoice"];
    assert_eq!(invoice["number"], number);
    assert!(!invoice["chargeCategories"].as_array().unwrap().is_empty());
}

async fn toll_free_pages(gw: Gateway) {
    let account = json!({ "accountId": ACCOUNT_A });
    let list = run(&gw, PRIMARY_A, TOLLFREE, "TollFreeNumbers", account).await;
    let numbers = list["tollFreeNumbers"]["nodes"].as_array().unwrap();
    let number = numbers
        .iter()
        .find(|n| n["changeableOnline"] == true)
        .expect("a number that can be changed online");
    let changes = json!([{ "number": number["number"], "ringTo": "4045550123" }]);
    let variables = json!({ "accountId": ACCOUNT_A, "changes": changes });
    let preview = run(&gw, PRIMARY_A, TOLLFREE, "PreviewRingTo", variables).await;
    let lines = preview["previewRingToChanges"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{preview}");
    assert_eq!(lines[0]["newRingTo"], "4045550123");
}

async fn status_page(gw: Gateway) {
    let status = run(&gw, STANDARD_A, STATUS, "SystemStatus", json!({})).await;
    let page = &status["systemStatus"];
    assert!(!page["components"].as_array().unwrap().is_empty());
    let incident = page["incidents"][0]["id"].clone();
    let variables = json!({
        "incidentId": incident,
        "accountId": ACCOUNT_A,
        "description": "Our Atlanta office is affected.",
        "key": "example-incident-case",
    });
    let case = run(&gw, STANDARD_A, STATUS, "OpenCaseAboutIncident", variables).await;
    assert!(
        case["openCaseAboutIncident"]["number"].is_string(),
        "{case}"
    );
}

on_both_backends!(billing_pages, toll_free_pages, status_page);
