//! The GraphQL schema, transport-agnostic: [`build`] makes it with the
//! ports it serves, [`sdl`] prints it, and the server and tests share both.
//!
//! The root types merge one struct per domain ([`cases`], [`directory`]).

pub mod admin;
pub mod audit;
pub mod billing;
pub mod cases;
pub mod depth;
pub mod directory;
pub mod errors;
pub mod feed;
pub mod guards;
pub mod introspection;
pub mod inventory;
pub mod limits;
pub mod loaders;
pub mod profile;
pub mod resources;
pub mod status;
pub mod tollfree;

use std::sync::Arc;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema};
use switchboard_core::audit::AuditLog;
use switchboard_core::{AccountStore, CaseStore, EventBus};

use crate::auth::{Caller, Callers};
use crate::config::{Access, LimitsConfig};
use errors::{Code, error};
use loaders::Loaders;

/// The ports resolvers call. Shared by every request.
#[derive(Clone)]
pub struct Ports {
    /// Support cases.
    pub cases: Arc<dyn CaseStore>,
    /// Accounts, locations, products, contacts.
    pub accounts: Arc<dyn AccountStore>,
    /// Case events.
    pub bus: Arc<dyn EventBus>,
    /// Where download links point (the gateway's public URL).
    pub public_url: String,
    /// Who callers are now (subscriptions re-check access per event).
    pub callers: Arc<Callers>,
    /// Where mutations are recorded.
    pub audit: Arc<dyn AuditLog>,
    /// Users, teams, factors, passwords and recovery.
    pub identity: Arc<dyn switchboard_core::Identity>,
    /// Where portal access requests are kept.
    pub access_requests: Arc<dyn switchboard_core::identity::AccessRequests>,
    /// The profile features' rate limits and intake account.
    pub profile: Arc<profile::ProfileLimits>,
    /// Invoices, charges, usage and billing details.
    pub billing: Arc<dyn switchboard_core::BillingStore>,
    /// The payment portal's URL template (`billing.payment_portal_url`).
    pub payment_portal_url: String,
    /// The resource library and My Apps (with configured entries laid over).
    pub resources: Arc<dyn switchboard_core::ResourceLibrary>,
    /// Services and assets at the accounts' locations.
    pub inventory: Arc<dyn switchboard_core::Inventory>,
    /// Toll-free numbers and ring-to change requests.
    pub tollfree: Arc<dyn switchboard_core::TollFreeStore>,
    /// Ring-to change-request events, for `ringToChangeUpdates`.
    pub tollfree_bus: switchboard_core::tollfree::TollFreeBus,
    /// The toll-free usage rates previews and requests quote (`[tollfree]`).
    pub tollfree_rates: switchboard_core::tollfree::Rates,
    /// System status: components, incidents, indicator.
    pub status: Arc<dyn switchboard_core::StatusSource>,
    /// Status changes, for `systemStatusChanged`.
    pub status_bus: switchboard_core::status::StatusBus,
    /// The subscriptions' events, each read once for every subscriber.
    pub feeds: Arc<feed::Feeds>,
}

/// The root query.
#[derive(MergedObject, Default)]
pub struct Query(
    cases::CaseQuery,
    directory::DirectoryQuery,
    admin::AdminQuery,
    profile::ProfileQuery,
    billing::BillingQuery,
    resources::ResourceQuery,
    tollfree::TollFreeQuery,
    status::StatusQuery,
);

/// The root mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(
    cases::CaseMutation,
    profile::ProfileMutation,
    tollfree::TollFreeMutation,
    status::StatusMutation,
);

/// The root subscription.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    cases::CaseSubscription,
    tollfree::TollFreeSubscription,
    status::StatusSubscription,
);

/// The schema type.
pub type SwitchboardSchema = Schema<Query, Mutation, Subscription>;

/// The schema, serving `ports` (none: for printing the SDL); introspection
/// is answered as `introspection` allows.
pub fn build(
    ports: Option<Ports>,
    limits: &LimitsConfig,
    introspection: Access,
) -> SwitchboardSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_complexity(limits.max_complexity)
    .limit_recursive_depth(64)
    .extension(limits::CatchPanics)
    .extension(limits::LimitDocument {
        max_aliases: limits.max_aliases,
        max_depth: limits.max_depth,
    });
    match introspection {
        Access::Off => builder = builder.disable_introspection(),
        Access::Operators => builder = builder.extension(introspection::OperatorsOnly),
        Access::Open => {}
    }
    if let Some(ports) = ports {
        builder = builder
            .extension(audit::Audit(ports.audit.clone()))
            .data(ports);
    }
    builder.finish()
}

/// The SDL that `schema.graphql` must equal.
pub fn sdl() -> String {
    build(None, &LimitsConfig::default(), Access::Open).sdl()
}

/// The request's caller, ports and loaders.
pub(crate) fn request<'a>(
    ctx: &Context<'a>,
) -> async_graphql::Result<(&'a Caller, &'a Ports, &'a Loaders)> {
    let caller = ctx
        .data_opt::<Caller>()
        .ok_or_else(|| error(Code::Unauthenticated, "a bearer token is required"))?;
    let ports = ctx
        .data_opt::<Ports>()
        .ok_or_else(|| error(Code::Internal, "internal error"))?;
    let loaders = ctx
        .data_opt::<Loaders>()
        .ok_or_else(|| error(Code::Internal, "internal error"))?;
    Ok((caller, ports, loaders))
}
