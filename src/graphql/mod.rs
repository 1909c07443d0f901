//! The GraphQL schema, transport-agnostic: [`build`] makes it with the
//! ports it serves, [`sdl`] prints it, and the server and tests share both.
//!
//! The root types merge one struct per domain ([`cases`], [`directory`]).

pub mod admin;
pub mod audit;
pub mod billing;
pub mod cases;
pub mod context;
pub mod depth;
pub mod directory;
pub mod errors;
pub mod feed;
pub mod guards;
pub mod introspection;
pub mod inventory;
pub mod limits;
pub mod loaders;
pub mod pagination;
pub mod profile;
pub mod resources;
pub mod status;
pub mod tollfree;
pub mod traced;

use async_graphql::{MergedObject, MergedSubscription, Schema};

use crate::config::{Access, LimitsConfig};
pub use context::Ports;

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
        if crate::telemetry::tracing_on() {
            builder = builder.extension(traced::Traced {
                documents: crate::telemetry::documents_on(),
            });
        }
    }
    builder.finish()
}

/// The SDL that `schema.graphql` must equal.
pub fn sdl() -> String {
    build(None, &LimitsConfig::default(), Access::Open).sdl()
}
