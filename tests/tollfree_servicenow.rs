//! Toll-free ring-to with the cases in ServiceNow (the fake instance): the
//! request stays in the gateway's database, its case is opened in
//! ServiceNow (found by `case(number:)`, attributed to the submitter), a
//! retried submit opens no second case even when the create's answer was
//! lost, and an operator's decision resolves the case there with its note.

mod common;

use reqwest::Method;
use serde_json::{Map, Value, json};
use switchboard_fakes::faults::{Fault, Rule};

use common::{ACCOUNT_A, Backend, Gateway, PRIMARY_A};

const OPERATOR: &str = "olive.operator@switchboard.example";
const CASES: &str = "sn_customerservice_case";

const NUMBERS: &str = "query($accountId: ID!) {
  tollFreeNumbers(accountId: $accountId, first: 100) {
    nodes { number ringTo changeableOnline status }
  }
}";

const SUBMIT: &str = "mutation($accountId: ID!, $changes: [RingToChangeInput!]!, $key: String) {
  submitRingToChanges(accountId: $accountId, changes: $changes, idempotencyKey: $key) {
    replayed
    request { id status caseNumber createdBy }
  }
}";

const DECIDE: &str = "mutation($id: ID!, $approve: Boolean!, $reason: String) {
  decideRingToChange(id: $id, approve: $approve, reason: $reason) { id status reason }
}";

const CASE: &str = "query($n: String!) {
  case(number: $n) {
    number state priority title openedBy
    caseType { code } supportCaseType { code } category { code }
    activity(first: 20) { nodes { kind author body } }
  }
}";

async fn gateway() -> Gateway {
    common::start(Backend::ServiceNow)
        .await
        .expect("a gateway on the fake ServiceNow")
}

fn cases(gw: &Gateway) -> Vec<Map<String, Value>> {
    gw.servicenow
        .as_ref()
        .expect("the fake ServiceNow")
        .records(CASES)
}

fn case_numbered(gw: &Gateway, number: &Value) -> Map<String, Value> {
    let number = number.as_str().expect("a case number");
    cases(gw)
        .into_iter()
        .find(|r| r["number"] == number)
        .unwrap_or_else(|| panic!("no case {number} in ServiceNow"))
}

/// Changeable, active numbers of account A, each with a new ring-to in its
/// current area code.
async fn changes(gw: &Gateway, token: &str) -> Vec<Value> {
    let data = gw
        .data(token, NUMBERS, json!({ "accountId": ACCOUNT_A }))
        .await;
    data["tollFreeNumbers"]["nodes"]
        .as_array()
        .expect("numbers")
        .iter()
        .filter(|n| n["changeableOnline"] == true && n["status"] == "ACTIVE")
        .enumerate()
        .map(|(i, n)| {
            let ring_to = n["ringTo"].as_str().expect("a ring-to");
            json!({ "number": n["number"], "ringTo": format!("{}555{:04}", &ring_to[..3], 100 + i) })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_of_a_ring_to_change_lives_in_servicenow() {
    let gw = gateway().await;
    let token = gw.token(PRIMARY_A).await;
    let change = changes(&gw, &token).await[0].clone();
    let before = cases(&gw).len();
    let vars =
        json!({ "accountId": ACCOUNT_A, "changes": [change.clone()], "key": "sn-ring-to-1" });
    let first = gw.data(&token, SUBMIT, vars.clone()).await["submitRingToChanges"].clone();
    assert_eq!(first["replayed"], false);
    let request = &first["request"];
    assert_eq!(request["status"], "PENDING");
    assert_eq!(cases(&gw).len(), before + 1, "one case in ServiceNow");
    let record = case_numbered(&gw, &request["caseNumber"]);
    for (field, value) in [
        ("u_case_type", "CHANGE_EXISTING_SERVICE"),
        ("u_support_case_type", "MAKE_A_CHANGE"),
        ("category", "TOLL_FREE_RING_TO"),
        ("state", "1"),
    ] {
        assert_eq!(record[field], value, "{field}: {record:?}");
    }

    let case = gw
        .data(&token, CASE, json!({ "n": request["caseNumber"] }))
        .await["case"]
        .clone();
    assert_eq!(case["number"], request["caseNumber"]);
    assert_eq!(case["caseType"]["code"], "CHANGE_EXISTING_SERVICE");
    assert_eq!(case["supportCaseType"]["code"], "MAKE_A_CHANGE");
    assert_eq!(case["category"]["code"], "TOLL_FREE_RING_TO");
    assert_eq!(case["priority"], "LOW");
    assert_eq!(case["state"], "NEW");
    assert_eq!(
        case["openedBy"], request["createdBy"],
        "the case is the submitter's"
    );
    let number = change["number"].as_str().unwrap();
    assert!(case["title"].as_str().unwrap().contains(number), "{case}");

    let retry = gw.data(&token, SUBMIT, vars).await["submitRingToChanges"].clone();
    assert_eq!(retry["replayed"], true);
    assert_eq!(retry["request"], first["request"]);
    assert_eq!(cases(&gw).len(), before + 1, "still one case");

    let operator = gw.token(OPERATOR).await;
    let decided = gw
        .data(
            &operator,
            DECIDE,
            json!({ "id": request["id"], "approve": true, "reason": "provisioned" }),
        )
        .await;
    assert_eq!(decided["decideRingToChange"]["status"], "COMPLETED");
    let note = "Ring-to change request COMPLETED: provisioned";
    let record = case_numbered(&gw, &request["caseNumber"]);
    assert_eq!(record["state"], "6", "resolved: {record:?}");
    assert_eq!(record["close_notes"], note);
    assert!(
        !record["resolution_code"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{record:?}"
    );
    let case = gw
        .data(&token, CASE, json!({ "n": request["caseNumber"] }))
        .await["case"]
        .clone();
    assert_eq!(case["state"], "RESOLVED");
    let entries = case["activity"]["nodes"].as_array().expect("activity");
    let operator_name = "Olive Operator";
    assert!(
        entries
            .iter()
            .any(|e| e["body"] == note && e["author"] == operator_name),
        "the note is the operator's comment: {entries:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["kind"] == "STATE_CHANGE" && e["author"] == operator_name),
        "the operator resolved it: {entries:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_answer_and_a_client_retry_make_one_case() {
    let gw = gateway().await;
    let token = gw.token(PRIMARY_A).await;
    let change = changes(&gw, &token).await[1].clone();
    let before = cases(&gw).len();
    let fake = gw.servicenow.as_ref().expect("the fake ServiceNow");
    fake.faults().inject(
        Rule::new(Fault::Reset)
            .method(Method::POST)
            .path_prefix(format!("/api/now/table/{CASES}"))
            .after_handler(),
    );
    let vars = json!({ "accountId": ACCOUNT_A, "changes": [change], "key": "sn-ring-to-lost" });
    // The client never heard this answer either: it sends the same submit again.
    let (_, lost) = gw.post(&token, SUBMIT, vars.clone()).await;
    assert_eq!(fake.faults().pending(), 0, "the fault was applied");
    let retry = gw.data(&token, SUBMIT, vars).await["submitRingToChanges"].clone();
    assert_eq!(cases(&gw).len(), before + 1, "exactly one case");
    let request = &retry["request"];
    assert_eq!(request["status"], "PENDING");
    let record = case_numbered(&gw, &request["caseNumber"]);
    assert_eq!(record["category"], "TOLL_FREE_RING_TO");
    if lost.get("errors").is_none() {
        assert_eq!(retry["replayed"], true, "{lost}");
        assert_eq!(lost["data"]["submitRingToChanges"]["request"], *request);
    }
    let requests = gw
        .data(
            &token,
            "query($a: ID!) { ringToChangeRequests(accountId: $a, first: 20) { nodes { id } } }",
            json!({ "a": ACCOUNT_A }),
        )
        .await;
    assert_eq!(
        requests["ringToChangeRequests"]["nodes"],
        json!([{ "id": request["id"] }]),
        "exactly one request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_an_agent_closed_does_not_block_the_decision() {
    let gw = gateway().await;
    let token = gw.token(PRIMARY_A).await;
    let change = changes(&gw, &token).await[2].clone();
    let vars = json!({ "accountId": ACCOUNT_A, "changes": [change] });
    let request = gw.data(&token, SUBMIT, vars).await["submitRingToChanges"]["request"].clone();
    let number = request["caseNumber"].as_str().expect("a case number");
    let fake = gw.servicenow.as_ref().expect("the fake ServiceNow");
    fake.agent_set_state(number, "chris.support", "3")
        .await
        .expect("the agent closes the case");
    let operator = gw.token(OPERATOR).await;
    let decided = gw
        .data(
            &operator,
            DECIDE,
            json!({ "id": request["id"], "approve": false, "reason": "number is being ported" }),
        )
        .await;
    assert_eq!(decided["decideRingToChange"]["status"], "REJECTED");
    let record = case_numbered(&gw, &request["caseNumber"]);
    assert_eq!(record["state"], "3", "the closed case is left as it is");
    assert_eq!(record["close_notes"], "Closed by chris.support");
}
