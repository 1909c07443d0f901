//! [`Identity`], [`Outbox`] and [`AccessRequests`] on SQL: argon2id
//! password hashes, enrolled factors, account teams, single-use recovery
//! links written to an outbox and redeemed once (`identity/redeem.rs`), and stored
//! access requests.

mod access;
pub mod demo;
mod messages;
mod redeem;
#[cfg(feature = "testing")]
pub mod testing;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use rand::RngExt;
use sha2::{Digest, Sha256};
use switchboard_core::identity::{
    AccessRequest, AccessRequestRecord, AccessRequests, AccountUser, Factor, FactorKind,
    FactorProvider, FactorStatus, Identity, Outbox, OutboxMessage, PasswordChange,
    RECOVERY_LINK_TTL_SECS, RecoveryKind, RecoveryLinks, TeamMember, TeamRole, UserStatus,
    check_password,
};
use switchboard_core::{Error, Page, PageRequest, Result, Role, Scope};

use crate::among::among;
use crate::cursor::Cursor;
use crate::models::{hex, now, parse_id, utc};
use crate::schema::{
    access_requests, account_team, outbox, recovery_tokens, user_credentials, user_entitlements,
    user_factors, users,
};
use crate::{BACKEND, SqlStore, db_error, with_conn};

pub use switchboard_core::demo::DEMO_PASSWORD;

/// An argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let salt: [u8; 16] = rand::rng().random();
    let salt = SaltString::encode_b64(&salt).map_err(|_| Error::Internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| {
            tracing::error!(%error, "password hashing failed");
            Error::Internal
        })
}

/// Whether `password` matches the PHC string `hash`.
fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Runs CPU-heavy hashing off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Error::Internal)
}

fn wrong_old_password() -> Error {
    Error::invalid("oldPassword", "the current password is not correct")
}

fn factor_not_found(id: &str) -> Error {
    Error::not_found(format!("factor {id}"))
}

/// Okta Verify's push, code and FastPass factors are reset together.
fn okta_verify(provider: &str, kind: &str) -> bool {
    provider == FactorProvider::Okta.as_str()
        && [
            FactorKind::Push,
            FactorKind::TokenSoftwareTotp,
            FactorKind::SignedNonce,
        ]
        .iter()
        .any(|k| k.as_str() == kind)
}

type FactorRow = (i64, String, String, String, Option<String>, NaiveDateTime);

fn factor(row: FactorRow) -> Result<Factor> {
    let (id, kind, provider, status, detail, enrolled_at) = row;
    let corrupt = || {
        tracing::error!(
            adapter.name = BACKEND,
            factor.id = id,
            "unknown factor value"
        );
        Error::Internal
    };
    Ok(Factor {
        id: id.to_string(),
        kind: FactorKind::parse(&kind).ok_or_else(corrupt)?,
        provider: FactorProvider::parse(&provider).ok_or_else(corrupt)?,
        status: FactorStatus::parse(&status).ok_or_else(corrupt)?,
        detail,
        enrolled_at: utc(enrolled_at),
    })
}

/// A recovery link's secret and the digest kept of it.
struct RecoveryToken {
    secret: String,
    digest: String,
}

impl RecoveryToken {
    fn fresh() -> Self {
        let bytes: [u8; 32] = rand::rng().random();
        let secret = URL_SAFE_NO_PAD.encode(bytes);
        let digest = hex(&Sha256::digest(secret.as_bytes()));
        Self { secret, digest }
    }
}

/// The subject and body of a recovery message.
fn recovery_message(kind: RecoveryKind, name: &str, link: &str) -> (String, String) {
    let (subject, action) = match kind {
        RecoveryKind::ResetPassword => (
            "Reset your Customer Portal password",
            "reset the password of",
        ),
        RecoveryKind::UnlockAccount => ("Unlock your Customer Portal account", "unlock"),
    };
    let body = format!(
        "Hello {name},\n\nA request was made to {action} your Customer Portal account. \
         Open this link within one hour to continue:\n\n{link}\n\n\
         If you did not ask for this, ignore this email; nothing changes."
    );
    (subject.to_string(), body)
}

fn recovery_link(kind: RecoveryKind, base: &str, secret: &str) -> String {
    let path = match kind {
        RecoveryKind::ResetPassword => "reset",
        RecoveryKind::UnlockAccount => "unlock",
    };
    format!("{}/{path}?token={secret}", base.trim_end_matches('/'))
}

impl SqlStore {
    /// Fails with not-found unless `account_id` is in scope.
    fn in_scope(scope: &Scope, account_id: &str) -> Result<()> {
        if scope.contains(account_id) {
            Ok(())
        } else {
            Err(Error::not_found(format!("account {account_id}")))
        }
    }

    /// The user's email and password hash (none when they have no local password).
    async fn credentials(&self, user_id: i64) -> Result<(String, Option<String>)> {
        let found: Option<(String, Option<String>)> = with_conn!(self.db(), |conn| {
            users::table
                .left_join(user_credentials::table)
                .filter(users::id.eq(user_id))
                .select((users::email, user_credentials::password_hash.nullable()))
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        found.ok_or_else(|| Error::not_found(format!("user {user_id}")))
    }

    /// The user with `login` (case-insensitive): id and name.
    async fn user_by_login(&self, login: &str) -> Result<Option<(i64, String, String)>> {
        let login = login.trim().to_lowercase();
        with_conn!(self.db(), |conn| {
            users::table
                .filter(users::email.eq(&login))
                .select((users::id, users::email, users::name))
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })
    }

    /// Stores a recovery token and the message carrying its link.
    async fn write_recovery(
        &self,
        user_id: i64,
        recipient: &str,
        kind: RecoveryKind,
        digest: &str,
        message: (String, String),
    ) -> Result<()> {
        let created_at = now();
        let expires_at = created_at + Duration::seconds(RECOVERY_LINK_TTL_SECS);
        let (subject, body) = message;
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                diesel::insert_into(recovery_tokens::table)
                    .values((
                        recovery_tokens::token_hash.eq(digest),
                        recovery_tokens::user_id.eq(user_id),
                        recovery_tokens::kind.eq(kind.as_str()),
                        recovery_tokens::created_at.eq(created_at),
                        recovery_tokens::expires_at.eq(expires_at),
                    ))
                    .execute(conn)
                    .await?;
                diesel::insert_into(outbox::table)
                    .values((
                        outbox::recipient.eq(recipient),
                        outbox::kind.eq(kind.as_str()),
                        outbox::subject.eq(&subject),
                        outbox::body.eq(&body),
                        outbox::created_at.eq(created_at),
                        outbox::expires_at.eq(expires_at),
                    ))
                    .execute(conn)
                    .await?;
                Ok(())
            })
            .await
            .map_err(db_error)
        })
    }
}

#[async_trait]
impl Identity for SqlStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn account_users(&self, scope: &Scope, account_id: &str) -> Result<Vec<AccountUser>> {
        Self::in_scope(scope, account_id)?;
        type Row = (i64, String, String, String, Option<String>);
        let rows: Vec<Row> = with_conn!(self.db(), |conn| {
            user_entitlements::table
                .inner_join(users::table.left_join(user_credentials::table))
                .filter(user_entitlements::account_id.eq(account_id))
                .order_by((users::name.asc(), users::id.asc()))
                .select((
                    users::id,
                    users::email,
                    users::name,
                    user_entitlements::role,
                    user_credentials::status.nullable(),
                ))
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        rows.into_iter()
            .map(|(id, email, name, role, status)| {
                Ok(AccountUser {
                    id: id.to_string(),
                    email,
                    name,
                    role: Role::parse(&role).ok_or(Error::Internal)?,
                    status: match status {
                        None => UserStatus::Active,
                        Some(s) => UserStatus::parse(&s).ok_or(Error::Internal)?,
                    },
                })
            })
            .collect()
    }

    async fn account_team(&self, scope: &Scope, account_id: &str) -> Result<Vec<TeamMember>> {
        Self::in_scope(scope, account_id)?;
        type Row = (String, String, String, Option<String>);
        let rows: Vec<Row> = with_conn!(self.db(), |conn| {
            account_team::table
                .filter(account_team::account_id.eq(account_id))
                .order_by(account_team::position.asc())
                .select((
                    account_team::role,
                    account_team::name,
                    account_team::email,
                    account_team::phone,
                ))
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        let mut team = rows
            .into_iter()
            .map(|(role, name, email, phone)| {
                Ok(TeamMember {
                    role: TeamRole::parse(&role).ok_or(Error::Internal)?,
                    name,
                    email,
                    phone,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let rank = |r: TeamRole| TeamRole::ALL.iter().position(|x| *x == r);
        team.sort_by(|a, b| rank(a.role).cmp(&rank(b.role)).then(a.name.cmp(&b.name)));
        Ok(team)
    }

    async fn factors(&self, user_id: &str) -> Result<Vec<Factor>> {
        let Some(user_id) = parse_id(user_id) else {
            return Ok(Vec::new());
        };
        let rows: Vec<FactorRow> = with_conn!(self.db(), |conn| {
            user_factors::table
                .filter(user_factors::user_id.eq(user_id))
                .order_by((user_factors::enrolled_at.asc(), user_factors::id.asc()))
                .select((
                    user_factors::id,
                    user_factors::kind,
                    user_factors::provider,
                    user_factors::status,
                    user_factors::detail,
                    user_factors::enrolled_at,
                ))
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        rows.into_iter().map(factor).collect()
    }

    async fn reset_factor(&self, user_id: &str, factor_id: &str) -> Result<Vec<String>> {
        let (Some(user), Some(id)) = (parse_id(user_id), parse_id(factor_id)) else {
            return Err(factor_not_found(factor_id));
        };
        let _guard = self.db().write_guard().await;
        let removed: Vec<i64> = with_conn!(self.db(), |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                let mine = user_factors::table.filter(user_factors::user_id.eq(user));
                let found: Option<(String, String)> = mine
                    .filter(user_factors::id.eq(id))
                    .select((user_factors::provider, user_factors::kind))
                    .first(conn)
                    .await
                    .optional()?;
                let Some((provider, kind)) = found else {
                    return Ok(Vec::new());
                };
                let mut ids = vec![id];
                if okta_verify(&provider, &kind) {
                    let linked: Vec<(i64, String, String)> = mine
                        .select((user_factors::id, user_factors::provider, user_factors::kind))
                        .load(conn)
                        .await?;
                    ids = linked
                        .into_iter()
                        .filter(|(_, p, k)| okta_verify(p, k))
                        .map(|(i, _, _)| i)
                        .collect();
                }
                diesel::delete(mine.filter(among(user_factors::id, &ids)))
                    .execute(conn)
                    .await?;
                Ok(ids)
            })
            .await
            .map_err(db_error)
        })?;
        if removed.is_empty() {
            return Err(factor_not_found(factor_id));
        }
        Ok(removed.into_iter().map(|i| i.to_string()).collect())
    }

    async fn change_password(&self, user_id: &str, change: &PasswordChange) -> Result<()> {
        let id = parse_id(user_id).ok_or_else(|| Error::not_found(format!("user {user_id}")))?;
        let (email, hash) = self.credentials(id).await?;
        check_password(&email, &change.new_password)?;
        let Some(hash) = hash else {
            return Err(wrong_old_password());
        };
        let old = change.old_password.clone();
        let new = change.new_password.clone();
        let new_hash = blocking(move || {
            if verify_password(&old, &hash) {
                hash_password(&new).map(Some)
            } else {
                Ok(None)
            }
        })
        .await??
        .ok_or_else(wrong_old_password)?;
        let at = now();
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            diesel::update(user_credentials::table.filter(user_credentials::user_id.eq(id)))
                .set((
                    user_credentials::password_hash.eq(&new_hash),
                    user_credentials::status.eq(UserStatus::Active.as_str()),
                    user_credentials::password_changed_at.eq(at),
                ))
                .execute(conn)
                .await
                .map(drop)
                .map_err(db_error)
        })
    }

    async fn request_recovery(
        &self,
        login: &str,
        kind: RecoveryKind,
        link_base: &str,
    ) -> Result<()> {
        // The token is made whether or not the login exists, so both paths
        // do the same work up to the write.
        let token = RecoveryToken::fresh();
        let Some((user_id, email, name)) = self.user_by_login(login).await? else {
            tracing::debug!(
                recovery.kind = kind.as_str(),
                "recovery for an unknown login"
            );
            return Ok(());
        };
        let link = recovery_link(kind, link_base, &token.secret);
        let message = recovery_message(kind, &name, &link);
        self.write_recovery(user_id, &email, kind, &token.digest, message)
            .await?;
        tracing::info!(
            user.id = user_id,
            recovery.kind = kind.as_str(),
            "recovery message written"
        );
        Ok(())
    }

    fn outbox(&self) -> Option<&dyn Outbox> {
        Some(self)
    }

    fn recovery_links(&self) -> Option<&dyn RecoveryLinks> {
        Some(self)
    }
}

/// A keyset page over a table ordered by id, newest first.
fn page_of<T>(rows: Vec<(i64, T)>, first: usize, ordering: &str) -> Page<T> {
    let cursor = |(id, _): &(i64, T)| Cursor {
        o: ordering.into(),
        k: String::new(),
        i: *id,
    };
    crate::cursor::page_of(rows, first, cursor, |(_, item)| item)
}

/// The id a page continues before (`i64::MAX` for the first page).
fn before(page: &PageRequest, ordering: &str) -> Result<i64> {
    match &page.after {
        None => Ok(i64::MAX),
        Some(raw) => Ok(Cursor::decode(raw, ordering)?.i),
    }
}

const OUTBOX_ORDER: &str = "OUTBOX_DESC";
const ACCESS_REQUESTS_ORDER: &str = "ACCESS_REQUESTS_DESC";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let hash = hash_password(DEMO_PASSWORD).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(DEMO_PASSWORD, &hash));
        assert!(!verify_password("portal-demo-2026", &hash));
        assert!(!verify_password(DEMO_PASSWORD, "not a hash"));
    }

    #[test]
    fn links_carry_the_token_and_tokens_are_kept_hashed() {
        let token = RecoveryToken::fresh();
        assert_ne!(token.secret, token.digest);
        assert_eq!(token.digest.len(), 64);
        let link = recovery_link(
            RecoveryKind::ResetPassword,
            "https://x.example/",
            &token.secret,
        );
        assert_eq!(
            link,
            format!("https://x.example/reset?token={}", token.secret)
        );
    }
}
