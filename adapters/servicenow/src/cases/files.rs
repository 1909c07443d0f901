//! Attachments through the Attachment API: list, upload, rename, delete,
//! and streamed downloads.

use std::collections::HashMap;

use futures::StreamExt;
use reqwest::Method;
use sha2::{Digest, Sha256};
use switchboard_core::cases::{Attachment, ByteStream, Case};
use switchboard_core::{Error, Result, Scope};

use crate::directory::CHUNK;
use crate::http::{Body, HttpError, Req};
use crate::query::{encode, id_list};
use crate::wire::{Record, date, hex, one, s};
use crate::{BACKEND, Inner};

impl Inner {
    /// Attachment rows of these cases, oldest first.
    pub(crate) async fn attachment_rows(
        &self,
        case_ids: &[String],
    ) -> Result<Vec<Record>, HttpError> {
        let mut out = Vec::new();
        for chunk in case_ids.chunks(CHUNK) {
            let query = format!(
                "table_name={}^table_sys_idIN{}^ORDERBYsys_created_on",
                self.settings.tables.case,
                chunk.join(",")
            );
            let url = format!(
                "/api/now/attachment?sysparm_query={}&sysparm_limit=1000",
                encode(&query)
            );
            let resp = self.http.get(url).await?;
            out.extend(crate::wire::list(&resp)?);
        }
        Ok(out)
    }

    /// Maps attachment rows, authors from the ledger or `sys_user`.
    pub(crate) async fn to_attachments(&self, rows: &[Record]) -> Result<Vec<Attachment>> {
        let ids: Vec<String> = rows.iter().map(|r| s(r, "sys_id")).collect();
        let authors = if ids.is_empty() {
            HashMap::new()
        } else {
            self.ledger.authors(BACKEND, &ids).await?
        };
        let mut missing: Vec<String> = rows
            .iter()
            .filter(|r| !authors.contains_key(&s(r, "sys_id")))
            .map(|r| s(r, "sys_created_by"))
            .filter(|n| !n.is_empty())
            .collect();
        missing.sort();
        missing.dedup();
        let names = if missing.is_empty() {
            HashMap::new()
        } else {
            self.names_of(&missing).await
        };
        let mut out = Vec::new();
        for r in rows {
            let id = s(r, "sys_id");
            let by = s(r, "sys_created_by");
            let size = s(r, "size_bytes");
            out.push(Attachment {
                case_id: s(r, "table_sys_id"),
                file_name: s(r, "file_name"),
                content_type: s(r, "content_type"),
                size_bytes: size.parse().map_err(|_| {
                    HttpError::Payload(format!("field `size_bytes` holds `{size}`, not a size"))
                })?,
                sha256: s(r, "hash"),
                uploaded_by: authors
                    .get(&id)
                    .cloned()
                    .or_else(|| names.get(&by).cloned())
                    .unwrap_or(by),
                created_at: date(r, "sys_created_on")?,
                id,
            });
        }
        Ok(out)
    }

    /// Oldest first: time, then local write order, then id.
    pub(crate) fn sort_files(&self, files: &mut [Attachment]) {
        files.sort_by(|a, b| {
            (a.created_at, self.seq_of(&a.id), &a.id).cmp(&(
                b.created_at,
                self.seq_of(&b.id),
                &b.id,
            ))
        });
    }

    pub(crate) async fn attachments(
        &self,
        scope: &Scope,
        case_ids: &[String],
    ) -> Result<Vec<Attachment>> {
        let cases = self.cases_by_ids(scope, case_ids).await?;
        if cases.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
        let rows = self.attachment_rows(&ids).await?;
        let mut files = self.to_attachments(&rows).await?;
        self.sort_files(&mut files);
        Ok(files)
    }

    /// The attachment `id` and its case, if the case is in scope.
    pub(crate) async fn scoped_attachment(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<(Attachment, Case)> {
        let not_found = || Error::not_found(format!("attachment {id}"));
        let ids = id_list(&[id.to_string()]);
        if ids.len() != 1 || !ids[0].chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(not_found());
        }
        let resp = match self
            .http
            .get(format!("/api/now/attachment/{}", ids[0]))
            .await
        {
            Err(HttpError::NotFound) => return Err(not_found()),
            other => other?,
        };
        let row = one(&resp)?;
        if s(&row, "table_name") != self.settings.tables.case {
            return Err(not_found());
        }
        let (case, _) = self
            .scoped_case(scope, &s(&row, "table_sys_id"))
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => not_found(),
                other => other,
            })?;
        let file = self
            .to_attachments(std::slice::from_ref(&row))
            .await?
            .pop()
            .ok_or_else(not_found)?;
        Ok((file, case))
    }

    /// Uploads a file (never retried blindly: a POST).
    pub(crate) async fn upload(
        &self,
        case: &Case,
        name: &str,
        content_type: &str,
        data: bytes::Bytes,
    ) -> Result<Attachment, HttpError> {
        let path = format!(
            "/api/now/attachment/file?table_name={}&table_sys_id={}&file_name={}",
            encode(&self.settings.tables.case),
            encode(&case.id),
            encode(name)
        );
        let sha = hex(&Sha256::digest(&data));
        let req = Req {
            method: Method::POST,
            path,
            body: Some(Body::Raw(data, content_type.to_string())),
            idempotent: false,
        };
        let resp = self.http.send(req).await?;
        let mut row = one(&resp)?;
        if s(&row, "hash").is_empty() {
            row.insert("hash".into(), serde_json::Value::String(sha));
        }
        let id = s(&row, "sys_id");
        self.wrote(&id);
        self.to_attachments(std::slice::from_ref(&row))
            .await
            .map_err(|_| HttpError::Payload("an uploaded attachment's metadata".into()))?
            .pop()
            .ok_or_else(|| HttpError::Payload("an upload answered no metadata".into()))
    }

    /// Renames (PATCH of the same field: safe to retry).
    pub(crate) async fn rename(&self, id: &str, name: &str) -> Result<(), HttpError> {
        let body = serde_json::json!({ "file_name": name });
        self.http
            .send(Req::json(
                Method::PATCH,
                format!("/api/now/attachment/{id}"),
                &body,
                true,
            ))
            .await
            .map(|_| ())
    }

    /// Deletes; a 404 after a retry means an earlier attempt deleted it.
    pub(crate) async fn remove(&self, id: &str) -> Result<(), HttpError> {
        let req = Req {
            method: Method::DELETE,
            path: format!("/api/now/attachment/{id}"),
            body: None,
            idempotent: true,
        };
        match self.http.send(req).await {
            Ok(_) | Err(HttpError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The content, streamed.
    pub(crate) async fn download(&self, id: &str) -> Result<ByteStream, HttpError> {
        let response = self
            .http
            .send_streaming(Req::get(format!("/api/now/attachment/{id}/file")))
            .await?;
        let stream = response.bytes_stream().map(|chunk| {
            chunk.map_err(|error| {
                tracing::warn!(adapter.name = BACKEND, error = %error.without_url(), "an attachment download broke off");
                Error::unavailable(BACKEND)
            })
        });
        Ok(Box::pin(stream))
    }
}
