//! [`RequestCases`] on ServiceNow: the case that tracks a toll-free ring-to
//! change request (the request itself stays in the gateway's database).
//!
//! - `open` is the ordinary keyed create (ledger claim, `correlation_id`
//!   look-up after a lost answer), with the request's catalog entry, low
//!   priority, and "location/product not listed" (a request names numbers,
//!   not a location or product). The case is the portal user's: their
//!   contact on the account, their name in the ledger.
//! - `resolve` reads the case by sys_id (the provisioning side acts on any
//!   account), then PATCHes the resolved state with `close_notes` (the
//!   note), the `request_resolution_code` setting and the note as a
//!   customer-visible comment;
//!   the state's audit row and the comment are attributed to the operator.
//!   A case already resolved with the same note, or closed or canceled,
//!   is left alone, so repeating it is safe.

use async_trait::async_trait;
use chrono::Utc;
use reqwest::Method;
use serde_json::json;
use switchboard_core::cases::{CaseState, NewCase, Priority};
use switchboard_core::tollfree::request_cases::CASE_TYPE;
use switchboard_core::tollfree::{NewRequestCase, RequestCase, RequestCases};
use switchboard_core::{Actor, Error, Result, Scope, validate};

use crate::http::Req;
use crate::query::id_list;
use crate::wire::{Record, s};
use crate::{BACKEND, Inner, ServiceNow};

/// The case fields `resolve` reads.
const FIELDS: &[&str] = &["sys_id", "number", "state", "close_notes"];

impl Inner {
    /// The case `case_id` on any account, with the fields `resolve` needs.
    async fn request_case_row(&self, case_id: &str) -> Result<Record> {
        let not_found = || Error::not_found(format!("case {case_id}"));
        let ids = id_list(&[case_id.to_string()]);
        let [id] = ids.as_slice() else {
            return Err(not_found());
        };
        self.list(
            &self.settings.tables.case,
            format!("sys_id={id}"),
            FIELDS,
            1,
        )
        .await
        .map_err(|e| e.into_core(&format!("case {case_id}")))?
        .into_iter()
        .next()
        .ok_or_else(not_found)
    }

    async fn resolve_request_case(&self, author: &Actor, case_id: &str, note: &str) -> Result<()> {
        let note = validate::comment("note", note)?;
        let record = self.request_case_row(case_id).await?;
        let (sys_id, number) = (s(&record, "sys_id"), s(&record, "number"));
        let what = format!("case {number}");
        let state = self
            .values
            .state(&s(&record, "state"))
            .map_err(|e| e.into_core(&what))?;
        match state {
            CaseState::Closed | CaseState::Canceled => {
                tracing::info!(adapter.name = BACKEND, case.number = %number, "a change request's case is already closed; left as it is");
                return Ok(());
            }
            CaseState::Resolved if s(&record, "close_notes") == note => return Ok(()),
            _ => {}
        }
        let resolved = self.values.state_value(CaseState::Resolved).to_string();
        let body = json!({
            "state": resolved,
            "close_notes": note,
            "resolution_code": self.settings.request_resolution_code,
            "comments": note,
        });
        let sent_at = Utc::now();
        let req = Req::json(
            Method::PATCH,
            format!(
                "/api/now/table/{}/{sys_id}?sysparm_fields=sys_id,state",
                self.settings.tables.case
            ),
            &body,
            false,
        );
        match self.http.send(req).await {
            Ok(_) => {}
            Err(error) if error.ambiguous() => {
                let now = self.request_case_row(&sys_id).await?;
                if s(&now, "state") != resolved || s(&now, "close_notes") != note {
                    return Err(error.into_core(&what));
                }
            }
            Err(error) => return Err(error.into_core(&what)),
        }
        if state != CaseState::Resolved {
            self.attribute_audit(&sys_id, "state", &resolved, author)
                .await;
        }
        self.attribute_comment(&sys_id, &note, sent_at, author)
            .await;
        Ok(())
    }
}

#[async_trait]
impl RequestCases for ServiceNow {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn open(
        &self,
        scope: &Scope,
        actor: &Actor,
        case: NewRequestCase,
    ) -> Result<RequestCase> {
        let new = NewCase {
            account_id: case.account_id,
            case_type: CASE_TYPE.case_type.to_string(),
            support_case_type: Some(CASE_TYPE.support_case_type.to_string()),
            category: CASE_TYPE.category.to_string(),
            title: Some(case.title),
            description: case.description,
            priority: Some(Priority::Low),
            location_id: None,
            location_not_listed: true,
            product_id: None,
            product_not_listed: true,
            contact_id: None,
            watch_list: Vec::new(),
            idempotency_key: case.key,
        };
        let created = self
            .inner
            .create_case(scope, actor, new)
            .await
            .map_err(|error| match error {
                // The input is the gateway's own: a refusal means the
                // instance's catalog lacks the request's entry.
                Error::InvalidInput { field, message } => {
                    tracing::error!(adapter.name = BACKEND, %field, %message, "the instance refused a toll-free ring-to case; its catalog needs {}/{}/{}", CASE_TYPE.case_type, CASE_TYPE.support_case_type, CASE_TYPE.category);
                    Error::unsupported(BACKEND, "opening toll-free ring-to change cases")
                }
                other => other,
            })?;
        let record = created.record;
        Ok(RequestCase {
            open: !matches!(
                record.state,
                CaseState::Resolved | CaseState::Closed | CaseState::Canceled
            ),
            id: record.id,
            number: record.number,
        })
    }

    async fn resolve(&self, author: &Actor, case_id: &str, note: &str) -> Result<()> {
        self.inner.resolve_request_case(author, case_id, note).await
    }
}
