//! The demo dataset: accounts, locations, products, contacts, users with
//! every role, and cases with activity. Deterministic for a given seed and
//! anchor time, so demos and benchmarks are reproducible.
//!
//! - the demo accounts, users and operators the guides use come from
//!   [`switchboard_core::demo`].
//! - `generate`: the rows, from a seed (word lists in `words`).
//! - `write`: the rows into SQLite or PostgreSQL, in bulk.

use chrono::{Duration, NaiveDateTime};
use diesel::{Connection, ExpressionMethods, QueryDsl};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use switchboard_core::cases::prelude::*;
use switchboard_core::cases::{ActivityKind, CaseState, Priority};
use switchboard_core::{Error, Result, Role};

use crate::models::*;
use crate::schema::*;
use crate::{Backend, SqlStore};

mod generate;
mod words;
mod write;

use generate::generate;
pub use switchboard_core::demo::{DEMO_ACCOUNTS, DEMO_OPERATORS, DEMO_USERS, DemoUser};
use write::{write_postgres, write_sqlite};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// How many accounts (at least 2: the demo users span two).
    pub accounts: usize,
    /// How many cases in all.
    pub cases: usize,
    /// The random seed.
    pub seed: u64,
    /// "Now" for the dataset: cases are opened in the 18 months before it.
    pub anchor: NaiveDateTime,
}

struct Data {
    accounts: Vec<AccountRow>,
    locations: Vec<LocationRow>,
    products: Vec<ProductRow>,
    contacts: Vec<ContactRow>,
    users: Vec<(i64, String, String)>,
    entitlements: Vec<(i64, String, String)>,
    operators: Vec<i64>,
    cases: Vec<CaseRow>,
    activities: Vec<NewActivityRow>,
    watchers: Vec<WatcherRow>,
    identity: crate::identity::demo::DemoIdentity,
    billing: crate::billing::demo::DemoBilling,
    library: crate::resources::demo::DemoLibrary,
    inventory: crate::inventory::demo::DemoInventory,
    tollfree: Vec<crate::tollfree::demo::NewNumberRow>,
}

/// What a seed run wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Accounts written.
    pub accounts: usize,
    /// Users written.
    pub users: usize,
    /// Cases written.
    pub cases: usize,
    /// Activity entries written.
    pub activities: usize,
}

/// Whether the database holds no accounts yet.
pub async fn is_empty(store: &SqlStore) -> Result<bool> {
    use diesel_async::RunQueryDsl;
    let n: i64 = crate::with_conn!(store.db(), |conn| {
        accounts::table
            .count()
            .get_result(conn)
            .await
            .map_err(crate::db_error)
    })?;
    Ok(n == 0)
}

/// A new SQLite database at `path` (which must not exist yet), migrated and
/// filled with the demo dataset of `options`: the source of the fakes'
/// datasets, read through the ports.
pub async fn scratch_sqlite(path: &std::path::Path, options: &SeedOptions) -> Result<SqlStore> {
    let url = path.display().to_string();
    let db = crate::Db::connect(&url, &crate::DbOptions::default())?;
    crate::migrate::run(&db).await?;
    let store = SqlStore::new(db);
    seed(&store, options).await?;
    Ok(store)
}

/// Fills an empty, migrated database with the demo dataset.
pub async fn seed(store: &SqlStore, options: &SeedOptions) -> Result<SeedReport> {
    if !is_empty(store).await? {
        return Err(Error::Conflict(
            "the database already holds data; seed an empty database".into(),
        ));
    }
    let catalog = store.catalog().await?;
    let kinds: Vec<(String, String, String, String)> = catalog
        .case_types
        .iter()
        .flat_map(|t| {
            t.support_case_types.iter().flat_map(move |s| {
                s.categories.iter().map(move |c| {
                    (
                        t.code.clone(),
                        s.code.clone(),
                        c.code.clone(),
                        c.name.clone(),
                    )
                })
            })
        })
        .collect();
    if kinds.is_empty() {
        return Err(Error::Conflict(
            "the case catalog is empty; run the migrations".into(),
        ));
    }
    let mut data = generate(options, &kinds);
    let account_ids: Vec<String> = data.accounts.iter().map(|a| a.id.clone()).collect();
    data.identity =
        crate::identity::demo::generate(&data.users, &account_ids, options.anchor, options.seed)?;
    let named: Vec<(String, String)> = data
        .accounts
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    data.billing =
        crate::billing::demo::generate(&named, DEMO_ACCOUNTS.len(), options.anchor, options.seed);
    data.tollfree =
        crate::tollfree::demo::generate(&account_ids, DEMO_ACCOUNTS.len(), options.seed);
    data.library = crate::resources::demo::generate();
    let installed: Vec<crate::inventory::demo::Installed<'_>> = data
        .products
        .iter()
        .filter_map(|p| Some((p.id, p.account_id.as_str(), p.location_id?, p.name.as_str())))
        .collect();
    data.inventory = crate::inventory::demo::generate(&installed, options.anchor, options.seed);
    let report = SeedReport {
        accounts: data.accounts.len(),
        users: data.users.len(),
        cases: data.cases.len(),
        activities: data.activities.len(),
    };
    match store.db().backend() {
        Backend::Sqlite => {
            let path = store
                .db()
                .url()
                .strip_prefix("sqlite://")
                .unwrap_or(store.db().url())
                .to_string();
            tokio::task::spawn_blocking(move || write_sqlite(&path, &data))
                .await
                .map_err(|_| Error::Internal)??;
        }
        Backend::Postgres => write_postgres(store.db().url(), &data).await?,
    }
    crate::status::write_demo(store, options.anchor).await?;
    Ok(report)
}
