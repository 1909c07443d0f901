//! switchboard's ServiceNow adapter: [`CaseStore`](switchboard_core::CaseStore),
//! [`AccountStore`](switchboard_core::AccountStore) and the cases of toll-free
//! change requests ([`RequestCases`](switchboard_core::tollfree::RequestCases))
//! over the Table and Attachment APIs of a CSM instance, following the
//! instance profile (tables and fields are [`Settings`]).
//!
//! - Ids: a case is its `sys_id`, an account its `customer_account.number`;
//!   activity ids are `j:`/`a:`/`f:` + the journal, audit or attachment
//!   sys_id, `l:` + a ledger entry's id (attachment entries ServiceNow keeps
//!   no history of) and `c:` + the case's sys_id ("Case created").
//! - Attribution: ServiceNow records every write under the integration user,
//!   so each write names its portal author in the [`WriteLedger`], and reads
//!   take authors from there (records made inside ServiceNow show the
//!   `sys_user` name).
//! - Idempotency: keyed writes claim their key in the ledger; creates also
//!   write `correlation_id`, so a retry after a lost answer finds the case
//!   instead of opening another. POSTs are never retried blindly.
//! - Text search strips `^` from the words (ServiceNow has no escape for it).
//! - Ordering by state or priority walks the instance's value groups in
//!   life-cycle (or urgency) order, one query per group, since the
//!   instance's values are not in that order.
//! - Activity entries written in the same second are ordered by the order
//!   this process wrote them (kept in memory), then by sys_id.
//! - Watch-list entries carry the case's opening time as `added_at`
//!   (ServiceNow does not date them).
//! - A cancel writes the reason (or a default) into `close_notes`; a reason
//!   given by the customer is also written as a comment.
//! - A new case carries a work note naming the portal user who opened it
//!   (agents only; work notes never reach the portal).

mod accounts;
mod auth;
mod breaker;
mod cache;
mod cases;
mod directory;
mod http;
mod mapping;
pub mod poller;
mod query;
mod settings;
mod wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use switchboard_core::cases::Catalog;
use switchboard_core::directory::{Contact, Location, Product};
use switchboard_core::ledger::WriteLedger;
use switchboard_core::{Error, Result};

pub use settings::{Auth, Fields, Grant, Settings, Tables};
pub use switchboard_core::server::CaseRef;

use crate::cache::TtlMap;
use crate::http::{Http, HttpError};
use crate::mapping::{CHOICE_FIELDS, Choice, Values};
use crate::query::ListUrl;

/// The backend name in errors, logs and the ledger.
pub const BACKEND: &str = "servicenow";

/// An account as the cache keeps it.
#[derive(Debug, Clone)]
pub(crate) struct AccountRef {
    pub sys_id: String,
    pub number: String,
    pub name: String,
}

/// A `sys_user` as the cache keeps it.
#[derive(Debug, Clone)]
pub(crate) struct UserRef {
    pub name: String,
    pub email: String,
}

/// The ServiceNow adapter. Cheap to clone.
#[derive(Clone)]
pub struct ServiceNow {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub settings: Settings,
    pub http: Arc<Http>,
    pub ledger: Arc<dyn WriteLedger>,
    pub values: Values,
    pub catalog: TtlMap<(), Arc<Catalog>>,
    pub accounts: TtlMap<String, AccountRef>,
    pub account_numbers: TtlMap<String, String>,
    pub locations: TtlMap<String, Location>,
    pub products: TtlMap<String, Product>,
    pub contacts: TtlMap<String, Contact>,
    pub users: TtlMap<String, UserRef>,
    pub user_ids: TtlMap<String, UserRef>,
    /// The order in which this process wrote records (ties within a second).
    pub written: Mutex<HashMap<String, u64>>,
    pub write_seq: AtomicU64,
    /// One lock per case whose watch list this process is changing.
    pub watch_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Inner {
    /// Runs a list GET.
    pub(crate) async fn list(
        &self,
        table: &str,
        query: String,
        fields: &[&str],
        limit: usize,
    ) -> Result<Vec<wire::Record>, HttpError> {
        Ok(self
            .list_counted(table, query, fields, limit, false)
            .await?
            .0)
    }

    /// Runs a list GET and, when `count` is set, reads how many rows match
    /// `query` in all from the same answer's `X-Total-Count`.
    pub(crate) async fn list_counted(
        &self,
        table: &str,
        query: String,
        fields: &[&str],
        limit: usize,
        count: bool,
    ) -> Result<(Vec<wire::Record>, Option<u64>), HttpError> {
        let url = ListUrl {
            table,
            query,
            fields,
            limit,
            count,
        }
        .build();
        let resp = self.http.get(url).await?;
        let total = match (count, resp.total) {
            (false, _) => None,
            (true, Some(total)) => Some(total),
            (true, None) => {
                return Err(HttpError::Payload(
                    "a counted list answer has no X-Total-Count".into(),
                ));
            }
        };
        Ok((wire::list(&resp)?, total))
    }

    /// The number of rows matching `query` (from `X-Total-Count`).
    pub(crate) async fn count(&self, table: &str, query: String) -> Result<u64, HttpError> {
        let url = ListUrl {
            table,
            query,
            fields: &["sys_id"],
            limit: 1,
            count: true,
        }
        .build();
        let resp = self.http.get(url).await?;
        resp.total
            .ok_or_else(|| HttpError::Payload("a count answer has no X-Total-Count".into()))
    }

    /// Remembers that this process wrote `sys_id` now.
    pub(crate) fn wrote(&self, sys_id: &str) {
        let seq = self.write_seq.fetch_add(1, Ordering::Relaxed) + 1;
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        if written.len() > 100_000 {
            written.clear();
        }
        written.insert(sys_id.to_string(), seq);
    }

    /// The local write order of `sys_id` (0 when written elsewhere).
    pub(crate) fn seq_of(&self, sys_id: &str) -> u64 {
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sys_id)
            .copied()
            .unwrap_or(0)
    }
}

impl ServiceNow {
    /// Connects: validates settings, obtains a token if OAuth, reads
    /// `sys_choice` (state, priority, catalog) and fails loudly (an error
    /// with a clear message, no secrets) when the instance's values do not
    /// map (e.g. a portal state has no value).
    pub async fn connect(settings: Settings, ledger: Arc<dyn WriteLedger>) -> Result<Self> {
        let http = Http::new(&settings).map_err(|message| {
            tracing::error!(adapter.name = BACKEND, %message, "invalid ServiceNow settings");
            Error::invalid("servicenow.instance_url", message)
        })?;
        let ttl = Duration::from_secs(settings.reference_ttl_secs);
        let http = Arc::new(http);
        let choices = load_choices(&http, &settings)
            .await
            .map_err(|e| e.into_core("the choice lists"))?;
        let values = Values::resolve(&choices, &settings.states, &settings.priorities).map_err(
            |message| {
                tracing::error!(adapter.name = BACKEND, instance.host = %settings.host(), %message, "the ServiceNow instance does not map onto the portal");
                Error::invalid("servicenow.states", message)
            },
        )?;
        let inner = Inner {
            http,
            ledger,
            values,
            catalog: TtlMap::new(ttl),
            accounts: TtlMap::new(ttl),
            account_numbers: TtlMap::new(ttl),
            locations: TtlMap::new(ttl),
            products: TtlMap::new(ttl),
            contacts: TtlMap::new(ttl),
            users: TtlMap::new(ttl),
            user_ids: TtlMap::new(ttl),
            written: Mutex::new(HashMap::new()),
            watch_locks: Mutex::new(HashMap::new()),
            write_seq: AtomicU64::new(0),
            settings,
        };
        inner
            .catalog
            .put((), Arc::new(inner.build_catalog(&choices)));
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The case's number and portal account id, unscoped (for webhook
    /// events); None when there is no such case.
    pub async fn case_ref(&self, sys_id: &str) -> Result<Option<CaseRef>> {
        let ids = query::id_list(&[sys_id.to_string()]);
        if ids.is_empty() {
            return Ok(None);
        }
        let refs = self
            .inner
            .case_refs(format!("sys_id={}", ids[0]), 1)
            .await?;
        Ok(refs.into_iter().next())
    }

    /// Cases changed after `since` (`sys_updated_on > since`), oldest first,
    /// at most `limit`.
    pub async fn changed_since(&self, since: DateTime<Utc>, limit: usize) -> Result<Vec<CaseRef>> {
        self.inner
            .case_refs(
                format!(
                    "sys_updated_on>{}^ORDERBYsys_updated_on^ORDERBYsys_id",
                    query::datetime(since)
                ),
                limit,
            )
            .await
    }

    /// Polls every `poll_secs` and publishes a `CaseEvent` of kind `Updated`
    /// on `bus` for every case changed since the previous poll (comments
    /// included: polling cannot tell what changed without reading the
    /// journal). Runs while this replica holds the lease
    /// [`poller::LEASE`], from the watermark the previous holder saved, or
    /// from now; no replay of older history. None when polling is off
    /// (`poll_secs` = 0) or outside a tokio runtime.
    pub fn spawn_poller(
        &self,
        bus: Arc<dyn switchboard_core::EventBus>,
        leases: Arc<dyn switchboard_core::lease::Leases>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        poller::spawn(self.clone(), bus, leases)
    }

    /// Upstream requests made so far (for tests and metrics).
    pub fn upstream_requests(&self) -> u64 {
        self.inner.http.requests()
    }
}

impl Inner {
    fn build_catalog(&self, choices: &[Choice]) -> Catalog {
        let f = &self.settings.fields;
        mapping::catalog(
            choices,
            &f.case_type,
            &f.support_case_type,
            &f.category,
            &self.settings.proactive_case_types,
        )
    }

    /// The catalog, cached for the reference TTL.
    pub(crate) async fn catalog(&self) -> Result<Arc<Catalog>> {
        if let Some(c) = self.catalog.get(&()) {
            return Ok(c);
        }
        let choices = load_choices(&self.http, &self.settings)
            .await
            .map_err(|e| e.into_core("the case catalog"))?;
        let catalog = Arc::new(self.build_catalog(&choices));
        self.catalog.put((), catalog.clone());
        Ok(catalog)
    }

    async fn case_refs(&self, query: String, limit: usize) -> Result<Vec<CaseRef>> {
        let account = format!("{}.number", self.settings.fields.account);
        let fields = ["sys_id", "number", account.as_str(), "sys_updated_on"];
        let rows = self
            .list(&self.settings.tables.case, query, &fields, limit)
            .await
            .map_err(|e| e.into_core("cases"))?;
        rows.iter()
            .map(|r| {
                Ok(CaseRef {
                    id: wire::s(r, "sys_id"),
                    number: wire::s(r, "number"),
                    account_id: wire::s(r, &account),
                    updated_at: wire::date(r, "sys_updated_on")?,
                })
            })
            .collect::<Result<Vec<_>, HttpError>>()
            .map_err(|e| e.into_core("cases"))
    }
}

async fn load_choices(http: &Arc<Http>, settings: &Settings) -> Result<Vec<Choice>, HttpError> {
    let f = &settings.fields;
    let query = format!(
        "name={}^elementINstate,priority,{},{},{}^inactive!=true^ORDERBYsequence",
        settings.tables.case, f.case_type, f.support_case_type, f.category
    );
    let url = ListUrl {
        table: &settings.tables.choice,
        query,
        fields: CHOICE_FIELDS,
        limit: 10_000,
        count: false,
    }
    .build();
    let resp = http.get(url).await?;
    Ok(wire::list(&resp)?
        .iter()
        .filter(|r| wire::s(r, "inactive") != "true")
        .map(Choice::from_record)
        .collect())
}

/// Records changed in the instance (its webhook names the table and
/// `sys_id`) are dropped from the reference cache; users are cached by
/// login too, so a changed user drops every cached user.
impl switchboard_core::server::ReferenceCache for ServiceNow {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn caches(&self, table: &str) -> bool {
        let t = &self.inner.settings.tables;
        [
            &t.account,
            &t.location,
            &t.product,
            &t.contact,
            &t.user,
            &t.choice,
        ]
        .into_iter()
        .any(|cached| cached == table)
    }

    fn forget(&self, table: &str, ids: &[String]) {
        let inner = &self.inner;
        let t = &inner.settings.tables;
        let all = ids.is_empty();
        if table == t.account {
            // Cached by number and by sys_id.
            inner
                .accounts
                .forget_where(|account| all || ids.contains(&account.sys_id));
            if all {
                inner.account_numbers.clear();
            } else {
                inner.account_numbers.forget(ids);
            }
        } else if table == t.location {
            forget_ids(&inner.locations, ids);
        } else if table == t.product {
            forget_ids(&inner.products, ids);
        } else if table == t.contact {
            forget_ids(&inner.contacts, ids);
        } else if table == t.user {
            inner.users.clear();
            forget_ids(&inner.user_ids, ids);
        } else if table == t.choice {
            inner.catalog.clear();
        }
    }

    fn forget_all(&self) {
        let inner = &self.inner;
        inner.catalog.clear();
        inner.accounts.clear();
        inner.account_numbers.clear();
        inner.locations.clear();
        inner.products.clear();
        inner.contacts.clear();
        inner.users.clear();
        inner.user_ids.clear();
    }
}

/// Drops `ids` from `cache`, or everything when `ids` is empty.
fn forget_ids<V: Clone>(cache: &TtlMap<String, V>, ids: &[String]) {
    if ids.is_empty() {
        cache.clear();
    } else {
        cache.forget(ids);
    }
}

#[async_trait::async_trait]
impl switchboard_core::server::ChangedCases for ServiceNow {
    async fn changed_case(&self, id: &str) -> Result<Option<CaseRef>> {
        self.case_ref(id).await
    }
}
