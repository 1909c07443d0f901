//! What several test files of the ServiceNow adapter share.

use switchboard_core::cases::prelude::*;
use switchboard_core::cases::{Case, CaseFilter, CaseOrder, CaseState};
use switchboard_core::{Error, PageRequest, Result, Scope};
use switchboard_servicenow::ServiceNow;

/// The demo dataset's first account, the tests' caller.
pub fn home() -> Scope {
    Scope::new(["1234567890".to_string()])
}

/// An open case of [`home`].
pub async fn open_case(store: &ServiceNow) -> Result<Case> {
    let filter = CaseFilter {
        states: vec![CaseState::Open],
        ..CaseFilter::default()
    };
    store
        .list_cases(
            &home(),
            &filter,
            CaseOrder::default(),
            &PageRequest::first(1),
        )
        .await?
        .into_items()
        .pop()
        .ok_or(Error::Internal)
}
