//! The two WebSocket subprotocols' messages: graphql-transport-ws (the
//! graphql-ws library's protocol) and the legacy graphql-ws protocol of
//! subscriptions-transport-ws. What the client sends is parsed into one
//! [`ClientMessage`]; what the server sends is written straight to text.

use serde_json::{Map, Value};

/// A negotiated subprotocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws`.
    Transport,
    /// `graphql-ws`, the legacy subscriptions-transport-ws protocol.
    Legacy,
}

impl Protocol {
    /// The subprotocols this gateway speaks, as offered in the handshake.
    pub const NAMES: [&'static str; 2] = ["graphql-transport-ws", "graphql-ws"];

    /// The first protocol of `Sec-WebSocket-Protocol` this gateway speaks.
    pub fn offered(header: &str) -> Option<Self> {
        header.split(',').find_map(|p| match p.trim() {
            p if p.eq_ignore_ascii_case("graphql-transport-ws") => Some(Self::Transport),
            p if p.eq_ignore_ascii_case("graphql-ws") => Some(Self::Legacy),
            _ => None,
        })
    }
}

/// Close codes, as graphql-transport-ws defines them (and RFC 6455's own).
pub mod close {
    /// The client sent something the protocol does not allow.
    pub const BAD_REQUEST: u16 = 4400;
    /// `subscribe` before the connection was acknowledged, or the token
    /// expired.
    pub const UNAUTHORIZED: u16 = 4401;
    /// `connection_init` was refused.
    pub const FORBIDDEN: u16 = 4403;
    /// No `connection_init` in time.
    pub const INIT_TIMEOUT: u16 = 4408;
    /// A `subscribe` reused the id of a running operation.
    pub const DUPLICATE_ID: u16 = 4409;
    /// A second `connection_init`.
    pub const TOO_MANY_INITS: u16 = 4429;
    /// A message larger than the gateway accepts (RFC 6455).
    pub const TOO_BIG: u16 = 1009;
    /// A backend the gateway needs is down; reconnect later (RFC 6455).
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The client ended the connection (legacy `connection_terminate`).
    pub const NORMAL: u16 = 1000;
    /// The replica is draining; reconnect, to another (RFC 6455).
    pub const GOING_AWAY: u16 = 1001;
}

/// A message from the client.
#[derive(Debug, PartialEq)]
pub enum ClientMessage {
    /// `connection_init`, with its payload (`null` when absent).
    Init(Value),
    /// `subscribe` (legacy: `start`): an operation to run under `id`.
    Subscribe {
        id: String,
        payload: Map<String, Value>,
    },
    /// `complete` (legacy: `stop`): the client no longer wants `id`.
    Complete { id: String },
    /// `ping`, with its payload.
    Ping(Option<Value>),
    /// `pong`.
    Pong,
    /// Legacy `connection_terminate`.
    Terminate,
}

/// Reads one text message; the error is the close reason.
pub fn parse(protocol: Protocol, text: &str) -> Result<ClientMessage, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|_| "Invalid message received: not JSON".to_string())?;
    let Value::Object(mut message) = value else {
        return Err("Invalid message received: not an object".into());
    };
    let kind = match message.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        _ => return Err("Invalid message received: no type".into()),
    };
    let id = |message: &mut Map<String, Value>| match message.remove("id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id),
        _ => Err(format!("Invalid message received: {kind} needs an id")),
    };
    let payload = message.remove("payload");
    match (protocol, kind.as_str()) {
        (_, "connection_init") => match payload {
            None | Some(Value::Null) => Ok(ClientMessage::Init(Value::Null)),
            Some(object @ Value::Object(_)) => Ok(ClientMessage::Init(object)),
            Some(_) => Err("Invalid message received: the payload must be an object".into()),
        },
        (Protocol::Transport, "subscribe") | (Protocol::Legacy, "start") => {
            let id = id(&mut message)?;
            match payload {
                Some(Value::Object(payload)) => Ok(ClientMessage::Subscribe { id, payload }),
                _ => Err(format!("Invalid message received: {kind} needs a payload")),
            }
        }
        (Protocol::Transport, "complete") | (Protocol::Legacy, "stop") => {
            Ok(ClientMessage::Complete {
                id: id(&mut message)?,
            })
        }
        (Protocol::Transport, "ping") => Ok(ClientMessage::Ping(payload)),
        (Protocol::Transport, "pong") => Ok(ClientMessage::Pong),
        (Protocol::Legacy, "connection_terminate") => Ok(ClientMessage::Terminate),
        _ => Err(format!(
            "Invalid message received: unexpected type {:.40}",
            kind
        )),
    }
}

/// Writes the server's messages for `protocol`.
#[derive(Debug, Clone, Copy)]
pub struct Writer(pub Protocol);

impl Writer {
    /// `connection_ack`.
    pub fn ack(self) -> String {
        r#"{"type":"connection_ack"}"#.into()
    }

    /// A result of operation `id`; `payload` is the serialised response.
    pub fn next(self, id: &str, payload: &str) -> String {
        let kind = match self.0 {
            Protocol::Transport => "next",
            Protocol::Legacy => "data",
        };
        format!(
            r#"{{"id":{},"type":"{kind}","payload":{payload}}}"#,
            quoted(id)
        )
    }

    /// Operation `id` failed before it ran; `errors` is a JSON array.
    pub fn error(self, id: &str, errors: &str) -> String {
        format!(
            r#"{{"id":{},"type":"error","payload":{errors}}}"#,
            quoted(id)
        )
    }

    /// Operation `id` has no more results.
    pub fn complete(self, id: &str) -> String {
        format!(r#"{{"id":{},"type":"complete"}}"#, quoted(id))
    }

    /// The answer to a `ping`.
    pub fn pong(self, payload: Option<&Value>) -> String {
        match payload {
            Some(payload) if !payload.is_null() => {
                format!(r#"{{"type":"pong","payload":{payload}}}"#)
            }
            _ => r#"{"type":"pong"}"#.into(),
        }
    }

    /// The server's keep-alive: `ping`, or the legacy `ka`.
    pub fn keep_alive(self) -> String {
        match self.0 {
            Protocol::Transport => r#"{"type":"ping"}"#.into(),
            Protocol::Legacy => r#"{"type":"ka"}"#.into(),
        }
    }

    /// The legacy protocol's refusal of `connection_init`, sent before the
    /// close frame (graphql-transport-ws has only the close frame).
    pub fn connection_error(self, message: &str) -> Option<String> {
        match self.0 {
            Protocol::Transport => None,
            Protocol::Legacy => Some(format!(
                r#"{{"type":"connection_error","payload":{{"message":{}}}}}"#,
                quoted(message)
            )),
        }
    }
}

fn quoted(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// `reason` cut to what a close frame carries (123 bytes of UTF-8).
pub fn close_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_offered_protocol_wins() {
        assert_eq!(
            Protocol::offered("graphql-transport-ws"),
            Some(Protocol::Transport)
        );
        assert_eq!(
            Protocol::offered("foo, graphql-ws, graphql-transport-ws"),
            Some(Protocol::Legacy)
        );
        assert_eq!(Protocol::offered("mqtt"), None);
    }

    #[test]
    fn messages_are_read_per_protocol() {
        let t = Protocol::Transport;
        assert_eq!(
            parse(t, r#"{"type":"connection_init"}"#),
            Ok(ClientMessage::Init(Value::Null))
        );
        assert_eq!(
            parse(t, r#"{"type":"complete","id":"7"}"#),
            Ok(ClientMessage::Complete { id: "7".into() })
        );
        assert!(matches!(
            parse(
                t,
                r#"{"type":"subscribe","id":"1","payload":{"query":"{a}"}}"#
            ),
            Ok(ClientMessage::Subscribe { .. })
        ));
        assert!(parse(t, r#"{"type":"start","id":"1","payload":{}}"#).is_err());
        assert!(parse(t, r#"{"type":"subscribe","payload":{}}"#).is_err());
        assert!(parse(t, r#"{"type":"subscribe","id":"1"}"#).is_err());
        assert!(parse(t, "[1]").is_err());
        assert!(parse(t, "nope").is_err());
        assert!(parse(t, r#"{"type":"connection_init","payload":3}"#).is_err());
        let l = Protocol::Legacy;
        assert!(matches!(
            parse(l, r#"{"type":"start","id":"1","payload":{"query":"{a}"}}"#),
            Ok(ClientMessage::Subscribe { .. })
        ));
        assert_eq!(
            parse(l, r#"{"type":"connection_terminate"}"#),
            Ok(ClientMessage::Terminate)
        );
        assert!(parse(l, r#"{"type":"ping"}"#).is_err());
    }

    #[test]
    fn messages_are_written_per_protocol() {
        let next: Value =
            serde_json::from_str(&Writer(Protocol::Transport).next("a\"b", r#"{"data":1}"#))
                .unwrap();
        assert_eq!(
            next,
            json!({"id": "a\"b", "type": "next", "payload": {"data": 1}})
        );
        let data: Value = serde_json::from_str(&Writer(Protocol::Legacy).next("1", "{}")).unwrap();
        assert_eq!(data["type"], "data");
        assert!(Writer(Protocol::Transport).connection_error("x").is_none());
        assert_eq!(close_reason(&"é".repeat(100)).len(), 122);
    }
}
