//! Reading GraphQL requests: a JSON body (one request or a batch), a
//! multipart request carrying uploads (the GraphQL multipart request spec),
//! or a GET's query string, each request's document resolved through
//! [`crate::server::documents`].

use async_graphql::BatchRequest;
use async_graphql::http::MultipartOptions;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::media::{Media, document_response, error_response};
use crate::config::ServerConfig;
use crate::graphql::errors::Code;
use crate::server::documents::{DocumentError, Documents};

/// Reads a multipart request (its boundary, from `content_type`, matched
/// byte for byte) and resolves each request's document.
pub(super) async fn multipart(
    content_type: &str,
    bytes: Bytes,
    server: &ServerConfig,
    documents: &Documents,
    trusted: bool,
    media: Media,
) -> Result<BatchRequest, Response> {
    let options = MultipartOptions::default()
        .max_file_size(server.upload_limit_bytes)
        .max_num_files(10);
    let mut batch = async_graphql::http::receive_batch_body(
        Some(content_type),
        futures::io::Cursor::new(bytes),
        options,
    )
    .await
    .map_err(|e| match e {
        async_graphql::ParseRequestError::PayloadTooLarge => error_response(
            media,
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::PayloadTooLarge,
            &format!(
                "a file is larger than the limit of {} bytes",
                server.upload_limit_bytes
            ),
        ),
        other => error_response(
            media,
            StatusCode::BAD_REQUEST,
            Code::BadUserInput,
            &format!("malformed multipart request: {other}"),
        ),
    })?;
    let requests = match &mut batch {
        BatchRequest::Single(request) => std::slice::from_mut(request),
        BatchRequest::Batch(requests) => requests.as_mut_slice(),
    };
    for request in requests {
        documents
            .resolve_request(request, trusted)
            .map_err(|e| document_response(media, &e))?;
    }
    Ok(batch)
}

/// Why a request body was refused.
pub(super) enum Rejection {
    /// Not a GraphQL request; the message says why.
    Malformed(String),
    /// Its document cannot run (persisted documents).
    Document(DocumentError),
}

impl Rejection {
    pub(super) fn response(self, media: Media) -> Response {
        match self {
            Rejection::Malformed(message) => {
                error_response(media, StatusCode::BAD_REQUEST, Code::BadUserInput, &message)
            }
            Rejection::Document(e) => document_response(media, &e),
        }
    }
}

/// Parses a JSON body (one request or a batch), letting `resolve` fill
/// each request's document (`documentId`, persisted-query hashes).
pub(super) fn parse_json(
    bytes: &Bytes,
    resolve: impl Fn(&mut Map<String, Value>) -> Result<(), DocumentError>,
) -> Result<BatchRequest, Rejection> {
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| Rejection::Malformed(format!("the body is not valid JSON: {e}")))?;
    let prepare = |v: &mut Value| -> Result<(), Rejection> {
        match v {
            Value::Object(request) => resolve(request).map_err(Rejection::Document),
            _ => Err(Rejection::Malformed(
                "each request must be a GraphQL request object".into(),
            )),
        }
    };
    match &mut value {
        Value::Object(_) => prepare(&mut value)?,
        Value::Array(items) if !items.is_empty() => items.iter_mut().try_for_each(prepare)?,
        _ => {
            return Err(Rejection::Malformed(
                "the body must be a GraphQL request object".into(),
            ));
        }
    }
    serde_json::from_value(value)
        .map_err(|e| Rejection::Malformed(format!("the request is malformed: {e}")))
}

/// The request a GET carries in its query string (`query` or `documentId`,
/// `operationName`, and `variables` and `extensions` as JSON).
pub(super) fn parse_query_string(query: &str) -> Result<Map<String, Value>, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| format!("malformed query string: {e}"))?;
    let mut request = Map::new();
    for (key, value) in pairs {
        let value = match key.as_str() {
            "query" | "operationName" | "documentId" => Value::String(value),
            "variables" | "extensions" => serde_json::from_str(&value)
                .map_err(|e| format!("`{key}` is not valid JSON: {e}"))?,
            _ => continue,
        };
        request.insert(key, value);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_are_checked() {
        let documents = Documents::load(&ServerConfig::default()).unwrap();
        let parse = |body: &'static [u8]| {
            parse_json(&Bytes::from_static(body), |r| {
                documents.resolve_object(r, false)
            })
        };
        assert!(parse(b"{").is_err());
        assert!(parse(b"{\"variables\":{}}").is_err());
        assert!(parse(b"{\"query\":1}").is_err());
        assert!(parse(b"[]").is_err());
        assert!(parse(b"[1]").is_err());
        assert!(matches!(
            parse(b"{\"query\":\"{me{id}}\"}"),
            Ok(BatchRequest::Single(_))
        ));
        assert!(matches!(
            parse(b"[{\"query\":\"{a}\"}]"),
            Ok(BatchRequest::Batch(_))
        ));
    }

    #[test]
    fn get_parameters_become_a_request() {
        let fields = parse_query_string(
            "documentId=sha256%3Aab&variables=%7B%22a%22%3A1%7D&extensions=%7B%7D&other=x",
        )
        .unwrap();
        assert_eq!(fields["documentId"], "sha256:ab");
        assert_eq!(fields["variables"]["a"], 1);
        assert!(!fields.contains_key("other"));
        assert!(parse_query_string("variables=%7B").is_err());
    }
}
