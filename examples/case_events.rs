//! A small integrator client: subscribes to case events over WebSocket
//! (graphql-transport-ws) and prints each as a JSON line.
//!
//! ```text
//! SWITCHBOARD_TOKEN=$(cargo run -q -- token pat.primary@harborfreight.example) \
//!   cargo run --example case_events -- ws://127.0.0.1:8080/graphql [ACCOUNT_ID]
//! ```

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SUBSCRIPTION: &str = include_str!("case-events.graphql");

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:8080/graphql".into());
    let account_id = args.next();
    let token = std::env::var("SWITCHBOARD_TOKEN").map_err(|_| {
        anyhow::anyhow!("set SWITCHBOARD_TOKEN to a token from `switchboard token EMAIL`")
    })?;

    let mut request = url.as_str().into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await?;
    let subscribe = json!({
        "id": "case-events",
        "type": "subscribe",
        "payload": { "query": SUBSCRIPTION, "variables": { "accountId": account_id } },
    });
    let mut subscribed = false;
    while let Some(message) = socket.next().await {
        let text = match message? {
            Message::Text(text) => text,
            Message::Close(frame) => {
                eprintln!(
                    "closed: {}",
                    frame.map(|f| f.reason.to_string()).unwrap_or_default()
                );
                break;
            }
            _ => continue,
        };
        let value: Value = serde_json::from_str(&text)?;
        match value["type"].as_str() {
            Some("connection_ack") if !subscribed => {
                socket.send(Message::text(subscribe.to_string())).await?;
                subscribed = true;
                eprintln!("subscribed; waiting for case events");
            }
            Some("next") => println!("{}", value["payload"]["data"]["caseEvents"]),
            Some("ping") => {
                socket
                    .send(Message::text(json!({ "type": "pong" }).to_string()))
                    .await?
            }
            Some("error") => anyhow::bail!("subscription refused: {}", value["payload"]),
            Some("complete") => break,
            _ => {}
        }
    }
    Ok(())
}
