//! Toll-free rows as diesel reads and writes them, and their domain types.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use switchboard_core::tollfree::{
    ChangeLine, ChangeRequest, ChangeStatus, Network, NumberStatus, Rate, TollFreeNumber,
};

use crate::models::utc;
use crate::schema::{tollfree_change_lines, tollfree_change_requests, tollfree_numbers};

/// A row of `tollfree_numbers`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = tollfree_numbers)]
pub struct NumberRow {
    pub id: i64,
    pub account_id: String,
    pub number: String,
    pub ring_to: String,
    pub network: String,
    pub changeable_online: bool,
    pub state: String,
    pub same_state_required: bool,
    pub status: String,
}

impl NumberRow {
    /// The domain number; unknown stored names read as the safest value.
    pub fn into_domain(self) -> TollFreeNumber {
        TollFreeNumber {
            network: Network::parse(&self.network).unwrap_or(Network::OffNet),
            status: NumberStatus::parse(&self.status).unwrap_or(NumberStatus::ChangePending),
            number: self.number,
            account_id: self.account_id,
            ring_to: self.ring_to,
            changeable_online: self.changeable_online,
            state: self.state,
            same_state_required: self.same_state_required,
        }
    }
}

/// A row of `tollfree_change_requests`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = tollfree_change_requests)]
pub struct RequestRow {
    pub id: i64,
    pub account_id: String,
    pub status: String,
    /// The request's case in this database, when cases live here.
    pub case_id: Option<i64>,
    pub case_number: String,
    pub created_by: String,
    pub created_by_subject: String,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    /// The id of the request's case in an external case backend.
    pub case_ref: Option<String>,
}

impl RequestRow {
    /// The id of the request's case: the external one, or this database's.
    pub fn case_key(&self) -> String {
        match (&self.case_ref, self.case_id) {
            (Some(external), _) => external.clone(),
            (None, Some(id)) => id.to_string(),
            (None, None) => String::new(),
        }
    }

    /// The domain request with `lines` (already in position order).
    pub fn into_domain(self, lines: Vec<LineRow>) -> ChangeRequest {
        let case_id = self.case_key();
        ChangeRequest {
            id: self.id.to_string(),
            account_id: self.account_id,
            status: ChangeStatus::parse(&self.status).unwrap_or(ChangeStatus::Pending),
            lines: lines.into_iter().map(LineRow::into_domain).collect(),
            case_number: self.case_number,
            case_id,
            created_by: self.created_by,
            created_at: utc(self.created_at),
            decided_at: self.decided_at.map(utc),
            reason: self.reason,
        }
    }
}

/// A row of `tollfree_change_lines`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = tollfree_change_lines)]
pub struct LineRow {
    pub request_id: i64,
    pub position: i32,
    pub number: String,
    pub old_ring_to: String,
    pub new_ring_to: String,
    pub old_network: String,
    pub new_network: String,
    pub rate_micros: i64,
    pub rate_changes: bool,
}

impl LineRow {
    /// The domain line.
    pub fn into_domain(self) -> ChangeLine {
        ChangeLine {
            old_network: Network::parse(&self.old_network).unwrap_or(Network::OffNet),
            new_network: Network::parse(&self.new_network).unwrap_or(Network::OffNet),
            rate: Rate::from_micros(self.rate_micros),
            number: self.number,
            old_ring_to: self.old_ring_to,
            new_ring_to: self.new_ring_to,
            rate_changes: self.rate_changes,
        }
    }
}
