//! Case queries.

use async_graphql::{Context, ID, Object, Result};
use switchboard_core::cases::{self as core, Catalog};
use switchboard_core::{Error, PageRequest, validate};

use super::catalog::CaseCatalog;
use super::connection::{ActivityConnection, CaseConnection};
use super::nodes::{CaseNode, catalog};
use super::{CaseFilterInput, CaseOrderInput};
use crate::graphql::context::request;
use crate::graphql::errors::{IntoGql, to_gql};
use crate::graphql::guards::Require;
use crate::graphql::pagination::Download;

/// Case queries. The fields that read the case backend are nullable: when
/// it fails (a ServiceNow outage), only they are null, with a
/// BACKEND_UNAVAILABLE error naming the backend, and the rest of the query
/// still answers.
#[derive(Default)]
pub struct CaseQuery;

#[Object(guard = "Require::signed_in()")]
impl CaseQuery {
    /// The caller's cases, filtered and ordered (most recently updated first
    /// by default). `first` defaults to 20 and may be at most 100.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        filter: Option<CaseFilterInput>,
        order_by: Option<CaseOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<CaseConnection>> {
        let (caller, ports, _) = request(ctx)?;
        let filter = filter.unwrap_or_default();
        filter.check()?;
        let filter = filter.to_core();
        let page = PageRequest::new(first, after).gql()?;
        let order = CaseOrderInput::to_core(order_by);
        CaseConnection::list(ctx, ports, &caller.scope, filter, order, &page)
            .await
            .map(Some)
    }

    /// One case, by `id` or by `number` (give exactly one).
    async fn case(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        number: Option<String>,
    ) -> Result<Option<CaseNode>> {
        let (caller, ports, loaders) = request(ctx)?;
        let case = match (id, number) {
            (Some(id), None) => loaders
                .cases
                .load_one(id.to_string())
                .await
                .gql()?
                .map(CaseNode)
                .ok_or_else(|| to_gql(&Error::not_found(format!("case {}", id.as_str())))),
            (None, Some(number)) => ports
                .cases
                .case_by_number(&caller.scope, &number)
                .await
                .gql()
                .map(CaseNode),
            _ => Err(to_gql(&Error::invalid(
                "id",
                "give either `id` or `number`",
            ))),
        };
        case.map(Some)
    }

    /// Cases whose number starts with the text, or whose title or
    /// description contains all its words; most recently updated first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        text: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<CaseConnection>> {
        let (caller, ports, _) = request(ctx)?;
        let text = validate::search_text("text", &text).gql()?;
        if text.is_empty() {
            return Err(to_gql(&Error::invalid(
                "text",
                "type something to search for",
            )));
        }
        let filter = core::CaseFilter {
            text: Some(text),
            ..core::CaseFilter::default()
        };
        let page = PageRequest::new(first, after).gql()?;
        let order = core::CaseOrder::default();
        CaseConnection::list(ctx, ports, &caller.scope, filter, order, &page)
            .await
            .map(Some)
    }

    /// The overview's recent updates: activity across the caller's cases,
    /// newest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn case_updates(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<ActivityConnection>> {
        let (caller, ports, _) = request(ctx)?;
        let page = PageRequest::new(first, after).gql()?;
        Ok(Some(
            ports
                .cases
                .recent_updates(&caller.scope, &page)
                .await
                .gql()?
                .into(),
        ))
    }

    /// The case form's catalog.
    async fn case_catalog(&self, ctx: &Context<'_>) -> Result<Option<CaseCatalog>> {
        Ok(Some(Catalog::clone(&*catalog(ctx).await?).into()))
    }

    /// A CSV of every case matching the filter (not just one page), to
    /// fetch with an authorized GET.
    async fn cases_export(
        &self,
        ctx: &Context<'_>,
        filter: Option<CaseFilterInput>,
        order_by: Option<CaseOrderInput>,
    ) -> Result<Download> {
        let (_, ports, _) = request(ctx)?;
        let filter = filter.unwrap_or_default();
        filter.check()?;
        let query = serde_urlencoded::to_string([
            ("filter", serde_json::to_string(&filter)?),
            ("orderBy", serde_json::to_string(&order_by)?),
        ])?;
        Ok(Download {
            url: format!("{}/exports/cases.csv?{query}", ports.public_url),
            content_type: "text/csv".into(),
        })
    }
}
