//! [`RecoveryLinks`] on SQL: a link is claimed by one conditional UPDATE
//! (`used_at IS NULL`, not expired, its own kind) whose affected-row count
//! decides, so of two racing redemptions exactly one wins; the new password
//! or status is written in the same transaction.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use switchboard_core::Result;
use switchboard_core::identity::{
    MAX_RECOVERY_TOKEN_CHARS, RecoveryCompletion, RecoveryKind, RecoveryLinks, UserStatus,
    check_password, invalid_recovery_link,
};

use super::{blocking, hash_password};
use crate::models::{hex, now};
use crate::schema::{recovery_tokens, user_credentials, users};
use crate::{BACKEND, SqlStore, db_error, with_conn};

/// What a redemption writes besides claiming its link.
struct Redemption<'a> {
    user_id: i64,
    digest: &'a str,
    kind: RecoveryKind,
    /// The new password's hash, for a reset.
    new_hash: Option<String>,
    at: NaiveDateTime,
}

impl SqlStore {
    /// The user (id and login) of the live link with `digest` and `kind`.
    async fn live_link(&self, digest: &str, kind: RecoveryKind) -> Result<Option<(i64, String)>> {
        let at = now();
        with_conn!(self.db(), |conn| {
            recovery_tokens::table
                .inner_join(users::table)
                .filter(recovery_tokens::token_hash.eq(digest))
                .filter(recovery_tokens::kind.eq(kind.as_str()))
                .filter(recovery_tokens::used_at.is_null())
                .filter(recovery_tokens::expires_at.gt(at))
                .select((users::id, users::email))
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })
    }

    /// Claims the link and applies the redemption in one transaction;
    /// `false` when another redemption claimed it first (nothing changes).
    async fn redeem(&self, r: &Redemption<'_>) -> Result<bool> {
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                let mine = recovery_tokens::table
                    .filter(recovery_tokens::user_id.eq(r.user_id))
                    .filter(recovery_tokens::kind.eq(r.kind.as_str()))
                    .filter(recovery_tokens::used_at.is_null());
                let claimed = diesel::update(
                    mine.filter(recovery_tokens::token_hash.eq(r.digest))
                        .filter(recovery_tokens::expires_at.gt(r.at)),
                )
                .set(recovery_tokens::used_at.eq(r.at))
                .execute(conn)
                .await?;
                if claimed == 0 {
                    return Ok(false);
                }
                // The user's other links of this kind stop working too.
                diesel::update(mine)
                    .set(recovery_tokens::used_at.eq(r.at))
                    .execute(conn)
                    .await?;
                let status: Option<String> = user_credentials::table
                    .filter(user_credentials::user_id.eq(r.user_id))
                    .select(user_credentials::status)
                    .first(conn)
                    .await
                    .optional()?;
                match (status, &r.new_hash) {
                    (Some(status), new_hash) => {
                        let status = UserStatus::parse(&status)
                            .map_or(status.clone(), |s| s.after_recovery(r.kind).as_str().into());
                        diesel::update(
                            user_credentials::table.filter(user_credentials::user_id.eq(r.user_id)),
                        )
                        .set((
                            user_credentials::status.eq(status),
                            new_hash
                                .as_ref()
                                .map(|h| user_credentials::password_hash.eq(h)),
                            new_hash
                                .as_ref()
                                .map(|_| user_credentials::password_changed_at.eq(r.at)),
                        ))
                        .execute(conn)
                        .await?;
                    }
                    // A user without a local password gets one from a reset.
                    (None, Some(hash)) => {
                        diesel::insert_into(user_credentials::table)
                            .values((
                                user_credentials::user_id.eq(r.user_id),
                                user_credentials::password_hash.eq(hash),
                                user_credentials::status.eq(UserStatus::Active.as_str()),
                                user_credentials::password_changed_at.eq(r.at),
                            ))
                            .execute(conn)
                            .await?;
                    }
                    // Nothing locks a user without a local password here.
                    (None, None) => {}
                }
                Ok(true)
            })
            .await
            .map_err(db_error)
        })
    }
}

/// The digest kept of a token, or `None` for a token no link could carry.
fn digest_of(token: &str) -> Option<String> {
    let plausible = !token.is_empty() && token.chars().count() <= MAX_RECOVERY_TOKEN_CHARS;
    plausible.then(|| hex(&Sha256::digest(token.as_bytes())))
}

#[async_trait]
impl RecoveryLinks for SqlStore {
    async fn complete_recovery(&self, token: &str, completion: &RecoveryCompletion) -> Result<()> {
        let kind = completion.kind();
        let digest = digest_of(token).ok_or_else(invalid_recovery_link)?;
        let (user_id, login) = self
            .live_link(&digest, kind)
            .await?
            .ok_or_else(invalid_recovery_link)?;
        let new_hash = match completion {
            RecoveryCompletion::ResetPassword { new_password } => {
                check_password(&login, new_password)?;
                let password = new_password.clone();
                Some(blocking(move || hash_password(&password)).await??)
            }
            RecoveryCompletion::UnlockAccount => None,
        };
        let redemption = Redemption {
            user_id,
            digest: &digest,
            kind,
            new_hash,
            at: now(),
        };
        if !self.redeem(&redemption).await? {
            return Err(invalid_recovery_link());
        }
        tracing::info!(
            adapter.name = BACKEND,
            user.id = user_id,
            recovery.kind = kind.as_str(),
            "recovery link redeemed"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implausible_tokens_are_not_looked_up() {
        assert_eq!(digest_of(""), None);
        assert_eq!(digest_of(&"a".repeat(MAX_RECOVERY_TOKEN_CHARS + 1)), None);
        let digest = digest_of("abc").expect("a digest");
        assert_eq!(digest.len(), 64);
        assert_ne!(digest, "abc");
    }
}
