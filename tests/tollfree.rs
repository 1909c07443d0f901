//! Toll-free ring-to end to end, on SQLite and PostgreSQL: the number list
//! (filters, search, pages, a constant statement count), previews with
//! every line error, network, rate and notice, who may submit, atomic and
//! idempotent submits, and an operator's decision seen by a subscriber.

mod common;

use common::{ACCOUNT_A, ACCOUNT_B, Gateway, PRIMARY_A, PRIMARY_B, STANDARD_A};
use serde_json::{Value, json};

const ALTERNATE_A: &str = "alex.alternate@harborfreight.example";
const BILLING_A: &str = "bailey.billing@harborfreight.example";
const OPERATOR: &str = "olive.operator@switchboard.example";

const NUMBERS: &str =
    "query($accountId: ID!, $filter: TollFreeNumberFilter, $first: Int, $after: String) {
  tollFreeNumbers(accountId: $accountId, filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { number ringTo network changeableOnline state sameStateRequired status }
  }
}";

const PREVIEW: &str = "query($accountId: ID!, $changes: [RingToChangeInput!]!) {
  previewRingToChanges(accountId: $accountId, changes: $changes) {
    valid
    lines { number currentRingTo newRingTo currentNetwork network
            ratePerMinute { amount currency } rateChanges notice error { code message } }
  }
}";

const SUBMIT: &str = "mutation($accountId: ID!, $changes: [RingToChangeInput!]!, $key: String) {
  submitRingToChanges(accountId: $accountId, changes: $changes, idempotencyKey: $key) {
    replayed
    request { id status caseNumber createdBy lines { number oldRingTo newRingTo newNetwork ratePerMinute { amount } } }
  }
}";

const DECIDE: &str = "mutation($id: ID!, $approve: Boolean!, $reason: String) {
  decideRingToChange(id: $id, approve: $approve, reason: $reason) { id status reason decidedAt }
}";

const REQUESTS: &str = "query($accountId: ID!) {
  ringToChangeRequests(accountId: $accountId, first: 20) { nodes { id status } }
}";

/// Every number of account A, read in one page.
async fn numbers(gw: &Gateway, token: &str) -> Vec<Value> {
    let data = gw
        .data(
            token,
            NUMBERS,
            json!({ "accountId": ACCOUNT_A, "first": 100 }),
        )
        .await;
    data["tollFreeNumbers"]["nodes"].as_array().unwrap().clone()
}

fn field<'a>(n: &'a Value, name: &str) -> &'a str {
    n[name].as_str().unwrap_or_default()
}

/// A ring-to number in the same area code as `n`'s current one.
fn nearby(n: &Value, line: u32) -> String {
    format!("{}555{line:04}", &field(n, "ringTo")[..3])
}

/// Changeable, active numbers of account A, with or without the same-state rule.
fn open_numbers(all: &[Value], same_state: bool) -> Vec<Value> {
    all.iter()
        .filter(|n| {
            n["changeableOnline"] == true
                && n["status"] == "ACTIVE"
                && n["sameStateRequired"] == same_state
        })
        .cloned()
        .collect()
}

fn change(n: &Value, ring_to: &str) -> Value {
    json!({ "number": field(n, "number"), "ringTo": ring_to })
}

async fn statements_for_list(gw: &Gateway, token: &str, first: usize) -> u64 {
    let before = gw.store.db().statements_run();
    let data = gw
        .data(
            token,
            NUMBERS,
            json!({ "accountId": ACCOUNT_A, "first": first }),
        )
        .await;
    let after = gw.store.db().statements_run();
    let nodes = data["tollFreeNumbers"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), first);
    after - before
}

async fn numbers_are_listed_filtered_searched_and_paged(gw: Gateway) {
    let token = gw.token(STANDARD_A).await;
    let all = numbers(&gw, &token).await;
    assert_eq!(all.len(), 25, "the demo account has 25 numbers");
    let sorted: Vec<&str> = all.iter().map(|n| field(n, "number")).collect();
    assert!(sorted.windows(2).all(|w| w[0] < w[1]), "in number order");
    assert!(all.iter().any(|n| n["network"] == "ON_NET"));
    assert!(all.iter().any(|n| n["network"] == "OFF_NET"));

    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let vars = json!({ "accountId": ACCOUNT_A, "first": 7, "after": after });
        let page = gw.data(&token, NUMBERS, vars).await["tollFreeNumbers"].clone();
        assert_eq!(page["totalCount"], 25);
        paged.extend(page["nodes"].as_array().unwrap().clone());
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged, all, "pages of 7 read the same list");

    let target = &all[4];
    let ring_to = field(target, "ringTo");
    for search in [
        format!("({}) {}-{}", &ring_to[..3], &ring_to[3..6], &ring_to[6..]),
        field(target, "number")[3..].to_string(),
    ] {
        let filter = json!({ "search": search });
        let data = gw
            .data(
                &token,
                NUMBERS,
                json!({ "accountId": ACCOUNT_A, "filter": filter, "first": 100 }),
            )
            .await;
        let found = data["tollFreeNumbers"]["nodes"].as_array().unwrap();
        assert!(found.contains(target), "search {search} finds {target}");
    }
    let filter = json!({ "network": "OFF_NET", "changeableOnline": false });
    let data = gw
        .data(
            &token,
            NUMBERS,
            json!({ "accountId": ACCOUNT_A, "filter": filter, "first": 100 }),
        )
        .await;
    let expected: Vec<&Value> = all
        .iter()
        .filter(|n| n["network"] == "OFF_NET" && n["changeableOnline"] == false)
        .collect();
    let found: Vec<&Value> = data["tollFreeNumbers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(found, expected);

    let other = gw
        .error_code(
            &token,
            NUMBERS,
            json!({ "accountId": ACCOUNT_B, "first": 5 }),
        )
        .await;
    assert_eq!(
        other, "NOT_FOUND",
        "another customer's account is not found"
    );

    // Warm up caches, then the cost of a page does not grow with its size.
    gw.data(
        &token,
        NUMBERS,
        json!({ "accountId": ACCOUNT_A, "first": 1 }),
    )
    .await;
    let five = statements_for_list(&gw, &token, 5).await;
    let twenty_five = statements_for_list(&gw, &token, 25).await;
    assert_eq!(
        five, twenty_five,
        "5 numbers cost {five}, 25 cost {twenty_five}"
    );
    assert!(twenty_five <= 2, "a page costs {twenty_five} statements");
}

async fn previews_report_each_error_the_network_rate_and_notice(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let all = numbers(&gw, &token).await;
    let free = open_numbers(&all, false);
    let same_state = open_numbers(&all, true);
    let fixed = all
        .iter()
        .find(|n| n["changeableOnline"] == false)
        .expect("a number that cannot change online");
    let elsewhere = if field(&same_state[0], "state") == "NY" {
        "4045550100"
    } else {
        "2125550100"
    };
    let changes = json!([
        change(&free[0], "12345"),
        change(&free[1], "888-555-0100"),
        change(&free[2], "9075550100"),
        change(&free[3], "4165550100"),
        change(&same_state[0], elsewhere),
        change(fixed, "4045550100"),
        { "number": "8009999999", "ringTo": "4045550100" },
        change(&free[4], "4045550100"),
        change(&free[4], "4045550101"),
    ]);
    let data = gw
        .data(
            &token,
            PREVIEW,
            json!({ "accountId": ACCOUNT_A, "changes": changes }),
        )
        .await;
    let preview = &data["previewRingToChanges"];
    assert_eq!(preview["valid"], false);
    let codes: Vec<Value> = preview["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["error"]["code"].clone())
        .collect();
    let expected = [
        json!("INVALID_NUMBER"),
        json!("TOLL_FREE_RING_TO"),
        json!("OUTSIDE_CONTINENTAL_US"),
        json!("OUTSIDE_CONTINENTAL_US"),
        json!("STATE_MISMATCH"),
        json!("NOT_CHANGEABLE_ONLINE"),
        json!("UNKNOWN_NUMBER"),
        Value::Null,
        json!("DUPLICATE_IN_BATCH"),
    ];
    assert_eq!(codes, expected);
    let not_online = &preview["lines"][5]["error"]["message"];
    assert!(
        not_online.as_str().unwrap().contains("open a case"),
        "{not_online}"
    );

    // On-net 404 and off-net 706 (both Georgia): the rate follows the network.
    let on_net_from = free.iter().find(|n| n["network"] == "OFF_NET");
    let off_net_from = free.iter().find(|n| n["network"] == "ON_NET");
    for (from, ring_to, network, rate, other_rate) in [
        (on_net_from, "4045550123", "ON_NET", "0.059", "0.062"),
        (off_net_from, "7065550123", "OFF_NET", "0.062", "0.059"),
    ] {
        let from = from.expect("numbers on both networks");
        let data = gw
            .data(
                &token,
                PREVIEW,
                json!({ "accountId": ACCOUNT_A, "changes": [change(from, ring_to)] }),
            )
            .await;
        let line = &data["previewRingToChanges"]["lines"][0];
        assert_eq!(line["error"], Value::Null, "{line}");
        assert_eq!(line["currentRingTo"], from["ringTo"]);
        assert_eq!(line["network"], network);
        assert_eq!(line["ratePerMinute"]["amount"], rate);
        assert_eq!(line["ratePerMinute"]["currency"], "USD");
        assert_eq!(line["rateChanges"], true);
        let notice = line["notice"].as_str().unwrap();
        assert!(
            notice.contains(&format!("${rate}")) && notice.contains(&format!("${other_rate}")),
            "{notice}"
        );
        let same = gw
            .data(
                &token,
                PREVIEW,
                json!({ "accountId": ACCOUNT_A, "changes": [change(from, &nearby(from, 7))] }),
            )
            .await;
        let line = &same["previewRingToChanges"]["lines"][0];
        assert_eq!(line["rateChanges"], false, "{line}");
        assert_eq!(line["notice"], Value::Null);
    }
    let nothing = gw
        .error_code(
            &token,
            PREVIEW,
            json!({ "accountId": ACCOUNT_A, "changes": [] }),
        )
        .await;
    assert_eq!(nothing, "BAD_USER_INPUT");
}

async fn only_account_admins_submit(gw: Gateway) {
    let all = numbers(&gw, &gw.token(PRIMARY_A).await).await;
    let free = open_numbers(&all, false);
    for (email, n) in [(PRIMARY_A, &free[0]), (ALTERNATE_A, &free[1])] {
        let token = gw.token(email).await;
        let vars = json!({ "accountId": ACCOUNT_A, "changes": [change(n, &nearby(n, 1))] });
        let data = gw.data(&token, SUBMIT, vars).await;
        let request = &data["submitRingToChanges"]["request"];
        assert_eq!(request["status"], "PENDING", "{email}");
        assert_eq!(data["submitRingToChanges"]["replayed"], false);
        assert_eq!(request["lines"][0]["oldRingTo"], n["ringTo"]);
        let case = gw
            .data(
                &token,
                "query($n: String!) { case(number: $n) { number } }",
                json!({ "n": request["caseNumber"] }),
            )
            .await;
        assert_eq!(
            case["case"]["number"], request["caseNumber"],
            "{email}: the case exists"
        );
    }
    for email in [BILLING_A, STANDARD_A] {
        let token = gw.token(email).await;
        let vars =
            json!({ "accountId": ACCOUNT_A, "changes": [change(&free[2], &nearby(&free[2], 1))] });
        assert_eq!(
            gw.error_code(&token, SUBMIT, vars).await,
            "FORBIDDEN",
            "{email}"
        );
        // A refused preview errors only its own field; the list beside it resolves.
        let both = "query($accountId: ID!, $changes: [RingToChangeInput!]!) {
            previewRingToChanges(accountId: $accountId, changes: $changes) { valid }
            tollFreeNumbers(accountId: $accountId, first: 3) { totalCount }
        }";
        let vars = json!({ "accountId": ACCOUNT_A, "changes": [change(&free[2], "4045550100")] });
        let (_, body) = gw.post(&token, both, vars).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body}"
        );
        assert_eq!(body["data"]["previewRingToChanges"], Value::Null);
        assert_eq!(body["data"]["tollFreeNumbers"]["totalCount"], 25);
    }
    let outsider = gw.token(PRIMARY_B).await;
    let vars =
        json!({ "accountId": ACCOUNT_A, "changes": [change(&free[2], &nearby(&free[2], 1))] });
    assert_eq!(gw.error_code(&outsider, SUBMIT, vars).await, "NOT_FOUND");
    let requests = gw
        .data(
            &gw.token(PRIMARY_A).await,
            REQUESTS,
            json!({ "accountId": ACCOUNT_A }),
        )
        .await;
    assert_eq!(
        requests["ringToChangeRequests"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "only the two admins' requests were written"
    );
}

async fn a_bad_line_writes_nothing_and_retries_are_idempotent(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let before = numbers(&gw, &token).await;
    let free = open_numbers(&before, false);
    let vars = json!({ "accountId": ACCOUNT_A, "changes": [
        change(&free[0], &nearby(&free[0], 2)),
        change(&free[1], "8665550100"),
    ] });
    let (_, body) = gw.post(&token, SUBMIT, vars).await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(error["extensions"]["field"], "changes");
    let lines = error["extensions"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{body}");
    assert_eq!(lines[0]["index"], 1);
    assert_eq!(lines[0]["code"], "TOLL_FREE_RING_TO");
    assert_eq!(numbers(&gw, &token).await, before, "no number changed");
    let requests = gw
        .data(&token, REQUESTS, json!({ "accountId": ACCOUNT_A }))
        .await;
    assert_eq!(requests["ringToChangeRequests"]["nodes"], json!([]));

    let vars = json!({ "accountId": ACCOUNT_A, "key": "ring-to-1",
                       "changes": [change(&free[0], &nearby(&free[0], 3))] });
    let first = gw.data(&token, SUBMIT, vars.clone()).await;
    let retry = gw.data(&token, SUBMIT, vars).await;
    assert_eq!(retry["submitRingToChanges"]["replayed"], true);
    assert_eq!(
        retry["submitRingToChanges"]["request"],
        first["submitRingToChanges"]["request"]
    );
    let other_input = json!({ "accountId": ACCOUNT_A, "key": "ring-to-1",
                              "changes": [change(&free[1], &nearby(&free[1], 3))] });
    assert_eq!(gw.error_code(&token, SUBMIT, other_input).await, "CONFLICT");
    let requests = gw
        .data(&token, REQUESTS, json!({ "accountId": ACCOUNT_A }))
        .await;
    assert_eq!(
        requests["ringToChangeRequests"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn an_operator_completes_a_request_and_the_subscriber_sees_it(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let all = numbers(&gw, &token).await;
    let n = open_numbers(&all, false)[0].clone();
    let new_ring_to = nearby(&n, 9);
    let mut sub = gw
        .subscribe(
            "graphql-transport-ws",
            &token,
            "subscription($accountId: ID) { ringToChangeUpdates(accountId: $accountId) {
                status request { id status lines { number newRingTo } } } }",
            json!({ "accountId": ACCOUNT_A }),
        )
        .await;
    // Let the subscription start before the first event is published.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let vars = json!({ "accountId": ACCOUNT_A, "changes": [change(&n, &new_ring_to)] });
    let submitted = gw.data(&token, SUBMIT, vars).await;
    let id = submitted["submitRingToChanges"]["request"]["id"].clone();
    let pending = sub.next_event().await;
    let event = &pending["data"]["ringToChangeUpdates"];
    assert_eq!(event["status"], "PENDING", "{pending}");
    assert_eq!(event["request"]["id"], id);

    let decide = json!({ "id": id, "approve": true, "reason": "provisioned" });
    assert_eq!(
        gw.error_code(&token, DECIDE, decide.clone()).await,
        "FORBIDDEN"
    );
    let operator = gw.token(OPERATOR).await;
    let decided = gw.data(&operator, DECIDE, decide.clone()).await;
    assert_eq!(decided["decideRingToChange"]["status"], "COMPLETED");
    let completed = sub.next_event().await;
    assert_eq!(
        completed["data"]["ringToChangeUpdates"]["status"], "COMPLETED",
        "{completed}"
    );
    let after = numbers(&gw, &token).await;
    let changed = after.iter().find(|m| m["number"] == n["number"]).unwrap();
    assert_eq!(changed["ringTo"], new_ring_to.as_str());
    assert_eq!(changed["status"], "ACTIVE");
    assert_eq!(gw.error_code(&operator, DECIDE, decide).await, "CONFLICT");
    let audit = gw
        .data(
            &operator,
            "{ auditLog(last: 10) { fields targets outcome } }",
            json!({}),
        )
        .await;
    let entries = audit["auditLog"].as_array().unwrap();
    for (field, target) in [
        ("submitRingToChanges", ACCOUNT_A),
        ("decideRingToChange", id.as_str().unwrap()),
    ] {
        assert!(
            entries.iter().any(|e| e["fields"] == json!([field])
                && e["outcome"] == "OK"
                && e["targets"].as_array().unwrap().contains(&json!(target))),
            "{field} is audited: {audit}"
        );
    }
    let one = gw
        .data(
            &token,
            "query($id: ID!) { ringToChangeRequest(id: $id) { status reason decidedAt } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(one["ringToChangeRequest"]["status"], "COMPLETED");
    assert_eq!(one["ringToChangeRequest"]["reason"], "provisioned");
    let outsider = gw.token(PRIMARY_B).await;
    let hidden = gw
        .error_code(
            &outsider,
            "query($id: ID!) { ringToChangeRequest(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(hidden, "NOT_FOUND");
}

on_both_backends!(
    numbers_are_listed_filtered_searched_and_paged,
    previews_report_each_error_the_network_rate_and_notice,
    only_account_admins_submit,
    a_bad_line_writes_nothing_and_retries_are_idempotent,
    an_operator_completes_a_request_and_the_subscriber_sees_it,
);
