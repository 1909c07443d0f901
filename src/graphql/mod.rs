//! The GraphQL schema, transport-agnostic: [`build`] makes it with the
//! ports it serves, [`sdl`] prints it, and the server and tests share both.
//!
//! The root types merge one struct per domain ([`cases`], [`directory`]).

pub mod admin;
pub mod billing;
pub mod cases;
pub mod context;
pub mod depth;
pub mod directory;
pub mod errors;
pub mod feed;
pub mod gate;
pub mod guards;
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
/// is turned off when `introspection` says so (limited to operators by
/// [`gate::Gate`], which every transport runs requests through).
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
    .limit_recursive_depth(64);
    if introspection == Access::Off {
        builder = builder.disable_introspection();
    }
    if let Some(ports) = ports {
        builder = builder.data(ports);
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
