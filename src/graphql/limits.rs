//! Guards on execution, for every transport: a panic in a resolver becomes
//! an INTERNAL error on that field (its siblings still resolve), and a
//! document with too many aliases, or nested too deep, is refused before it
//! is validated.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextResolve, ResolveInfo,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Pos, ServerResult, Value, Variables};
use futures::FutureExt;

use super::errors::{Code, error};

/// Turns resolver panics into INTERNAL errors.
pub struct CatchPanics;

impl ExtensionFactory for CatchPanics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CatchPanicsExtension)
    }
}

struct CatchPanicsExtension;

#[async_trait::async_trait]
impl Extension for CatchPanicsExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        // Borrowed, not copied: this runs for every field of every answer.
        let path = info.path_node;
        let pos = info.field.name.pos;
        match AssertUnwindSafe(next.run(ctx, info)).catch_unwind().await {
            Ok(result) => result,
            Err(_) => {
                tracing::error!(graphql.field = %path.field_name(), "a resolver panicked");
                Err(error(Code::Internal, "internal error").into_server_error(pos))
            }
        }
    }
}

/// The complexity of a paginated field: what one item costs, times the
/// page size asked for, so nested lists cannot hide their fan-out.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let page = first.unwrap_or(switchboard_core::page::DEFAULT_PAGE_SIZE as i32);
    usize::try_from(page.clamp(1, switchboard_core::page::MAX_PAGE_SIZE as i32))
        .unwrap_or(1)
        .saturating_mul(child_complexity.max(1))
}

/// Refuses documents with more than `max_aliases` aliased fields, or
/// nested deeper than [`super::depth`] allows, once they are parsed.
#[derive(Debug, Clone, Copy)]
pub struct LimitDocument {
    /// `limits.max_aliases`.
    pub max_aliases: usize,
    /// `limits.max_depth`.
    pub max_depth: usize,
}

impl ExtensionFactory for LimitDocument {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for LimitDocument {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let refusal = if count_aliases(&doc) > self.max_aliases {
            Some(format!(
                "the query uses more than {} aliases",
                self.max_aliases
            ))
        } else {
            super::depth::check(&doc, self.max_depth)
        };
        match refusal {
            Some(message) => {
                Err(error(Code::BadUserInput, message).into_server_error(Pos::default()))
            }
            None => Ok(doc),
        }
    }
}

/// How many aliased fields `doc` holds (fragments counted once each).
pub fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + walk(&f.node.selection_set.node)
                }
                Selection::InlineFragment(f) => walk(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = doc
        .operations
        .iter()
        .map(|(_, op)| walk(&op.node.selection_set.node))
        .sum();
    let fragments: usize = doc
        .fragments
        .values()
        .map(|f| walk(&f.node.selection_set.node))
        .sum();
    operations + fragments
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    struct Query;

    fn a_bug() -> Option<i32> {
        panic!("a bug")
    }

    #[Object]
    impl Query {
        async fn boom(&self) -> Option<i32> {
            a_bug()
        }

        async fn fine(&self) -> i32 {
            1
        }
    }

    #[tokio::test]
    async fn a_panicking_resolver_is_an_internal_error_and_siblings_resolve() {
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(CatchPanics)
            .finish();
        let response = schema.execute("{ boom fine }").await;
        let body = serde_json::to_value(&response).unwrap();
        assert_eq!(body["data"]["fine"], 1);
        assert!(body["data"]["boom"].is_null());
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
        assert_eq!(body["errors"][0]["message"], "internal error");
    }

    #[tokio::test]
    async fn documents_with_too_many_aliases_are_refused() {
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(LimitDocument {
                max_aliases: 1,
                max_depth: 12,
            })
            .finish();
        assert!(schema.execute("{ a: fine }").await.errors.is_empty());
        let response = schema.execute("{ a: fine b: fine }").await;
        let body = serde_json::to_value(&response).unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
    }

    #[test]
    fn aliases_are_counted_everywhere() {
        let doc = async_graphql::parser::parse_query(
            "query { a: me { b: id } ... on Query { c: me { id } } } fragment F on Query { d: me { id } }",
        )
        .unwrap();
        assert_eq!(count_aliases(&doc), 4);
    }
}
