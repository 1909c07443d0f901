//! The ports of the domains that may live outside the gateway's database,
//! built from `[cases]` and `[directory]`: support cases and accounts on
//! SQL or ServiceNow, users and identity on SQL or Okta. Every other
//! domain stays on SQL, so a mixed deployment runs in one process.

use std::sync::Arc;

use anyhow::Context as _;
use switchboard_core::inventory::Inventory;
use switchboard_core::ledger::WriteLedger;
use switchboard_core::tollfree::RequestCases;
use switchboard_core::{AccountStore, CaseStore, Identity, UserDirectory};
use switchboard_okta::Okta;
use switchboard_servicenow::ServiceNow;
use switchboard_sql::SqlStore;

use crate::config::{CasesBackend, Config, DirectoryBackend, adapter_settings};
pub use switchboard_core::inventory::BridgedInventory;

/// The configured backends of the external-capable domains.
pub struct Backends {
    /// Support cases (not yet wrapped in event publishing).
    pub cases: Arc<dyn CaseStore>,
    /// Accounts, locations, products and contacts: they live with the cases.
    pub accounts: Arc<dyn AccountStore>,
    /// Who a token's subject is, with their entitlements.
    pub directory: Arc<dyn UserDirectory>,
    /// Users of an account, factors, passwords and recovery.
    pub identity: Arc<dyn Identity>,
    /// The ServiceNow adapter, when cases live there (webhook and poller).
    pub servicenow: Option<ServiceNow>,
    /// Where toll-free change requests open their case, when cases do not
    /// live in the database (the requests themselves always do).
    pub request_cases: Option<Arc<dyn RequestCases>>,
    /// Services and assets (always in the database), naming the locations
    /// of `accounts`.
    pub inventory: Arc<dyn Inventory>,
}

impl Backends {
    /// Connects the configured backends; the database serves the rest.
    pub async fn connect(config: &Config, store: &SqlStore) -> anyhow::Result<Self> {
        let local = Arc::new(store.clone());
        let (cases, accounts, servicenow): (Arc<dyn CaseStore>, Arc<dyn AccountStore>, _) =
            match config.cases.backend {
                CasesBackend::Sql => (local.clone(), local.clone(), None),
                CasesBackend::Servicenow => {
                    let settings = adapter_settings::<switchboard_servicenow::Settings>(
                        "cases.servicenow",
                        config.cases.servicenow.as_ref(),
                    )?;
                    let ledger: Arc<dyn WriteLedger> = local.clone();
                    let url = settings.instance_url.clone();
                    let adapter =
                        ServiceNow::connect(settings, ledger)
                            .await
                            .with_context(|| {
                                format!(
                                    "cannot start the ServiceNow case backend at {url} \
                             (cases.servicenow.instance_url): check that the instance is up and \
                             reachable from here, and the integration user's credentials"
                                )
                            })?;
                    tracing::info!(
                        adapter.name = "servicenow",
                        "cases are served by ServiceNow"
                    );
                    let shared = Arc::new(adapter.clone());
                    (shared.clone(), shared, Some(adapter))
                }
            };
        let (directory, identity): (Arc<dyn UserDirectory>, Arc<dyn Identity>) =
            match config.directory.backend {
                DirectoryBackend::Sql => (local.clone(), local.clone()),
                DirectoryBackend::Okta => {
                    let settings = adapter_settings::<switchboard_okta::Settings>(
                        "directory.okta",
                        config.directory.okta.as_ref(),
                    )?;
                    let url = settings.org_url.clone();
                    let okta = Arc::new(
                        Okta::new(settings, accounts.clone(), local.clone())
                            .context("cannot start the Okta directory backend")?,
                    );
                    okta.check().await.with_context(|| {
                        format!(
                            "cannot reach the Okta org at {url} (directory.okta.org_url): check \
                             that it is reachable from here and the API token or service app's \
                             credentials"
                        )
                    })?;
                    tracing::info!(
                        adapter.name = "okta",
                        "users and identity are served by Okta"
                    );
                    (okta.clone(), okta)
                }
            };
        let request_cases = servicenow
            .as_ref()
            .map(|adapter| Arc::new(adapter.clone()) as Arc<dyn RequestCases>);
        let inventory: Arc<dyn Inventory> = match config.cases.backend {
            CasesBackend::Sql => local.clone(),
            CasesBackend::Servicenow => Arc::new(BridgedInventory::new(
                local.clone(),
                local.clone(),
                accounts.clone(),
            )),
        };
        Ok(Self {
            cases,
            accounts,
            directory,
            identity,
            servicenow,
            request_cases,
            inventory,
        })
    }
}

/// The fakes `switchboard demo` runs: Okta with the demo users, ServiceNow
/// with the demo data of the gateway's `[database]` demo settings (cases
/// opened up to now), read from a scratch SQLite database seeded in a
/// temporary folder that is removed once the fakes hold their copy.
#[cfg(feature = "demo")]
pub async fn demo_fakes(
    config: &Config,
    servicenow: std::net::SocketAddr,
    okta: std::net::SocketAddr,
) -> anyhow::Result<switchboard_fakes::demo::Demo> {
    use switchboard_fakes::demo::{CASES, Demo};
    let dir = std::env::temp_dir().join(format!("switchboard-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let options = switchboard_sql::seed::SeedOptions {
        accounts: config.database.demo_accounts,
        cases: CASES,
        seed: config.database.demo_seed,
        anchor: chrono::Utc::now().naive_utc(),
    };
    let started = async {
        let source = switchboard_sql::seed::scratch_sqlite(&dir.join("demo.db"), &options)
            .await
            .map_err(|e| anyhow::anyhow!("cannot seed the fakes' demo data: {e}"))?;
        Demo::start(servicenow, okta, &source, options.accounts)
            .await
            .map_err(|e| anyhow::anyhow!("cannot start the fakes: {e}"))
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    started
}
