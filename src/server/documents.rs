//! Persisted documents, on every transport (POST, GET, WebSocket, SSE):
//!
//! - **Trusted documents**: manifests a frontend build produced
//!   (`server.document_manifests`), in Apollo's persisted-query manifest
//!   format (`{"format": "apollo-persisted-query-manifest", "version": 1,
//!   "operations": [{"id", "name", "type", "body"}]}`) or as a flat
//!   `{"<id>": "<document>"}` map (Relay, Hive). A request names one with
//!   `documentId` (the GraphQL-over-HTTP persisted-documents draft:
//!   `sha256:<hex>` or the manifest's own id) or with Apollo's
//!   `extensions.persistedQuery.sha256Hash`.
//! - **Automatic persisted queries** (Apollo's APQ): a client sends the
//!   SHA-256 of its document alone; on `PersistedQueryNotFound` it sends
//!   the document with the hash, which registers it (in memory, per
//!   instance, bounded).
//! - `server.documents = "persisted-only"` runs only the manifests'
//!   documents (by id, by hash, or by their exact text) and registers
//!   nothing; operators' GraphiQL is exempt.
//!
//! Errors use Apollo's codes and statuses, which its clients and urql act
//! on: an APQ miss is HTTP 200 with the message `PersistedQueryNotFound`.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::config::{Documents as Mode, ServerConfig};
use crate::graphql::errors::Code;

/// Most documents registered by automatic persisted queries.
const APQ_ENTRIES: usize = 10_000;
/// Most bytes of documents registered by automatic persisted queries.
const APQ_BYTES: usize = 32 * 1024 * 1024;

/// Why a request's document cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    /// The HTTP status it gets.
    pub status: StatusCode,
    /// Its code.
    pub code: Code,
    /// Its message.
    pub message: String,
}

impl DocumentError {
    fn new(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Code::BadUserInput, message)
    }

    /// Whether clients act on it by sending the document (never cached).
    pub fn is_apq_answer(&self) -> bool {
        matches!(
            self.code,
            Code::PersistedQueryNotFound | Code::PersistedQueryNotSupported
        )
    }
}

/// The documents this gateway knows and the rule for the others.
pub struct Documents {
    mode: Mode,
    automatic: bool,
    /// Manifest documents by id: their own ids, `sha256:<hex>` and `<hex>`.
    trusted: HashMap<String, Arc<str>>,
    /// Documents registered through automatic persisted queries.
    registered: Mutex<Registered>,
}

#[derive(Default)]
struct Registered {
    by_hash: HashMap<String, Arc<str>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Documents {
    /// Reads the configured manifests; a manifest that cannot be read or
    /// holds a document that does not parse stops start-up.
    pub fn load(config: &ServerConfig) -> anyhow::Result<Self> {
        let mut trusted = HashMap::new();
        for path in &config.document_manifests {
            read_manifest(path, &mut trusted)
                .with_context(|| format!("cannot use the manifest {}", path.display()))?;
        }
        if !config.document_manifests.is_empty() {
            tracing::info!(
                documents = trusted.len(),
                manifests = config.document_manifests.len(),
                "loaded persisted documents"
            );
        }
        Ok(Self {
            mode: config.documents,
            automatic: config.automatic_persisted_queries && config.documents == Mode::Any,
            trusted,
            registered: Mutex::new(Registered::default()),
        })
    }

    /// Resolves the document of one request object (a JSON body, a GET's
    /// parameters, a WebSocket `subscribe` payload): takes `documentId`
    /// out, fills `query` from the id or hash, and applies the mode.
    /// `trusted` exempts the caller from `persisted-only`.
    pub fn resolve_object(
        &self,
        request: &mut Map<String, Value>,
        trusted: bool,
    ) -> Result<(), DocumentError> {
        let document_id = match request.remove("documentId") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => Some(id),
            Some(_) => return Err(DocumentError::bad_request("`documentId` must be a string")),
        };
        let query = match request.get("query") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.as_str()),
            Some(_) => return Err(DocumentError::bad_request("`query` must be a string")),
        };
        let persisted = request
            .get("extensions")
            .and_then(|e| e.get("persistedQuery"));
        if let Some(text) = self.resolve(query, document_id.as_deref(), persisted, trusted)? {
            request.insert("query".into(), Value::String(text.to_string()));
        }
        Ok(())
    }

    /// Resolves a parsed request's document (multipart requests, whose
    /// `operations` field async-graphql reads; they name a persisted
    /// document through `extensions.persistedQuery`).
    pub fn resolve_request(
        &self,
        request: &mut async_graphql::Request,
        trusted: bool,
    ) -> Result<(), DocumentError> {
        let persisted = request
            .extensions
            .get("persistedQuery")
            .map(|v| v.clone().into_json().unwrap_or(Value::Null));
        let query = (!request.query.is_empty()).then_some(request.query.as_str());
        if let Some(text) = self.resolve(query, None, persisted.as_ref(), trusted)? {
            request.query = text.to_string();
        }
        Ok(())
    }

    /// The document to run instead of `query` (none: run `query` as sent).
    fn resolve(
        &self,
        query: Option<&str>,
        document_id: Option<&str>,
        persisted: Option<&Value>,
        trusted: bool,
    ) -> Result<Option<Arc<str>>, DocumentError> {
        let hash = match persisted {
            None | Some(Value::Null) => None,
            Some(persisted) => Some(apq_hash(persisted)?),
        };
        match (document_id, hash, query) {
            (Some(_), Some(_), _) => Err(DocumentError::bad_request(
                "send `documentId` or `extensions.persistedQuery`, not both",
            )),
            (Some(_), None, Some(_)) => Err(DocumentError::bad_request(
                "send `documentId` or `query`, not both",
            )),
            (Some(id), None, None) => self.by_id(id).map(Some),
            (None, Some(hash), Some(text)) => {
                if sha256_hex(text) != hash {
                    return Err(DocumentError::bad_request(
                        "provided sha does not match query",
                    ));
                }
                self.admit_text(text, trusted)?;
                if self.automatic {
                    self.register(hash, text);
                }
                Ok(None)
            }
            (None, Some(hash), None) => self.by_hash(&hash).map(Some),
            (None, None, Some(text)) => self.admit_text(text, trusted).map(|()| None),
            (None, None, None) => Err(DocumentError::bad_request(
                "the request has no `query` (or `documentId`)",
            )),
        }
    }

    /// A document sent as text: under `persisted-only`, only a manifest's.
    fn admit_text(&self, text: &str, trusted: bool) -> Result<(), DocumentError> {
        if self.mode == Mode::Any || trusted || self.trusted.contains_key(&sha256_hex(text)) {
            return Ok(());
        }
        Err(DocumentError::new(
            StatusCode::FORBIDDEN,
            Code::QueryNotInSafelist,
            "this gateway runs only persisted documents; send a `documentId` from the \
             frontend's manifest",
        ))
    }

    fn by_id(&self, id: &str) -> Result<Arc<str>, DocumentError> {
        if let Some(text) = self.trusted.get(id) {
            return Ok(text.clone());
        }
        if let Some(hash) = id.strip_prefix("sha256:")
            && let Some(text) = self.registered_text(hash)
        {
            return Ok(text);
        }
        Err(DocumentError::new(
            StatusCode::NOT_FOUND,
            Code::PersistedQueryNotInList,
            format!("no persisted document has the id '{id:.80}'"),
        ))
    }

    fn by_hash(&self, hash: &str) -> Result<Arc<str>, DocumentError> {
        if let Some(text) = self
            .trusted
            .get(hash)
            .cloned()
            .or_else(|| self.registered_text(hash))
        {
            return Ok(text);
        }
        Err(match (self.mode, self.automatic) {
            (Mode::PersistedOnly, _) => DocumentError::new(
                StatusCode::NOT_FOUND,
                Code::PersistedQueryNotInList,
                format!("Persisted query '{hash}' not found in the persisted query list"),
            ),
            (Mode::Any, true) => DocumentError::new(
                StatusCode::OK,
                Code::PersistedQueryNotFound,
                "PersistedQueryNotFound",
            ),
            (Mode::Any, false) => DocumentError::new(
                StatusCode::OK,
                Code::PersistedQueryNotSupported,
                "PersistedQueryNotSupported",
            ),
        })
    }

    fn registered_text(&self, hash: &str) -> Option<Arc<str>> {
        let registered = self.registered.lock().ok()?;
        registered.by_hash.get(hash).cloned()
    }

    /// Keeps `text` under `hash`, forgetting the oldest beyond the bounds.
    fn register(&self, hash: String, text: &str) {
        let Ok(mut registered) = self.registered.lock() else {
            return;
        };
        if registered.by_hash.contains_key(&hash) || text.len() > APQ_BYTES {
            return;
        }
        while registered.by_hash.len() >= APQ_ENTRIES || registered.bytes + text.len() > APQ_BYTES {
            let Some(oldest) = registered.order.pop_front() else {
                break;
            };
            if let Some(gone) = registered.by_hash.remove(&oldest) {
                registered.bytes -= gone.len();
            }
        }
        registered.bytes += text.len();
        registered.order.push_back(hash.clone());
        registered.by_hash.insert(hash, text.into());
    }
}

/// The hash of `extensions.persistedQuery` (version 1, 64 hex digits).
fn apq_hash(persisted: &Value) -> Result<String, DocumentError> {
    if persisted.get("version").and_then(Value::as_i64) != Some(1) {
        return Err(DocumentError::bad_request(
            "unsupported persistedQuery version (this gateway speaks version 1)",
        ));
    }
    match persisted.get("sha256Hash").and_then(Value::as_str) {
        Some(hash) if is_sha256_hex(hash) => Ok(hash.to_ascii_lowercase()),
        _ => Err(DocumentError::bad_request(
            "persistedQuery.sha256Hash must be 64 hexadecimal digits",
        )),
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The SHA-256 of `text`'s UTF-8 bytes, in lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Adds a manifest's documents to `trusted`.
fn read_manifest(path: &Path, trusted: &mut HashMap<String, Arc<str>>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)?;
    let manifest: Value = serde_json::from_str(&text).context("it is not JSON")?;
    let entries: Vec<(String, String)> = match &manifest {
        Value::Object(map) if map.get("format").is_some() => {
            anyhow::ensure!(
                map.get("format").and_then(Value::as_str)
                    == Some("apollo-persisted-query-manifest")
                    && map.get("version").and_then(Value::as_i64) == Some(1),
                "unknown manifest format (expected apollo-persisted-query-manifest, version 1)"
            );
            let operations = map
                .get("operations")
                .and_then(Value::as_array)
                .context("it has no `operations` list")?;
            operations
                .iter()
                .map(|op| {
                    let id = op.get("id").and_then(Value::as_str);
                    let body = op.get("body").and_then(Value::as_str);
                    match (id, body) {
                        (Some(id), Some(body)) => Ok((id.to_string(), body.to_string())),
                        _ => anyhow::bail!("an operation lacks `id` or `body`"),
                    }
                })
                .collect::<anyhow::Result<_>>()?
        }
        Value::Object(map) => map
            .iter()
            .map(|(id, body)| match body {
                Value::String(body) => Ok((id.clone(), body.clone())),
                _ => anyhow::bail!("the document of `{id}` is not a string"),
            })
            .collect::<anyhow::Result<_>>()?,
        _ => anyhow::bail!("it is neither a manifest nor an id-to-document map"),
    };
    for (id, body) in entries {
        async_graphql::parser::parse_query(&body)
            .map_err(|e| anyhow::anyhow!("the document `{id}` does not parse: {e}"))?;
        let hash = sha256_hex(&body);
        let body: Arc<str> = body.into();
        trusted.insert(format!("sha256:{hash}"), body.clone());
        trusted.insert(hash, body.clone());
        trusted.insert(id, body);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ME: &str = "query Me { me { name } }";

    fn documents(mode: Mode, manifest: Option<Value>) -> (Documents, Option<std::path::PathBuf>) {
        let path = manifest.map(|m| {
            let path = std::env::temp_dir().join(format!(
                "sb-manifest-{}-{}.json",
                std::process::id(),
                sha256_hex(&m.to_string())
            ));
            std::fs::write(&path, m.to_string()).unwrap();
            path
        });
        let config = ServerConfig {
            documents: mode,
            document_manifests: path.iter().cloned().collect(),
            ..ServerConfig::default()
        };
        (Documents::load(&config).unwrap(), path)
    }

    fn request(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn apq(hash: &str) -> Value {
        json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
    }

    #[test]
    fn automatic_persisted_queries_register_then_resolve() {
        let (docs, _) = documents(Mode::Any, None);
        let hash = sha256_hex(ME);
        let miss = docs
            .resolve_object(&mut request(json!({ "extensions": apq(&hash) })), false)
            .unwrap_err();
        assert_eq!(miss.status, StatusCode::OK);
        assert_eq!(miss.message, "PersistedQueryNotFound");
        assert_eq!(miss.code.as_str(), "PERSISTED_QUERY_NOT_FOUND");

        let wrong = docs
            .resolve_object(
                &mut request(json!({ "query": "{ x }", "extensions": apq(&hash) })),
                false,
            )
            .unwrap_err();
        assert_eq!(wrong.message, "provided sha does not match query");

        docs.resolve_object(
            &mut request(json!({ "query": ME, "extensions": apq(&hash) })),
            false,
        )
        .unwrap();
        let mut hashed = request(json!({ "extensions": apq(&hash.to_uppercase()) }));
        docs.resolve_object(&mut hashed, false).unwrap();
        assert_eq!(hashed["query"], ME);
        let mut by_id = request(json!({ "documentId": format!("sha256:{hash}") }));
        docs.resolve_object(&mut by_id, false).unwrap();
        assert_eq!(by_id["query"], ME);
        assert!(!by_id.contains_key("documentId"));
    }

    #[test]
    fn manifests_serve_ids_and_persisted_only_refuses_the_rest() {
        let manifest = json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": "me-v1", "name": "Me", "type": "query", "body": ME }],
        });
        let (docs, path) = documents(Mode::PersistedOnly, Some(manifest));
        for id in ["me-v1".to_string(), format!("sha256:{}", sha256_hex(ME))] {
            let mut by_id = request(json!({ "documentId": id }));
            docs.resolve_object(&mut by_id, false).unwrap();
            assert_eq!(by_id["query"], ME);
        }
        // The exact text of a manifest document runs; other text does not.
        docs.resolve_object(&mut request(json!({ "query": ME })), false)
            .unwrap();
        let refused = docs
            .resolve_object(&mut request(json!({ "query": "{ me { id } }" })), false)
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.code.as_str(), "QUERY_NOT_IN_SAFELIST");
        // Operators' GraphiQL is exempt.
        docs.resolve_object(&mut request(json!({ "query": "{ me { id } }" })), true)
            .unwrap();
        // Nothing registers: the hash of new text stays unknown.
        let text = "{ me { email } }";
        let hash = sha256_hex(text);
        let _ = docs.resolve_object(
            &mut request(json!({ "query": text, "extensions": apq(&hash) })),
            false,
        );
        let unknown = docs
            .resolve_object(&mut request(json!({ "extensions": apq(&hash) })), false)
            .unwrap_err();
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.code.as_str(), "PERSISTED_QUERY_NOT_IN_LIST");
        let unknown = docs
            .resolve_object(&mut request(json!({ "documentId": "nope" })), false)
            .unwrap_err();
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        if let Some(path) = path {
            let _ = std::fs::remove_file(path);
        }
    }

    #[test]
    fn malformed_persisted_requests_are_refused() {
        let (docs, _) = documents(Mode::Any, None);
        for bad in [
            json!({ "documentId": 3 }),
            json!({ "documentId": "x", "query": ME }),
            json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": sha256_hex(ME) } } }),
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "abc" } } }),
            json!({ "documentId": "x", "extensions": apq(&sha256_hex(ME)) }),
            json!({}),
        ] {
            let error = docs
                .resolve_object(&mut request(bad.clone()), false)
                .unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn flat_maps_load_and_broken_documents_stop_start_up() {
        let (docs, path) = documents(Mode::Any, Some(json!({ "abc123": ME })));
        let mut by_id = request(json!({ "documentId": "abc123" }));
        docs.resolve_object(&mut by_id, false).unwrap();
        assert_eq!(by_id["query"], ME);
        if let Some(path) = path {
            let _ = std::fs::remove_file(path);
        }
        let broken = std::env::temp_dir().join(format!("sb-broken-{}.json", std::process::id()));
        std::fs::write(&broken, json!({ "x": "{ me { " }).to_string()).unwrap();
        let config = ServerConfig {
            document_manifests: vec![broken.clone()],
            ..ServerConfig::default()
        };
        let error = Documents::load(&config).err().unwrap();
        assert!(format!("{error:#}").contains("does not parse"), "{error:#}");
        let _ = std::fs::remove_file(broken);
    }

    #[test]
    fn registrations_are_bounded() {
        let (docs, _) = documents(Mode::Any, None);
        for i in 0..(APQ_ENTRIES + 5) {
            let text = format!("{{ a{i} }}");
            docs.register(sha256_hex(&text), &text);
        }
        let registered = docs.registered.lock().unwrap();
        assert_eq!(registered.by_hash.len(), APQ_ENTRIES);
        assert!(!registered.by_hash.contains_key(&sha256_hex("{ a0 }")));
    }
}
