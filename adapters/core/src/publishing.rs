//! A [`CaseStore`] decorator that publishes a [`CaseEvent`] after each write.
//!
//! Every adapter gets events for free by being wrapped in [`Publishing`];
//! backends that also learn of changes made elsewhere (a ServiceNow webhook)
//! publish those on the same bus.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;

use crate::cases::{
    Activity, Attachment, Case, CaseFileWrites, CaseStore, CaseWrites, Created, NewAttachment,
    NewCase, NewComment, ReadThrough, WatchEntry, WatchListWrites,
};
use crate::{Actor, CaseEvent, CaseEventKind, EventBus, Result, Scope};

/// Wraps a store; publishes an event after each successful write. Reads
/// go to the wrapped store unchanged ([`ReadThrough`]). A write replayed
/// under an idempotency key wrote nothing, so it publishes nothing.
pub struct Publishing {
    inner: Arc<dyn CaseStore>,
    bus: Arc<dyn EventBus>,
}

impl Publishing {
    /// Wraps `inner`, publishing on `bus`.
    pub fn new(inner: Arc<dyn CaseStore>, bus: Arc<dyn EventBus>) -> Self {
        Self { inner, bus }
    }

    fn publish(&self, kind: CaseEventKind, case: &Case) {
        self.bus.publish(CaseEvent {
            kind,
            case_id: case.id.clone(),
            case_number: case.number.clone(),
            account_id: case.account_id.clone(),
            at: Utc::now(),
        });
    }

    /// Publishes `kind` for a case read back from the store. The write has
    /// already committed, so a failed read must not fail it (a client would
    /// retry a write that succeeded): it is logged, and the event is lost.
    async fn publish_for(&self, scope: &Scope, kind: CaseEventKind, case_id: &str) {
        match self.inner.cases_by_ids(scope, &[case_id.to_string()]).await {
            Ok(cases) => {
                if let Some(case) = cases.first() {
                    self.publish(kind, case);
                }
            }
            Err(error) => {
                tracing::warn!(%error, case.id = case_id, event.kind = ?kind, "a case event was not published");
            }
        }
    }
}

impl ReadThrough for Publishing {
    fn reads(&self) -> &dyn CaseStore {
        self.inner.as_ref()
    }
}

#[async_trait]
impl CaseWrites for Publishing {
    async fn create_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        new: NewCase,
    ) -> Result<Created<Case>> {
        let created = self.inner.create_case(scope, actor, new).await?;
        if !created.replayed {
            self.publish(CaseEventKind::Created, &created.record);
        }
        Ok(created)
    }

    async fn add_comment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        comment: NewComment,
    ) -> Result<Created<Activity>> {
        let created = self
            .inner
            .add_comment(scope, actor, case_id, comment)
            .await?;
        if !created.replayed {
            self.publish_for(scope, CaseEventKind::CommentAdded, &created.record.case_id)
                .await;
        }
        Ok(created)
    }

    async fn cancel_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        reason: Option<&str>,
    ) -> Result<Case> {
        let case = self
            .inner
            .cancel_case(scope, actor, case_id, reason)
            .await?;
        self.publish(CaseEventKind::Canceled, &case);
        Ok(case)
    }
}

#[async_trait]
impl WatchListWrites for Publishing {
    async fn add_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
    ) -> Result<Vec<WatchEntry>> {
        let list = self
            .inner
            .add_watchers(scope, actor, case_id, emails)
            .await?;
        self.publish_for(scope, CaseEventKind::WatchListChanged, case_id)
            .await;
        Ok(list)
    }

    async fn remove_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
    ) -> Result<Vec<WatchEntry>> {
        let list = self
            .inner
            .remove_watchers(scope, actor, case_id, emails)
            .await?;
        self.publish_for(scope, CaseEventKind::WatchListChanged, case_id)
            .await;
        Ok(list)
    }
}

#[async_trait]
impl CaseFileWrites for Publishing {
    async fn add_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        file: NewAttachment,
    ) -> Result<Created<Attachment>> {
        let created = self
            .inner
            .add_attachment(scope, actor, case_id, file)
            .await?;
        if !created.replayed {
            self.publish_for(
                scope,
                CaseEventKind::AttachmentAdded,
                &created.record.case_id,
            )
            .await;
        }
        Ok(created)
    }

    async fn rename_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        attachment_id: &str,
        file_name: &str,
    ) -> Result<Attachment> {
        let attachment = self
            .inner
            .rename_attachment(scope, actor, attachment_id, file_name)
            .await?;
        self.publish_for(scope, CaseEventKind::Updated, &attachment.case_id)
            .await;
        Ok(attachment)
    }

    async fn delete_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        attachment_id: &str,
    ) -> Result<Attachment> {
        let attachment = self
            .inner
            .delete_attachment(scope, actor, attachment_id)
            .await?;
        self.publish_for(scope, CaseEventKind::AttachmentRemoved, &attachment.case_id)
            .await;
        Ok(attachment)
    }
}
