//! Relay-style connections: a page of items with cursors.

use async_graphql::{ComplexObject, Context, Result, SimpleObject};
use switchboard_core::Scope;
use switchboard_core::cases::{self as core, Activity, Case};

use super::nodes::{ActivityNode, CaseNode, prefetch};
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
}

#[ComplexObject]
impl CaseConnection {
    /// The cases, without cursors.
    async fn nodes(&self) -> Vec<CaseNode> {
        self.edges
            .iter()
            .map(|e| CaseNode(e.node.0.clone()))
            .collect()
    }

    /// How many cases match the filter in all (costs one count).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        request(ctx)?
            .1
            .cases
            .count_cases(&self.scope, &self.filter)
            .await
            .gql()
    }
}

impl CaseConnection {
    /// The connection for a page, with what its selection needs prefetched.
    pub(super) async fn load(
        ctx: &Context<'_>,
        page: switchboard_core::Page<Case>,
        filter: core::CaseFilter,
        scope: Scope,
    ) -> Result<Self> {
        let cases: Vec<Case> = page.items.iter().map(|(_, c)| c.clone()).collect();
        prefetch(ctx, &cases).await?;
        Ok(Self::new(page, filter, scope))
    }

    fn new(page: switchboard_core::Page<Case>, filter: core::CaseFilter, scope: Scope) -> Self {
        Self {
            page_info: PageInfo::of(&page),
            edges: page
                .items
                .into_iter()
                .map(|(cursor, case)| CaseEdge {
                    cursor,
                    node: CaseNode(case),
                })
                .collect(),
            filter,
            scope,
        }
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
