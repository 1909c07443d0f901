//! What every resolver reads: the [`Ports`] the schema serves (schema
//! data) and the request's caller and loaders (request or connection data),
//! through [`request`].

use std::sync::Arc;

use async_graphql::Context;
use switchboard_core::audit::AuditLog;
use switchboard_core::{AccountStore, CaseStore, EventBus};

use super::errors::{Code, error};
use super::feed;
use super::loaders::Loaders;
use super::profile;
use crate::auth::{Caller, Callers};

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
