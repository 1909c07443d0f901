//! The behaviour suite every adapter of a switchboard port runs.
//!
//! Each behaviour is a `pub async fn` taking the store under test and a
//! [`Fixture`] (two accounts of a seeded dataset, an actor for each, and a
//! few of their records). It panics with a message naming the broken
//! guarantee. An adapter's integration tests call every behaviour on a
//! fresh dataset, once per backend it supports:
//!
//! ```ignore
//! #[tokio::test(flavor = "multi_thread")]
//! async fn scoping() {
//!     let (store, fixture) = fresh_seeded_store().await;
//!     switchboard_conformance::cases::scoping_hides_other_accounts(&store, &fixture).await;
//! }
//! ```
//!
//! - [`cases`]: the [`CaseStore`](switchboard_core::CaseStore) port: scoping,
//!   ordering and keyset pagination, filters and counts, creation,
//!   activity, watch lists, canceling, attachments, and idempotency keys on
//!   creates, comments and uploads.
//! - [`accounts`]: the [`AccountStore`](switchboard_core::AccountStore) port
//!   (scoped lists and batch look-ups that agree with them).
//! - [`publishing`]: the [`Publishing`](switchboard_core::publishing::Publishing)
//!   decorator over any store (one event per write, none for a replay).
//!
//! - [`identity`]: the [`Identity`](switchboard_core::Identity) port (scoped
//!   user lists and teams, factors, passwords, recovery without user
//!   enumeration) and the access-request store.
//!
//! - [`billing`]: the [`BillingStore`](switchboard_core::BillingStore) port
//!   (scoping, exact summaries of charges, invoice orderings, search and
//!   pages, latest invoices, usage filters and totals).
//!
//! - [`tollfree`]: the [`TollFreeStore`](switchboard_core::TollFreeStore) port
//!   (scoping, number lists, atomic and idempotent submits, decisions).
//!
//! - [`status`]: the [`StatusSource`](switchboard_core::StatusSource) port
//!   (the demo page's components, incidents and indicator; writes only
//!   through the declared capability).
//!
//! - [`resources`]: the [`ResourceLibrary`](switchboard_core::ResourceLibrary)
//!   port (entries by product, scoping, configured entries).
//! - [`inventory`]: the [`Inventory`](switchboard_core::Inventory) port
//!   (scoping, pages, location filter and batches, search by identifier).
//! - [`audit`]: the [`AuditLog`](switchboard_core::audit::AuditLog) port
//!   (entries kept whole, newest first, none lost under concurrency).
//! - [`ledger`]: the [`WriteLedger`](switchboard_core::ledger::WriteLedger)
//!   port (one winner among concurrent claims, stale claims resumed once,
//!   fingerprints checked in every state, authors kept first).
//! - [`relay`]: the [`Relay`](switchboard_core::Relay) port (every
//!   replica hears each message once, on its bus, in publishing order).
//!
//! Behaviours write (they open cases, comment, cancel), so each needs a
//! dataset of its own.

pub mod accounts;
pub mod audit;
pub mod billing;
pub mod cases;
mod fixture;
pub mod identity;
pub mod inventory;
pub mod ledger;
mod ledger_kept;
pub mod publishing;
pub mod relay;
pub mod resources;
pub mod status;
mod support;
pub mod tollfree;

pub use billing::BillingFixture;
pub use fixture::{AccountFixture, Fixture, IdOrder};
pub use identity::IdentityFixture;
pub use inventory::InventoryFixture;
pub use resources::ResourcesFixture;
pub use tollfree::TollFreeFixture;
