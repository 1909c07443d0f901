//! Administrative queries for the gateway's operators (the OPERATOR role).

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use switchboard_core::audit::AuditEntry;

use super::errors::{Code, IntoGql, error};
use super::guards::Require;

/// The most audit entries one query returns.
const MAX_AUDIT_ENTRIES: i32 = 500;

/// One audited mutation.
#[derive(SimpleObject)]
pub struct AuditEntryNode {
    /// When it finished.
    pub at: DateTime<Utc>,
    /// The user's (or service's) directory id.
    pub user_id: String,
    /// The issuer of their token.
    pub issuer: String,
    /// The OAuth client the token was issued to, if it said.
    pub client: Option<String>,
    /// The operation's name, or `anonymous`.
    pub operation: String,
    /// The root fields it ran.
    pub fields: Vec<String>,
    /// The ids it named.
    pub targets: Vec<String>,
    /// `OK`, or the code of its first error.
    pub outcome: String,
}

impl From<AuditEntry> for AuditEntryNode {
    fn from(e: AuditEntry) -> Self {
        Self {
            at: e.at,
            user_id: e.user_id,
            issuer: e.issuer,
            client: e.client,
            operation: e.operation,
            fields: e.fields,
            targets: e.targets,
            outcome: e.outcome,
        }
    }
}

/// Operators' queries.
#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// The newest audited mutations first (`last` defaults to 50, at most
    /// 500). Operators only.
    #[graphql(guard = "Require::operator()")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] last: i32,
    ) -> Result<Vec<AuditEntryNode>> {
        if !(1..=MAX_AUDIT_ENTRIES).contains(&last) {
            return Err(error(
                Code::BadUserInput,
                format!("last must be between 1 and {MAX_AUDIT_ENTRIES}"),
            ));
        }
        let ports = ctx
            .data_opt::<super::Ports>()
            .ok_or_else(|| error(Code::Internal, "internal error"))?;
        let entries = ports.audit.recent(last as usize).await.gql()?;
        Ok(entries.into_iter().map(AuditEntryNode::from).collect())
    }
}
