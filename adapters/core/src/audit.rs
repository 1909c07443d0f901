//! The audit trail: one entry per mutation, whatever its outcome.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;

/// One audited operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When it finished.
    pub at: DateTime<Utc>,
    /// The user's directory id.
    pub user_id: String,
    /// The issuer of the user's token.
    pub issuer: String,
    /// The OAuth client the token was issued to, if it says.
    pub client: Option<String>,
    /// The operation's name (`CreateCase`), or `anonymous`.
    pub operation: String,
    /// The root fields it ran (`createCase`, `addCaseComment`).
    pub fields: Vec<String>,
    /// The ids it named (case, attachment and account ids).
    pub targets: Vec<String>,
    /// `OK`, or the code of its first error.
    pub outcome: String,
}

/// Where audit entries are kept.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Stores one entry.
    async fn record(&self, entry: &AuditEntry) -> Result<()>;
    /// The newest entries first, at most `limit`.
    async fn recent(&self, limit: usize) -> Result<Vec<AuditEntry>>;
}
