//! Writes: create (with `correlation_id` look-ups) and cancel; comments
//! and watch lists have modules of their own.

use async_trait::async_trait;
use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use switchboard_core::cases::{
    Activity, Case, CaseState, CaseWrites, Created, NewCase, NewComment, Priority, cancel_reason,
    ensure_cancelable, fingerprint,
};
use switchboard_core::ledger::WriteKind;
use switchboard_core::{Actor, Error, Result, Scope, validate};

use super::keys::Slot;
use super::read::case_fields;
use crate::http::{HttpError, Req};
use crate::query::encode;
use crate::wire::{Record, hex, one, s};
use crate::{AccountRef, BACKEND, Inner, ServiceNow};

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
        let print = new.fingerprint();
        self.check_references(&mut new, &account, actor).await?;
        let key = new.idempotency_key.clone();
        let correlation = {
            let salt = match &key {
                Some(k) => k.clone(),
                None => hex(&rand::random::<[u8; 16]>()),
            };
            let digest = fingerprint([&actor.user_id, &salt]);
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
                return Ok(Created::replayed(case));
            }
            Slot::Resumed(write, _) => {
                if let Some(case) = self.by_correlation(scope, &correlation).await? {
                    self.complete(Some(&write), &case.id).await;
                    return Ok(Created::replayed(case));
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
        // ServiceNow records the integration user as the opener: a work
        // note (never shown in the portal) tells agents who it really was.
        put("work_notes", opened_note(actor));
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
        Ok(Created::fresh(Case {
            opened_by: actor.name.clone(),
            ..case
        }))
    }

    /// Attributes to `actor` the audit row of the change this process just
    /// made: the newest row of `field` on case `case_id` whose new value is
    /// `value` and that no one is credited with yet. ServiceNow keeps whole
    /// seconds, so two changes of one field in a second tie on time; their
    /// values tell them apart. Best effort: a failure is logged.
    pub(super) async fn attribute_audit(
        &self,
        case_id: &str,
        field: &str,
        value: &str,
        actor: &Actor,
    ) {
        let query = format!(
            "tablename={}^documentkey={}^fieldname={field}^ORDERBYDESCsys_created_on",
            self.settings.tables.case, case_id
        );
        let rows = match self
            .list(
                &self.settings.tables.audit,
                query,
                &["sys_id", "newvalue"],
                AUDIT_LOOKBACK,
            )
            .await
        {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(adapter.name = BACKEND, %error, "an audit row could not be attributed");
                return;
            }
        };
        let candidates: Vec<String> = rows
            .iter()
            .filter(|r| s(r, "newvalue") == value)
            .map(|r| s(r, "sys_id"))
            .collect();
        if candidates.is_empty() {
            return;
        }
        match self.ledger.authors(BACKEND, &candidates).await {
            Ok(credited) => {
                if let Some(id) = candidates.iter().find(|id| !credited.contains_key(*id)) {
                    self.attribute(id, actor).await;
                }
            }
            Err(error) => {
                tracing::warn!(adapter.name = BACKEND, %error, "an audit row could not be attributed");
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
        let reason = cancel_reason(reason)?;
        let (case, _) = self.scoped_case(scope, case_id).await?;
        ensure_cancelable(&case.number, case.state)?;
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
        let canceled_value = self.values.state_value(CaseState::Canceled).to_string();
        self.attribute_audit(&case.id, "state", &canceled_value, actor)
            .await;
        if let Some(note) = &note {
            self.attribute_comment(&case.id, note, sent_at, actor).await;
        }
        Ok(Case {
            opened_by: case.opened_by,
            ..canceled
        })
    }
}

/// How many of a field's newest audit rows an attribution looks through.
const AUDIT_LOOKBACK: usize = 10;

/// The agents' note naming the portal user who opened a case.
pub(crate) fn opened_note(actor: &Actor) -> String {
    format!(
        "Opened in the customer portal by {} <{}>.",
        actor.name, actor.email
    )
}

#[async_trait]
impl CaseWrites for ServiceNow {
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

    async fn cancel_case(
        &self,
        scope: &Scope,
        actor: &Actor,
        case_id: &str,
        reason: Option<&str>,
    ) -> Result<Case> {
        self.inner.cancel_case(scope, actor, case_id, reason).await
    }
}
