//! Limits on what one document may ask: the cost of paginated fields, and
//! the aliases a document uses (checked with its depth by
//! [`super::gate::Gate`], on every transport, before validation).

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// The complexity of a paginated field: what one item costs, times the
/// page size asked for, so nested lists cannot hide their fan-out.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let page = first.unwrap_or(switchboard_core::page::DEFAULT_PAGE_SIZE as i32);
    usize::try_from(page.clamp(1, switchboard_core::page::MAX_PAGE_SIZE as i32))
        .unwrap_or(1)
        .saturating_mul(child_complexity.max(1))
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

    #[test]
    fn aliases_are_counted_everywhere() {
        let doc = async_graphql::parser::parse_query(
            "query { a: me { b: id } ... on Query { c: me { id } } } fragment F on Query { d: me { id } }",
        )
        .unwrap();
        assert_eq!(count_aliases(&doc), 4);
    }
}
