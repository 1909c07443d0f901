//! The N+1 problem is solved by design: listing cases with their account,
//! location, contact and latest activity costs the same number of SQL
//! statements for 10 cases as for 100, and at most 5.

mod common;

use common::{Gateway, PRIMARY_A};
use serde_json::json;

const LIST: &str = "query($first: Int!) {
  cases(first: $first, orderBy: { field: OPENED, direction: DESC }) {
    totalCount
    nodes {
      number
      account { id name }
      location { customerLocationId name }
      contact { name email }
      latestActivity { body createdAt }
    }
  }
}";

async fn statements_for(gw: &Gateway, token: &str, first: usize) -> u64 {
    let before = gw.store.db().statements_run();
    let data = gw.data(token, LIST, json!({ "first": first })).await;
    let after = gw.store.db().statements_run();
    let nodes = data["cases"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), first, "the dataset has at least {first} cases");
    assert!(nodes.iter().all(|n| n["account"]["id"] == "1234567890"));
    assert!(nodes.iter().filter(|n| !n["location"].is_null()).count() > first / 2);
    assert!(nodes.iter().all(|n| !n["latestActivity"].is_null()));
    after - before
}

async fn listing_cost_does_not_grow_with_the_page(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    // Warm up: the catalog and the caller's entitlements are read once, then cached.
    gw.data(&token, LIST, json!({ "first": 1 })).await;
    let ten = statements_for(&gw, &token, 10).await;
    let hundred = statements_for(&gw, &token, 100).await;
    assert_eq!(
        ten, hundred,
        "10 cases cost {ten} statements but 100 cost {hundred}"
    );
    assert!(hundred <= 5, "listing 100 cases cost {hundred} statements");
}

on_both_backends!(listing_cost_does_not_grow_with_the_page);
