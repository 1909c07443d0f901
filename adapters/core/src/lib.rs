//! The contract between switchboard's GraphQL layer and its backends.
//!
//! - [`billing`]: invoices, charges, usage and billing details ([`BillingStore`]).
//! - [`cases`]: support cases, their catalog, activity, watch list and attachments ([`CaseStore`]).
//! - [`directory`]: accounts, locations, products, contacts and users ([`AccountStore`], [`UserDirectory`]).
//! - [`identity`]: users and teams of an account, factors, passwords, recovery and access requests ([`Identity`]).
//! - [`access`]: who is asking ([`Actor`]) and what they may see ([`Scope`]).
//! - [`audit`]: the trail of every mutation ([`audit::AuditLog`]).
//! - [`events`]: case events, the [`EventBus`] that carries them, and the [`Buses`] a [`Relay`] joins across replicas.
//! - [`status`]: system status, its components, incidents and indicator ([`StatusSource`]).
//! - [`error`]: the one error every adapter maps its failures into.
//! - [`publishing`]: a [`CaseStore`] decorator that publishes an event after every write.
//! - [`tollfree`]: toll-free numbers, ring-to change previews and requests ([`TollFreeStore`]).
//! - [`resources`]: the resource library and My Apps, by product ([`ResourceLibrary`]).
//! - [`inventory`]: services and assets at an account's locations ([`Inventory`]).
//! - [`server`]: what the HTTP server needs of backends: readiness, operator sessions, change notices.
//! - [`demo`]: the demo accounts, users and operators every mode of the demo holds.
//! - [`ledger`]: the gateway's record of keyed and attributed writes on external backends ([`ledger::WriteLedger`]).
//! - [`lease`]: work done once per cluster, by the replica holding its [`lease::Lease`].
//!
//! Every method that reads or writes customer data takes a [`Scope`]; an adapter
//! must never return or touch a record outside it, and must answer
//! [`Error::NotFound`] for such a record, exactly as for one that does not exist.

pub mod access;
pub mod audit;
pub mod billing;
pub mod cases;
pub mod demo;
pub mod directory;
pub mod error;
pub mod events;
pub mod identity;
pub mod inventory;
pub mod lease;
pub mod ledger;
pub mod page;
pub mod publishing;
pub mod resources;
pub mod server;
pub mod status;
pub mod tollfree;
pub mod upstream;
pub mod validate;

pub use access::{Actor, Entitlement, Role, Scope};
pub use billing::BillingStore;
pub use cases::CaseStore;
pub use directory::{AccountStore, UserDirectory};
pub use error::{Error, Result};
pub use events::{BusMessage, Buses, CaseEvent, CaseEventKind, EventBus, InProcessBus, Relay};
pub use identity::Identity;
pub use inventory::Inventory;
pub use page::{Page, PageRequest};
pub use resources::ResourceLibrary;
pub use status::StatusSource;
pub use tollfree::TollFreeStore;
