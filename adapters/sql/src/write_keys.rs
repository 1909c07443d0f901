//! Idempotency keys of comments and uploads (the `write_keys` table): how a
//! retried write finds what the first one made.
//!
//! A key's row is inserted in the transaction that makes its record, and
//! its primary key (actor, kind of write, key) lets only one of several
//! concurrent retries commit. The others fail with a unique violation (a
//! [`Error::Conflict`]), roll back, and answer with the winner's record by
//! looking the key up again. A case's key is kept on the case itself.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchboard_core::cases::{Activity, Attachment};
use switchboard_core::{Actor, Error, Result, Scope};

use crate::models::{ActivityRow, AttachmentRow, WriteKeyRow, case_not_found};
use crate::schema::{attachments, case_activities, cases, write_keys};
use crate::{SqlStore, db_error, with_conn};

/// The writes a key in `write_keys` can name. Each has keys of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyedWrite {
    /// `add_comment`; the record is a `case_activities` row.
    Comment,
    /// `add_attachment`; the record is an `attachments` row.
    Attachment,
}

impl KeyedWrite {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyedWrite::Comment => "COMMENT",
            KeyedWrite::Attachment => "ATTACHMENT",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            KeyedWrite::Comment => "comment",
            KeyedWrite::Attachment => "upload",
        }
    }
}

/// The row recording that `actor` made `record_id` on `case_id` under `key`.
pub(crate) fn key_row(
    actor: &Actor,
    kind: KeyedWrite,
    key: &str,
    hash: &str,
    case_id: i64,
    record_id: i64,
    at: chrono::NaiveDateTime,
) -> WriteKeyRow {
    WriteKeyRow {
        actor_subject: actor.user_id.clone(),
        kind: kind.as_str().to_string(),
        idempotency_key: key.to_string(),
        request_hash: hash.to_string(),
        case_id,
        record_id,
        created_at: at,
    }
}

impl SqlStore {
    /// The earlier write `actor` made under `key`, with its case's number.
    /// Other input under the key is a conflict; a case now outside `scope`
    /// is not found.
    async fn earlier_write(
        &self,
        scope: &Scope,
        actor: &Actor,
        kind: KeyedWrite,
        key: &str,
        hash: &str,
    ) -> Result<Option<(WriteKeyRow, String)>> {
        let found: Option<(WriteKeyRow, String, String)> = with_conn!(self.db, |conn| {
            write_keys::table
                .inner_join(cases::table)
                .filter(write_keys::actor_subject.eq(&actor.user_id))
                .filter(write_keys::kind.eq(kind.as_str()))
                .filter(write_keys::idempotency_key.eq(key))
                .select((WriteKeyRow::as_select(), cases::account_id, cases::number))
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        let Some((row, account_id, number)) = found else {
            return Ok(None);
        };
        if row.request_hash != hash {
            return Err(Error::Conflict(format!(
                "this idempotency key was already used for a different {noun}; send a new key with a new {noun}",
                noun = kind.noun()
            )));
        }
        if !scope.contains(&account_id) {
            return Err(case_not_found(&row.case_id.to_string()));
        }
        Ok(Some((row, number)))
    }

    /// The comment `actor` already added under `key`, if any (see
    /// [`SqlStore::earlier_write`] for the errors).
    pub(crate) async fn comment_replay(
        &self,
        scope: &Scope,
        actor: &Actor,
        key: &str,
        hash: &str,
    ) -> Result<Option<Activity>> {
        let Some((earlier, number)) = self
            .earlier_write(scope, actor, KeyedWrite::Comment, key, hash)
            .await?
        else {
            return Ok(None);
        };
        let row: Option<ActivityRow> = with_conn!(self.db, |conn| {
            case_activities::table
                .filter(case_activities::id.eq(earlier.record_id))
                .select(ActivityRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        row.map(|a| Some(a.into_domain(number)))
            .ok_or_else(|| Error::not_found(format!("comment {}", earlier.record_id)))
    }

    /// The attachment `actor` already uploaded under `key`, if any (see
    /// [`SqlStore::earlier_write`] for the errors); not found when it has
    /// since been deleted.
    pub(crate) async fn attachment_replay(
        &self,
        scope: &Scope,
        actor: &Actor,
        key: &str,
        hash: &str,
    ) -> Result<Option<Attachment>> {
        let Some((earlier, _)) = self
            .earlier_write(scope, actor, KeyedWrite::Attachment, key, hash)
            .await?
        else {
            return Ok(None);
        };
        let row: Option<AttachmentRow> = with_conn!(self.db, |conn| {
            attachments::table
                .filter(attachments::id.eq(earlier.record_id))
                .select(AttachmentRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        row.map(|a| Some(a.into_domain())).ok_or_else(|| {
            Error::not_found(format!(
                "attachment {} (uploaded under this idempotency key and since deleted)",
                earlier.record_id
            ))
        })
    }
}
