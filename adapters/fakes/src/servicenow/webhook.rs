//! The webhook the fake sends after agent changes: a JSON body signed with
//! HMAC-SHA256 over `"<timestamp>.<body>"`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The `X-Switchboard-Signature` value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// POSTs `body` to `url`; failures are logged, not returned (the agent's
/// change stands whether or not anyone listened).
pub(crate) async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: &serde_json::Value,
) {
    let raw = body.to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let result = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-switchboard-timestamp", timestamp.to_string())
        .header(
            "x-switchboard-signature",
            signature(secret, timestamp, raw.as_bytes()),
        )
        .body(raw)
        .send()
        .await;
    match result {
        Ok(response) if response.status().is_success() => {}
        Ok(response) => tracing::warn!(
            adapter.name = "servicenow-fake",
            http.status = response.status().as_u16(),
            "webhook refused"
        ),
        Err(error) => tracing::warn!(
            adapter.name = "servicenow-fake",
            error = %error.without_url(),
            "webhook failed"
        ),
    }
}
