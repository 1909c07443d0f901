//! Relay-style connections: a page of items with cursors.

use async_graphql::{ComplexObject, Context, Result, SimpleObject};
use switchboard_core::cases::{self as core, Activity, Case};
use switchboard_core::{PageRequest, Scope};

use super::nodes::{ActivityNode, CaseNode, prefetch};
use crate::graphql::Ports;
use crate::graphql::context::request;
use crate::graphql::errors::IntoGql;
use crate::graphql::pagination::PageInfo;

/// A case with its cursor.
#[derive(SimpleObject)]
pub struct CaseEdge {
    /// Where this case is in the list.
    pub cursor: String,
    /// The case.
    pub node: CaseNode,
}

/// A page of cases.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CaseConnection {
    /// The cases with their cursors.
    pub edges: Vec<CaseEdge>,
    /// Pagination state.
    pub page_info: PageInfo,
    #[graphql(skip)]
    filter: core::CaseFilter,
    #[graphql(skip)]
    scope: Scope,
    /// The total, when it came with the page.
    #[graphql(skip)]
    total: Option<u64>,
}

#[ComplexObject]
impl CaseConnection {
    /// The cases, without cursors.
    async fn nodes(&self) -> Vec<&CaseNode> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    /// How many cases match the filter in all (costs one count).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        if let Some(total) = self.total {
            return Ok(total);
        }
        request(ctx)?
            .1
            .cases
            .count_cases(&self.scope, &self.filter)
            .await
            .gql()
    }
}

impl CaseConnection {
    /// One page of `filter` in `order`, with its total when the selection
    /// asks for `totalCount` (one call to the store, which may answer both
    /// at once) and what the nodes' selection needs prefetched.
    pub(super) async fn list(
        ctx: &Context<'_>,
        ports: &Ports,
        scope: &Scope,
        filter: core::CaseFilter,
        order: core::CaseOrder,
        page: &PageRequest,
    ) -> Result<Self> {
        let (page, total) = if ctx.look_ahead().field("totalCount").exists() {
            let (page, total) = ports
                .cases
                .list_and_count_cases(scope, &filter, order, page)
                .await
                .gql()?;
            (page, Some(total))
        } else {
            let page = ports
                .cases
                .list_cases(scope, &filter, order, page)
                .await
                .gql()?;
            (page, None)
        };
        let page_info = PageInfo::of(&page);
        let (cursors, cases): (Vec<String>, Vec<Case>) = page.items.into_iter().unzip();
        prefetch(ctx, &cases).await?;
        let edges = cursors
            .into_iter()
            .zip(cases)
            .map(|(cursor, case)| CaseEdge {
                cursor,
                node: CaseNode(case),
            })
            .collect();
        Ok(Self {
            edges,
            page_info,
            filter,
            scope: scope.clone(),
            total,
        })
    }
}

/// An activity entry with its cursor.
#[derive(SimpleObject)]
pub struct ActivityEdge {
    /// Where this entry is in the list.
    pub cursor: String,
    /// The entry.
    pub node: ActivityNode,
}

/// A page of activity, newest first.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ActivityConnection {
    /// The entries with their cursors.
    pub edges: Vec<ActivityEdge>,
    /// Pagination state.
    pub page_info: PageInfo,
}

#[ComplexObject]
impl ActivityConnection {
    /// The entries, without cursors.
    async fn nodes(&self) -> Vec<ActivityNode> {
        self.edges
            .iter()
            .map(|e| ActivityNode(e.node.0.clone()))
            .collect()
    }
}

impl From<switchboard_core::Page<Activity>> for ActivityConnection {
    fn from(page: switchboard_core::Page<Activity>) -> Self {
        Self {
            page_info: PageInfo::of(&page),
            edges: page
                .items
                .into_iter()
                .map(|(cursor, a)| ActivityEdge {
                    cursor,
                    node: ActivityNode(a),
                })
                .collect(),
        }
    }
}
