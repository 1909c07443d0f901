//! The [`WriteLedger`] in the gateway's own database (the `ledger_writes`
//! and `ledger_authors` tables): which idempotency key made which record
//! on an external backend, and which portal user each record was made for.
//!
//! Every step is one statement that is atomic on its own, so the ledger
//! needs no transaction and behaves alike on SQLite and PostgreSQL:
//! - a claim inserts its key's row and does nothing on a conflict; the
//!   primary key lets exactly one of several concurrent claims insert. The
//!   others read the row and answer from it;
//! - a stale unfinished claim is taken over by an `UPDATE` conditional on
//!   the `claimed_at` that was read, so of several concurrent resumers
//!   exactly one changes the row; the others answer in flight.
//!
//! On SQLite the `Db`'s write lock also serialises the writers.
//!
//! The same tables' neighbours keep the entries of a case's story the
//! backend forgets (`ledger_activities`) and the signed deliveries already
//! accepted from it (`ledger_deliveries`).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use switchboard_core::Result;
use switchboard_core::cases::ActivityKind;
use switchboard_core::ledger::{Claim, KeyedWrite, LedgerActivity, WriteLedger};

use crate::among::among;
use crate::db::Pools;
use crate::models::{now, utc};
use crate::schema::{
    ledger_activities as act, ledger_authors as a, ledger_deliveries as d, ledger_writes as w,
};
use crate::{BACKEND, SqlStore, db_error, pool_error, with_conn};

/// Rows per `INSERT` and ids per `IN (…)`: far below both databases'
/// limits on bound parameters.
const CHUNK: usize = 500;

/// How often a claim inserts again after its key's row vanished between the
/// insert and the read (a concurrent release); then it answers in flight.
const CLAIM_ATTEMPTS: usize = 3;

/// A key's row, as a claim reads it.
#[derive(Debug, Queryable)]
struct KeyRow {
    fingerprint: String,
    record_id: Option<String>,
    claimed_at: NaiveDateTime,
}

/// A kept activity entry, as read.
#[derive(Debug, Queryable)]
struct ActivityRow {
    id: i64,
    case_id: String,
    kind: String,
    author: String,
    body: String,
    at: NaiveDateTime,
}

impl ActivityRow {
    fn into_domain(self) -> Result<LedgerActivity> {
        let kind = ActivityKind::parse(&self.kind).ok_or_else(|| {
            tracing::error!(adapter.name = BACKEND, kind = %self.kind, "unknown activity kind in the ledger");
            switchboard_core::Error::Internal
        })?;
        Ok(LedgerActivity {
            id: self.id.to_string(),
            case_id: self.case_id,
            kind,
            author: self.author,
            body: self.body,
            at: utc(self.at),
        })
    }
}

/// The primary key of `write`'s row, as `find` takes it.
fn primary_key(write: &KeyedWrite) -> (&str, &str, &str, &str) {
    (
        &write.backend,
        write.kind.as_str(),
        &write.actor_user_id,
        &write.key,
    )
}

impl SqlStore {
    /// Inserts `write`'s row claimed at `at` unless the key has one;
    /// whether it did.
    async fn insert_claim(&self, write: &KeyedWrite, at: NaiveDateTime) -> Result<bool> {
        let inserted = with_conn!(self.db(), |conn| {
            diesel::insert_into(w::table)
                .values((
                    w::backend.eq(&write.backend),
                    w::kind.eq(write.kind.as_str()),
                    w::actor_user_id.eq(&write.actor_user_id),
                    w::idem_key.eq(&write.key),
                    w::fingerprint.eq(&write.fingerprint),
                    w::claimed_at.eq(at),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(inserted == 1)
    }

    /// `write`'s row, if its key has one.
    async fn key_row(&self, write: &KeyedWrite) -> Result<Option<KeyRow>> {
        with_conn!(self.db(), |conn| {
            w::table
                .find(primary_key(write))
                .select((w::fingerprint, w::record_id, w::claimed_at))
                .first::<KeyRow>(conn)
                .await
                .optional()
                .map_err(db_error)
        })
    }

    /// Moves the unfinished claim of `write` that was made at `since` to
    /// `at`; whether this call did (a concurrent resumer may have first).
    async fn take_over(
        &self,
        write: &KeyedWrite,
        since: NaiveDateTime,
        at: NaiveDateTime,
    ) -> Result<bool> {
        let updated = with_conn!(self.db(), |conn| {
            diesel::update(
                w::table
                    .find(primary_key(write))
                    .filter(w::record_id.is_null())
                    .filter(w::claimed_at.eq(since)),
            )
            .set(w::claimed_at.eq(at))
            .execute(conn)
            .await
            .map_err(db_error)
        })?;
        Ok(updated == 1)
    }
}

#[async_trait]
impl WriteLedger for SqlStore {
    async fn claim(&self, write: &KeyedWrite, stale_after: Duration) -> Result<Claim> {
        let _guard = self.db().write_guard().await;
        for _ in 0..CLAIM_ATTEMPTS {
            let at = now();
            if self.insert_claim(write, at).await? {
                return Ok(Claim::Granted);
            }
            let Some(row) = self.key_row(write).await? else {
                // Released between the insert and the read: claim again.
                continue;
            };
            if row.fingerprint != write.fingerprint {
                return Ok(Claim::Mismatch);
            }
            if let Some(record_id) = row.record_id {
                return Ok(Claim::Done { record_id });
            }
            let age = (utc(at) - utc(row.claimed_at)).to_std().unwrap_or_default();
            if age <= stale_after {
                return Ok(Claim::InFlight);
            }
            if !self.take_over(write, row.claimed_at, at).await? {
                // Another resumer (or the holder's completion or release)
                // came first; whatever it did, this caller waits.
                return Ok(Claim::InFlight);
            }
            tracing::info!(
                adapter.name = BACKEND,
                ledger.backend = %write.backend,
                ledger.kind = write.kind.as_str(),
                age_ms = u64::try_from(age.as_millis()).unwrap_or(u64::MAX),
                "stale write claim resumed"
            );
            return Ok(Claim::Resumed {
                since: utc(row.claimed_at),
            });
        }
        Ok(Claim::InFlight)
    }

    async fn complete(&self, write: &KeyedWrite, record_id: &str) -> Result<()> {
        let at = now();
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            diesel::insert_into(w::table)
                .values((
                    w::backend.eq(&write.backend),
                    w::kind.eq(write.kind.as_str()),
                    w::actor_user_id.eq(&write.actor_user_id),
                    w::idem_key.eq(&write.key),
                    w::fingerprint.eq(&write.fingerprint),
                    w::record_id.eq(record_id),
                    w::claimed_at.eq(at),
                    w::completed_at.eq(at),
                ))
                .on_conflict((w::backend, w::kind, w::actor_user_id, w::idem_key))
                .do_update()
                .set((w::record_id.eq(record_id), w::completed_at.eq(at)))
                .execute(conn)
                .await
                .map(drop)
                .map_err(db_error)
        })
    }

    async fn release(&self, write: &KeyedWrite) -> Result<()> {
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            diesel::delete(
                w::table
                    .find(primary_key(write))
                    .filter(w::record_id.is_null()),
            )
            .execute(conn)
            .await
            .map(drop)
            .map_err(db_error)
        })
    }

    async fn record_authors(&self, backend: &str, authors: &[(String, String)]) -> Result<()> {
        if authors.is_empty() {
            return Ok(());
        }
        let at = now();
        let row = |(record_id, author): &(String, String)| {
            (
                a::backend.eq(backend.to_string()),
                a::record_id.eq(record_id.clone()),
                a::author.eq(author.clone()),
                a::recorded_at.eq(at),
            )
        };
        let _guard = self.db().write_guard().await;
        match &*self.db().pools {
            Pools::Pg(pool) => {
                let mut conn = pool.get().await.map_err(pool_error)?;
                // Within the statement timeout, as `with_conn!` runs bodies.
                let limit = self.db().statement_timeout();
                let ran = tokio::time::timeout(limit, async {
                    for chunk in authors.chunks(CHUNK) {
                        let rows: Vec<_> = chunk.iter().map(row).collect();
                        diesel::insert_into(a::table)
                            .values(rows)
                            .on_conflict_do_nothing()
                            .execute(&mut *conn)
                            .await
                            .map_err(db_error)?;
                    }
                    Ok(())
                })
                .await;
                match ran {
                    Ok(result) => result,
                    Err(_) => Err(crate::db::timed_out(conn, limit)),
                }
            }
            Pools::Sqlite(pool) => {
                // diesel has no multi-row INSERT with ON CONFLICT on SQLite:
                // one statement per record, in one transaction.
                let mut conn = pool.get().await.map_err(pool_error)?;
                conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                    for author in authors {
                        diesel::insert_into(a::table)
                            .values(row(author))
                            .on_conflict_do_nothing()
                            .execute(conn)
                            .await?;
                    }
                    Ok(())
                })
                .await
                .map_err(db_error)
            }
        }
    }

    async fn authors(
        &self,
        backend: &str,
        record_ids: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut found = HashMap::new();
        for chunk in record_ids.chunks(CHUNK) {
            let rows: Vec<(String, String)> = with_conn!(self.db(), |conn| {
                a::table
                    .filter(a::backend.eq(backend))
                    .filter(among(a::record_id, chunk))
                    .select((a::record_id, a::author))
                    .load(conn)
                    .await
                    .map_err(db_error)
            })?;
            found.extend(rows);
        }
        Ok(found)
    }

    async fn record_activity(&self, backend: &str, entry: &LedgerActivity) -> Result<String> {
        let at = entry.at.naive_utc();
        let _guard = self.db().write_guard().await;
        let id: i64 = with_conn!(self.db(), |conn| {
            diesel::insert_into(act::table)
                .values((
                    act::backend.eq(backend),
                    act::case_id.eq(&entry.case_id),
                    act::kind.eq(entry.kind.as_str()),
                    act::author.eq(&entry.author),
                    act::body.eq(&entry.body),
                    act::at.eq(at),
                ))
                .returning(act::id)
                .get_result(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(id.to_string())
    }

    async fn activities(&self, backend: &str, case_ids: &[String]) -> Result<Vec<LedgerActivity>> {
        let mut found = Vec::new();
        for chunk in case_ids.chunks(CHUNK) {
            let rows: Vec<ActivityRow> = with_conn!(self.db(), |conn| {
                act::table
                    .filter(act::backend.eq(backend))
                    .filter(among(act::case_id, chunk))
                    .order((act::at.asc(), act::id.asc()))
                    .select((
                        act::id,
                        act::case_id,
                        act::kind,
                        act::author,
                        act::body,
                        act::at,
                    ))
                    .load(conn)
                    .await
                    .map_err(db_error)
            })?;
            for row in rows {
                found.push(row.into_domain()?);
            }
        }
        found.sort_by_key(|e| e.at);
        Ok(found)
    }

    async fn first_delivery(
        &self,
        source: &str,
        digest: &str,
        forget_before: DateTime<Utc>,
    ) -> Result<bool> {
        let at = now();
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            diesel::delete(d::table.filter(d::received_at.lt(forget_before.naive_utc())))
                .execute(conn)
                .await
                .map_err(db_error)
        })?;
        let inserted = with_conn!(self.db(), |conn| {
            diesel::insert_into(d::table)
                .values((
                    d::source.eq(source),
                    d::digest.eq(digest),
                    d::received_at.eq(at),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(inserted == 1)
    }

    async fn forget_delivery(&self, source: &str, digest: &str) -> Result<()> {
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            diesel::delete(d::table.find((source, digest)))
                .execute(conn)
                .await
                .map(drop)
                .map_err(db_error)
        })
    }
}
