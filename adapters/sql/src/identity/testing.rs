//! For tests: what time and failed sign-ins would do to identity data,
//! done at once (recovery links expire, a user is locked out), so the
//! conformance suite and the end-to-end tests can check how the port
//! answers afterwards.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchboard_core::identity::UserStatus;
use switchboard_core::{Error, Result};

use crate::models::{now, parse_id};
use crate::schema::{recovery_tokens, user_credentials};
use crate::{SqlStore, db_error, with_conn};

/// Makes every recovery link issued so far expired.
pub async fn expire_recovery_links(store: &SqlStore) -> Result<()> {
    let past = now() - chrono::Duration::seconds(1);
    let _guard = store.db().write_guard().await;
    with_conn!(store.db(), |conn| {
        diesel::update(recovery_tokens::table)
            .set(recovery_tokens::expires_at.eq(past))
            .execute(conn)
            .await
            .map(drop)
            .map_err(db_error)
    })
}

/// Sets the sign-in status of `user_id`, who must have a local password.
pub async fn set_user_status(store: &SqlStore, user_id: &str, status: UserStatus) -> Result<()> {
    let id = parse_id(user_id).ok_or_else(|| Error::not_found(format!("user {user_id}")))?;
    let _guard = store.db().write_guard().await;
    let changed = with_conn!(store.db(), |conn| {
        diesel::update(user_credentials::table.filter(user_credentials::user_id.eq(id)))
            .set(user_credentials::status.eq(status.as_str()))
            .execute(conn)
            .await
            .map_err(db_error)
    })?;
    match changed {
        0 => Err(Error::not_found(format!("credentials of user {user_id}"))),
        _ => Ok(()),
    }
}
