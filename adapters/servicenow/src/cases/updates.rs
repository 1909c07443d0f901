//! The recent updates of every case in scope (`caseUpdates`), read without
//! loading every case: cases come most recently updated first, a batch at a
//! time, and reading stops as soon as no unread case can hold an entry of
//! the page.
//!
//! An entry is never newer than its case's `sys_updated_on`: comments,
//! state, priority and watch-list changes move it, and so does every
//! attachment change made through the gateway (the adapter touches the
//! case). So once the page's entries (and the one after, for
//! `hasNextPage`) are all newer, to the second, than the last case read,
//! the unread cases cannot change the page. A page usually costs one batch:
//! the case list, then the journal, audit and attachments of its cases.
//!
//! Attachments added inside ServiceNow do not move their case; they show in
//! the case's activity, and here only when their case is among those read.

use async_trait::async_trait;
use switchboard_core::cases::{Activity, Case, CaseActivity, CaseFilter, CaseOrder};
use switchboard_core::page::MAX_PAGE_SIZE;
use switchboard_core::{Page, PageRequest, Result, Scope};

use super::activity::{Entry, cursor_key, paged, sort};
use crate::cache::Cursor;
use crate::{Inner, ServiceNow};

/// The fewest cases read per batch.
const MIN_BATCH: usize = 10;

impl Inner {
    pub(crate) async fn recent_updates(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<Activity>> {
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, "UPDATES"))
            .transpose()?;
        let before = cursor.as_ref().map(cursor_key).transpose()?;
        let wanted = page.first + 1;
        let batch = wanted.clamp(MIN_BATCH, MAX_PAGE_SIZE);
        let mut entries: Vec<Entry> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let cases = self
                .list_cases(
                    scope,
                    &CaseFilter::default(),
                    CaseOrder::default(),
                    &PageRequest {
                        first: batch,
                        after: after.take(),
                    },
                )
                .await?;
            let boundary = cases
                .items
                .last()
                .map(|(_, case)| case.updated_at.timestamp());
            after = cases.items.last().map(|(c, _)| c.clone());
            let read: Vec<_> = cases.items.into_iter().map(|(_, case)| case).collect();
            let mut found = self.entries(&read).await?;
            if let Some((secs, seq, id)) = &before {
                found.retain(|e| e.key() < (*secs, *seq, id.as_str()));
            }
            entries.extend(found);
            if !cases.has_next_page {
                break;
            }
            sort(&mut entries);
            let settled = match (entries.get(wanted - 1), boundary) {
                (Some(last), Some(boundary)) => last.key().0 > boundary,
                _ => false,
            };
            if settled {
                break;
            }
        }
        paged(entries, "UPDATES", cursor, page.first)
    }
}

#[async_trait]
impl CaseActivity for ServiceNow {
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

    async fn latest_activity_of(&self, scope: &Scope, cases: &[Case]) -> Result<Vec<Activity>> {
        self.inner.latest_activity_of(scope, cases).await
    }

    async fn recent_updates(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>> {
        self.inner.recent_updates(scope, page).await
    }
}
