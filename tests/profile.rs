//! The profile features end to end, on SQLite and PostgreSQL and, where
//! they apply to an Okta directory, with users and identity in the fake
//! Okta (cases then in the fake ServiceNow): the user list and its role
//! rule, the account team, factors, password changes, public recovery and
//! access requests (no enumeration, rate limits, honeypot), redeeming
//! recovery links without a token, feedback, and the operators' outbox.
//! With Okta, recovery goes through Okta's own e-mails; `okta_recovery`
//! checks what the gateway asks Okta for instead of its own links.

mod common;
#[path = "profile/okta_hook.rs"]
mod okta_hook;
#[path = "profile/okta_recovery.rs"]
mod okta_recovery;
#[path = "profile/recovery.rs"]
mod recovery;

use common::{ACCOUNT_A, ACCOUNT_B, Gateway, PRIMARY_A, PRIMARY_B, STANDARD_A};
use serde_json::{Value, json};
use switchboard::config::Config;
use switchboard_core::UserDirectory;
use switchboard_core::identity::UserStatus;
use switchboard_sql::identity::testing;

use recovery::*;

const ALTERNATE_A: &str = "alex.alternate@harborfreight.example";
const BILLING_A: &str = "bailey.billing@harborfreight.example";
const OPERATOR: &str = "olive.operator@switchboard.example";
const DEMO_PASSWORD: &str = "Portal-Demo-2026";

const USERS_AND_TEAM: &str = "query($a: ID!) {
    accountUsers(accountId: $a) { id name email role status }
    accountTeam(accountId: $a) { role name email phone }
}";
const RESET: &str = "mutation($login: String!) { requestPasswordReset(login: $login) { message } }";
const UNLOCK: &str =
    "mutation($login: String!) { requestAccountUnlock(login: $login) { message } }";
const OUTBOX: &str =
    "{ outbox(first: 100) { nodes { recipient kind subject body createdAt expiresAt } } }";
const ACCESS: &str =
    "mutation($input: PortalAccessInput!) { requestPortalAccess(input: $input) { message } }";
const ACCESS_LIST: &str =
    "{ accessRequests(first: 100) { nodes { name phone email caseNumber } } }";
const COMPLETE_RESET: &str = "mutation($token: String!, $new: String!) { completePasswordReset(token: $token, newPassword: $new) }";
const COMPLETE_UNLOCK: &str = "mutation($token: String!) { completeAccountUnlock(token: $token) }";
const CHANGE: &str = "mutation($old: String!, $new: String!) { changePassword(oldPassword: $old, newPassword: $new) }";

/// POSTs without a token, from `forwarded_for` when given; the status and body.
async fn anonymous(
    gw: &Gateway,
    query: &str,
    variables: Value,
    forwarded_for: Option<&str>,
) -> (u16, Value) {
    let mut request = gw
        .http
        .post(format!("{}/graphql", gw.base))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(addr) = forwarded_for {
        request = request.header("x-forwarded-for", addr);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// The recovery messages the directory sent, newest first, as (recipient,
/// kind): the gateway's outbox (`RESET_PASSWORD`, `UNLOCK_ACCOUNT`) on the
/// database; with Okta, which writes and sends its own e-mails (and leaves
/// the outbox empty), the e-mails the fake Okta recorded (`reset_password`).
async fn sent_messages(gw: &Gateway) -> Vec<(String, String)> {
    let written: Vec<(String, String)> = outbox(gw)
        .await
        .iter()
        .map(|m| {
            let text = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            (text("recipient"), text("kind"))
        })
        .collect();
    match &gw.okta {
        None => written,
        Some(okta) => {
            assert!(
                written.is_empty(),
                "Okta sends its own e-mails: {written:?}"
            );
            okta.emails_sent().into_iter().rev().collect()
        }
    }
}

async fn outbox(gw: &Gateway) -> Vec<Value> {
    let operator = gw.token(OPERATOR).await;
    let data = gw.data(&operator, OUTBOX, json!({})).await;
    data["outbox"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Requests a recovery for `login` without a token, reads the newest
/// outbox message as the operator, checks its link starts with
/// `link_base` and returns the link's token.
async fn emailed_token(gw: &Gateway, request: &str, login: &str, link_base: &str) -> String {
    let (_, body) = anonymous(gw, request, json!({ "login": login }), None).await;
    assert!(body.get("errors").is_none(), "{body}");
    let messages = outbox(gw).await;
    let newest = messages.first().expect("a message was written");
    assert_eq!(newest["recipient"], login);
    let text = newest["body"].as_str().unwrap();
    let start = text.find(link_base).expect("the link is in the body") + link_base.len();
    let (_, token) = text[start..]
        .split_once("?token=")
        .expect("the link carries a token");
    token
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn user_status(gw: &Gateway, email: &str) -> Value {
    let pat = gw.token(PRIMARY_A).await;
    let data = gw
        .data(&pat, USERS_AND_TEAM, json!({ "a": ACCOUNT_A }))
        .await;
    let users = data["accountUsers"].as_array().unwrap();
    users.iter().find(|u| u["email"] == email).unwrap()["status"].clone()
}

/// With cases in ServiceNow (the mixed deployment), the case numbered
/// `number` was written there.
fn assert_in_servicenow(gw: &Gateway, number: &str) {
    if let Some(servicenow) = &gw.servicenow {
        let cases = servicenow.records("sn_customerservice_case");
        assert!(
            cases.iter().any(|r| r["number"] == number),
            "no case {number} in ServiceNow"
        );
    }
}

fn assert_invalid_link(body: &Value) {
    assert_eq!(code(body), "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "token", "{body}");
    assert_eq!(
        body["errors"][0]["message"], "this link is invalid or has expired",
        "{body}"
    );
}

fn access_input() -> Value {
    json!({
        "name": "Jordan Nguyen",
        "phone": "(555) 415-1337",
        "email": "jordan.nguyen@harborfreight.example",
        "accountName": "Harbor Freight Tools USA Inc.",
        "accountNumber": ACCOUNT_A,
        "serviceAddress": "1 Harbor Blvd, Guilford",
        "description": "I manage our circuits and need the portal."
    })
}

async fn user_list_follows_the_role_rule(gw: Gateway) {
    for admin in [PRIMARY_A, ALTERNATE_A] {
        let token = gw.token(admin).await;
        let data = gw
            .data(&token, USERS_AND_TEAM, json!({ "a": ACCOUNT_A }))
            .await;
        let users = data["accountUsers"].as_array().unwrap();
        let pat = users.iter().find(|u| u["email"] == PRIMARY_A).unwrap();
        assert_eq!(pat["role"], "PRIMARY_AUTHORITY");
        assert_eq!(pat["status"], "ACTIVE");
        assert!(
            users
                .iter()
                .any(|u| u["email"] == STANDARD_A && u["role"] == "STANDARD")
        );
        assert!(
            users.iter().all(|u| u["email"] != PRIMARY_B),
            "only this account's users"
        );
    }
    for reader in [BILLING_A, STANDARD_A] {
        let token = gw.token(reader).await;
        let (status, body) = gw
            .post(&token, USERS_AND_TEAM, json!({ "a": ACCOUNT_A }))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(code(&body), "FORBIDDEN", "{reader}: {body}");
        assert_eq!(body["errors"][0]["path"], json!(["accountUsers"]));
        assert_eq!(body["data"]["accountUsers"], Value::Null);
        assert!(
            !body["data"]["accountTeam"].as_array().unwrap().is_empty(),
            "the sibling field still resolves: {body}"
        );
    }
    let token = gw.token(PRIMARY_A).await;
    let (_, body) = gw
        .post(&token, USERS_AND_TEAM, json!({ "a": ACCOUNT_B }))
        .await;
    assert_eq!(
        code(&body),
        "NOT_FOUND",
        "another customer's account: {body}"
    );
}

async fn account_team_lists_the_providers_people(gw: Gateway) {
    let token = gw.token(STANDARD_A).await;
    let query = "query($a: ID!) { accountTeam(accountId: $a) { role name email phone } }";
    let data = gw.data(&token, query, json!({ "a": ACCOUNT_A })).await;
    let team = data["accountTeam"].as_array().unwrap();
    let roles: Vec<&str> = team.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles[0], "ACCOUNT_MANAGER");
    assert!(roles.contains(&"SALES_ENGINEER") && roles.contains(&"SUPPORT"));
    assert!(
        team.iter()
            .all(|m| m["email"].as_str().unwrap().contains('@'))
    );
    assert!(team[0]["phone"].is_string());
}

async fn factors_are_listed_and_reset(gw: Gateway) {
    let pat = gw.token(PRIMARY_A).await;
    let dana = gw.token(PRIMARY_B).await;
    let list = "{ myFactors { id label kind provider status detail enrolledAt } }";
    let mine = gw.data(&pat, list, json!({})).await["myFactors"].clone();
    let mine = mine.as_array().unwrap();
    let label = |f: &Value| f["label"].as_str().unwrap().to_string();
    let labels: Vec<String> = mine.iter().map(label).collect();
    for expected in [
        "Google Authenticator",
        "Okta Verify (push)",
        "SMS authentication",
    ] {
        assert!(labels.iter().any(|l| l == expected), "{labels:?}");
    }
    let theirs = gw.data(&dana, list, json!({})).await["myFactors"].clone();
    let their_id = theirs[0]["id"].as_str().unwrap().to_string();
    assert!(mine.iter().all(|f| f["id"] != their_id.as_str()));

    let reset = "mutation($id: ID!) { resetFactor(factorId: $id) { removedFactorIds factors { id kind provider } } }";
    let (_, body) = gw.post(&pat, reset, json!({ "id": their_id })).await;
    assert_eq!(code(&body), "NOT_FOUND", "another user's factor: {body}");
    assert_eq!(gw.data(&dana, list, json!({})).await["myFactors"], theirs);

    let push = mine.iter().find(|f| f["kind"] == "PUSH").unwrap();
    let data = gw.data(&pat, reset, json!({ "id": push["id"] })).await;
    let removed = data["resetFactor"]["removedFactorIds"].as_array().unwrap();
    // The fake Okta's demo enrols Pat's Okta Verify complete (push, code
    // and FastPass, see `OktaDirectory::demo`); the SQL seed has no
    // FastPass. All of Okta Verify's factors go together on both.
    let okta_verify = if gw.okta.is_some() { 3 } else { 2 };
    assert_eq!(
        removed.len(),
        okta_verify,
        "Okta Verify's push and code go together: {data}"
    );
    let left = data["resetFactor"]["factors"].as_array().unwrap();
    assert_eq!(left.len(), mine.len() - okta_verify);
    assert!(
        left.iter()
            .all(|f| f["provider"] != "OKTA" || f["kind"] == "SMS")
    );
    let (_, body) = gw.post(&pat, reset, json!({ "id": push["id"] })).await;
    assert_eq!(code(&body), "NOT_FOUND", "a reset factor is gone");
}

async fn password_change_names_each_rule(gw: Gateway) {
    let pat = gw.token(PRIMARY_A).await;
    let rules = [
        ("Ab1", "8 to 128 characters"),
        ("ABCDEFG12", "lowercase"),
        ("abcdefg12", "uppercase"),
        ("Abcdefghij", "number"),
        ("Primary-Pass-9", "part of the username"),
    ];
    for (new, rule) in rules {
        let (_, body) = gw
            .post(&pat, CHANGE, json!({ "old": DEMO_PASSWORD, "new": new }))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "newPassword");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(rule), "`{rule}` named: {message}");
    }
    let (_, body) = gw
        .post(
            &pat,
            CHANGE,
            json!({ "old": "Not-The-Pass-1", "new": "Harbor-Lights-77" }),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "oldPassword");
    let data = gw
        .data(
            &pat,
            CHANGE,
            json!({ "old": DEMO_PASSWORD, "new": "Harbor-Lights-77" }),
        )
        .await;
    assert_eq!(data["changePassword"], true);
    let (_, body) = gw
        .post(
            &pat,
            CHANGE,
            json!({ "old": DEMO_PASSWORD, "new": "Harbor-Lights-78" }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "oldPassword",
        "the old one is gone"
    );
    let data = gw
        .data(
            &pat,
            CHANGE,
            json!({ "old": "Harbor-Lights-77", "new": "Harbor-Lights-78" }),
        )
        .await;
    assert_eq!(data["changePassword"], true, "the new one works");
}

async fn wrong_passwords_are_rate_limited(gw: Gateway) {
    let pat = gw.token(PRIMARY_A).await;
    for _ in 0..2 {
        let (_, body) = gw
            .post(
                &pat,
                CHANGE,
                json!({ "old": "Wrong-Pass-11", "new": "Harbor-Lights-77" }),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["field"], "oldPassword");
    }
    let (_, body) = gw
        .post(
            &pat,
            CHANGE,
            json!({ "old": DEMO_PASSWORD, "new": "Harbor-Lights-77" }),
        )
        .await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    assert!(
        body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            > 0
    );
    let sam = gw.token(STANDARD_A).await;
    let data = gw
        .data(
            &sam,
            CHANGE,
            json!({ "old": DEMO_PASSWORD, "new": "Harbor-Lights-77" }),
        )
        .await;
    assert_eq!(data["changePassword"], true, "other users are not limited");
}

async fn access_requests_are_validated_and_filed(gw: Gateway) {
    let operator = gw.token(OPERATOR).await;
    let mut bad = access_input();
    bad["phone"] = json!("555-1337");
    let (_, body) = anonymous(&gw, ACCESS, json!({ "input": bad }), None).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "input.phone");
    let mut bad = access_input();
    bad["accountNumber"] = json!("12345");
    let (_, body) = anonymous(&gw, ACCESS, json!({ "input": bad }), None).await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        "input.accountNumber"
    );

    let mut robot = access_input();
    robot["website"] = json!("http://spam.example");
    let (_, caught) = anonymous(&gw, ACCESS, json!({ "input": robot }), None).await;
    let listed = gw.data(&operator, ACCESS_LIST, json!({})).await;
    assert_eq!(
        listed["accessRequests"]["nodes"],
        json!([]),
        "the honeypot stores nothing"
    );

    let (_, filed) = anonymous(&gw, ACCESS, json!({ "input": access_input() }), None).await;
    assert_eq!(caught, filed, "the honeypot answers like a success");
    let listed = gw.data(&operator, ACCESS_LIST, json!({})).await;
    let requests = listed["accessRequests"]["nodes"].as_array().unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["phone"], "5554151337");
    let number = requests[0]["caseNumber"]
        .as_str()
        .expect("a case was opened");
    assert_in_servicenow(&gw, number);
    let pat = gw.token(PRIMARY_A).await;
    let case = gw
        .data(
            &pat,
            "query($n: String!) { case(number: $n) { title category { code } description } }",
            json!({ "n": number }),
        )
        .await;
    assert_eq!(case["case"]["category"]["code"], "PORTAL_ACCESS_REQUEST");
    assert!(
        case["case"]["description"]
            .as_str()
            .unwrap()
            .contains("Jordan Nguyen")
    );
    let (_, body) = gw.post(&pat, ACCESS_LIST, json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN", "operators only: {body}");
}

async fn access_requests_are_rate_limited(gw: Gateway) {
    for _ in 0..2 {
        let (_, body) = anonymous(&gw, ACCESS, json!({ "input": access_input() }), None).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let (_, body) = anonymous(&gw, ACCESS, json!({ "input": access_input() }), None).await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    let operator = gw.token(OPERATOR).await;
    let listed = gw.data(&operator, ACCESS_LIST, json!({})).await;
    assert_eq!(
        listed["accessRequests"]["nodes"].as_array().unwrap().len(),
        2
    );
}

async fn feedback_opens_a_portal_feedback_case(gw: Gateway) {
    let sam = gw.token(STANDARD_A).await;
    let send = "mutation($input: FeedbackInput!) { sendFeedback(input: $input) { number caseType { code } category { code } } }";
    let input = json!({ "accountId": ACCOUNT_A, "kind": "ENHANCEMENT", "description": "Dark mode, please." });
    let data = gw.data(&sam, send, json!({ "input": input })).await;
    assert_eq!(
        data["sendFeedback"]["caseType"]["code"],
        "CUSTOMER_PORTAL_FEEDBACK"
    );
    assert_eq!(data["sendFeedback"]["category"]["code"], "ENHANCEMENT");
    let number = data["sendFeedback"]["number"].as_str().unwrap();
    assert_in_servicenow(&gw, number);
    let list = gw
        .data(&sam, "{ cases(filter: { caseTypes: [\"CUSTOMER_PORTAL_FEEDBACK\"] }, first: 100) { nodes { number } } }", json!({}))
        .await;
    assert!(
        list["cases"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["number"] == number),
        "the feedback case is in the list"
    );
    let other = json!({ "accountId": ACCOUNT_B, "kind": "ISSUE", "description": "x" });
    let (_, body) = gw.post(&sam, send, json!({ "input": other })).await;
    assert_eq!(
        code(&body),
        "NOT_FOUND",
        "another customer's account: {body}"
    );
    let blank = json!({ "accountId": ACCOUNT_A, "kind": "ISSUE", "description": " " });
    let (_, body) = gw.post(&sam, send, json!({ "input": blank })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
}

on_every_directory_backend!(
    user_list_follows_the_role_rule,
    account_team_lists_the_providers_people,
    factors_are_listed_and_reset,
    password_change_names_each_rule,
    recovery_does_not_enumerate,
    feedback_opens_a_portal_feedback_case;
    // The gateway's own recovery links, from its outbox. With Okta, Okta
    // sends its own links and the gateway redeems none of them: see
    // `okta_recovery` for what a request asks of Okta instead.
    sql_only:
    reset_links_are_redeemed_without_a_token,
    unlock_links_end_a_lock_out,
    expired_links_are_refused,
);

/// Runs a test body with a configuration tweak on the backends listed
/// (`sqlite`, `postgres`, `okta`: see `common::backend_named!`).
macro_rules! with_config {
    ($($name:ident on [$($backend:ident),+ $(,)?] => $tweak:expr),* $(,)?) => {
        mod tweaked {
            use super::*;
            $(
                mod $name {
                    use super::*;
                    $(
                        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                        async fn $backend() {
                            let backend = backend_named!($backend);
                            if let Some(gw) = common::start_with(backend, $tweak).await {
                                super::super::$name(gw).await;
                            }
                        }
                    )+
                }
            )*
        }
    };
}

with_config!(
    wrong_passwords_are_rate_limited on [sqlite, postgres, okta] => |c: &mut Config| {
        c.identity.password_attempts = 2;
    },
    recovery_is_rate_limited_per_login on [sqlite, postgres, okta] => |c: &mut Config| {
        c.identity.recovery_per_login = 2;
    },
    recovery_is_rate_limited_per_address on [sqlite, postgres, okta] => |c: &mut Config| {
        c.identity.recovery_per_address = 3;
        c.server.trust_forwarded_for = true;
    },
    access_requests_are_validated_and_filed on [sqlite, postgres, okta] => |c: &mut Config| {
        c.identity.intake_account = Some(ACCOUNT_A.into());
    },
    access_requests_are_rate_limited on [sqlite, postgres, okta] => |c: &mut Config| {
        c.identity.access_requests_per_address = 2;
    },
    // With Okta the gateway knows no link, so every guess is refused like
    // an unknown one, after the same per-address limit.
    redemptions_are_rate_limited_per_address on [sqlite, postgres, okta] => |c: &mut Config| {
        c.identity.recovery_per_address = 2;
        c.server.trust_forwarded_for = true;
    },
    // The gateway's own links only: Okta's e-mails carry Okta's links.
    recovery_links_point_at_the_configured_base on [sqlite, postgres] => |c: &mut Config| {
        c.identity.recovery_link_base = Some("https://portal.example/account/".into());
    },
);
