//! Billing's connections: a page of invoices (with their charges read in
//! one batch) and a page of a call report (with its totals).

use async_graphql::{ComplexObject, Context, Result, SimpleObject};
use switchboard_core::billing::{Invoice, UsageFilter};
use switchboard_core::{Page, PageRequest, Scope};

use super::inputs::{UsageFilterInput, UsageOrderInput};
use super::nodes::{InvoiceNode, UsageRecordNode, UsageTotalsNode};
use crate::graphql::context::request;
use crate::graphql::errors::IntoGql;
use crate::graphql::pagination::PageInfo;

/// An invoice with its cursor.
#[derive(SimpleObject)]
pub struct InvoiceEdge {
    /// Where it is in the list.
    pub cursor: String,
    /// The invoice.
    pub node: InvoiceNode,
}

/// A page of invoices.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct InvoiceConnection {
    /// The invoices with their cursors.
    pub edges: Vec<InvoiceEdge>,
    /// Pagination state.
    pub page_info: PageInfo,
    /// How many invoices match in all.
    pub total_count: u64,
}

#[ComplexObject]
impl InvoiceConnection {
    /// The invoices, without cursors.
    async fn nodes(&self) -> Vec<InvoiceNode> {
        self.edges
            .iter()
            .map(|e| InvoiceNode(e.node.0.clone()))
            .collect()
    }
}

impl InvoiceConnection {
    /// The connection for `page`, with the charges its selection asks for
    /// read in one batch.
    pub async fn load(ctx: &Context<'_>, page: Page<Invoice>, total_count: u64) -> Result<Self> {
        let look = ctx.look_ahead();
        let wants = |field: &str| {
            look.field("nodes").field(field).exists()
                || look.field("edges").field("node").field(field).exists()
        };
        if wants("charges") || wants("chargeCategories") {
            let ids: Vec<String> = page.items.iter().map(|(_, i)| i.id.clone()).collect();
            request(ctx)?.2.charges.load_many(ids).await.gql()?;
        }
        Ok(Self {
            page_info: PageInfo::of(&page),
            edges: page
                .items
                .into_iter()
                .map(|(cursor, invoice)| InvoiceEdge {
                    cursor,
                    node: InvoiceNode(invoice),
                })
                .collect(),
            total_count,
        })
    }
}

/// A usage record with its cursor.
#[derive(SimpleObject)]
pub struct UsageEdge {
    /// Where it is in the list.
    pub cursor: String,
    /// The record.
    pub node: UsageRecordNode,
}

/// A page of a call report.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UsageConnection {
    /// The records with their cursors.
    pub edges: Vec<UsageEdge>,
    /// Pagination state.
    pub page_info: PageInfo,
    #[graphql(skip)]
    scope: Scope,
    #[graphql(skip)]
    account_id: String,
    #[graphql(skip)]
    filter: UsageFilter,
}

#[ComplexObject]
impl UsageConnection {
    /// The records, without cursors.
    async fn nodes(&self) -> Vec<UsageRecordNode> {
        self.edges
            .iter()
            .map(|e| UsageRecordNode(e.node.0.clone()))
            .collect()
    }

    /// Count, duration and charge of every record matching the filter
    /// (not just this page; costs one query).
    async fn totals(&self, ctx: &Context<'_>) -> Result<UsageTotalsNode> {
        let ports = request(ctx)?.1;
        let totals = ports
            .billing
            .usage_totals(&self.scope, &self.account_id, &self.filter)
            .await
            .gql()?;
        Ok(UsageTotalsNode(totals))
    }
}

impl UsageConnection {
    /// Reads one page of `account_id`'s usage in `scope`.
    pub async fn load(
        ctx: &Context<'_>,
        scope: Scope,
        account_id: &str,
        filter: UsageFilterInput,
        order_by: Option<UsageOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Self> {
        filter.check()?;
        let filter = filter.to_core();
        let page = PageRequest::new(first, after).gql()?;
        let order = UsageOrderInput::to_core(order_by);
        let ports = request(ctx)?.1;
        let page = ports
            .billing
            .list_usage(&scope, account_id, &filter, order, &page)
            .await
            .gql()?;
        Ok(Self {
            page_info: PageInfo::of(&page),
            edges: page
                .items
                .into_iter()
                .map(|(cursor, record)| UsageEdge {
                    cursor,
                    node: UsageRecordNode(record),
                })
                .collect(),
            scope,
            account_id: account_id.to_string(),
            filter,
        })
    }
}
