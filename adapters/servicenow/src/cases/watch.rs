//! Watch lists: the case's comma-separated `watch_list` field, holding
//! e-mail addresses and `sys_user` ids.
//!
//! The Table API has no conditional update, so a change is a read, a merge
//! and a write of the whole field. Changes to one case through this process
//! take turns (a lock per case), so two portal users adding addresses at
//! once both keep theirs; a change made at the same moment inside
//! ServiceNow or through another gateway instance can still be overwritten.

use std::sync::Arc;

use async_trait::async_trait;

use reqwest::Method;
use serde_json::json;
use switchboard_core::cases::{Case, WatchEntry, WatchListWrites, WatchLists};
use switchboard_core::{Actor, Error, Result, Scope, validate};

use crate::http::Req;
use crate::wire::{one, s};
use crate::{Inner, ServiceNow};

impl Inner {
    /// Watch-list entries of a case record (sys_user ids resolved to e-mails).
    pub(crate) async fn watch_entries(&self, case: &Case, raw: &str) -> Result<Vec<WatchEntry>> {
        let tokens: Vec<String> = raw
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        let ids: Vec<String> = tokens
            .iter()
            .filter(|t| !t.contains('@'))
            .cloned()
            .collect();
        let users = if ids.is_empty() {
            Default::default()
        } else {
            self.users_by_id(&ids).await?
        };
        let mut out: Vec<WatchEntry> = Vec::new();
        for t in tokens {
            let email = if t.contains('@') {
                t.to_ascii_lowercase()
            } else {
                match users.get(&t) {
                    Some(u) if !u.email.is_empty() => u.email.clone(),
                    _ => continue,
                }
            };
            if !out.iter().any(|w| w.email == email) {
                out.push(WatchEntry {
                    case_id: case.id.clone(),
                    email,
                    added_at: case.opened_at,
                });
            }
        }
        Ok(out)
    }

    pub(crate) async fn watch_lists(
        &self,
        scope: &Scope,
        case_ids: &[String],
    ) -> Result<Vec<WatchEntry>> {
        let ids = crate::query::id_list(case_ids);
        let accounts = crate::query::id_list(scope.accounts());
        if ids.is_empty() || accounts.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for chunk in ids.chunks(crate::directory::CHUNK) {
            let query = format!(
                "sys_idIN{}^{}.numberIN{}",
                chunk.join(","),
                self.settings.fields.account,
                accounts.join(",")
            );
            let rows = self.case_rows(query, chunk.len()).await?;
            let cases = self.to_cases(&rows).await?;
            for (r, case) in rows.iter().zip(cases) {
                out.extend(
                    self.watch_entries(&case, &s(r, &self.settings.fields.watch_list))
                        .await?,
                );
            }
        }
        Ok(out)
    }

    /// Adds (`add`) or removes e-mails, then writes the list if it changed.
    pub(crate) async fn change_watchers(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        emails: &[String],
        add: bool,
    ) -> Result<Vec<WatchEntry>> {
        let emails = validate::watch_list("emails", emails)?;
        if add && emails.is_empty() {
            return Err(Error::invalid("emails", "name at least one address"));
        }
        let lock = self.watch_lock(case_id);
        let _turn = lock.lock().await;
        // Read inside the turn: an earlier turn may have just changed it.
        let (case, record) = self.scoped_case(scope, case_id).await?;
        case.ensure_writable()?;
        let field = self.settings.fields.watch_list.clone();
        let raw = s(&record, &field);
        let current = self.watch_entries(&case, &raw).await?;
        let tokens: Vec<String> = raw
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        let next: Vec<String> = if add {
            let mut next = tokens.clone();
            for e in &emails {
                if !current.iter().any(|w| &w.email == e) {
                    next.push(e.clone());
                }
            }
            let count = current.len() + next.len() - tokens.len();
            if count > validate::MAX_WATCH_LIST {
                return Err(Error::invalid(
                    "emails",
                    format!(
                        "a watch list holds at most {} addresses",
                        validate::MAX_WATCH_LIST
                    ),
                ));
            }
            next
        } else {
            let users = self
                .users_by_id(
                    &tokens
                        .iter()
                        .filter(|t| !t.contains('@'))
                        .cloned()
                        .collect::<Vec<_>>(),
                )
                .await?;
            tokens
                .iter()
                .filter(|t| {
                    let email = if t.contains('@') {
                        t.to_ascii_lowercase()
                    } else {
                        users.get(*t).map(|u| u.email.clone()).unwrap_or_default()
                    };
                    !emails.contains(&email)
                })
                .cloned()
                .collect()
        };
        if next == tokens {
            return Ok(current);
        }
        let joined = next.join(",");
        let req = Req::json(
            Method::PATCH,
            format!(
                "/api/now/table/{}/{}?sysparm_fields=sys_id,{field}",
                self.settings.tables.case, case.id
            ),
            &json!({ field.clone(): joined }),
            true,
        );
        let what = format!("case {}", case.number);
        let resp = self.http.send(req).await.map_err(|e| e.into_core(&what))?;
        let written = one(&resp).map(|r| s(&r, &field)).unwrap_or(joined);
        self.attribute_audit(&case.id, &field, &written, actor)
            .await;
        self.watch_entries(&case, &written).await
    }

    /// The lock of `case_id`'s watch list; dropped from the map once no
    /// change holds or waits for it.
    fn watch_lock(&self, case_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.watch_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(case_id.to_string()).or_default().clone()
    }
}

#[async_trait]
impl WatchLists for ServiceNow {
    async fn watch_lists(&self, scope: &Scope, case_ids: &[String]) -> Result<Vec<WatchEntry>> {
        self.inner.watch_lists(scope, case_ids).await
    }
}

#[async_trait]
impl WatchListWrites for ServiceNow {
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
}
