//! The activity stream: customer-visible journal entries (`comments` only,
//! never `work_notes`), audit rows of state, priority and watch list, and
//! attachments, merged newest first.
//!
//! Entries are ordered by time (ServiceNow keeps whole seconds), then by
//! the order this process wrote them, then by id. Pages are cut in memory
//! from the case's (or scope's) whole stream.

use std::collections::{HashMap, HashSet};

use switchboard_core::cases::{Activity, ActivityKind, Case};
use switchboard_core::{Error, Page, PageRequest, Result, Scope};

use super::keys::story_id;
use crate::cache::Cursor;
use crate::directory::CHUNK;
use crate::http::HttpError;
use crate::wire::{Record, date, s};
use crate::{BACKEND, Inner};

/// An entry with its sort key.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub activity: Activity,
    pub seq: u64,
}

impl Entry {
    pub(crate) fn key(&self) -> (i64, u64, &str) {
        (
            self.activity.created_at.timestamp(),
            self.seq,
            &self.activity.id,
        )
    }
}

/// The journal fields read.
pub(crate) const JOURNAL_FIELDS: &[&str] = &[
    "sys_id",
    "element_id",
    "value",
    "sys_created_on",
    "sys_created_by",
];
const AUDIT_FIELDS: &[&str] = &[
    "sys_id",
    "documentkey",
    "fieldname",
    "oldvalue",
    "newvalue",
    "user",
    "sys_created_on",
];

fn watch_change(old: &str, new: &str) -> String {
    let split = |v: &str| -> Vec<String> {
        v.split(',')
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect()
    };
    let (old, new) = (split(old), split(new));
    let added: Vec<&String> = new.iter().filter(|e| !old.contains(e)).collect();
    let removed: Vec<&String> = old.iter().filter(|e| !new.contains(e)).collect();
    let join = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    match (added.is_empty(), removed.is_empty()) {
        (false, true) => format!("Added {} to the watch list", join(&added)),
        (true, false) => format!("Removed {} from the watch list", join(&removed)),
        (false, false) => format!(
            "Added {} to and removed {} from the watch list",
            join(&added),
            join(&removed)
        ),
        (true, true) => "Watch list changed".to_string(),
    }
}

impl Inner {
    /// Journal comment rows of these cases.
    pub(crate) async fn journal_rows(
        &self,
        case_ids: &[String],
        extra: &str,
    ) -> Result<Vec<Record>, HttpError> {
        let mut out = Vec::new();
        for chunk in case_ids.chunks(CHUNK) {
            out.extend(
                self.list(
                    &self.settings.tables.journal,
                    format!("element_idIN{}^element=comments{extra}", chunk.join(",")),
                    JOURNAL_FIELDS,
                    10_000,
                )
                .await?,
            );
        }
        Ok(out)
    }

    async fn audit_rows(&self, case_ids: &[String]) -> Result<Vec<Record>, HttpError> {
        let mut out = Vec::new();
        for chunk in case_ids.chunks(CHUNK) {
            out.extend(
                self.list(
                    &self.settings.tables.audit,
                    format!(
                        "tablename={}^documentkeyIN{}^fieldnameINstate,priority,{}",
                        self.settings.tables.case,
                        chunk.join(","),
                        self.settings.fields.watch_list
                    ),
                    AUDIT_FIELDS,
                    10_000,
                )
                .await?,
            );
        }
        Ok(out)
    }

    /// Display names of upstream user names (batched, cached); the user
    /// name itself when unknown.
    pub(crate) async fn names_of(&self, user_names: &[String]) -> HashMap<String, String> {
        let users = match self.users_by_name(user_names).await {
            Ok(users) => users,
            Err(error) => {
                tracing::warn!(adapter.name = BACKEND, %error, "user names could not be resolved");
                HashMap::new()
            }
        };
        user_names
            .iter()
            .map(|n| {
                let name = users
                    .get(n)
                    .map(|u| u.name.clone())
                    .filter(|name| !name.is_empty())
                    .unwrap_or_else(|| n.clone());
                (n.clone(), name)
            })
            .collect()
    }

    /// A journal row as an activity (author from the ledger or `names`).
    pub(crate) fn journal_entry(
        &self,
        r: &Record,
        number: &str,
        authors: &HashMap<String, String>,
        names: &HashMap<String, String>,
    ) -> Result<Entry, HttpError> {
        let id = s(r, "sys_id");
        let by = s(r, "sys_created_by");
        Ok(Entry {
            seq: self.seq_of(&id),
            activity: Activity {
                id: format!("j:{id}"),
                case_id: s(r, "element_id"),
                case_number: number.to_string(),
                kind: ActivityKind::Comment,
                author: authors
                    .get(&id)
                    .cloned()
                    .or_else(|| names.get(&by).cloned())
                    .unwrap_or(by),
                body: s(r, "value"),
                created_at: date(r, "sys_created_on")?,
            },
        })
    }

    /// Every activity entry of `cases`, unsorted.
    pub(crate) async fn entries(&self, cases: &[Case]) -> Result<Vec<Entry>> {
        if cases.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
        let numbers: HashMap<&str, &str> = cases
            .iter()
            .map(|c| (c.id.as_str(), c.number.as_str()))
            .collect();
        let (journal, audit, files, kept) = futures::join!(
            self.journal_rows(&ids, ""),
            self.audit_rows(&ids),
            self.attachment_rows(&ids),
            self.ledger.activities(BACKEND, &ids)
        );
        let map = |e: HttpError| e.into_core("case activity");
        let (journal, audit, files) = (
            journal.map_err(map)?,
            audit.map_err(map)?,
            files.map_err(map)?,
        );
        let mut record_ids: Vec<String> = Vec::new();
        let mut user_names: Vec<String> = Vec::new();
        for r in &journal {
            record_ids.push(s(r, "sys_id"));
            user_names.push(s(r, "sys_created_by"));
        }
        for r in &audit {
            record_ids.push(s(r, "sys_id"));
            user_names.push(s(r, "user"));
        }
        for r in &files {
            record_ids.push(s(r, "sys_id"));
            user_names.push(s(r, "sys_created_by"));
        }
        let authors = self.ledger.authors(BACKEND, &record_ids).await?;
        user_names.sort();
        user_names.dedup();
        user_names.retain(|n| !n.is_empty());
        let names = self.names_of(&user_names).await;
        let number = |case_id: &str| {
            numbers
                .get(case_id)
                .copied()
                .unwrap_or_default()
                .to_string()
        };
        let mut out = Vec::new();
        let convert =
            |result: Result<Entry, HttpError>| result.map_err(|e| e.into_core("case activity"));
        for r in &journal {
            out.push(convert(self.journal_entry(
                r,
                &number(&s(r, "element_id")),
                &authors,
                &names,
            ))?);
        }
        for r in &audit {
            let id = s(r, "sys_id");
            let by = s(r, "user");
            let field = s(r, "fieldname");
            let (old, new) = (s(r, "oldvalue"), s(r, "newvalue"));
            let (kind, body) = if field == "state" {
                let body = if old.is_empty() {
                    format!("State set to {}", self.values.state_label(&new))
                } else {
                    format!(
                        "State changed from {} to {}",
                        self.values.state_label(&old),
                        self.values.state_label(&new)
                    )
                };
                (ActivityKind::StateChange, body)
            } else if field == "priority" {
                let body = if old.is_empty() {
                    format!("Priority set to {}", self.values.priority_label(&new))
                } else {
                    format!(
                        "Priority {} was {}",
                        self.values.priority_label(&new),
                        self.values.priority_label(&old)
                    )
                };
                (ActivityKind::System, body)
            } else {
                (ActivityKind::WatchList, watch_change(&old, &new))
            };
            let case_id = s(r, "documentkey");
            out.push(Entry {
                seq: self.seq_of(&id),
                activity: Activity {
                    id: format!("a:{id}"),
                    case_number: number(&case_id),
                    case_id,
                    kind,
                    author: authors
                        .get(&id)
                        .cloned()
                        .or_else(|| names.get(&by).cloned())
                        .unwrap_or(by),
                    body,
                    created_at: date(r, "sys_created_on")
                        .map_err(|e| e.into_core("case activity"))?,
                },
            });
        }
        for r in &files {
            let id = s(r, "sys_id");
            if authors.contains_key(&id) {
                // Uploaded through the gateway: its entry is kept below,
                // under the name it was uploaded with.
                continue;
            }
            let by = s(r, "sys_created_by");
            let case_id = s(r, "table_sys_id");
            out.push(Entry {
                seq: self.seq_of(&id),
                activity: Activity {
                    id: format!("f:{id}"),
                    case_number: number(&case_id),
                    case_id,
                    kind: ActivityKind::Attachment,
                    author: authors
                        .get(&id)
                        .cloned()
                        .or_else(|| names.get(&by).cloned())
                        .unwrap_or(by),
                    body: format!("Attached {}", s(r, "file_name")),
                    created_at: date(r, "sys_created_on")
                        .map_err(|e| e.into_core("case activity"))?,
                },
            });
        }
        for kept in kept? {
            let id = story_id(&kept.id);
            out.push(Entry {
                seq: self.seq_of(&id),
                activity: Activity {
                    id,
                    case_number: number(&kept.case_id),
                    case_id: kept.case_id,
                    kind: kept.kind,
                    author: kept.author,
                    body: kept.body,
                    created_at: kept.at,
                },
            });
        }
        out.extend(cases.iter().map(|case| Entry {
            seq: self.seq_of(&case.id),
            activity: Activity {
                id: format!("c:{}", case.id),
                case_id: case.id.clone(),
                case_number: case.number.clone(),
                kind: ActivityKind::System,
                author: "System".to_string(),
                body: "Case created".to_string(),
                created_at: case.opened_at,
            },
        }));
        Ok(out)
    }

    pub(crate) async fn activity(
        &self,
        scope: &Scope,
        case_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Activity>> {
        let cursor = page
            .after
            .as_deref()
            .map(|raw| Cursor::decode(raw, "ACTIVITY"))
            .transpose()?;
        let (case, _) = self.scoped_case(scope, case_id).await?;
        let entries = self.entries(std::slice::from_ref(&case)).await?;
        paged(entries, "ACTIVITY", cursor, page.first)
    }

    pub(crate) async fn latest_activity(
        &self,
        scope: &Scope,
        case_ids: &[String],
    ) -> Result<Vec<Activity>> {
        let cases = self.cases_by_ids(scope, case_ids).await?;
        self.latest_of(&cases).await
    }

    /// [`Self::latest_activity`] of cases just read from this instance:
    /// the records carry what the entries need (id, number, opening), so
    /// they are not read again; a case outside `scope` is left out.
    pub(crate) async fn latest_activity_of(
        &self,
        scope: &Scope,
        cases: &[Case],
    ) -> Result<Vec<Activity>> {
        let in_scope: Vec<Case> = cases
            .iter()
            .filter(|c| scope.contains(&c.account_id))
            .cloned()
            .collect();
        self.latest_of(&in_scope).await
    }

    async fn latest_of(&self, cases: &[Case]) -> Result<Vec<Activity>> {
        let mut entries = self.entries(cases).await?;
        sort(&mut entries);
        let mut seen = HashSet::new();
        Ok(entries
            .into_iter()
            .filter(|e| seen.insert(e.activity.case_id.clone()))
            .map(|e| e.activity)
            .collect())
    }
}

impl From<HttpError> for Error {
    fn from(e: HttpError) -> Self {
        e.into_core("ServiceNow records")
    }
}

/// Newest first: time, then local write order, then id, all descending.
pub(crate) fn sort(entries: &mut [Entry]) {
    entries.sort_by(|a, b| b.key().cmp(&a.key()));
}

/// The sort key an activity cursor points at.
pub(crate) fn cursor_key(c: &Cursor) -> Result<(i64, u64, String)> {
    let invalid = || Error::invalid("after", "this cursor is not valid for this list");
    let (secs, seq) = c.k.split_once('.').ok_or_else(invalid)?;
    let secs: i64 = secs.parse().map_err(|_| invalid())?;
    let seq: u64 = seq.parse().map_err(|_| invalid())?;
    Ok((secs, seq, c.i.clone()))
}

pub(crate) fn paged(
    mut entries: Vec<Entry>,
    ordering: &str,
    cursor: Option<Cursor>,
    first: usize,
) -> Result<Page<Activity>> {
    sort(&mut entries);
    let start = match cursor.as_ref().map(cursor_key).transpose()? {
        None => 0,
        Some((secs, seq, id)) => entries
            .iter()
            .position(|e| e.key() < (secs, seq, id.as_str()))
            .unwrap_or(entries.len()),
    };
    let rest = &entries[start..];
    let has_next_page = rest.len() > first;
    let items = rest
        .iter()
        .take(first)
        .map(|e| {
            let cursor = Cursor {
                o: ordering.to_string(),
                k: format!("{}.{}", e.activity.created_at.timestamp(), e.seq),
                i: e.activity.id.clone(),
            };
            (cursor.encode(), e.activity.clone())
        })
        .collect();
    Ok(Page {
        items,
        has_next_page,
    })
}
