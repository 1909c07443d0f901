//! Keyed uploads (claimed in the write ledger, found again after an
//! ambiguous failure), [`CaseFiles`] and [`CaseFileWrites`] on ServiceNow.

use async_trait::async_trait;
use switchboard_core::cases::{
    Attachment, ByteStream, Case, CaseFileWrites, CaseFiles, CheckedFile, Created, NewAttachment,
};
use switchboard_core::ledger::WriteKind;
use switchboard_core::{Actor, Error, Result, Scope, validate};

use super::keys::Slot;
use crate::http::HttpError;
use crate::{BACKEND, Inner, ServiceNow};

impl Inner {
    async fn add_attachment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        file: NewAttachment,
    ) -> Result<Created<Attachment>> {
        let checked = file.checked()?;
        let (case, _) = self.scoped_case(scope, case_id).await?;
        let print = checked.fingerprint(&case.id);
        let CheckedFile {
            file_name,
            content_type,
            sha256: sha,
        } = checked;
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
        if let Err(e) = case.ensure_writable() {
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
impl CaseFiles for ServiceNow {
    async fn attachments(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<Attachment>> {
        self.inner.attachments(scope, case_ids).await
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

#[async_trait]
impl CaseFileWrites for ServiceNow {
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
        case.ensure_writable()?;
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
        case.ensure_writable()?;
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
}
