//! What every operation passes through before and after it runs, on every
//! transport (HTTP, SSE, both WebSocket protocols):
//!
//! - before: the document is parsed once (parsed documents are kept, so a
//!   portal's few documents are not parsed again), refused when it uses too
//!   many aliases or is nested too deep (see [`super::depth`]), and
//!   introspection is taken away from callers who are not operators when
//!   `introspection = "operators"`;
//! - after a query or mutation: the operation is counted in the metrics
//!   (type, name, outcome, duration), and a mutation is recorded in the
//!   audit trail: who made it (user, issuer, client), what it was
//!   (operation, root fields, the ids it named), when, and how it ended, as
//!   a structured `audit` log event and through the [`AuditLog`] port.
//!   Subscriptions are counted by their transport at their first result.
//!
//! This is not an async-graphql extension on purpose: with any extension
//! installed, every field of every answer goes through the extension chain
//! (a registry lookup and a boxed future per extension and field), which
//! the profile of a 50-case list showed as a large share of its CPU. Only
//! tracing, when turned on, installs one (see [`super::traced`]).

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::Name;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection,
};
use async_graphql::{Data, Pos, Request, Response, Value};
use chrono::Utc;
use switchboard_core::audit::{AuditEntry, AuditLog};

use super::errors::{Code, error};
use crate::auth::Caller;
use crate::config::{Access, LimitsConfig};
use crate::graphql::profile::ClientAddr;

/// The total length of the documents kept, at most; past that the memory
/// starts afresh (a portal's documents fit many times over; a client
/// sending ever new ones cannot make it grow). A parsed document takes
/// some tens of times its text: this bounds the memory to megabytes.
const KEPT_BYTES: usize = 256 * 1024;
/// Documents longer than this are parsed each time, not kept.
const MAX_KEPT_DOCUMENT: usize = 4 * 1024;

/// The name of an operation type: `query`, `mutation` or `subscription`.
pub(crate) fn operation_kind(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

/// The checks and records around every operation.
pub struct Gate {
    max_aliases: usize,
    max_depth: usize,
    introspection: Access,
    audit: Option<Arc<dyn AuditLog>>,
    documents: Mutex<Kept>,
}

/// Parsed documents by their text, and the length of those texts.
#[derive(Default)]
struct Kept {
    documents: HashMap<String, Arc<ExecutableDocument>>,
    bytes: usize,
}

/// The operation a request runs, as its document says.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Its type.
    pub ty: OperationType,
    /// Its name, from the request or the document.
    pub name: Option<String>,
    /// A mutation's root fields and the ids its arguments name (empty for
    /// other operations).
    fields: Vec<String>,
    targets: Vec<String>,
    /// The client's address, for mutations made without a caller.
    client: Option<String>,
}

/// A request ready to run.
pub struct Prepared {
    /// The request, its document parsed.
    pub request: Request,
    /// Its operation; `None` when the document does not parse or names no
    /// such operation (the schema then answers the error).
    pub operation: Option<Operation>,
}

impl Gate {
    /// The gate of a schema under `limits`, answering introspection as
    /// `introspection` allows and recording mutations in `audit` (none: not
    /// recorded, as for the printed schema).
    pub fn new(
        limits: &LimitsConfig,
        introspection: Access,
        audit: Option<Arc<dyn AuditLog>>,
    ) -> Self {
        Self {
            max_aliases: limits.max_aliases,
            max_depth: limits.max_depth,
            introspection,
            audit,
            documents: Mutex::default(),
        }
    }

    /// Checks `request` of `caller` and parses its document; `session` is
    /// the connection's data (WebSocket), where the client's address may be
    /// instead of in the request. A refused document gets the response to
    /// send instead.
    #[allow(clippy::result_large_err)]
    pub fn prepare(
        &self,
        mut request: Request,
        caller: Option<&Caller>,
        session: Option<&Data>,
    ) -> Result<Prepared, Response> {
        if self.introspection == Access::Operators && !caller.is_some_and(|c| c.principal.operator)
        {
            request = request.disable_introspection();
        }
        let Some(doc) = self.document(&request.query)? else {
            return Ok(Prepared {
                request,
                operation: None,
            });
        };
        let operation = selected(&doc, request.operation_name.as_deref()).map(|(name, op)| {
            let mut operation = Operation {
                ty: op.node.ty,
                name: name.map(|n| n.to_string()),
                fields: Vec::new(),
                targets: Vec::new(),
                client: None,
            };
            if op.node.ty == OperationType::Mutation {
                operation.describe(&op.node.selection_set.node.items, &request);
                operation.client = data_of::<ClientAddr>(&request.data, session)
                    .map(|address| address.0.to_string());
            }
            operation
        });
        request.set_parsed_query(doc);
        Ok(Prepared { request, operation })
    }

    /// The type of the operation `request` runs, when its document parses
    /// and is within the limits (parsed once: it is kept for its run).
    pub fn operation_type(&self, request: &Request) -> Option<OperationType> {
        let doc = self.document(&request.query).ok().flatten()?;
        selected(&doc, request.operation_name.as_deref()).map(|(_, op)| op.node.ty)
    }

    /// The parsed document of `query`, kept or parsed now; `None` when it
    /// does not parse (the schema reports why), a response when it is over
    /// the limits.
    #[allow(clippy::result_large_err)]
    fn document(&self, query: &str) -> Result<Option<ExecutableDocument>, Response> {
        let kept = self.documents.lock().unwrap_or_else(|p| p.into_inner());
        let found = kept.documents.get(query).cloned();
        drop(kept);
        if let Some(doc) = found {
            // The request takes a copy of its own, made outside the lock.
            return Ok(Some(ExecutableDocument::clone(&doc)));
        }
        let Ok(doc) = async_graphql::parser::parse_query(query) else {
            return Ok(None);
        };
        if let Some(refusal) = self.refusal(&doc) {
            let refused = error(Code::BadUserInput, refusal).into_server_error(Pos::default());
            return Err(Response::from_errors(vec![refused]));
        }
        if query.len() <= MAX_KEPT_DOCUMENT {
            let mut kept = self.documents.lock().unwrap_or_else(|p| p.into_inner());
            if kept.bytes + query.len() > KEPT_BYTES {
                *kept = Kept::default();
            }
            if kept
                .documents
                .insert(query.to_string(), Arc::new(doc.clone()))
                .is_none()
            {
                kept.bytes += query.len();
            }
        }
        Ok(Some(doc))
    }

    /// Why `doc` is refused, if it is.
    fn refusal(&self, doc: &ExecutableDocument) -> Option<String> {
        if super::limits::count_aliases(doc) > self.max_aliases {
            Some(format!(
                "the query uses more than {} aliases",
                self.max_aliases
            ))
        } else {
            super::depth::check(doc, self.max_depth)
        }
    }

    /// Records a query or mutation that answered `response` after `took`:
    /// its count in the metrics, and a mutation's audit entry. `caller` is
    /// who made it (none: a public mutation, recorded as `anonymous` with
    /// the client's address). A request refused before it ran (validation,
    /// complexity, a missing operation name) is neither; subscriptions are
    /// left to their transport.
    pub async fn finish(
        &self,
        operation: &Operation,
        response: &Response,
        caller: Option<&Caller>,
        took: Duration,
    ) {
        let refused = response.data == Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        if !refused {
            let ok = response.errors.is_empty();
            self.record(operation, ok, outcome(response), caller, took)
                .await;
        }
    }

    /// Records a query or mutation that did not answer: it panicked
    /// (`INTERNAL`) or ran out of time (`BACKEND_UNAVAILABLE`), perhaps
    /// after a write reached a backend.
    pub async fn failed(
        &self,
        operation: &Operation,
        code: Code,
        caller: Option<&Caller>,
        took: Duration,
    ) {
        self.record(operation, false, code.as_str().to_string(), caller, took)
            .await;
    }

    async fn record(
        &self,
        operation: &Operation,
        ok: bool,
        outcome: String,
        caller: Option<&Caller>,
        took: Duration,
    ) {
        if operation.ty == OperationType::Subscription {
            return;
        }
        crate::metrics::operation(
            operation_kind(operation.ty),
            operation.name.as_deref(),
            ok,
            took,
        );
        if operation.ty != OperationType::Mutation {
            return;
        }
        let Some(log) = &self.audit else {
            return;
        };
        let (user_id, issuer, client) = match caller {
            Some(caller) => (
                caller.actor.user_id.clone(),
                caller.issuer.clone(),
                caller.client.clone(),
            ),
            None => (
                "anonymous".to_string(),
                String::new(),
                operation.client.clone(),
            ),
        };
        let entry = AuditEntry {
            at: Utc::now(),
            user_id,
            issuer,
            client,
            operation: operation.name.clone().unwrap_or_else(|| "anonymous".into()),
            fields: operation.fields.clone(),
            targets: operation.targets.clone(),
            outcome,
            key: format!("{:032x}", rand::random::<u128>()),
        };
        tracing::info!(
            target: "audit",
            { "user.id" = %entry.user_id,
              "auth.issuer" = %entry.issuer,
              "auth.client" = entry.client.as_deref().unwrap_or(""),
              "graphql.operation" = %entry.operation,
              "graphql.fields" = %entry.fields.join(","),
              "audit.targets" = %entry.targets.join(","),
              "audit.outcome" = %entry.outcome },
            "mutation"
        );
        if let Err(error) = log.record(&entry).await {
            tracing::error!(%error, "an audit entry could not be stored");
        }
    }
}

impl Operation {
    /// Notes a mutation's root fields and the ids named by its arguments
    /// and variables.
    fn describe(&mut self, items: &[Positioned<Selection>], request: &Request) {
        let mut targets = Vec::new();
        for (name, value) in request.variables.iter() {
            collect_ids(name.as_str(), value, &mut targets);
        }
        for item in items {
            if let Selection::Field(field) = &item.node {
                self.fields.push(field.node.name.node.to_string());
                for (arg, value) in &field.node.arguments {
                    if let Ok(value) = value.node.clone().into_const_with(|_| Err::<Value, ()>(()))
                    {
                        collect_ids(arg.node.as_str(), &value, &mut targets);
                    }
                }
            }
        }
        targets.sort();
        targets.dedup();
        self.targets = targets;
    }
}

/// The operation of `doc` named `wanted` (without a name: the first).
fn selected<'a>(
    doc: &'a ExecutableDocument,
    wanted: Option<&str>,
) -> Option<(Option<&'a Name>, &'a Positioned<OperationDefinition>)> {
    doc.operations.iter().find(|(name, _)| match wanted {
        Some(wanted) => name.is_some_and(|n| n.as_str() == wanted),
        None => true,
    })
}

/// A `T` in the request's data, else in the connection's.
fn data_of<'a, T: 'static>(request: &'a Data, session: Option<&'a Data>) -> Option<&'a T> {
    let find = |data: &'a Data| {
        data.get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref::<T>())
    };
    find(request).or_else(|| session.and_then(find))
}

/// `OK`, or the code of the response's first error.
fn outcome(response: &Response) -> String {
    match response.errors.first() {
        None => "OK".into(),
        Some(error) => error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .and_then(|code| match code {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "ERROR".into()),
    }
}

/// Collects string values of id-like names (`id`, `caseId`, `accountId`, …),
/// looking inside input objects.
fn collect_ids(name: &str, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if name == "id" || name.ends_with("Id") => out.push(s.clone()),
        Value::Object(fields) => {
            for (key, inner) in fields {
                collect_ids(key.as_str(), inner, out);
            }
        }
        Value::List(items) if name.ends_with("Ids") => {
            for item in items {
                if let Value::String(s) = item {
                    out.push(s.clone());
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(max_aliases: usize) -> Gate {
        let limits = LimitsConfig {
            max_aliases,
            ..LimitsConfig::default()
        };
        Gate::new(&limits, Access::Open, None)
    }

    fn code(refused: &Response) -> String {
        let body = serde_json::to_value(refused).unwrap();
        body["errors"][0]["extensions"]["code"].to_string()
    }

    #[test]
    fn documents_over_the_limits_are_refused_each_time() {
        let gate = gate(1);
        assert!(
            gate.prepare(Request::new("{ a: me { id } }"), None, None)
                .is_ok()
        );
        for _ in 0..2 {
            let refused = gate
                .prepare(Request::new("{ a: me { id } b: me { id } }"), None, None)
                .err()
                .expect("refused");
            assert_eq!(code(&refused), "\"BAD_USER_INPUT\"");
        }
        let deep = format!("{{ {}id{} }}", "me { ".repeat(20), " }".repeat(20));
        assert!(gate.prepare(Request::new(deep), None, None).is_err());
    }

    #[test]
    fn a_kept_document_is_the_one_parsed_and_names_its_operation() {
        let gate = gate(10);
        let query = "query A { me { id } } mutation B($caseId: ID!) { cancelCase(caseId: $caseId, input: { locationIds: [\"7\"] }) { id } }";
        for _ in 0..2 {
            let request = Request::new(query).operation_name("B").variables(
                async_graphql::Variables::from_json(serde_json::json!({ "caseId": "42" })),
            );
            let prepared = gate.prepare(request, None, None).ok().unwrap();
            let operation = prepared.operation.unwrap();
            assert_eq!(operation.ty, OperationType::Mutation);
            assert_eq!(operation.name.as_deref(), Some("B"));
            assert_eq!(operation.fields, ["cancelCase"]);
            assert_eq!(operation.targets, ["42", "7"]);
        }
        // Not parsable: left for the schema to report.
        let prepared = gate
            .prepare(Request::new("{ me {"), None, None)
            .ok()
            .unwrap();
        assert!(prepared.operation.is_none());
    }

    #[test]
    fn ids_are_found_in_arguments_and_inputs() {
        let input = Value::from_json(serde_json::json!({
            "accountId": "1234567890",
            "description": "not an id",
            "locationIds": ["7", "8"],
            "nested": { "caseId": "42" }
        }))
        .unwrap();
        let mut out = Vec::new();
        collect_ids("input", &input, &mut out);
        collect_ids("caseId", &Value::String("9".into()), &mut out);
        collect_ids("body", &Value::String("hello".into()), &mut out);
        out.sort();
        assert_eq!(out, ["1234567890", "42", "7", "8", "9"]);
    }
}
