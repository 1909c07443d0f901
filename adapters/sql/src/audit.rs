//! [`AuditLog`] on SQL.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchboard_core::Result;
use switchboard_core::audit::{AuditEntry, AuditLog};

use crate::models::utc;
use crate::schema::audit_log;
use crate::{SqlStore, db_error, with_conn};

type Row = (
    NaiveDateTime,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
);

#[async_trait]
impl AuditLog for SqlStore {
    async fn record(&self, entry: &AuditEntry) -> Result<()> {
        let targets = serde_json::to_string(&entry.targets).unwrap_or_else(|_| "[]".into());
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            diesel::insert_into(audit_log::table)
                .values((
                    audit_log::at.eq(entry.at.naive_utc()),
                    audit_log::user_id.eq(&entry.user_id),
                    audit_log::issuer.eq(&entry.issuer),
                    audit_log::client.eq(&entry.client),
                    audit_log::operation.eq(&entry.operation),
                    audit_log::fields.eq(entry.fields.join(",")),
                    audit_log::targets.eq(&targets),
                    audit_log::outcome.eq(&entry.outcome),
                    audit_log::entry_key.eq(Some(&entry.key).filter(|k| !k.is_empty())),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await
                .map(drop)
                .map_err(db_error)
        })
    }

    async fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let rows: Vec<Row> = with_conn!(self.db(), |conn| {
            audit_log::table
                .order_by((audit_log::at.desc(), audit_log::id.desc()))
                .limit(limit as i64)
                .select((
                    audit_log::at,
                    audit_log::user_id,
                    audit_log::issuer,
                    audit_log::client,
                    audit_log::operation,
                    audit_log::fields,
                    audit_log::targets,
                    audit_log::outcome,
                    audit_log::entry_key,
                ))
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(at, user_id, issuer, client, operation, fields, targets, outcome, key)| {
                    AuditEntry {
                        at: utc(at),
                        user_id,
                        issuer,
                        client,
                        operation,
                        fields: fields
                            .split(',')
                            .filter(|f| !f.is_empty())
                            .map(str::to_string)
                            .collect(),
                        targets: serde_json::from_str(&targets).unwrap_or_default(),
                        outcome,
                        key: key.unwrap_or_default(),
                    }
                },
            )
            .collect())
    }
}
