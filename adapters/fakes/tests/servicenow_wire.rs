//! The ServiceNow fake's Table API over real HTTP: encoded queries,
//! dot-walk, pagination headers, references, journals, audit rows, business
//! rules, required headers and OAuth.

use std::time::Duration;

use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use switchboard_fakes::servicenow::{Dataset, FakeOptions, FakeServiceNow, OAuthClient};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const USER: &str = "switchboard.integration";
const PASSWORD: &str = "fake-password";

struct Api {
    fake: FakeServiceNow,
    http: Client,
}

impl Api {
    async fn start() -> Result<Self> {
        Ok(Self {
            fake: FakeServiceNow::start(Dataset::empty(), FakeOptions::default()).await?,
            http: Client::new(),
        })
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.http
            .get(format!("{}{path}", self.fake.url()))
            .basic_auth(USER, Some(PASSWORD))
            .header("accept", "application/json")
    }

    fn write(&self, method: reqwest::Method, path: &str, body: Value) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.fake.url()))
            .basic_auth(USER, Some(PASSWORD))
            .header("accept", "application/json")
            .json(&body)
    }

    async fn list(&self, table: &str, query: &[(&str, &str)]) -> Result<Vec<Value>> {
        let response = self
            .get(&format!("/api/now/table/{table}"))
            .query(query)
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await?;
        Ok(body["result"].as_array().cloned().unwrap_or_default())
    }

    async fn insert(&self, table: &str, body: Value) -> Result<Value> {
        let response = self
            .write(
                reqwest::Method::POST,
                &format!("/api/now/table/{table}"),
                body,
            )
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::CREATED);
        Ok(response.json::<Value>().await?["result"].clone())
    }

    async fn patch(&self, table: &str, id: &str, body: Value) -> Result<reqwest::Response> {
        Ok(self
            .write(
                reqwest::Method::PATCH,
                &format!("/api/now/table/{table}/{id}"),
                body,
            )
            .send()
            .await?)
    }

    /// An account and a case on it; returns (account sys_id, case record).
    async fn case(&self) -> Result<(String, Value)> {
        let account = self
            .insert(
                "customer_account",
                json!({"number": "1234567890", "name": "Harbor"}),
            )
            .await?;
        let account_id = account["sys_id"].as_str().unwrap_or_default().to_owned();
        let case = self
            .insert(
                "sn_customerservice_case",
                json!({"account": account_id, "short_description": "WAN down", "correlation_id": "switchboard:ab"}),
            )
            .await?;
        Ok((account_id, case))
    }
}

fn values(rows: &[Value], field: &str) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .map(|r| r[field].as_str().unwrap_or_default().to_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn or_binds_tighter_than_and_and_nq_starts_a_new_query() -> Result {
    let api = Api::start().await?;
    // (element=priority OR element=state) AND value=1
    let rows = api
        .list(
            "sys_choice",
            &[("sysparm_query", "element=priority^ORelement=state^value=1")],
        )
        .await?;
    assert_eq!(values(&rows, "element"), ["priority", "state"]);
    // (state AND value IN 1,10) OR (priority AND value=4)
    let rows = api
        .list(
            "sys_choice",
            &[(
                "sysparm_query",
                "element=state^valueIN1,10^NQelement=priority^value=4",
            )],
        )
        .await?;
    assert_eq!(values(&rows, "value"), ["1", "10", "4"]);
    // Integer comparison on sequence, ordering descending.
    let rows = api
        .list(
            "sys_choice",
            &[(
                "sysparm_query",
                "element=state^sequence>=2^ORDERBYDESCsequence",
            )],
        )
        .await?;
    let order: Vec<&str> = rows
        .iter()
        .map(|r| r["sequence"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(order, ["6", "5", "4", "3", "2"]);
    // LIKE and STARTSWITH are case-insensitive, = is exact.
    let rows = api
        .list("sys_choice", &[("sysparm_query", "labelLIKEawaiting")])
        .await?;
    assert_eq!(values(&rows, "value"), ["18"]);
    let rows = api
        .list("sys_choice", &[("sysparm_query", "label=new")])
        .await?;
    assert!(rows.is_empty());
    Ok(())
}

#[tokio::test]
async fn unknown_fields_are_ignored_and_widen_the_result() -> Result {
    let api = Api::start().await?;
    let all = api.list("sys_choice", &[]).await?;
    let narrowed = api
        .list("sys_choice", &[("sysparm_query", "element=state")])
        .await?;
    let widened = api
        .list(
            "sys_choice",
            &[("sysparm_query", "element=state^u_no_such_field=x")],
        )
        .await?;
    assert_eq!(widened.len(), narrowed.len());
    let only_unknown = api
        .list("sys_choice", &[("sysparm_query", "no_such_field=x")])
        .await?;
    assert_eq!(only_unknown.len(), all.len());
    let fields = api
        .list(
            "sys_choice",
            &[
                ("sysparm_query", "element=state^value=1"),
                ("sysparm_fields", "value,bogus,label"),
            ],
        )
        .await?;
    assert_eq!(fields, vec![json!({"value": "1", "label": "New"})]);
    Ok(())
}

#[tokio::test]
async fn dot_walk_in_conditions_and_fields() -> Result {
    let api = Api::start().await?;
    let (_, case) = api.case().await?;
    let rows = api
        .list(
            "sn_customerservice_case",
            &[
                ("sysparm_query", "account.number=1234567890"),
                (
                    "sysparm_fields",
                    "number,account.number,account.name,opened_by.name",
                ),
            ],
        )
        .await?;
    assert_eq!(
        rows,
        vec![json!({
            "number": case["number"],
            "account.number": "1234567890",
            "account.name": "Harbor",
            "opened_by.name": "Switchboard Integration",
        })]
    );
    let none = api
        .list(
            "sn_customerservice_case",
            &[("sysparm_query", "account.number=999")],
        )
        .await?;
    assert!(none.is_empty());
    Ok(())
}

#[tokio::test]
async fn total_count_and_a_single_link_header() -> Result {
    let api = Api::start().await?;
    let response = api
        .get("/api/now/table/sys_choice")
        .query(&[
            ("sysparm_limit", "3"),
            ("sysparm_offset", "3"),
            ("sysparm_query", "ORDERBYsys_id"),
        ])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-total-count"], "10");
    let links: Vec<&str> = response
        .headers()
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(links.len(), 1);
    let link = links[0];
    for rel in ["first", "prev", "next", "last"] {
        assert!(link.contains(&format!(";rel=\"{rel}\"")), "{rel} in {link}");
    }
    assert!(
        link.contains("sysparm_offset=6&sysparm_limit=3>;rel=\"next\""),
        "{link}"
    );
    assert!(
        link.contains("sysparm_offset=9&sysparm_limit=3>;rel=\"last\""),
        "{link}"
    );
    assert!(link.starts_with(&format!("<{}/api/now/table/sys_choice?", api.fake.url())));
    let body: Value = response.json().await?;
    assert_eq!(body["result"].as_array().map(Vec::len), Some(3));

    let one_page = api.get("/api/now/table/sys_choice").send().await?;
    assert!(one_page.headers().get("link").is_none());
    assert_eq!(one_page.headers()["x-total-count"], "10");
    let no_count = api
        .get("/api/now/table/sys_choice?sysparm_no_count=true")
        .send()
        .await?;
    assert!(no_count.headers().get("x-total-count").is_none());
    Ok(())
}

#[tokio::test]
async fn references_strings_and_empty_values() -> Result {
    let api = Api::start().await?;
    let (account_id, case) = api.case().await?;
    assert_eq!(case["account"]["value"], account_id.as_str());
    assert_eq!(
        case["account"]["link"],
        format!(
            "{}/api/now/table/customer_account/{account_id}",
            api.fake.url()
        )
        .as_str()
    );
    assert_eq!(case["location"], "");
    assert_eq!(case["state"], "1");
    assert_eq!(case["priority"], "4");
    assert_eq!(case["active"], "true");
    assert_eq!(case["sys_mod_count"], "0");
    assert!(
        case["number"]
            .as_str()
            .is_some_and(|n| n.starts_with("CS") && n.len() == 13)
    );
    let bare = api
        .list(
            "sn_customerservice_case",
            &[
                ("sysparm_exclude_reference_link", "true"),
                ("sysparm_fields", "account"),
            ],
        )
        .await?;
    assert_eq!(bare, vec![json!({"account": account_id})]);
    Ok(())
}

#[tokio::test]
async fn journal_fields_append_and_read_back_empty() -> Result {
    let api = Api::start().await?;
    let (_, case) = api.case().await?;
    let id = case["sys_id"].as_str().unwrap_or_default();
    let response = api
        .patch(
            "sn_customerservice_case",
            id,
            json!({"comments": "Any news?", "work_notes": "internal"}),
        )
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json::<Value>().await?["result"].clone();
    assert_eq!(updated["comments"], "");
    assert_eq!(updated["work_notes"], "");
    assert_eq!(updated["sys_mod_count"], "1");
    let entries = api
        .list(
            "sys_journal_field",
            &[(
                "sysparm_query",
                &format!("element_id={id}^element=comments^ORDERBYDESCsys_created_on"),
            )],
        )
        .await?;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["value"], "Any news?");
    assert_eq!(entries[0]["sys_created_by"], USER);
    assert_eq!(entries[0]["name"], "sn_customerservice_case");
    let notes = api
        .list(
            "sys_journal_field",
            &[(
                "sysparm_query",
                &format!("element_id={id}^element=work_notes"),
            )],
        )
        .await?;
    assert_eq!(values(&notes, "value"), ["internal"]);
    Ok(())
}

#[tokio::test]
async fn state_priority_and_watch_list_changes_are_audited() -> Result {
    let api = Api::start().await?;
    let (_, case) = api.case().await?;
    let id = case["sys_id"].as_str().unwrap_or_default();
    let response = api
        .patch(
            "sn_customerservice_case",
            id,
            json!({"state": "10", "priority": 2, "watch_list": "a@example.com"}),
        )
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let audit = api
        .list(
            "sys_audit",
            &[(
                "sysparm_query",
                &format!("documentkey={id}^ORDERBYfieldname"),
            )],
        )
        .await?;
    let rows: Vec<(String, String, String)> = audit
        .iter()
        .map(|r| {
            let s = |f: &str| r[f].as_str().unwrap_or_default().to_owned();
            (s("fieldname"), s("oldvalue"), s("newvalue"))
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("priority".into(), "4".into(), "2".into()),
            ("state".into(), "1".into(), "10".into()),
            ("watch_list".into(), "".into(), "a@example.com".into()),
        ]
    );
    assert!(
        audit
            .iter()
            .all(|r| r["user"] == USER && r["tablename"] == "sn_customerservice_case")
    );
    Ok(())
}

#[tokio::test]
async fn closed_cases_and_cancel_without_close_notes_are_refused() -> Result {
    let api = Api::start().await?;
    let (_, case) = api.case().await?;
    let id = case["sys_id"].as_str().unwrap_or_default();
    let refused = api
        .patch("sn_customerservice_case", id, json!({"state": "7"}))
        .await?;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await?;
    assert_eq!(body["status"], "failure");
    let detail = body["error"]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("close_notes") && detail.contains("resolution_code"),
        "{detail}"
    );

    let canceled = api
        .patch(
            "sn_customerservice_case",
            id,
            json!({"state": "7", "close_notes": "no longer needed", "resolution_code": "Canceled"}),
        )
        .await?;
    assert_eq!(canceled.status(), StatusCode::OK);
    let record: Value = canceled.json::<Value>().await?["result"].clone();
    assert_eq!(record["active"], "false");
    assert!(!record["closed_at"].as_str().unwrap_or_default().is_empty());

    let after = api
        .patch("sn_customerservice_case", id, json!({"comments": "hello?"}))
        .await?;
    assert_eq!(after.status(), StatusCode::FORBIDDEN);
    let body: Value = after.json().await?;
    assert_eq!(body["error"]["message"], "Operation Failed");
    assert_eq!(
        body["error"]["detail"],
        "Data Policy Exception: a closed case cannot be updated"
    );

    let no_account = api
        .write(
            reqwest::Method::POST,
            "/api/now/table/sn_customerservice_case",
            json!({"short_description": "x"}),
        )
        .send()
        .await?;
    assert_eq!(no_account.status(), StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn required_headers_statuses_and_versions() -> Result {
    let api = Api::start().await?;
    let url = api.fake.url();
    let no_accept = api
        .http
        .get(format!("{url}/api/now/table/sys_choice"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await?;
    assert_eq!(no_accept.status(), StatusCode::BAD_REQUEST);
    assert_eq!(no_accept.json::<Value>().await?["status"], "failure");
    let no_content_type = api
        .http
        .post(format!("{url}/api/now/table/customer_account"))
        .basic_auth(USER, Some(PASSWORD))
        .header("accept", "application/json")
        .body(r#"{"name":"x"}"#)
        .send()
        .await?;
    assert_eq!(no_content_type.status(), StatusCode::BAD_REQUEST);
    let display = api
        .get("/api/now/table/sys_choice?sysparm_display_value=true")
        .send()
        .await?;
    assert_eq!(display.status(), StatusCode::BAD_REQUEST);
    let unauthenticated = api
        .http
        .get(format!("{url}/api/now/table/sys_choice"))
        .header("accept", "application/json")
        .send()
        .await?;
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        unauthenticated.json::<Value>().await?["error"]["message"],
        "User Not Authenticated"
    );

    let created = api
        .write(
            reqwest::Method::POST,
            "/api/now/table/customer_account",
            json!({"name": "Temp", "number": "1"}),
        )
        .send()
        .await?;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str()?.to_owned();
    let id = created.json::<Value>().await?["result"]["sys_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        location,
        format!("{url}/api/now/table/customer_account/{id}")
    );
    let one = api
        .get(&format!("/api/now/v2/table/customer_account/{id}"))
        .send()
        .await?;
    assert_eq!(one.status(), StatusCode::OK);
    assert_eq!(one.json::<Value>().await?["result"]["name"], "Temp");
    let deleted = api
        .http
        .delete(format!("{url}/api/now/table/customer_account/{id}"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await?;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = api
        .get(&format!("/api/now/table/customer_account/{id}"))
        .send()
        .await?;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        gone.json::<Value>().await?["error"]["message"],
        "No Record found"
    );

    let v2_empty = api
        .get("/api/now/v2/table/customer_account?sysparm_query=number=nothing")
        .send()
        .await?;
    assert_eq!(v2_empty.status(), StatusCode::OK);
    assert_eq!(v2_empty.json::<Value>().await?, json!({"result": []}));
    let v1_empty = api
        .get("/api/now/v1/table/customer_account?sysparm_query=number=nothing")
        .send()
        .await?;
    assert_eq!(v1_empty.status(), StatusCode::NOT_FOUND);
    let bad_table = api.get("/api/now/table/no_such_table").send().await?;
    assert_eq!(bad_table.status(), StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn sys_user_queries_include_contacts() -> Result {
    let api = Api::start().await?;
    let contact = api
        .insert(
            "customer_contact",
            json!({"user_name": "pat@example.com", "name": "Pat", "email": "pat@example.com"}),
        )
        .await?;
    let users = api
        .list(
            "sys_user",
            &[("sysparm_query", "user_name=pat@example.com")],
        )
        .await?;
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["sys_id"], contact["sys_id"]);
    Ok(())
}

#[tokio::test]
async fn oauth_tokens_expire_and_refresh() -> Result {
    let mut client = OAuthClient::new("client-1", "secret-1");
    client.token_ttl = Duration::from_secs(1);
    let options = FakeOptions {
        oauth: Some(client),
        ..FakeOptions::default()
    };
    let fake = FakeServiceNow::start(Dataset::empty(), options).await?;
    let http = Client::new();
    let token_url = format!("{}/oauth_token.do", fake.url());
    let grant = |form: Vec<(&'static str, &'static str)>| http.post(&token_url).form(&form).send();

    let denied = grant(vec![
        ("grant_type", "password"),
        ("client_id", "client-1"),
        ("client_secret", "wrong"),
        ("username", USER),
        ("password", PASSWORD),
    ])
    .await?;
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(denied.json::<Value>().await?["error"], "access_denied");

    let issued: Value = grant(vec![
        ("grant_type", "password"),
        ("client_id", "client-1"),
        ("client_secret", "secret-1"),
        ("username", USER),
        ("password", PASSWORD),
    ])
    .await?
    .json()
    .await?;
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["expires_in"], 1);
    let access = issued["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refresh = issued["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let call = |token: String| {
        http.get(format!(
            "{}/api/now/table/sys_choice?sysparm_limit=1",
            fake.url()
        ))
        .bearer_auth(token)
        .header("accept", "application/json")
        .send()
    };
    assert_eq!(call(access.clone()).await?.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let expired = call(access).await?;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.json::<Value>().await?["error"]["message"],
        "User Not Authenticated"
    );

    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", "client-1"),
        ("client_secret", "secret-1"),
        ("refresh_token", refresh.as_str()),
    ];
    let renewed: Value = http
        .post(&token_url)
        .form(&form)
        .send()
        .await?
        .json()
        .await?;
    let access = renewed["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(call(access).await?.status(), StatusCode::OK);

    let machine: Value = grant(vec![
        ("grant_type", "client_credentials"),
        ("client_id", "client-1"),
        ("client_secret", "secret-1"),
    ])
    .await?
    .json()
    .await?;
    assert!(machine.get("refresh_token").is_none());
    assert!(machine["access_token"].is_string());
    Ok(())
}
