//! Support cases: queries, mutations and the case-event subscription.
//! Resolvers stay thin: they read the caller, call a port or a loader, and
//! map the result.

use std::io::Read;

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject, Subscription,
    Upload,
};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use switchboard_core::cases::{
    self as core, Activity, Attachment, Case, CaseOrderField as CoreField, Catalog, Direction,
    NewAttachment, NewCase, TimeRange, WatchEntry,
};
use switchboard_core::{Error, PageRequest, Scope};

use super::directory::{AccountNode, ContactNode, LocationNode, ProductNode};
use super::errors::{IntoGql, to_gql};
use super::request;

/// Where a case is in its life.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaseState {
    /// Submitted, not yet taken up.
    New,
    /// Being worked on.
    Open,
    /// Waiting for the customer.
    AwaitingInfo,
    /// Solved.
    Resolved,
    /// Closed for good.
    Closed,
    /// Withdrawn by the customer.
    Canceled,
}

/// How urgent a case is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Priority {
    /// 1 - Critical
    Critical,
    /// 2 - High
    High,
    /// 3 - Moderate
    Moderate,
    /// 4 - Low
    Low,
}

/// Fields a case list can be ordered by; ties are broken by id.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaseOrderField {
    /// Case number.
    Number,
    /// Opening time.
    Opened,
    /// Last update.
    Updated,
    /// Life-cycle state (NEW first).
    State,
    /// Priority (CRITICAL first).
    Priority,
}

/// Sort direction.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// Kinds of activity entry.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ActivityKind {
    /// A person's comment.
    Comment,
    /// A system post ("Case Assigned").
    System,
    /// The state changed.
    StateChange,
    /// An attachment was added, renamed or removed.
    Attachment,
    /// The watch list changed.
    WatchList,
}

/// What happened to a case.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CaseEventKind {
    /// Opened.
    Created,
    /// Changed.
    Updated,
    /// A comment was added.
    CommentAdded,
    /// A file was attached.
    AttachmentAdded,
    /// A file was removed.
    AttachmentRemoved,
    /// The watch list changed.
    WatchListChanged,
    /// Canceled.
    Canceled,
}

macro_rules! map_enum {
    ($from:ty => $to:ty { $($variant:ident),* $(,)? }) => {
        impl From<$from> for $to {
            fn from(v: $from) -> Self {
                match v { $(<$from>::$variant => <$to>::$variant),* }
            }
        }
    };
}

map_enum!(core::CaseState => CaseState { New, Open, AwaitingInfo, Resolved, Closed, Canceled });
map_enum!(CaseState => core::CaseState { New, Open, AwaitingInfo, Resolved, Closed, Canceled });
map_enum!(core::Priority => Priority { Critical, High, Moderate, Low });
map_enum!(Priority => core::Priority { Critical, High, Moderate, Low });
map_enum!(CaseOrderField => CoreField { Number, Opened, Updated, State, Priority });
map_enum!(core::ActivityKind => ActivityKind { Comment, System, StateChange, Attachment, WatchList });
map_enum!(switchboard_core::CaseEventKind => CaseEventKind {
    Created, Updated, CommentAdded, AttachmentAdded, AttachmentRemoved, WatchListChanged, Canceled
});

/// A time range; either end may be left open.
#[derive(InputObject, Clone, Debug, Default, Serialize, Deserialize)]
#[graphql(name = "DateRange")]
pub struct DateRangeInput {
    /// Inclusive start.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub to: Option<DateTime<Utc>>,
}

/// Which cases a list includes. Omitted fields do not restrict.
#[derive(InputObject, Clone, Debug, Default, Serialize, Deserialize)]
#[graphql(name = "CaseFilter")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseFilterInput {
    /// Only these states (the portal's support list starts with `[NEW]`).
    pub states: Option<Vec<CaseState>>,
    /// Only these accounts (ids outside the caller's accounts match nothing).
    pub account_ids: Option<Vec<ID>>,
    /// Only these locations.
    pub location_ids: Option<Vec<ID>>,
    /// Only these case type codes.
    pub case_types: Option<Vec<String>>,
    /// Only these category codes.
    pub categories: Option<Vec<String>>,
    /// Only these priorities.
    pub priorities: Option<Vec<Priority>>,
    /// Opened within this range.
    pub opened: Option<DateRangeInput>,
    /// Last updated within this range.
    pub updated: Option<DateRangeInput>,
    /// A case number (or its prefix), or words to find in title and description.
    pub text: Option<String>,
}

impl CaseFilterInput {
    /// The port's filter.
    pub fn to_core(&self) -> core::CaseFilter {
        let range = |r: &Option<DateRangeInput>| {
            r.as_ref().map_or_else(TimeRange::default, |r| TimeRange {
                from: r.from,
                to: r.to,
            })
        };
        let ids = |v: &Option<Vec<ID>>| v.iter().flatten().map(|id| id.to_string()).collect();
        core::CaseFilter {
            states: self.states.iter().flatten().map(|s| (*s).into()).collect(),
            accounts: ids(&self.account_ids),
            locations: ids(&self.location_ids),
            case_types: self.case_types.clone().unwrap_or_default(),
            categories: self.categories.clone().unwrap_or_default(),
            priorities: self
                .priorities
                .iter()
                .flatten()
                .map(|p| (*p).into())
                .collect(),
            opened: range(&self.opened),
            updated: range(&self.updated),
            text: self.text.clone().filter(|t| !t.trim().is_empty()),
        }
    }

    /// Rejects filters that name accounts outside the scope? No: those
    /// simply match nothing. Rejects only malformed ranges.
    pub fn check(&self) -> Result<()> {
        for (name, range) in [
            ("filter.opened", &self.opened),
            ("filter.updated", &self.updated),
        ] {
            if let Some(DateRangeInput {
                from: Some(from),
                to: Some(to),
            }) = range
            {
                if from > to {
                    return Err(to_gql(&Error::invalid(
                        name,
                        "`from` must not be after `to`",
                    )));
                }
            }
        }
        Ok(())
    }
}

/// An ordering of a case list.
#[derive(InputObject, Clone, Copy, Debug, Serialize, Deserialize)]
#[graphql(name = "CaseOrder")]
pub struct CaseOrderInput {
    /// The field (UPDATED when omitted).
    #[graphql(default_with = "CaseOrderField::Updated")]
    pub field: CaseOrderField,
    /// The direction (DESC when omitted).
    #[graphql(default_with = "OrderDirection::Desc")]
    pub direction: OrderDirection,
}

impl CaseOrderInput {
    /// The port's ordering.
    pub fn to_core(order: Option<Self>) -> core::CaseOrder {
        order.map_or_else(core::CaseOrder::default, |o| core::CaseOrder {
            field: o.field.into(),
            direction: match o.direction {
                OrderDirection::Asc => Direction::Asc,
                OrderDirection::Desc => Direction::Desc,
            },
        })
    }
}

/// A code and the name shown for it.
#[derive(SimpleObject, Clone, Debug)]
pub struct CatalogEntry {
    /// Stable code (what inputs and filters use).
    pub code: String,
    /// Display name.
    pub name: String,
}

fn catalog_entry(code: &str, name: Option<&str>) -> CatalogEntry {
    CatalogEntry {
        code: code.to_string(),
        name: name.unwrap_or(code).to_string(),
    }
}

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
        let Some(id) = &self.0.location_id else {
            return Ok(None);
        };
        let loaders = request(ctx)?.2;
        Ok(loaders
            .locations
            .load_one(id.clone())
            .await
            .gql()?
            .map(LocationNode))
    }
    /// The customer said the location is not in the list.
    async fn location_not_listed(&self) -> bool {
        self.0.location_not_listed
    }
    /// The affected product, unless not listed.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<ProductNode>> {
        let Some(id) = &self.0.product_id else {
            return Ok(None);
        };
        let loaders = request(ctx)?.2;
        Ok(loaders
            .products
            .load_one(id.clone())
            .await
            .gql()?
            .map(ProductNode))
    }
    /// The customer said the product is not in the list.
    async fn product_not_listed(&self) -> bool {
        self.0.product_not_listed
    }
    /// The case's contact.
    async fn contact(&self, ctx: &Context<'_>) -> Result<Option<ContactNode>> {
        let Some(id) = &self.0.contact_id else {
            return Ok(None);
        };
        let loaders = request(ctx)?.2;
        Ok(loaders
            .contacts
            .load_one(id.clone())
            .await
            .gql()?
            .map(ContactNode))
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
            .map(ActivityNode))
    }
    /// The activity stream, newest first. Meant for the case detail page:
    /// in lists use `latestActivity`.
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
async fn prefetch(ctx: &Context<'_>, cases: &[Case]) -> Result<()> {
    let loaders = request(ctx)?.2;
    let look = ctx.look_ahead();
    let nodes = [look.field("nodes"), look.field("edges").field("node")];
    let wants = |field: &str| nodes.iter().any(|n| n.field(field).exists());
    let ids = |of: fn(&Case) -> Option<&String>| -> Vec<String> {
        let mut v: Vec<String> = cases.iter().filter_map(of).cloned().collect();
        v.sort();
        v.dedup();
        v
    };
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
                loaders
                    .latest_activity
                    .load_many(case_ids.clone())
                    .await
                    .map(drop)
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

async fn catalog(ctx: &Context<'_>) -> Result<Catalog> {
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

/// Pagination state of a connection.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// Whether more items follow.
    pub has_next_page: bool,
    /// Always false: lists page forward only.
    pub has_previous_page: bool,
    /// The first item's cursor.
    pub start_cursor: Option<String>,
    /// The last item's cursor (pass it as `after`).
    pub end_cursor: Option<String>,
}

fn page_info<T>(page: &switchboard_core::Page<T>) -> PageInfo {
    PageInfo {
        has_next_page: page.has_next_page,
        has_previous_page: false,
        start_cursor: page.items.first().map(|(c, _)| c.clone()),
        end_cursor: page.end_cursor().map(str::to_string),
    }
}

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
    async fn load(
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
            page_info: page_info(&page),
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
            page_info: page_info(&page),
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

/// A category of a support case type.
#[derive(SimpleObject)]
pub struct CategoryNode {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A support case type with its categories.
#[derive(SimpleObject)]
pub struct SupportCaseTypeNode {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Categories, in display order.
    pub categories: Vec<CategoryNode>,
}

/// A case type.
#[derive(SimpleObject)]
pub struct CaseTypeNode {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether customers may open it (proactive types are opened by the provider).
    pub customer_creatable: bool,
    /// Support case types, in display order.
    pub support_case_types: Vec<SupportCaseTypeNode>,
}

/// The case form's choices.
#[derive(SimpleObject)]
pub struct CaseCatalog {
    /// Case types, in display order.
    pub case_types: Vec<CaseTypeNode>,
}

impl From<Catalog> for CaseCatalog {
    fn from(c: Catalog) -> Self {
        Self {
            case_types: c
                .case_types
                .into_iter()
                .map(|t| CaseTypeNode {
                    code: t.code,
                    name: t.name,
                    description: t.description,
                    customer_creatable: t.customer_creatable,
                    support_case_types: t
                        .support_case_types
                        .into_iter()
                        .map(|s| SupportCaseTypeNode {
                            code: s.code,
                            name: s.name,
                            categories: s
                                .categories
                                .into_iter()
                                .map(|c| CategoryNode {
                                    code: c.code,
                                    name: c.name,
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A file the client fetches with an authorized GET.
#[derive(SimpleObject)]
pub struct Download {
    /// Where to GET it (send the same bearer token).
    pub url: String,
    /// Its media type.
    pub content_type: String,
}

/// Case queries.
#[derive(Default)]
pub struct CaseQuery;

#[Object]
impl CaseQuery {
    /// The caller's cases, filtered and ordered (most recently updated first
    /// by default). `first` defaults to 20 and may be at most 100.
    async fn cases(
        &self,
        ctx: &Context<'_>,
        filter: Option<CaseFilterInput>,
        order_by: Option<CaseOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CaseConnection> {
        let (caller, ports, _) = request(ctx)?;
        let filter = filter.unwrap_or_default();
        filter.check()?;
        let filter = filter.to_core();
        let page = PageRequest::new(first, after).gql()?;
        let order = CaseOrderInput::to_core(order_by);
        let result = ports
            .cases
            .list_cases(&caller.scope, &filter, order, &page)
            .await
            .gql()?;
        CaseConnection::load(ctx, result, filter, caller.scope.clone()).await
    }

    /// One case, by `id` or by `number` (give exactly one).
    async fn case(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        number: Option<String>,
    ) -> Result<CaseNode> {
        let (caller, ports, loaders) = request(ctx)?;
        match (id, number) {
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
        }
    }

    /// Cases whose number starts with the text, or whose title or
    /// description contains all its words; most recently updated first.
    async fn search(
        &self,
        ctx: &Context<'_>,
        text: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CaseConnection> {
        let (caller, ports, _) = request(ctx)?;
        if text.trim().is_empty() {
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
        let result = ports
            .cases
            .list_cases(&caller.scope, &filter, core::CaseOrder::default(), &page)
            .await
            .gql()?;
        CaseConnection::load(ctx, result, filter, caller.scope.clone()).await
    }

    /// The overview's recent updates: activity across the caller's cases,
    /// newest first.
    async fn case_updates(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActivityConnection> {
        let (caller, ports, _) = request(ctx)?;
        let page = PageRequest::new(first, after).gql()?;
        Ok(ports
            .cases
            .recent_updates(&caller.scope, &page)
            .await
            .gql()?
            .into())
    }

    /// The case form's catalog.
    async fn case_catalog(&self, ctx: &Context<'_>) -> Result<CaseCatalog> {
        Ok(catalog(ctx).await?.into())
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

/// What a customer supplies to open a case.
#[derive(InputObject)]
pub struct CreateCaseInput {
    /// One of the caller's accounts.
    pub account_id: ID,
    /// Case type code (see `caseCatalog`).
    pub case_type: String,
    /// Support case type code; optional when the case type has only one.
    pub support_case_type: Option<String>,
    /// Category code of the support case type.
    pub category: String,
    /// Short title; the category's name when omitted.
    pub title: Option<String>,
    /// Problem description (required, at most 4000 characters).
    pub description: String,
    /// Urgency; LOW when omitted.
    pub priority: Option<Priority>,
    /// Service location, or set `locationNotListed`.
    pub location_id: Option<ID>,
    /// The location is not in the list.
    #[graphql(default)]
    pub location_not_listed: bool,
    /// Affected product, or set `productNotListed`.
    pub product_id: Option<ID>,
    /// The product is not in the list.
    #[graphql(default)]
    pub product_not_listed: bool,
    /// Contact; the caller when omitted.
    pub contact_id: Option<ID>,
    /// Extra addresses to notify.
    #[graphql(default)]
    pub watch_list: Vec<String>,
    /// Makes the create safe to retry: the same key returns the first case.
    pub idempotency_key: Option<String>,
    /// Files to attach (multipart request).
    pub attachments: Option<Vec<Upload>>,
}

/// The result of `createCase`.
#[derive(SimpleObject)]
pub struct CreateCasePayload {
    /// The case.
    pub case: CaseNode,
    /// True when the idempotency key had been used: nothing new was made.
    pub replayed: bool,
    /// The files attached with the case.
    pub attachments: Vec<AttachmentNode>,
}

fn read_upload(ctx: &Context<'_>, upload: &Upload, field: &str) -> Result<NewAttachment> {
    let unreadable = || to_gql(&Error::invalid(field, "the upload could not be read"));
    let value = upload.value(ctx).map_err(|_| unreadable())?;
    let file_name = value.filename.clone();
    let content_type = value.content_type.clone().unwrap_or_default();
    let mut data = Vec::new();
    value
        .into_read()
        .read_to_end(&mut data)
        .map_err(|_| unreadable())?;
    Ok(NewAttachment {
        file_name,
        content_type,
        data: data.into(),
    })
}

/// Case mutations. Each write appends to the activity stream and publishes
/// a case event.
#[derive(Default)]
pub struct CaseMutation;

#[Object]
impl CaseMutation {
    /// Opens a case on one of the caller's accounts.
    async fn create_case(
        &self,
        ctx: &Context<'_>,
        input: CreateCaseInput,
    ) -> Result<CreateCasePayload> {
        let (caller, ports, _) = request(ctx)?;
        let files = input
            .attachments
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, u)| read_upload(ctx, u, &format!("input.attachments[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        let new = NewCase {
            account_id: input.account_id.to_string(),
            case_type: input.case_type,
            support_case_type: input.support_case_type,
            category: input.category,
            title: input.title,
            description: input.description,
            priority: input.priority.map(Into::into),
            location_id: input.location_id.map(|i| i.to_string()),
            location_not_listed: input.location_not_listed,
            product_id: input.product_id.map(|i| i.to_string()),
            product_not_listed: input.product_not_listed,
            contact_id: input.contact_id.map(|i| i.to_string()),
            watch_list: input.watch_list,
            idempotency_key: input.idempotency_key,
        };
        let created = ports
            .cases
            .create_case(&caller.scope, &caller.actor, new)
            .await
            .gql()?;
        let mut attachments = Vec::new();
        if !created.replayed {
            for file in files {
                let a = ports
                    .cases
                    .add_attachment(&caller.scope, &caller.actor, &created.record.id, file)
                    .await
                    .gql()?;
                attachments.push(AttachmentNode(a));
            }
        }
        Ok(CreateCasePayload {
            case: CaseNode(created.record),
            replayed: created.replayed,
            attachments,
        })
    }

    /// Adds a comment to the activity stream.
    async fn add_case_comment(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        body: String,
    ) -> Result<ActivityNode> {
        let (caller, ports, _) = request(ctx)?;
        let activity = ports
            .cases
            .add_comment(&caller.scope, &caller.actor, &case_id, &body)
            .await
            .gql()?;
        Ok(ActivityNode(activity))
    }

    /// Attaches a file (a multipart request per the GraphQL multipart spec).
    async fn add_case_attachment(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        file: Upload,
    ) -> Result<AttachmentNode> {
        let (caller, ports, _) = request(ctx)?;
        let file = read_upload(ctx, &file, "file")?;
        let a = ports
            .cases
            .add_attachment(&caller.scope, &caller.actor, &case_id, file)
            .await
            .gql()?;
        Ok(AttachmentNode(a))
    }

    /// Renames an attachment.
    async fn rename_case_attachment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        file_name: String,
    ) -> Result<AttachmentNode> {
        let (caller, ports, _) = request(ctx)?;
        let a = ports
            .cases
            .rename_attachment(&caller.scope, &caller.actor, &id, &file_name)
            .await
            .gql()?;
        Ok(AttachmentNode(a))
    }

    /// Deletes an attachment; returns what it was.
    async fn delete_case_attachment(&self, ctx: &Context<'_>, id: ID) -> Result<AttachmentNode> {
        let (caller, ports, _) = request(ctx)?;
        let a = ports
            .cases
            .delete_attachment(&caller.scope, &caller.actor, &id)
            .await
            .gql()?;
        Ok(AttachmentNode(a))
    }

    /// Adds addresses to the watch list; returns the case.
    async fn add_to_watch_list(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        emails: Vec<String>,
    ) -> Result<CaseNode> {
        let (caller, ports, _) = request(ctx)?;
        ports
            .cases
            .add_watchers(&caller.scope, &caller.actor, &case_id, &emails)
            .await
            .gql()?;
        reload(ctx, &case_id).await
    }

    /// Removes addresses from the watch list; returns the case.
    async fn remove_from_watch_list(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        emails: Vec<String>,
    ) -> Result<CaseNode> {
        let (caller, ports, _) = request(ctx)?;
        ports
            .cases
            .remove_watchers(&caller.scope, &caller.actor, &case_id, &emails)
            .await
            .gql()?;
        reload(ctx, &case_id).await
    }

    /// Cancels a case that is NEW, OPEN or AWAITING_INFO.
    async fn cancel_case(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        reason: Option<String>,
    ) -> Result<CaseNode> {
        let (caller, ports, _) = request(ctx)?;
        let case = ports
            .cases
            .cancel_case(&caller.scope, &caller.actor, &case_id, reason.as_deref())
            .await
            .gql()?;
        Ok(CaseNode(case))
    }
}

async fn reload(ctx: &Context<'_>, case_id: &str) -> Result<CaseNode> {
    let (caller, ports, _) = request(ctx)?;
    ports
        .cases
        .cases_by_ids(&caller.scope, &[case_id.to_string()])
        .await
        .gql()?
        .pop()
        .map(CaseNode)
        .ok_or_else(|| to_gql(&Error::not_found(format!("case {case_id}"))))
}

/// An event about a case the subscriber may see.
#[derive(SimpleObject)]
pub struct CaseEvent {
    /// What happened.
    pub kind: CaseEventKind,
    /// When.
    pub at: DateTime<Utc>,
    /// The case as it is now.
    pub case: CaseNode,
}

/// Case subscriptions.
#[derive(Default)]
pub struct CaseSubscription;

#[Subscription]
impl CaseSubscription {
    /// Events on the caller's cases, optionally of one account or one case.
    async fn case_events(
        &self,
        ctx: &Context<'_>,
        account_id: Option<ID>,
        case_number: Option<String>,
    ) -> Result<impl Stream<Item = CaseEvent> + use<>> {
        let (caller, ports, _) = request(ctx)?;
        let scope = caller.scope.clone();
        if let Some(account) = &account_id {
            if !scope.contains(account) {
                return Err(to_gql(&Error::not_found(format!(
                    "account {}",
                    account.as_str()
                ))));
            }
        }
        let case_number = match case_number {
            Some(n) => Some(ports.cases.case_by_number(&scope, &n).await.gql()?.number),
            None => None,
        };
        let store = ports.cases.clone();
        let events = ports.bus.subscribe().filter(move |e| {
            let wanted = scope.contains(&e.account_id)
                && account_id
                    .as_ref()
                    .is_none_or(|a| a.as_str() == e.account_id)
                && case_number.as_ref().is_none_or(|n| *n == e.case_number);
            futures::future::ready(wanted)
        });
        let scope = caller.scope.clone();
        Ok(events.filter_map(move |event| {
            let store = store.clone();
            let scope = scope.clone();
            async move {
                let case = store
                    .cases_by_ids(&scope, &[event.case_id.clone()])
                    .await
                    .ok()?
                    .pop()?;
                Some(CaseEvent {
                    kind: event.kind.into(),
                    at: event.at,
                    case: CaseNode(case),
                })
            }
        }))
    }
}
