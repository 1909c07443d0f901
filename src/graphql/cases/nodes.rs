//! The case and what hangs off it: activity, attachments, watch list.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use switchboard_core::cases::{Activity, Attachment, Case, Catalog, WatchEntry};
use switchboard_core::{Error, PageRequest};

use super::catalog::catalog_entry;
use super::connection::ActivityConnection;
use super::{ActivityKind, CaseState, CatalogEntry, Priority};
use crate::graphql::context::request;
use crate::graphql::directory::{AccountNode, ContactNode, LocationNode, ProductNode};
use crate::graphql::errors::IntoGql;
use crate::graphql::loaders::{distinct_ids, related};

/// A support case.
pub struct CaseNode(pub Case);

#[Object(name = "Case")]
impl CaseNode {
    /// Backend id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// `CS` and 11 digits.
    async fn number(&self) -> &str {
        &self.0.number
    }
    /// Life-cycle state.
    async fn state(&self) -> CaseState {
        self.0.state.into()
    }
    /// Urgency.
    async fn priority(&self) -> Priority {
        self.0.priority.into()
    }
    /// Urgency as the portal prints it, e.g. `2 - High`.
    async fn priority_label(&self) -> String {
        self.0.priority.label()
    }
    /// Short title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The customer's description.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Case type.
    async fn case_type(&self, ctx: &Context<'_>) -> Result<CatalogEntry> {
        let catalog = catalog(ctx).await?;
        Ok(catalog_entry(
            &self.0.case_type,
            catalog
                .case_type(&self.0.case_type)
                .map(|t| t.name.as_str()),
        ))
    }
    /// Support case type.
    async fn support_case_type(&self, ctx: &Context<'_>) -> Result<CatalogEntry> {
        let catalog = catalog(ctx).await?;
        let code = &self.0.support_case_type;
        Ok(catalog_entry(
            code,
            catalog.support_case_type(code).map(|t| t.name.as_str()),
        ))
    }
    /// Category.
    async fn category(&self, ctx: &Context<'_>) -> Result<CatalogEntry> {
        let catalog = catalog(ctx).await?;
        let code = &self.0.category;
        Ok(catalog_entry(
            code,
            catalog.category(code).map(|c| c.name.as_str()),
        ))
    }
    /// The account.
    async fn account(&self, ctx: &Context<'_>) -> Result<Option<AccountNode>> {
        let loaders = request(ctx)?.2;
        Ok(loaders
            .accounts
            .load_one(self.0.account_id.clone())
            .await
            .gql()?
            .map(AccountNode))
    }
    /// The service location, unless not listed.
    async fn location(&self, ctx: &Context<'_>) -> Result<Option<LocationNode>> {
        let loaders = request(ctx)?.2;
        let found = related(&loaders.locations, self.0.location_id.as_ref()).await;
        Ok(found.gql()?.map(LocationNode))
    }
    /// The customer said the location is not in the list.
    async fn location_not_listed(&self) -> bool {
        self.0.location_not_listed
    }
    /// The affected product, unless not listed.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<ProductNode>> {
        let loaders = request(ctx)?.2;
        let found = related(&loaders.products, self.0.product_id.as_ref()).await;
        Ok(found.gql()?.map(ProductNode))
    }
    /// The customer said the product is not in the list.
    async fn product_not_listed(&self) -> bool {
        self.0.product_not_listed
    }
    /// The case's contact.
    async fn contact(&self, ctx: &Context<'_>) -> Result<Option<ContactNode>> {
        let loaders = request(ctx)?.2;
        let found = related(&loaders.contacts, self.0.contact_id.as_ref()).await;
        Ok(found.gql()?.map(ContactNode))
    }
    /// Who opened it.
    async fn opened_by(&self) -> &str {
        &self.0.opened_by
    }
    /// When it was opened.
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// When it was resolved.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    /// Whether the customer may still cancel it.
    async fn cancelable(&self) -> bool {
        self.0.state.cancelable()
    }
    /// Addresses notified of updates.
    async fn watch_list(&self, ctx: &Context<'_>) -> Result<Vec<WatchListEntry>> {
        let loaders = request(ctx)?.2;
        let list = loaders
            .watch_lists
            .load_one(self.0.id.clone())
            .await
            .gql()?;
        Ok(list
            .unwrap_or_default()
            .into_iter()
            .map(WatchListEntry::from)
            .collect())
    }
    /// Attached files, oldest first.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<AttachmentNode>> {
        let loaders = request(ctx)?.2;
        let list = loaders
            .attachments
            .load_one(self.0.id.clone())
            .await
            .gql()?;
        Ok(list
            .unwrap_or_default()
            .into_iter()
            .map(AttachmentNode)
            .collect())
    }
    /// The newest activity entry (cheap in lists).
    async fn latest_activity(&self, ctx: &Context<'_>) -> Result<Option<ActivityNode>> {
        let loaders = request(ctx)?.2;
        Ok(loaders
            .latest_activity
            .load_one(self.0.id.clone())
            .await
            .gql()?
            .flatten()
            .map(ActivityNode))
    }
    /// The activity stream, newest first. Meant for the case detail page:
    /// in lists use `latestActivity`.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActivityConnection> {
        let (caller, ports, _) = request(ctx)?;
        let page = PageRequest::new(first, after).gql()?;
        let page = ports
            .cases
            .activity(&caller.scope, &self.0.id, &page)
            .await
            .gql()?;
        Ok(ActivityConnection::from(page))
    }
}

/// Loads what the selection asks of a page of cases, one batch per
/// relation, into the request's loader cache; each node's resolvers then
/// find it there. This keeps a list's statement count independent of its
/// size even when a slow machine spreads the nodes' resolution over time.
pub(super) async fn prefetch(ctx: &Context<'_>, cases: &[Case]) -> Result<()> {
    let loaders = request(ctx)?.2;
    let look = ctx.look_ahead();
    let nodes = [look.field("nodes"), look.field("edges").field("node")];
    let wants = |field: &str| nodes.iter().any(|n| n.field(field).exists());
    let ids = |of: fn(&Case) -> Option<&String>| distinct_ids(cases, of);
    let case_ids = ids(|c| Some(&c.id));
    let skip = || async { Ok::<(), Error>(()) };
    let (locations, products, contacts, latest, watch, attachments) = futures::join!(
        async {
            if wants("location") {
                loaders
                    .locations
                    .load_many(ids(|c| c.location_id.as_ref()))
                    .await
                    .map(drop)
            } else {
                skip().await
            }
        },
        async {
            if wants("product") {
                loaders
                    .products
                    .load_many(ids(|c| c.product_id.as_ref()))
                    .await
                    .map(drop)
            } else {
                skip().await
            }
        },
        async {
            if wants("contact") {
                loaders
                    .contacts
                    .load_many(ids(|c| c.contact_id.as_ref()))
                    .await
                    .map(drop)
            } else {
                skip().await
            }
        },
        async {
            if wants("latestActivity") {
                let found = loaders.latest_activity.loader().of_cases(cases).await?;
                loaders.latest_activity.feed_many(found).await;
                Ok(())
            } else {
                skip().await
            }
        },
        async {
            if wants("watchList") {
                loaders
                    .watch_lists
                    .load_many(case_ids.clone())
                    .await
                    .map(drop)
            } else {
                skip().await
            }
        },
        async {
            if wants("attachments") {
                loaders
                    .attachments
                    .load_many(case_ids.clone())
                    .await
                    .map(drop)
            } else {
                skip().await
            }
        },
    );
    for result in [locations, products, contacts, latest, watch, attachments] {
        result.gql()?;
    }
    Ok(())
}

pub(super) async fn catalog(ctx: &Context<'_>) -> Result<std::sync::Arc<Catalog>> {
    request(ctx)?.1.cases.catalog().await.gql()
}

/// An address on a watch list.
#[derive(SimpleObject, Clone, Debug)]
pub struct WatchListEntry {
    /// The address.
    pub email: String,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

impl From<WatchEntry> for WatchListEntry {
    fn from(w: WatchEntry) -> Self {
        Self {
            email: w.email,
            added_at: w.added_at,
        }
    }
}

/// A file attached to a case.
pub struct AttachmentNode(pub Attachment);

#[Object(name = "Attachment")]
impl AttachmentNode {
    /// Backend id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// File name.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// Media type as uploaded.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    /// Size in bytes.
    async fn size_bytes(&self) -> u64 {
        self.0.size_bytes
    }
    /// Hex SHA-256 of the content.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// Who uploaded it.
    async fn uploaded_by(&self) -> &str {
        &self.0.uploaded_by
    }
    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Where to download it (GET with the same bearer token).
    async fn download_url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(format!(
            "{}/attachments/{}",
            request(ctx)?.1.public_url,
            self.0.id
        ))
    }
}

/// One entry of a case's activity stream.
pub struct ActivityNode(pub Activity);

#[Object(name = "Activity")]
impl ActivityNode {
    /// Backend id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// What kind of entry.
    async fn kind(&self) -> ActivityKind {
        self.0.kind.into()
    }
    /// Who wrote it (`System` for system posts).
    async fn author(&self) -> &str {
        &self.0.author
    }
    /// The text.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The case's number (the overview's updates feed shows it).
    async fn case_number(&self) -> &str {
        &self.0.case_number
    }
    /// The case.
    async fn case(&self, ctx: &Context<'_>) -> Result<Option<CaseNode>> {
        let loaders = request(ctx)?.2;
        Ok(loaders
            .cases
            .load_one(self.0.case_id.clone())
            .await
            .gql()?
            .map(CaseNode))
    }
}
