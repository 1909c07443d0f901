//! Idempotency keys through the [`WriteLedger`](switchboard_core::ledger::WriteLedger).

use std::time::Duration;

use chrono::{DateTime, Utc};
use switchboard_core::cases::ActivityKind;
use switchboard_core::ledger::{Claim, KeyedWrite, LedgerActivity, WriteKind};
use switchboard_core::{Actor, Error, Result};

use crate::{BACKEND, Inner};

/// How long an in-flight claim is waited for, in 50 ms steps.
const INFLIGHT_STEPS: u32 = 100;

/// What a claim leaves the caller to do.
pub(crate) enum Slot {
    /// Write; complete or release `write` (None: no key).
    Fresh(Option<KeyedWrite>),
    /// An earlier attempt since `since` may have written: look first.
    Resumed(KeyedWrite, DateTime<Utc>),
    /// An earlier write made this record.
    Done(String),
}

impl Inner {
    fn stale_after(&self) -> Duration {
        Duration::from_millis(self.settings.timeout_ms.saturating_mul(3))
            .max(Duration::from_secs(30))
    }

    /// Claims `key` (if any) for a write of `kind` with `print`.
    pub(crate) async fn claim(
        &self,
        kind: WriteKind,
        actor: &Actor,
        key: Option<&str>,
        print: &str,
    ) -> Result<Slot> {
        let Some(key) = key else {
            return Ok(Slot::Fresh(None));
        };
        let write = KeyedWrite {
            backend: BACKEND.to_string(),
            kind,
            actor_user_id: actor.user_id.clone(),
            key: key.to_string(),
            fingerprint: print.to_string(),
        };
        for _ in 0..INFLIGHT_STEPS {
            match self.ledger.claim(&write, self.stale_after()).await? {
                Claim::Granted => return Ok(Slot::Fresh(Some(write))),
                Claim::Resumed { since } => return Ok(Slot::Resumed(write, since)),
                Claim::Done { record_id } => return Ok(Slot::Done(record_id)),
                Claim::Mismatch => {
                    return Err(Error::Conflict(
                        "this idempotency key was already used with different input".into(),
                    ));
                }
                Claim::InFlight => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        Err(Error::Conflict(
            "a request with this idempotency key is still in progress; retry shortly".into(),
        ))
    }

    /// Completes a held claim.
    pub(crate) async fn complete(&self, write: Option<&KeyedWrite>, record_id: &str) {
        if let Some(write) = write
            && let Err(error) = self.ledger.complete(write, record_id).await
        {
            tracing::error!(adapter.name = BACKEND, %error, "an idempotency key could not be completed");
        }
    }

    /// Releases a held claim whose write certainly did not happen.
    pub(crate) async fn release(&self, write: Option<&KeyedWrite>) {
        if let Some(write) = write
            && let Err(error) = self.ledger.release(write).await
        {
            tracing::error!(adapter.name = BACKEND, %error, "an idempotency key could not be released");
        }
    }

    /// Records who a record was made for (logged, never failing the write).
    pub(crate) async fn attribute(&self, record_id: &str, actor: &Actor) {
        self.wrote(record_id);
        let pair = [(record_id.to_string(), actor.name.clone())];
        if let Err(error) = self.ledger.record_authors(BACKEND, &pair).await {
            tracing::error!(adapter.name = BACKEND, %error, "the author of a write could not be recorded");
        }
    }

    /// Keeps an attachment entry of `case_id`'s story that ServiceNow has
    /// no history of (an upload under its first name, a rename, a
    /// removal), written by `actor` now. The upstream write has happened:
    /// a failure here is logged, not returned.
    pub(crate) async fn keep_story(&self, case_id: &str, actor: &Actor, body: String) {
        let entry = LedgerActivity {
            id: String::new(),
            case_id: case_id.to_string(),
            kind: ActivityKind::Attachment,
            author: actor.name.clone(),
            body,
            // Whole seconds, as ServiceNow keeps its own times.
            at: DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_else(Utc::now),
        };
        match self.ledger.record_activity(BACKEND, &entry).await {
            Ok(id) => self.wrote(&story_id(&id)),
            Err(error) => {
                tracing::error!(adapter.name = BACKEND, %error, "an attachment entry of a case's story could not be kept");
            }
        }
    }
}

/// The activity id of a kept ledger entry.
pub(crate) fn story_id(ledger_id: &str) -> String {
    format!("l:{ledger_id}")
}
