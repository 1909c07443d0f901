//! Spans of GraphQL work, with traces on (see [`crate::telemetry`]): one per
//! operation, named `<type> <name>` with `graphql.operation.type`,
//! `graphql.operation.name` (and `graphql.document` when
//! `traces.documents` is set), and one per root field, named
//! `<Type>.<field>`. Nested fields get none (a list of 50 cases would make
//! hundreds); what they cost shows as the SQL and upstream spans under
//! their root field. Installed only when traces are on.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextResolve,
    ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerResult, Value, Variables};
use tracing::Instrument as _;

/// Makes the per-request extension.
pub struct Traced {
    /// Put the document on operation spans.
    pub documents: bool,
}

impl ExtensionFactory for Traced {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TracedRequest {
            documents: self.documents,
            parsed: Mutex::new(Parsed::default()),
        })
    }
}

/// What parsing learnt: each operation's name and type, and the document.
#[derive(Default)]
struct Parsed {
    operations: Vec<(Option<String>, &'static str)>,
    document: Option<String>,
}

struct TracedRequest {
    documents: bool,
    parsed: Mutex<Parsed>,
}

#[async_trait::async_trait]
impl Extension for TracedRequest {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let operations = doc
            .operations
            .iter()
            .map(|(name, op)| {
                (
                    name.map(|n| n.to_string()),
                    super::gate::operation_kind(op.node.ty),
                )
            })
            .collect();
        if let Ok(mut parsed) = self.parsed.lock() {
            parsed.operations = operations;
            parsed.document = self.documents.then(|| query.to_string());
        }
        Ok(doc)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let (kind, name, document) = {
            let parsed = self.parsed.lock().unwrap_or_else(|p| p.into_inner());
            let kind = parsed
                .operations
                .iter()
                .find(|(name, _)| operation_name.is_none() || name.as_deref() == operation_name)
                .map_or("query", |(_, kind)| *kind);
            let name = operation_name
                .map(str::to_string)
                .or_else(|| parsed.operations.first().and_then(|(n, _)| n.clone()));
            (kind, name, parsed.document.clone())
        };
        let span = tracing::info_span!(
            target: "switchboard::graphql",
            "graphql operation",
            otel.name = %match &name {
                Some(name) => format!("{kind} {name}"),
                None => kind.to_string(),
            },
            otel.status_code = tracing::field::Empty,
            graphql.operation.type = kind,
            graphql.operation.name = name.as_deref().unwrap_or(""),
            graphql.document = document.as_deref().unwrap_or(""),
        );
        let response = next.run(ctx, operation_name).instrument(span.clone()).await;
        if !response.errors.is_empty() {
            span.record("otel.status_code", "error");
        }
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() || info.is_for_introspection {
            return next.run(ctx, info).await;
        }
        let span = tracing::info_span!(
            target: "switchboard::graphql",
            "graphql field",
            otel.name = %format!("{}.{}", info.parent_type, info.name),
            otel.status_code = tracing::field::Empty,
            graphql.field.name = info.name,
            graphql.field.type = info.parent_type,
        );
        let resolved = next.run(ctx, info).instrument(span.clone()).await;
        if resolved.is_err() {
            span.record("otel.status_code", "error");
        }
        resolved
    }
}
