//! [`CaseStore`] on ServiceNow.

mod activity;
mod comments;
mod files;
mod keys;
mod read;
mod requests;
mod updates;
mod watch;
mod write;

use std::sync::Arc;

use async_trait::async_trait;
use switchboard_core::cases::{
    Activity, Attachment, ByteStream, Case, CaseFilter, CaseOrder, CaseStore, Catalog, Created,
    NewAttachment, NewCase, NewComment, WatchEntry,
};
use switchboard_core::ledger::WriteKind;
use switchboard_core::{Actor, Error, Page, PageRequest, Result, Scope, validate};

use crate::http::HttpError;
use crate::{BACKEND, Inner, ServiceNow};
use keys::{Slot, fingerprint};
use write::{sha256_hex, writable};

impl Inner {
    async fn add_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        file: NewAttachment,
    ) -> Result<Created<Attachment>> {
        let file_name = validate::file_name("file", &file.file_name)?;
        let content_type = match file.content_type.trim() {
            "" => "application/octet-stream".to_string(),
            t => t.to_string(),
        };
        if let Some(key) = &file.idempotency_key {
            validate::idempotency_key("idempotencyKey", key)?;
        }
        let (case, _) = self.scoped_case(scope, case_id).await?;
        let sha = sha256_hex(&file.data);
        let print = fingerprint(&[&case.id, &file_name, &content_type, &sha]);
        let since = chrono::Utc::now();
        let write = match self
            .claim(
                WriteKind::Attachment,
                actor,
                file.idempotency_key.as_deref(),
                &print,
            )
            .await?
        {
            Slot::Done(id) => {
                let (found, _) = self.scoped_attachment(scope, &id).await?;
                return Ok(Created {
                    record: found,
                    replayed: true,
                });
            }
            Slot::Resumed(write, since) => {
                if let Some(found) = self.find_upload(&case, &file_name, &sha, since).await? {
                    self.attribute(&found.id, actor).await;
                    self.complete(Some(&write), &found.id).await;
                    self.keep_story(&case.id, actor, format!("Attached {file_name}"))
                        .await;
                    return Ok(Created {
                        record: Attachment {
                            uploaded_by: actor.name.clone(),
                            ..found
                        },
                        replayed: true,
                    });
                }
                Some(write)
            }
            Slot::Fresh(write) => write,
        };
        if let Err(e) = writable(&case) {
            self.release(write.as_ref()).await;
            return Err(e);
        }
        let what = format!("case {}", case.number);
        let made = match self
            .upload(&case, &file_name, &content_type, file.data.clone())
            .await
        {
            Ok(made) => made,
            Err(error) if error.ambiguous() => {
                match self.find_upload(&case, &file_name, &sha, since).await {
                    Ok(Some(found)) => found,
                    Ok(None) => {
                        self.release(write.as_ref()).await;
                        return Err(error.into_core(&what));
                    }
                    Err(_) => return Err(error.into_core(&what)),
                }
            }
            Err(error) => {
                self.release(write.as_ref()).await;
                return Err(error.into_core(&what));
            }
        };
        self.attribute(&made.id, actor).await;
        self.complete(write.as_ref(), &made.id).await;
        self.keep_story(&case.id, actor, format!("Attached {file_name}"))
            .await;
        self.touch(&case).await;
        Ok(Created {
            record: Attachment {
                uploaded_by: actor.name.clone(),
                sha256: sha,
                ..made
            },
            replayed: false,
        })
    }

    /// The newest unattributed upload of this file on `case` since `since`.
    async fn find_upload(
        &self,
        case: &Case,
        file_name: &str,
        sha: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Attachment>> {
        let rows = self.attachment_rows(std::slice::from_ref(&case.id)).await?;
        let files = self.to_attachments(&rows).await?;
        let ids: Vec<String> = files.iter().map(|f| f.id.clone()).collect();
        let authors = self.ledger.authors(BACKEND, &ids).await?;
        let floor = since - chrono::Duration::seconds(1);
        Ok(files
            .into_iter()
            .filter(|f| {
                f.file_name == file_name
                    && f.sha256 == sha
                    && f.created_at >= floor
                    && !authors.contains_key(&f.id)
            })
            .max_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id))))
    }

    /// Bumps the case's `sys_updated_on` after a change the Table API does
    /// not see (attachments): re-writes a field with its own value.
    async fn touch(&self, case: &Case) {
        let field = self.settings.fields.location_not_listed.clone();
        let value = if case.location_not_listed {
            "true"
        } else {
            "false"
        };
        let req = crate::http::Req::json(
            reqwest::Method::PATCH,
            format!(
                "/api/now/table/{}/{}?sysparm_fields=sys_id",
                self.settings.tables.case, case.id
            ),
            &serde_json::json!({ field: value }),
            true,
        );
        if let Err(error) = self.http.send(req).await {
            tracing::warn!(adapter.name = BACKEND, %error, "a case's update time could not be bumped");
        }
    }
}

#[async_trait]
impl CaseStore for ServiceNow {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn catalog(&self) -> Result<Arc<Catalog>> {
        self.inner.catalog().await
    }

    async fn list_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        order: CaseOrder,
        page: &PageRequest,
    ) -> Result<Page<Case>> {
        self.inner.list_cases(scope, filter, order, page).await
    }

    async fn count_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<u64> {
        self.inner.count_cases(scope, filter).await
    }

    async fn cases_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Case>> {
        self.inner.cases_by_ids(scope, ids).await
    }

    async fn case_by_number(&self, scope: &Scope, number: &str) -> Result<Case> {
        self.inner.case_by_number(scope, number).await
    }

    async fn create_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        new: NewCase,
    ) -> Result<Created<Case>> {
        self.inner.create_case(scope, actor, new).await
    }

    async fn add_comment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        comment: NewComment,
    ) -> Result<Created<Activity>> {
        self.inner.add_comment(scope, actor, case_id, comment).await
    }

    async fn activity(
        &self,
        scope: &Scope,
        case_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Activity>> {
        self.inner.activity(scope, case_id, page).await
    }

    async fn latest_activity(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Activity>> {
        self.inner.latest_activity(scope, case_ids).await
    }

    async fn recent_updates(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>> {
        self.inner.recent_updates(scope, page).await
    }

    async fn watch_lists(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<WatchEntry>> {
        self.inner.watch_lists(scope, case_ids).await
    }

    async fn add_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
    ) -> Result<Vec<WatchEntry>> {
        self.inner
            .change_watchers(scope, actor, case_id, emails, true)
            .await
    }

    async fn remove_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
    ) -> Result<Vec<WatchEntry>> {
        self.inner
            .change_watchers(scope, actor, case_id, emails, false)
            .await
    }

    async fn cancel_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        reason: Option<&str>,
    ) -> Result<Case> {
        self.inner.cancel_case(scope, actor, case_id, reason).await
    }

    async fn attachments(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Attachment>> {
        self.inner.attachments(scope, case_ids).await
    }

    async fn add_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        file: NewAttachment,
    ) -> Result<Created<Attachment>> {
        self.inner.add_attachment(scope, actor, case_id, file).await
    }

    async fn rename_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        attachment_id: &str,
        file_name: &str,
    ) -> Result<Attachment> {
        let file_name = validate::file_name("fileName", file_name)?;
        let (file, case) = self.inner.scoped_attachment(scope, attachment_id).await?;
        writable(&case)?;
        self.inner
            .rename(&file.id, &file_name)
            .await
            .map_err(|e| e.into_core(&format!("attachment {attachment_id}")))?;
        self.inner
            .keep_story(
                &case.id,
                actor,
                format!("Renamed {} to {file_name}", file.file_name),
            )
            .await;
        self.inner.touch(&case).await;
        Ok(Attachment { file_name, ..file })
    }

    async fn delete_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        attachment_id: &str,
    ) -> Result<Attachment> {
        let (file, case) = self.inner.scoped_attachment(scope, attachment_id).await?;
        writable(&case)?;
        self.inner
            .remove(&file.id)
            .await
            .map_err(|e| e.into_core(&format!("attachment {attachment_id}")))?;
        self.inner
            .keep_story(&case.id, actor, format!("Removed {}", file.file_name))
            .await;
        self.inner.touch(&case).await;
        Ok(file)
    }

    async fn attachment_content(
        &self,
        scope: &Scope,
        attachment_id: &str,
    ) -> Result<(Attachment, ByteStream)> {
        let (file, _) = self.inner.scoped_attachment(scope, attachment_id).await?;
        let stream = self.inner.download(&file.id).await.map_err(|e| match e {
            HttpError::NotFound => Error::not_found(format!("attachment {attachment_id}")),
            other => other.into_core(&format!("attachment {attachment_id}")),
        })?;
        Ok((file, stream))
    }
}
