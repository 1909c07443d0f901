//! What the gateway's HTTP server needs from the backends, beside the
//! ports the resolvers use: whether a backend is ready to serve
//! ([`Readiness`]), where operators' browser sessions are kept
//! ([`OperatorSessions`]), and which case an inbound change notice names
//! ([`ChangedCases`]). The server sees only these traits; the composition
//! root chooses what implements them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;

/// A backend that can say whether it answers now.
#[async_trait]
pub trait Readiness: Send + Sync {
    /// Ok when the backend answers a trivial request now.
    async fn ready(&self) -> Result<()>;
}

/// A signed-in operator's browser session, keyed by a hash of its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// SHA-256 of the cookie's id, in hex.
    pub id_hash: String,
    /// The operator's user id (for logs).
    pub user_id: String,
    /// The access token requests made with the cookie run as.
    pub access_token: String,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

/// Where operators' sessions are kept, so every replica sharing the store
/// honours them.
#[async_trait]
pub trait OperatorSessions: Send + Sync {
    /// Records a new session.
    async fn create_session(&self, session: &StoredSession) -> Result<()>;
    /// The session with `id_hash`, unless it has ended by `now`.
    async fn live_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredSession>>;
    /// Ends the session with `id_hash` (nothing when there is none).
    async fn end_session(&self, id_hash: &str) -> Result<()>;
    /// Forgets the sessions that ended by `now`; answers how many.
    async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<usize>;
}

/// A case as a change notice names it, read without a scope: the notice
/// comes from the backend, not from a customer, and only becomes an event
/// that each subscriber's own scope filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRef {
    /// The backend's id of the case.
    pub id: String,
    /// Its number.
    pub number: String,
    /// Its account's portal id (the account number).
    pub account_id: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Reference data a backend's adapter caches (accounts, locations, …),
/// dropped when the backend announces that records changed.
pub trait ReferenceCache: Send + Sync {
    /// The backend's name, as announcements carry it.
    fn backend(&self) -> &'static str;
    /// Whether `table` holds records it caches.
    fn caches(&self, table: &str) -> bool;
    /// Drops the cached records `ids` of `table` (the whole table when
    /// `ids` is empty).
    fn forget(&self, table: &str, ids: &[String]);
    /// Drops everything it cached (announcements may have been missed).
    fn forget_all(&self);
}

/// Resolves the records inbound change notices (webhooks) name.
#[async_trait]
pub trait ChangedCases: Send + Sync {
    /// The case with the backend id `id`; None when there is no such case.
    async fn changed_case(&self, id: &str) -> Result<Option<CaseRef>>;
}
