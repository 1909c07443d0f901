//! The ServiceNow fake's Attachment API over real HTTP.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use switchboard_fakes::servicenow::{Dataset, FakeOptions, FakeServiceNow};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const USER: &str = "switchboard.integration";
const PASSWORD: &str = "fake-password";

async fn case(fake: &FakeServiceNow, http: &Client) -> Result<String> {
    let created: Value = http
        .post(format!(
            "{}/api/now/table/sn_customerservice_case",
            fake.url()
        ))
        .basic_auth(USER, Some(PASSWORD))
        .header("accept", "application/json")
        .json(&json!({"account": "0123456789abcdef0123456789abcdef"}))
        .send()
        .await?
        .json()
        .await?;
    Ok(created["result"]["sys_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test]
async fn attachments_round_trip() -> Result {
    let fake = FakeServiceNow::start(Dataset::empty(), FakeOptions::default()).await?;
    let http = Client::new();
    let url = fake.url();
    let case_id = case(&fake, &http).await?;
    let content = b"hello, attachment".to_vec();

    let uploaded = http
        .post(format!("{url}/api/now/attachment/file"))
        .query(&[
            ("table_name", "sn_customerservice_case"),
            ("table_sys_id", case_id.as_str()),
            ("file_name", "notes.txt"),
        ])
        .basic_auth(USER, Some(PASSWORD))
        .header("content-type", "text/plain")
        .header("accept", "application/json")
        .body(content.clone())
        .send()
        .await?;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let location = uploaded.headers()["location"].to_str()?.to_owned();
    let meta: Value = uploaded.json::<Value>().await?["result"].clone();
    let id = meta["sys_id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(location, format!("{url}/api/now/attachment/{id}"));
    assert_eq!(meta["size_bytes"], content.len().to_string().as_str());
    assert_eq!(meta["content_type"], "text/plain");
    assert_eq!(meta["table_sys_id"], case_id.as_str());
    assert_eq!(meta["sys_created_by"], USER);
    let hash: String = Sha256::digest(&content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(meta["hash"], hash.as_str());
    assert_eq!(
        meta["download_link"],
        format!("{url}/api/now/attachment/{id}/file").as_str()
    );

    let form = reqwest::multipart::Form::new()
        .text("table_name", "sn_customerservice_case")
        .text("table_sys_id", case_id.clone())
        .part(
            "uploadFile",
            reqwest::multipart::Part::bytes(vec![1u8, 2, 3])
                .file_name("data.bin")
                .mime_str("application/octet-stream")?,
        );
    let multipart = http
        .post(format!("{url}/api/now/attachment/upload"))
        .basic_auth(USER, Some(PASSWORD))
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await?;
    assert_eq!(multipart.status(), StatusCode::CREATED);

    let list: Value = http
        .get(format!("{url}/api/now/attachment"))
        .query(&[(
            "sysparm_query",
            format!("table_sys_id={case_id}^ORDERBYfile_name"),
        )])
        .basic_auth(USER, Some(PASSWORD))
        .header("accept", "application/json")
        .send()
        .await?
        .json()
        .await?;
    let names: Vec<&str> = list["result"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["file_name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["data.bin", "notes.txt"]);

    let file = http
        .get(format!("{url}/api/now/attachment/{id}/file"))
        .basic_auth(USER, Some(PASSWORD))
        .header("accept", "*/*")
        .send()
        .await?;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "text/plain");
    let header_meta: Value =
        serde_json::from_str(file.headers()["x-attachment-metadata"].to_str()?)?;
    assert_eq!(header_meta["file_name"], "notes.txt");
    assert_eq!(file.bytes().await?.to_vec(), content);

    let renamed = http
        .patch(format!("{url}/api/now/attachment/{id}"))
        .basic_auth(USER, Some(PASSWORD))
        .json(&json!({"file_name": "renamed.txt"}))
        .send()
        .await?;
    assert_eq!(renamed.status(), StatusCode::NO_CONTENT);
    let meta: Value = http
        .get(format!("{url}/api/now/attachment/{id}"))
        .basic_auth(USER, Some(PASSWORD))
        .header("accept", "application/json")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(meta["result"]["file_name"], "renamed.txt");

    let deleted = http
        .delete(format!("{url}/api/now/attachment/{id}"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await?;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = http
        .get(format!("{url}/api/now/attachment/{id}"))
        .basic_auth(USER, Some(PASSWORD))
        .header("accept", "application/json")
        .send()
        .await?;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert!(fake.attachment_content(&id).is_none());
    Ok(())
}

#[tokio::test]
async fn uploads_need_a_content_type_and_an_existing_record() -> Result {
    let fake = FakeServiceNow::start(Dataset::empty(), FakeOptions::default()).await?;
    let http = Client::new();
    let url = fake.url();
    let case_id = case(&fake, &http).await?;
    let upload = |target: String, content_type: Option<&'static str>| {
        let mut request = http
            .post(format!("{url}/api/now/attachment/file"))
            .query(&[
                ("table_name", "sn_customerservice_case".to_owned()),
                ("table_sys_id", target),
                ("file_name", "a.txt".to_owned()),
            ])
            .basic_auth(USER, Some(PASSWORD))
            .body("x");
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.send()
    };
    assert_eq!(
        upload(case_id.clone(), None).await?.status(),
        StatusCode::BAD_REQUEST
    );
    let missing = upload(
        "ffffffffffffffffffffffffffffffff".into(),
        Some("text/plain"),
    )
    .await?;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.json::<Value>().await?["status"], "failure");
    assert_eq!(
        upload(case_id, Some("text/plain")).await?.status(),
        StatusCode::CREATED
    );
    Ok(())
}
