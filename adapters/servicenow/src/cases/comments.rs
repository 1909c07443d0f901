//! Comments: the customer-visible journal field `comments`, written once
//! per idempotency key (a lost answer is found again in the journal).

use chrono::Utc;
use reqwest::Method;
use serde_json::json;
use switchboard_core::cases::{Activity, Case, Created, NewComment, fingerprint};
use switchboard_core::ledger::WriteKind;
use switchboard_core::{Actor, Error, Result, Scope};

use super::activity::Entry;
use super::keys::Slot;
use crate::http::{HttpError, Req};
use crate::query::datetime;
use crate::wire::{Record, s};
use crate::{BACKEND, Inner};

impl Inner {
    /// Attributes the newest unattributed comment `body` written on case
    /// `case_id` since `since` to `actor` (best effort: logged on failure).
    pub(super) async fn attribute_comment(
        &self,
        case_id: &str,
        body: &str,
        since: chrono::DateTime<Utc>,
        actor: &Actor,
    ) {
        match self.find_comment(case_id, "", body, since).await {
            Ok(Some(entry)) => {
                let id = entry.activity.id.trim_start_matches("j:").to_string();
                self.attribute(&id, actor).await;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(adapter.name = BACKEND, %error, "a comment could not be attributed")
            }
        }
    }

    /// The newest unattributed comment on case `case_id` (numbered
    /// `number`) with `body` written since `since`.
    async fn find_comment(
        &self,
        case_id: &str,
        number: &str,
        body: &str,
        since: chrono::DateTime<Utc>,
    ) -> Result<Option<Entry>, HttpError> {
        let extra = format!(
            "^sys_created_on>={}",
            datetime(since - chrono::Duration::seconds(1))
        );
        let rows = self.journal_rows(&[case_id.to_string()], &extra).await?;
        let candidates: Vec<&Record> = rows.iter().filter(|r| s(r, "value") == body).collect();
        let ids: Vec<String> = candidates.iter().map(|r| s(r, "sys_id")).collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let authors = self
            .ledger
            .authors(BACKEND, &ids)
            .await
            .map_err(|_| HttpError::Ambiguous("the ledger could not be read".into()))?;
        let mut entries = Vec::new();
        for r in candidates {
            if authors.contains_key(&s(r, "sys_id")) {
                continue;
            }
            entries.push(self.journal_entry(
                r,
                number,
                &Default::default(),
                &Default::default(),
            )?);
        }
        super::activity::sort(&mut entries);
        Ok(entries.into_iter().next())
    }

    pub(crate) async fn add_comment(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        comment: NewComment,
    ) -> Result<Created<Activity>> {
        let body = comment.checked_body()?;
        let (case, _) = self.scoped_case(scope, case_id).await?;
        let print = fingerprint([&case.id, &body]);
        let since = Utc::now();
        let write = match self
            .claim(
                WriteKind::Comment,
                actor,
                comment.idempotency_key.as_deref(),
                &print,
            )
            .await?
        {
            Slot::Done(id) => return Ok(Created::replayed(self.comment_by_id(&case, &id).await?)),
            Slot::Resumed(write, since) => {
                if let Some(entry) = self
                    .find_comment(&case.id, &case.number, &body, since)
                    .await?
                {
                    let id = entry.activity.id.trim_start_matches("j:").to_string();
                    self.attribute(&id, actor).await;
                    self.complete(Some(&write), &id).await;
                    return Ok(Created::replayed(Activity {
                        author: actor.name.clone(),
                        ..entry.activity
                    }));
                }
                Some(write)
            }
            Slot::Fresh(write) => write,
        };
        if let Err(e) = case.ensure_writable() {
            self.release(write.as_ref()).await;
            return Err(e);
        }
        let req = Req::json(
            Method::PATCH,
            format!(
                "/api/now/table/{}/{}?sysparm_fields=sys_id",
                self.settings.tables.case, case.id
            ),
            &json!({ "comments": body }),
            false,
        );
        let what = format!("case {}", case.number);
        match self.http.send(req).await {
            Ok(_) => {}
            Err(error) if error.ambiguous() => {
                tracing::warn!(adapter.name = BACKEND, %error, "a comment got no answer; looking for it");
            }
            Err(error) => {
                self.release(write.as_ref()).await;
                return Err(error.into_core(&what));
            }
        }
        let found = self
            .find_comment(&case.id, &case.number, &body, since)
            .await
            .map_err(|e| e.into_core(&what))?;
        let Some(entry) = found else {
            self.release(write.as_ref()).await;
            tracing::error!(adapter.name = BACKEND, case.number = %case.number, "a comment's journal entry was not found after writing it");
            return Err(Error::unavailable(BACKEND));
        };
        let id = entry.activity.id.trim_start_matches("j:").to_string();
        self.attribute(&id, actor).await;
        self.complete(write.as_ref(), &id).await;
        Ok(Created::fresh(Activity {
            author: actor.name.clone(),
            ..entry.activity
        }))
    }

    async fn comment_by_id(&self, case: &Case, journal_id: &str) -> Result<Activity> {
        let rows = self
            .list(
                &self.settings.tables.journal,
                format!(
                    "sys_id={}^element=comments",
                    crate::query::clean(journal_id)
                ),
                super::activity::JOURNAL_FIELDS,
                1,
            )
            .await?;
        let row = rows
            .into_iter()
            .find(|r| s(r, "element_id") == case.id)
            .ok_or_else(|| Error::not_found(format!("comment {journal_id}")))?;
        let authors = self
            .ledger
            .authors(BACKEND, &[journal_id.to_string()])
            .await?;
        let names = self.names_of(&[s(&row, "sys_created_by")]).await;
        Ok(self
            .journal_entry(&row, &case.number, &authors, &names)?
            .activity)
    }
}
