//! The Okta fake speaks Okta's wire format: SSWS auth, the error envelope,
//! rate-limit headers, `link` paging, search and filter, factors,
//! lifecycle and password changes.

use std::collections::HashMap;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use switchboard_core::demo::DEMO_PASSWORD;
use switchboard_fakes::faults::{Fault, Rule};
use switchboard_fakes::okta::{FakeOkta, OktaDirectory};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const TOKEN: &str = "00fakeToken";
const PAT: &str = "pat.primary@harborfreight.example";

struct Org {
    fake: FakeOkta,
    http: Client,
}

impl Org {
    async fn start(dir: OktaDirectory) -> Result<Self> {
        Ok(Self {
            fake: FakeOkta::start(dir, TOKEN).await?,
            http: Client::new(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.fake.url())
    }

    async fn get(&self, path: &str) -> Result<Response> {
        Ok(self
            .http
            .get(self.url(path))
            .header("authorization", format!("SSWS {TOKEN}"))
            .send()
            .await?)
    }

    async fn post(&self, path: &str, body: Value) -> Result<Response> {
        Ok(self
            .http
            .post(self.url(path))
            .header("authorization", format!("SSWS {TOKEN}"))
            .json(&body)
            .send()
            .await?)
    }

    fn pat(&self) -> String {
        self.fake.user_id(PAT).expect("pat")
    }
}

fn links(response: &Response) -> HashMap<String, String> {
    response
        .headers()
        .get_all("link")
        .iter()
        .filter_map(|v| {
            let v = v.to_str().ok()?;
            let (url, rel) = v.split_once("; rel=")?;
            Some((
                rel.trim_matches('"').to_string(),
                url.trim_matches(['<', '>']).to_string(),
            ))
        })
        .collect()
}

async fn envelope(response: Response) -> Result<(StatusCode, Value)> {
    let status = response.status();
    let body: Value = response.json().await?;
    for key in [
        "errorCode",
        "errorSummary",
        "errorLink",
        "errorId",
        "errorCauses",
    ] {
        assert!(body.get(key).is_some(), "{key} in {body}");
    }
    Ok((status, body))
}

#[tokio::test]
async fn okta_fake_authenticates_with_ssws_and_counts_the_rate_limit() -> Result {
    let org = Org::start(OktaDirectory::demo().with_rate_limit(3, 86_400)).await?;
    let anonymous = org.http.get(org.url("/api/v1/users")).send().await?;
    let (status, body) = envelope(anonymous).await?;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("E0000011"))
    );
    let ok = org.get("/api/v1/users").await?;
    assert_eq!(ok.status(), StatusCode::OK);
    let header = |r: &Response, h: &str| r.headers()[h].to_str().unwrap().to_string();
    assert_eq!(header(&ok, "x-rate-limit-limit"), "3");
    assert_eq!(header(&ok, "x-rate-limit-remaining"), "1");
    let reset: u64 = header(&ok, "x-rate-limit-reset").parse()?;
    assert_eq!(reset % 86_400, 0, "windows are aligned on the epoch");
    let _third = org.get("/api/v1/users").await?;
    let limited = org.get("/api/v1/users").await?;
    assert_eq!(header(&limited, "x-rate-limit-remaining"), "0");
    let (status, body) = envelope(limited).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["errorCode"], "E0000047");
    Ok(())
}

#[tokio::test]
async fn okta_fake_pages_with_separate_link_headers() -> Result {
    let org = Org::start(OktaDirectory::demo()).await?;
    let mut seen = Vec::new();
    let mut next = Some(org.url("/api/v1/users?limit=3"));
    let mut pages = 0;
    while let Some(url) = next.take() {
        let path = url.trim_start_matches(&org.fake.url()).to_string();
        let response = org.get(&path).await?;
        let rels = links(&response);
        assert!(rels.contains_key("self"));
        next = rels.get("next").cloned();
        let page: Vec<Value> = response.json().await?;
        assert!(page.len() <= 3);
        seen.extend(
            page.into_iter()
                .map(|u| u["id"].as_str().unwrap().to_string()),
        );
        pages += 1;
    }
    assert_eq!(pages, 3, "8 users in pages of 3");
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (8, 8));
    let bad = org.get("/api/v1/users?limit=0").await?;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn okta_fake_searches_filters_and_finds_users_by_login() -> Result {
    let org = Org::start(OktaDirectory::demo()).await?;
    let search = |s: &str| format!("/api/v1/users?search={}", urlencode(s));
    let found: Vec<Value> = org
        .get(&search(r#"profile.switchboardEntitlements eq "2345678901:BILLING" or profile.login eq "DANA.PRIMARY@disneysprings.example""#))
        .await?
        .json()
        .await?;
    let logins: Vec<&str> = found
        .iter()
        .filter_map(|u| u["profile"]["login"].as_str())
        .collect();
    assert_eq!(logins.len(), 2, "{logins:?}");
    let filter = format!(
        "/api/v1/users?filter={}",
        urlencode(&format!(r#"profile.login eq "{}""#, PAT.to_uppercase()))
    );
    let found: Vec<Value> = org.get(&filter).await?.json().await?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["status"], "ACTIVE");
    let created = found[0]["created"].as_str().unwrap();
    assert!(
        created.ends_with(".000Z") && created.len() == 24,
        "{created}"
    );
    let bad = org
        .get(&format!(
            "/api/v1/users?filter={}",
            urlencode(r#"profile.login sw "pat""#)
        ))
        .await?;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let by_login = org.get(&format!("/api/v1/users/{PAT}")).await?;
    assert_eq!(by_login.status(), StatusCode::OK);
    let by_short = org.get("/api/v1/users/pat.primary").await?;
    assert_eq!(by_short.status(), StatusCode::OK);
    let (status, body) = envelope(org.get("/api/v1/users/nobody@x.example").await?).await?;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (StatusCode::NOT_FOUND, Some("E0000007"))
    );
    let groups: Vec<Value> = org
        .get("/api/v1/groups?q=acct-1234567890-")
        .await?
        .json()
        .await?;
    assert_eq!(groups.len(), 4, "one group per role");
    let members: Vec<Value> = org
        .get(&format!(
            "/api/v1/groups/{}/users",
            groups[0]["id"].as_str().unwrap()
        ))
        .await?
        .json()
        .await?;
    assert!(!members.is_empty());
    Ok(())
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_string()
}

#[tokio::test]
async fn okta_fake_resets_okta_verify_together() -> Result {
    let org = Org::start(OktaDirectory::demo()).await?;
    let pat = org.pat();
    let path = format!("/api/v1/users/{pat}/factors");
    let before: Vec<Value> = org.get(&path).await?.json().await?;
    assert_eq!(before.len(), 5);
    let push = before.iter().find(|f| f["factorType"] == "push").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let deleted = org
        .http
        .delete(org.url(&format!("{path}/{push}")))
        .header("authorization", format!("SSWS {TOKEN}"))
        .send()
        .await?;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let after: Vec<Value> = org.get(&path).await?.json().await?;
    let kinds: Vec<(&str, &str)> = after
        .iter()
        .map(|f| {
            (
                f["provider"].as_str().unwrap(),
                f["factorType"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds, [("GOOGLE", "token:software:totp"), ("OKTA", "sms")]);
    let again = org
        .http
        .delete(org.url(&format!("{path}/{push}")))
        .header("authorization", format!("SSWS {TOKEN}"))
        .send()
        .await?;
    assert_eq!(envelope(again).await?.1["errorCode"], "E0000007");
    Ok(())
}

#[tokio::test]
async fn okta_fake_changes_passwords_with_okta_errors() -> Result {
    let org = Org::start(OktaDirectory::demo()).await?;
    let path = format!("/api/v1/users/{}/credentials/change_password", org.pat());
    let change = |old: &str, new: &str| json!({"oldPassword": {"value": old}, "newPassword": {"value": new}});
    let (status, body) =
        envelope(org.post(&path, change("wrong", "Switch-Board-77")).await?).await?;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (StatusCode::FORBIDDEN, Some("E0000014"))
    );
    assert_eq!(
        body["errorCauses"][0]["errorSummary"],
        "oldPassword: The credentials provided were incorrect."
    );
    let (status, body) =
        envelope(org.post(&path, change(DEMO_PASSWORD, "primary1")).await?).await?;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (StatusCode::FORBIDDEN, Some("E0000080"))
    );
    assert_eq!(
        body["errorCauses"][0]["errorSummary"],
        "password: Password requirements were not met. Password requirements: an uppercase letter, no parts of your username."
    );
    let ok = org
        .post(&path, change(DEMO_PASSWORD, "Switch-Board-77"))
        .await?;
    assert_eq!(ok.status(), StatusCode::OK);
    let locked = org.pat();
    org.fake.set_status(&locked, "LOCKED_OUT");
    let (status, body) = envelope(
        org.post(&path, change("Switch-Board-77", "Switch-Board-78"))
            .await?,
    )
    .await?;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (StatusCode::FORBIDDEN, Some("E0000038"))
    );
    Ok(())
}

#[tokio::test]
async fn okta_fake_lifecycle_sends_email_and_unlocks_only_locked_users() -> Result {
    let org = Org::start(OktaDirectory::demo()).await?;
    let pat = org.pat();
    let unlock = format!("/api/v1/users/{pat}/lifecycle/unlock");
    assert_eq!(
        envelope(org.post(&unlock, json!({})).await?).await?.1["errorCode"],
        "E0000038"
    );
    org.fake.set_status(&pat, "LOCKED_OUT");
    assert_eq!(org.post(&unlock, json!({})).await?.status(), StatusCode::OK);
    assert_eq!(org.fake.user(&pat).unwrap()["status"], "ACTIVE");
    let reset = format!("/api/v1/users/{pat}/lifecycle/reset_password");
    let sent: Value = org
        .post(&format!("{reset}?sendEmail=true"), json!({}))
        .await?
        .json()
        .await?;
    assert_eq!(sent, json!({}));
    assert_eq!(
        org.fake.emails_sent(),
        [(PAT.to_string(), "reset_password".to_string())]
    );
    assert_eq!(org.fake.user(&pat).unwrap()["status"], "RECOVERY");
    let link: Value = org
        .post(&format!("{reset}?sendEmail=false"), json!({}))
        .await?
        .json()
        .await?;
    assert!(
        link["resetPasswordUrl"]
            .as_str()
            .unwrap()
            .contains("/reset_password/")
    );
    assert_eq!(org.fake.emails_sent().len(), 1);
    Ok(())
}

#[tokio::test]
async fn okta_fake_renders_injected_faults_as_okta_errors() -> Result {
    let org = Org::start(OktaDirectory::demo()).await?;
    org.fake.faults().inject(Rule::new(Fault::Status(503)));
    org.fake.faults().inject(Rule::new(Fault::RateLimited {
        retry_after: std::time::Duration::from_secs(2),
    }));
    assert_eq!(
        envelope(org.get("/api/v1/users").await?).await?.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let limited = org.get("/api/v1/users").await?;
    assert_eq!(limited.headers()["x-rate-limit-limit"], "0");
    assert_eq!(envelope(limited).await?.1["errorCode"], "E0000047");
    assert_eq!(org.get("/api/v1/users").await?.status(), StatusCode::OK);
    assert_eq!(org.fake.requests().count(), 3);
    Ok(())
}
