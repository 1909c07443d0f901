//! Writes: create (with `correlation_id` look-ups), comments, cancel and
//! watch lists.

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use switchboard_core::cases::{
    Activity, Case, CaseState, Created, NewCase, NewComment, Priority, WatchEntry,
};
use switchboard_core::ledger::WriteKind;
use switchboard_core::{Actor, Error, Result, Scope, validate};

use super::activity::Entry;
use super::keys::{Slot, fingerprint};
use super::read::case_fields;
use crate::http::{HttpError, Req};
use crate::query::{datetime, encode};
use crate::wire::{Record, hex, one, s};
use crate::{AccountRef, BACKEND, Inner};
use sha2::{Digest, Sha256};

fn fresh<T>(record: T) -> Created<T> {
    Created {
        record,
        replayed: false,
    }
}

fn replayed<T>(record: T) -> Created<T> {
    Created {
        record,
        replayed: true,
    }
}

/// Refuses writes to finished cases.
pub(crate) fn writable(case: &Case) -> Result<()> {
    match case.state {
        CaseState::Closed | CaseState::Canceled => Err(Error::Conflict(format!(
            "case {} is {}; open a new case instead",
            case.number,
            case.state.as_str()
        ))),
        _ => Ok(()),
    }
}

fn create_print(new: &NewCase) -> String {
    let mut fields: Vec<String> = vec![
        new.account_id.clone(),
        new.case_type.clone(),
        new.support_case_type.clone().unwrap_or_default(),
        new.category.clone(),
        new.title.clone().unwrap_or_default(),
        new.description.clone(),
        new.priority.map_or(0, |p| p.level()).to_string(),
        new.location_id.clone().unwrap_or_default(),
        new.location_not_listed.to_string(),
        new.product_id.clone().unwrap_or_default(),
        new.product_not_listed.to_string(),
        new.contact_id.clone().unwrap_or_default(),
    ];
    fields.extend(new.watch_list.iter().cloned());
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    fingerprint(&refs)
}

impl Inner {
    fn case_path(&self, id: Option<&str>) -> String {
        let fields = case_fields(self).join(",");
        let table = &self.settings.tables.case;
        match id {
            None => format!(
                "/api/now/table/{table}?sysparm_fields={}&sysparm_exclude_reference_link=true",
                encode(&fields)
            ),
            Some(id) => format!(
                "/api/now/table/{table}/{id}?sysparm_fields={}&sysparm_exclude_reference_link=true",
                encode(&fields)
            ),
        }
    }

    /// A written record as a case: dot-walked account fields filled from
    /// what the caller knows when the write's answer lacks them.
    fn written_case(&self, mut r: Record, account: &AccountRef, opened_by: &str) -> Result<Case> {
        let f = &self.settings.fields;
        for (key, value) in [
            (format!("{}.number", f.account), &account.number),
            (format!("{}.name", f.account), &account.name),
        ] {
            if s(&r, &key).is_empty() {
                r.insert(key, Value::String(value.clone()));
            }
        }
        Ok(self.to_case(&r, Some(opened_by.to_string()))?)
    }

    /// Checks the references of a new case against its account.
    async fn check_references(
        &self,
        new: &mut NewCase,
        account: &AccountRef,
        actor: &Actor,
    ) -> Result<()> {
        if let Some(id) = &new.location_id {
            let found = self.locations_by(std::slice::from_ref(id)).await?;
            if !found.iter().any(|l| l.account_id == account.number) {
                return Err(Error::invalid(
                    "input.locationId",
                    "no such location on this account",
                ));
            }
        }
        if let Some(id) = &new.product_id {
            let found = self.products_by(std::slice::from_ref(id)).await?;
            let product = found
                .iter()
                .find(|p| p.account_id == account.number)
                .ok_or_else(|| {
                    Error::invalid("input.productId", "no such product on this account")
                })?;
            if let (Some(chosen), Some(at)) = (&new.location_id, &product.location_id)
                && chosen != at
            {
                return Err(Error::invalid(
                    "input.productId",
                    "this product is not at the chosen location",
                ));
            }
        }
        match &new.contact_id {
            Some(id) => {
                let found = self.contacts_by(std::slice::from_ref(id)).await?;
                if !found.iter().any(|c| c.account_id == account.number) {
                    return Err(Error::invalid(
                        "input.contactId",
                        "no such contact on this account",
                    ));
                }
            }
            None => {
                let email = actor.email.trim().to_ascii_lowercase();
                new.contact_id = self
                    .account_contacts(account)
                    .await?
                    .into_iter()
                    .find(|c| c.email == email)
                    .map(|c| c.id);
            }
        }
        Ok(())
    }

    /// The case written with `correlation`, in scope.
    async fn by_correlation(
        &self,
        scope: &Scope,
        correlation: &str,
    ) -> Result<Option<Case>, HttpError> {
        let f = &self.settings.fields;
        let rows = self
            .case_rows(format!("{}={correlation}", f.correlation_id), 1)
            .await
            .map_err(|_| HttpError::Ambiguous("the correlation look-up failed".into()))?;
        let cases = self
            .to_cases(&rows)
            .await
            .map_err(|_| HttpError::Payload("a case found by correlation id".into()))?;
        Ok(cases.into_iter().find(|c| scope.contains(&c.account_id)))
    }

    pub(crate) async fn create_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        new: NewCase,
    ) -> Result<Created<Case>> {
        let catalog = self.catalog().await?;
        let mut new = validate::new_case(&catalog, new)?;
        let account = self
            .scoped_account(scope, &new.account_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("account {}", new.account_id)))?;
        let print = create_print(&new);
        self.check_references(&mut new, &account, actor).await?;
        let key = new.idempotency_key.clone();
        let correlation = {
            let salt = match &key {
                Some(k) => k.clone(),
                None => hex(&rand::random::<[u8; 16]>()),
            };
            let digest = fingerprint(&[&actor.user_id, &salt]);
            format!("switchboard:{}", &digest[..40])
        };
        let write = match self
            .claim(WriteKind::Case, actor, key.as_deref(), &print)
            .await?
        {
            Slot::Done(id) => {
                let case = self
                    .cases_by_ids(scope, std::slice::from_ref(&id))
                    .await?
                    .pop()
                    .ok_or_else(|| Error::not_found(format!("case {id}")))?;
                return Ok(replayed(case));
            }
            Slot::Resumed(write, _) => {
                if let Some(case) = self.by_correlation(scope, &correlation).await? {
                    self.complete(Some(&write), &case.id).await;
                    return Ok(replayed(case));
                }
                Some(write)
            }
            Slot::Fresh(write) => write,
        };
        let f = &self.settings.fields;
        let flag = |b: bool| if b { "true" } else { "false" };
        let mut body = serde_json::Map::new();
        let mut put = |k: &str, v: String| {
            body.insert(k.to_string(), Value::String(v));
        };
        put(&f.account, account.sys_id.clone());
        put(&f.contact, new.contact_id.clone().unwrap_or_default());
        put(&f.location, new.location_id.clone().unwrap_or_default());
        put(&f.product, new.product_id.clone().unwrap_or_default());
        put(&f.location_not_listed, flag(new.location_not_listed).into());
        put(&f.product_not_listed, flag(new.product_not_listed).into());
        put(&f.case_type, new.case_type.clone());
        put(
            &f.support_case_type,
            new.support_case_type.clone().unwrap_or_default(),
        );
        put(&f.category, new.category.clone());
        put("short_description", new.title.clone().unwrap_or_default());
        put("description", new.description.clone());
        put("state", self.values.state_value(CaseState::New).into());
        put(
            "priority",
            self.values
                .priority_value(new.priority.unwrap_or(Priority::Low))
                .into(),
        );
        put(&f.watch_list, new.watch_list.join(","));
        put(&f.correlation_id, correlation.clone());
        let req = Req::json(
            Method::POST,
            self.case_path(None),
            &Value::Object(body),
            false,
        );
        let made = match self.http.send(req).await {
            Ok(resp) => one(&resp).and_then(|r| {
                self.written_case(r, &account, &actor.name)
                    .map_err(|_| HttpError::Payload("a created case".into()))
            }),
            Err(e) => Err(e),
        };
        let case = match made {
            Ok(case) => case,
            Err(error) if error.ambiguous() => {
                tracing::warn!(adapter.name = BACKEND, %error, "a create got no answer; looking it up by correlation id");
                match self.by_correlation(scope, &correlation).await {
                    Ok(Some(case)) => case,
                    Ok(None) => {
                        self.release(write.as_ref()).await;
                        return Err(error.into_core("the new case"));
                    }
                    // Unknown outcome: the claim stays, a later retry resumes it.
                    Err(_) => return Err(error.into_core("the new case")),
                }
            }
            Err(error) => {
                self.release(write.as_ref()).await;
                return Err(error.into_core("the new case"));
            }
        };
        self.attribute(&case.id, actor).await;
        self.complete(write.as_ref(), &case.id).await;
        Ok(fresh(Case {
            opened_by: actor.name.clone(),
            ..case
        }))
    }

    /// The newest unattributed comment on `case` with `body` written since `since`.
    async fn find_comment(
        &self,
        case: &Case,
        body: &str,
        since: chrono::DateTime<Utc>,
    ) -> Result<Option<Entry>, HttpError> {
        let extra = format!(
            "^sys_created_on>={}",
            datetime(since - chrono::Duration::seconds(1))
        );
        let rows = self
            .journal_rows(std::slice::from_ref(&case.id), &extra)
            .await?;
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
                &case.number,
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
        let body = validate::comment("body", &comment.body)?;
        if let Some(key) = &comment.idempotency_key {
            validate::idempotency_key("idempotencyKey", key)?;
        }
        let (case, _) = self.scoped_case(scope, case_id).await?;
        let print = fingerprint(&[&case.id, &body]);
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
            Slot::Done(id) => return Ok(replayed(self.comment_by_id(&case, &id).await?)),
            Slot::Resumed(write, since) => {
                if let Some(entry) = self.find_comment(&case, &body, since).await? {
                    let id = entry.activity.id.trim_start_matches("j:").to_string();
                    self.attribute(&id, actor).await;
                    self.complete(Some(&write), &id).await;
                    return Ok(replayed(Activity {
                        author: actor.name.clone(),
                        ..entry.activity
                    }));
                }
                Some(write)
            }
            Slot::Fresh(write) => write,
        };
        if let Err(e) = writable(&case) {
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
            .find_comment(&case, &body, since)
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
        Ok(fresh(Activity {
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

    /// Attributes the newest audit row of `field` on `case` to `actor` (best effort).
    async fn attribute_audit(&self, case: &Case, field: &str, actor: &Actor) {
        let query = format!(
            "tablename={}^documentkey={}^fieldname={field}^ORDERBYDESCsys_created_on",
            self.settings.tables.case, case.id
        );
        match self
            .list(&self.settings.tables.audit, query, &["sys_id"], 1)
            .await
        {
            Ok(rows) => {
                if let Some(r) = rows.first() {
                    self.attribute(&s(r, "sys_id"), actor).await;
                }
            }
            Err(error) => {
                tracing::warn!(adapter.name = BACKEND, %error, "an audit row could not be attributed")
            }
        }
    }

    pub(crate) async fn cancel_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        reason: Option<&str>,
    ) -> Result<Case> {
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| validate::comment("reason", r))
            .transpose()?;
        let (case, _) = self.scoped_case(scope, case_id).await?;
        if !case.state.cancelable() {
            return Err(Error::Conflict(format!(
                "case {} is {}; only NEW, OPEN or AWAITING_INFO cases can be canceled",
                case.number,
                case.state.as_str()
            )));
        }
        // The reason is also a customer-visible comment, so the portal's
        // activity stream and the agents both see why.
        let note = reason.as_ref().map(|r| format!("Cancel reason: {r}"));
        let mut body = json!({
            "state": self.values.state_value(CaseState::Canceled),
            "close_notes": reason.clone().unwrap_or_else(|| "Canceled by the customer.".to_string()),
            "resolution_code": self.settings.cancel_resolution_code,
        });
        if let Some(note) = &note {
            body["comments"] = json!(note);
        }
        let sent_at = Utc::now();
        let what = format!("case {}", case.number);
        let req = Req::json(Method::PATCH, self.case_path(Some(&case.id)), &body, false);
        let account = AccountRef {
            sys_id: String::new(),
            number: case.account_id.clone(),
            name: String::new(),
        };
        let canceled = match self.http.send(req).await {
            Ok(resp) => self.written_case(one(&resp)?, &account, &case.opened_by)?,
            Err(error) if error.ambiguous() => {
                let (now, _) = self.scoped_case(scope, &case.id).await?;
                if now.state != CaseState::Canceled {
                    return Err(error.into_core(&what));
                }
                now
            }
            Err(HttpError::Forbidden(detail)) => {
                tracing::info!(adapter.name = BACKEND, %detail, "a cancel was refused");
                return Err(Error::Conflict(format!("{what} can no longer be canceled")));
            }
            Err(error) => return Err(error.into_core(&what)),
        };
        self.attribute_audit(&case, "state", actor).await;
        if let Some(note) = &note {
            match self.find_comment(&case, note, sent_at).await {
                Ok(Some(entry)) => {
                    let id = entry.activity.id.trim_start_matches("j:").to_string();
                    self.attribute(&id, actor).await;
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(adapter.name = BACKEND, %error, "a cancel reason could not be attributed")
                }
            }
        }
        Ok(Case {
            opened_by: case.opened_by,
            ..canceled
        })
    }

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
        let (case, record) = self.scoped_case(scope, case_id).await?;
        writable(&case)?;
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
        self.attribute_audit(&case, &field, actor).await;
        self.watch_entries(&case, &written).await
    }
}

/// The hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}
