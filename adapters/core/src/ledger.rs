//! The gateway's own record of writes it makes on an external backend
//! ([`WriteLedger`]): which idempotency key made which upstream record, and
//! which portal user each record was made for.
//!
//! An external system such as ServiceNow records every write under the
//! gateway's integration user and has nowhere to keep a client's
//! idempotency key for a comment or an upload. The ledger, kept in the
//! gateway's local database, fills both gaps:
//! - a keyed write first [`WriteLedger::claim`]s its key, makes the upstream
//!   write, then [`WriteLedger::complete`]s the claim with the record's id
//!   (or [`WriteLedger::release`]s it when the write certainly did not
//!   happen). A retry finds the claim and answers with the first record;
//! - every write through the gateway, keyed or not, names its author with
//!   [`WriteLedger::record_authors`], so the activity stream shows the
//!   portal user rather than the integration user;
//! - a change the backend keeps no history of (a renamed or removed
//!   attachment) is kept as a [`LedgerActivity`] of its case, so the case's
//!   story reads as it does on the gateway's own database;
//! - a signed delivery from the backend (a webhook post) is remembered for a
//!   while, so a replay is noticed by every gateway instance sharing the
//!   database ([`WriteLedger::first_delivery`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::cases::ActivityKind;
use crate::{Error, Result};

/// The kinds of keyed write; each has keys of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteKind {
    /// Opening a case.
    Case,
    /// Adding a comment.
    Comment,
    /// Uploading an attachment.
    Attachment,
}

impl WriteKind {
    /// The stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteKind::Case => "CASE",
            WriteKind::Comment => "COMMENT",
            WriteKind::Attachment => "ATTACHMENT",
        }
    }
}

/// One keyed write: whose key it is, for what, and a digest of its input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyedWrite {
    /// The backend written to (`servicenow`).
    pub backend: String,
    /// What kind of write.
    pub kind: WriteKind,
    /// The portal user making it ([`crate::Actor::user_id`]).
    pub actor_user_id: String,
    /// The client's idempotency key.
    pub key: String,
    /// A digest of the normalised input (case, content); a retry must match.
    pub fingerprint: String,
}

/// What [`WriteLedger::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new and now held by the caller, who must make the write
    /// and then complete or release the claim.
    Granted,
    /// An earlier attempt under the key stopped without completing or
    /// releasing it (the process died, or the upstream answer was lost)
    /// longer ago than `stale_after`. The caller now holds the claim, but
    /// must first look upstream for a record that attempt may have made.
    Resumed {
        /// When the earlier attempt claimed the key; an upstream record it
        /// made is no older than this.
        since: DateTime<Utc>,
    },
    /// An earlier write under the key made this record.
    Done {
        /// The upstream record's id.
        record_id: String,
    },
    /// Another attempt under the key is in progress; try again shortly.
    InFlight,
    /// The key was used for a write with other input.
    Mismatch,
}

/// An entry of a case's story that the gateway keeps because the backend
/// does not (a renamed or removed attachment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerActivity {
    /// The entry's id, assigned by the ledger (empty when recording).
    pub id: String,
    /// The upstream case's id.
    pub case_id: String,
    /// What kind of entry.
    pub kind: ActivityKind,
    /// The portal user's display name.
    pub author: String,
    /// The text.
    pub body: String,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// The gateway's record of keyed and attributed writes on external backends.
///
/// Guarantees (checked by the conformance suite):
/// - of concurrent claims of one new key, exactly one is
///   [`Claim::Granted`]; the others see [`Claim::InFlight`] until it
///   completes ([`Claim::Done`]) or is released (then one new claim wins);
/// - a claim is [`Claim::Mismatch`] whenever the fingerprint differs from
///   the first one, whatever state the key is in;
/// - keys are separate per backend, kind and actor.
#[async_trait]
pub trait WriteLedger: Send + Sync {
    /// Claims `write`'s key; an unfinished claim older than `stale_after`
    /// is handed over as [`Claim::Resumed`].
    async fn claim(&self, write: &KeyedWrite, stale_after: Duration) -> Result<Claim>;

    /// Marks a held claim done with the record it made.
    async fn complete(&self, write: &KeyedWrite, record_id: &str) -> Result<()>;

    /// Gives up a held claim whose write certainly did not happen, so a
    /// retry may write.
    async fn release(&self, write: &KeyedWrite) -> Result<()>;

    /// Records, for each `(record id, author name)`, who an upstream record
    /// of `backend` was made for. Recording a record again keeps the first.
    async fn record_authors(&self, backend: &str, authors: &[(String, String)]) -> Result<()>;

    /// The recorded authors of these records of `backend`, by record id;
    /// records made outside the gateway are absent.
    async fn authors(
        &self,
        backend: &str,
        record_ids: &[String],
    ) -> Result<HashMap<String, String>>;

    /// Keeps `entry` in its case's story on `backend`; answers its id.
    async fn record_activity(&self, backend: &str, entry: &LedgerActivity) -> Result<String>;

    /// The kept entries of these cases of `backend`, oldest first.
    async fn activities(&self, backend: &str, case_ids: &[String]) -> Result<Vec<LedgerActivity>>;

    /// Notes the delivery `digest` from `source` (a webhook's signature);
    /// `false` when it was noted before, so the delivery is a replay.
    /// Deliveries noted before `forget_before` are forgotten: the caller
    /// refuses deliveries that old by their timestamp anyway.
    async fn first_delivery(
        &self,
        source: &str,
        digest: &str,
        forget_before: DateTime<Utc>,
    ) -> Result<bool>;

    /// Forgets the delivery `digest` from `source`, so that the sender's
    /// retry of a delivery that could not be handled is first again.
    async fn forget_delivery(&self, source: &str, digest: &str) -> Result<()>;
}

#[derive(Debug, Clone)]
enum Held {
    Claimed(DateTime<Utc>),
    Done(String),
}

#[derive(Debug, Default)]
struct Entries {
    keys: HashMap<(String, WriteKind, String, String), (String, Held)>,
    authors: HashMap<(String, String), String>,
    activities: Vec<(String, LedgerActivity)>,
    deliveries: HashMap<(String, String), DateTime<Utc>>,
}

/// A [`WriteLedger`] in memory, for tests and single-process trials: it
/// forgets everything when the process ends, so a retry after a restart
/// may write twice. Deployments use the SQL adapter's ledger.
#[derive(Debug, Clone, Default)]
pub struct InMemoryLedger {
    entries: Arc<Mutex<Entries>>,
}

impl InMemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Entries>> {
        self.entries.lock().map_err(|_| Error::Internal)
    }
}

fn slot(write: &KeyedWrite) -> (String, WriteKind, String, String) {
    (
        write.backend.clone(),
        write.kind,
        write.actor_user_id.clone(),
        write.key.clone(),
    )
}

#[async_trait]
impl WriteLedger for InMemoryLedger {
    async fn claim(&self, write: &KeyedWrite, stale_after: Duration) -> Result<Claim> {
        let now = Utc::now();
        let mut entries = self.lock()?;
        let entry = match entries.keys.entry(slot(write)) {
            std::collections::hash_map::Entry::Vacant(vacant) => {
                vacant.insert((write.fingerprint.clone(), Held::Claimed(now)));
                return Ok(Claim::Granted);
            }
            std::collections::hash_map::Entry::Occupied(occupied) => occupied.into_mut(),
        };
        if entry.0 != write.fingerprint {
            return Ok(Claim::Mismatch);
        }
        Ok(match &entry.1 {
            Held::Done(record_id) => Claim::Done {
                record_id: record_id.clone(),
            },
            Held::Claimed(since) => {
                let age = (now - *since).to_std().unwrap_or_default();
                if age > stale_after {
                    let since = *since;
                    entry.1 = Held::Claimed(now);
                    Claim::Resumed { since }
                } else {
                    Claim::InFlight
                }
            }
        })
    }

    async fn complete(&self, write: &KeyedWrite, record_id: &str) -> Result<()> {
        let mut entries = self.lock()?;
        entries.keys.insert(
            slot(write),
            (write.fingerprint.clone(), Held::Done(record_id.to_string())),
        );
        Ok(())
    }

    async fn release(&self, write: &KeyedWrite) -> Result<()> {
        let mut entries = self.lock()?;
        let key = slot(write);
        if matches!(entries.keys.get(&key), Some((_, Held::Claimed(_)))) {
            entries.keys.remove(&key);
        }
        Ok(())
    }

    async fn record_authors(&self, backend: &str, authors: &[(String, String)]) -> Result<()> {
        let mut entries = self.lock()?;
        for (record_id, author) in authors {
            entries
                .authors
                .entry((backend.to_string(), record_id.clone()))
                .or_insert_with(|| author.clone());
        }
        Ok(())
    }

    async fn authors(
        &self,
        backend: &str,
        record_ids: &[String],
    ) -> Result<HashMap<String, String>> {
        let entries = self.lock()?;
        Ok(record_ids
            .iter()
            .filter_map(|id| {
                entries
                    .authors
                    .get(&(backend.to_string(), id.clone()))
                    .map(|a| (id.clone(), a.clone()))
            })
            .collect())
    }

    async fn record_activity(&self, backend: &str, entry: &LedgerActivity) -> Result<String> {
        let mut entries = self.lock()?;
        let id = (entries.activities.len() + 1).to_string();
        entries.activities.push((
            backend.to_string(),
            LedgerActivity {
                id: id.clone(),
                ..entry.clone()
            },
        ));
        Ok(id)
    }

    async fn activities(&self, backend: &str, case_ids: &[String]) -> Result<Vec<LedgerActivity>> {
        let entries = self.lock()?;
        let mut found: Vec<LedgerActivity> = entries
            .activities
            .iter()
            .filter(|(b, e)| b == backend && case_ids.contains(&e.case_id))
            .map(|(_, e)| e.clone())
            .collect();
        found.sort_by_key(|e| e.at);
        Ok(found)
    }

    async fn first_delivery(
        &self,
        source: &str,
        digest: &str,
        forget_before: DateTime<Utc>,
    ) -> Result<bool> {
        let mut entries = self.lock()?;
        entries.deliveries.retain(|_, at| *at >= forget_before);
        let key = (source.to_string(), digest.to_string());
        if entries.deliveries.contains_key(&key) {
            return Ok(false);
        }
        entries.deliveries.insert(key, Utc::now());
        Ok(true)
    }

    async fn forget_delivery(&self, source: &str, digest: &str) -> Result<()> {
        let mut entries = self.lock()?;
        entries
            .deliveries
            .remove(&(source.to_string(), digest.to_string()));
        Ok(())
    }
}
