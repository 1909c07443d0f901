//! Operators' GraphiQL sessions: a row per signed-in browser, keyed by a
//! hash of the cookie's id, holding the access token it stands for until
//! it expires. The gateway's session layer (`src/server/session.rs`) is the
//! only user.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchboard_core::Result;
use switchboard_core::server::OperatorSessions;
pub use switchboard_core::server::StoredSession;

use crate::models::utc;
use crate::schema::operator_sessions as s;
use crate::{SqlStore, db_error, with_conn};

#[async_trait]
impl OperatorSessions for SqlStore {
    /// Records a new session.
    async fn create_session(&self, session: &StoredSession) -> Result<()> {
        let now = Utc::now().naive_utc();
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            diesel::insert_into(s::table)
                .values((
                    s::id_hash.eq(&session.id_hash),
                    s::user_id.eq(&session.user_id),
                    s::access_token.eq(&session.access_token),
                    s::created_at.eq(now),
                    s::expires_at.eq(session.expires_at.naive_utc()),
                ))
                .execute(conn)
                .await
                .map(drop)
                .map_err(db_error)
        })
    }

    /// The session with `id_hash`, unless it has ended by `now`.
    async fn live_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredSession>> {
        let row: Option<(String, String, String, chrono::NaiveDateTime)> =
            with_conn!(self.db(), |conn| {
                s::table
                    .filter(s::id_hash.eq(id_hash))
                    .filter(s::expires_at.gt(now.naive_utc()))
                    .select((s::id_hash, s::user_id, s::access_token, s::expires_at))
                    .first(conn)
                    .await
                    .optional()
                    .map_err(db_error)
            })?;
        Ok(row.map(
            |(id_hash, user_id, access_token, expires_at)| StoredSession {
                id_hash,
                user_id,
                access_token,
                expires_at: utc(expires_at),
            },
        ))
    }

    /// Ends the session with `id_hash` (nothing happens if there is none).
    async fn end_session(&self, id_hash: &str) -> Result<()> {
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            diesel::delete(s::table.filter(s::id_hash.eq(id_hash)))
                .execute(conn)
                .await
                .map(drop)
                .map_err(db_error)
        })
    }

    /// Deletes every session that ended by `now`; answers how many.
    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<usize> {
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            diesel::delete(s::table.filter(s::expires_at.le(now.naive_utc())))
                .execute(conn)
                .await
                .map_err(db_error)
        })
    }
}
