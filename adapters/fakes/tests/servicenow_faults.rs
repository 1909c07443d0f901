//! Every fault kind against the ServiceNow fake, over real HTTP.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use switchboard_fakes::faults::{Fault, Rule};
use switchboard_fakes::servicenow::{Dataset, FakeOptions, FakeServiceNow};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

async fn start() -> Result<(FakeServiceNow, Client)> {
    Ok((
        FakeServiceNow::start(Dataset::empty(), FakeOptions::default()).await?,
        Client::new(),
    ))
}

fn get(fake: &FakeServiceNow, http: &Client, path: &str) -> reqwest::RequestBuilder {
    http.get(format!("{}{path}", fake.url()))
        .basic_auth("switchboard.integration", Some("fake-password"))
        .header("accept", "application/json")
}

#[tokio::test]
async fn status_faults_use_the_error_envelope_and_count_down() -> Result {
    let (fake, http) = start().await?;
    fake.faults().inject(
        Rule::new(Fault::Status(503))
            .times(2)
            .method(axum::http::Method::GET)
            .path_prefix("/api/now/table/sys_choice"),
    );
    assert_eq!(fake.faults().pending(), 2);
    let other = get(&fake, &http, "/api/now/table/sys_user").send().await?;
    assert_eq!(other.status(), StatusCode::OK);
    let failed = get(&fake, &http, "/api/now/table/sys_choice")
        .send()
        .await?;
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = failed.json().await?;
    assert_eq!(body["status"], "failure");
    assert!(body["error"]["message"].is_string());
    assert_eq!(fake.faults().pending(), 1);
    assert_eq!(
        get(&fake, &http, "/api/now/table/sys_choice")
            .send()
            .await?
            .status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(fake.faults().pending(), 0);
    assert_eq!(
        get(&fake, &http, "/api/now/table/sys_choice")
            .send()
            .await?
            .status(),
        StatusCode::OK
    );
    let log = fake.requests().entries();
    assert_eq!(log.len(), 4);
    assert_eq!(log[1].path, "/api/now/table/sys_choice");
    assert_eq!(log[1].method, axum::http::Method::GET);
    Ok(())
}

#[tokio::test]
async fn rate_limits_carry_retry_after_and_rate_limit_headers() -> Result {
    let (fake, http) = start().await?;
    fake.faults().inject(Rule::new(Fault::RateLimited {
        retry_after: Duration::from_millis(1500),
    }));
    let limited = get(&fake, &http, "/api/now/table/sys_choice")
        .send()
        .await?;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "2");
    assert!(limited.headers().contains_key("x-ratelimit-limit"));
    assert!(limited.headers().contains_key("x-ratelimit-reset"));
    let body: Value = limited.json().await?;
    assert_eq!(body["error"]["message"], "Rate limit exceeded");
    Ok(())
}

#[tokio::test]
async fn stalls_make_clients_time_out() -> Result {
    let (fake, http) = start().await?;
    fake.faults()
        .inject(Rule::new(Fault::Stall(Duration::from_secs(5))));
    let error = get(&fake, &http, "/api/now/table/sys_choice")
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .expect_err("the stall outlasts the timeout");
    assert!(error.is_timeout(), "{error}");
    fake.faults().clear();
    fake.faults().set_latency(Duration::from_millis(20));
    assert_eq!(
        get(&fake, &http, "/api/now/table/sys_choice")
            .send()
            .await?
            .status(),
        StatusCode::OK
    );
    Ok(())
}

#[tokio::test]
async fn resets_are_transport_errors_not_statuses() -> Result {
    let (fake, http) = start().await?;
    fake.faults().inject(Rule::new(Fault::Reset));
    let error = get(&fake, &http, "/api/now/table/sys_choice")
        .send()
        .await
        .expect_err("the connection is dropped");
    assert!(error.status().is_none());
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    assert_eq!(
        get(&fake, &http, "/api/now/table/sys_choice")
            .send()
            .await?
            .status(),
        StatusCode::OK
    );
    Ok(())
}

#[tokio::test]
async fn after_handler_faults_lose_the_answer_but_keep_the_write() -> Result {
    let (fake, http) = start().await?;
    let post = |name: &'static str| {
        http.post(format!("{}/api/now/table/customer_account", fake.url()))
            .basic_auth("switchboard.integration", Some("fake-password"))
            .header("accept", "application/json")
            .json(&json!({"name": name, "number": "42"}))
            .send()
    };
    fake.faults()
        .inject(Rule::new(Fault::Status(500)).after_handler());
    assert_eq!(
        post("first").await?.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    fake.faults().inject(
        Rule::new(Fault::Reset)
            .after_handler()
            .method(axum::http::Method::POST),
    );
    let error = post("second").await.expect_err("the answer is lost");
    assert!(error.status().is_none());
    let names: Vec<String> = fake
        .records("customer_account")
        .iter()
        .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    assert_eq!(names, ["first", "second"]);
    Ok(())
}
