//! The audit trail of mutations: an extension that, after every mutation,
//! records who made it (user, issuer, client), what it was (operation, root
//! fields, the ids it named), when, and how it ended, as a structured
//! `audit` log event and through the [`AuditLog`] port. The same extension
//! counts every executed operation in the metrics (type, name, outcome and
//! duration), since it already knows each operation's type.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection};
use async_graphql::{Response, ServerResult, Value, Variables};
use chrono::Utc;
use switchboard_core::audit::{AuditEntry, AuditLog};

use crate::auth::Caller;
use crate::graphql::profile::ClientAddr;

/// The name of an operation type: `query`, `mutation` or `subscription`.
pub(crate) fn operation_kind(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

/// Records every mutation in `log`.
pub struct Audit(pub Arc<dyn AuditLog>);

impl ExtensionFactory for Audit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AuditExtension {
            log: self.0.clone(),
            operations: Mutex::new(Vec::new()),
            started: Instant::now(),
        })
    }
}

/// What the document's operations are, read while parsing.
struct Operation {
    name: Option<String>,
    /// `query`, `mutation` or `subscription`.
    kind: &'static str,
    fields: Vec<String>,
    targets: Vec<String>,
}

struct AuditExtension {
    log: Arc<dyn AuditLog>,
    operations: Mutex<Vec<Operation>>,
    /// When the request began (the extension is made per request).
    started: Instant,
}

#[async_trait::async_trait]
impl Extension for AuditExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let mut variable_targets = Vec::new();
        for (name, value) in variables.iter() {
            collect_ids(name.as_str(), value, &mut variable_targets);
        }
        let operations = doc
            .operations
            .iter()
            .map(|(name, op)| {
                let mut fields = Vec::new();
                let mut targets = variable_targets.clone();
                for item in &op.node.selection_set.node.items {
                    if let Selection::Field(field) = &item.node {
                        fields.push(field.node.name.node.to_string());
                        for (arg, value) in &field.node.arguments {
                            if let Ok(value) =
                                value.node.clone().into_const_with(|_| Err::<Value, ()>(()))
                            {
                                collect_ids(arg.node.as_str(), &value, &mut targets);
                            }
                        }
                    }
                }
                targets.sort();
                targets.dedup();
                Operation {
                    name: name.map(|n| n.to_string()),
                    kind: operation_kind(op.node.ty),
                    fields,
                    targets,
                }
            })
            .collect();
        if let Ok(mut slot) = self.operations.lock() {
            *slot = operations;
        }
        Ok(doc)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        let entry = {
            let Ok(operations) = self.operations.lock() else {
                return response;
            };
            let operation = operations
                .iter()
                .find(|op| operation_name.is_none() || op.name.as_deref() == operation_name);
            let Some(operation) = operation else {
                return response;
            };
            crate::metrics::operation(
                operation.kind,
                operation.name.as_deref(),
                response.errors.is_empty(),
                self.started.elapsed(),
            );
            if operation.kind != "mutation" {
                return response;
            }
            // Public mutations run without a caller: recorded as `anonymous`,
            // with the client's address as the client.
            let (user_id, issuer, client) = match ctx.data_opt::<Caller>() {
                Some(caller) => (
                    caller.actor.user_id.clone(),
                    caller.issuer.clone(),
                    caller.client.clone(),
                ),
                None => (
                    "anonymous".to_string(),
                    String::new(),
                    ctx.data_opt::<ClientAddr>().map(|a| a.0.to_string()),
                ),
            };
            AuditEntry {
                at: Utc::now(),
                user_id,
                issuer,
                client,
                operation: operation.name.clone().unwrap_or_else(|| "anonymous".into()),
                fields: operation.fields.clone(),
                targets: operation.targets.clone(),
                outcome: outcome(&response),
                key: format!("{:032x}", rand::random::<u128>()),
            }
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
        if let Err(error) = self.log.record(&entry).await {
            tracing::error!(%error, "an audit entry could not be stored");
        }
        response
    }
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
