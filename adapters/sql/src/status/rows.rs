//! Status rows as diesel reads them, and their conversion to domain types.

use std::collections::HashMap;

use diesel::prelude::*;
use switchboard_core::Error;
use switchboard_core::status::{
    AffectedComponent, Component, ComponentStatus, Impact, Incident, IncidentStatus, IncidentUpdate,
};

use crate::models::utc;
use crate::schema::{status_components, status_incident_updates, status_incidents};

/// A stored value outside its enumeration: the database was edited by hand.
fn corrupt(what: &str, value: &str) -> Error {
    tracing::error!(
        adapter.name = crate::BACKEND,
        status.field = what,
        status.value = value,
        "unknown value in the status tables"
    );
    Error::Internal
}

/// One `status_components` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = status_components)]
pub struct ComponentRow {
    pub id: i64,
    pub name: String,
    pub group_name: Option<String>,
    pub status: String,
    pub description: Option<String>,
    pub position: i32,
    pub updated_at: chrono::NaiveDateTime,
}

impl ComponentRow {
    /// The domain component.
    pub fn into_domain(self) -> Result<Component, Error> {
        let status = ComponentStatus::parse(&self.status)
            .ok_or_else(|| corrupt("component.status", &self.status))?;
        Ok(Component {
            id: self.id.to_string(),
            name: self.name,
            group: self.group_name,
            status,
            description: self.description,
            position: self.position,
            updated_at: utc(self.updated_at),
        })
    }
}

/// One `status_incidents` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = status_incidents)]
pub struct IncidentRow {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub impact: String,
    pub component_ids: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub resolved_at: Option<chrono::NaiveDateTime>,
}

/// One `status_incident_updates` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = status_incident_updates)]
pub struct UpdateRow {
    pub incident_id: i64,
    pub status: String,
    pub body: String,
    pub created_at: chrono::NaiveDateTime,
}

/// Joins component ids for the `component_ids` column.
pub fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn incident_status(value: &str) -> Result<IncidentStatus, Error> {
    IncidentStatus::parse(value).ok_or_else(|| corrupt("incident.status", value))
}

/// Assembles incidents from their rows, their updates (newest first) and
/// the components' names by id.
pub fn incidents(
    rows: Vec<IncidentRow>,
    updates: Vec<UpdateRow>,
    names: &HashMap<String, String>,
) -> Result<Vec<Incident>, Error> {
    let mut by_incident: HashMap<i64, Vec<IncidentUpdate>> = HashMap::new();
    for u in updates {
        by_incident
            .entry(u.incident_id)
            .or_default()
            .push(IncidentUpdate {
                status: incident_status(&u.status)?,
                body: u.body,
                created_at: utc(u.created_at),
            });
    }
    rows.into_iter()
        .map(|row| {
            let components = row
                .component_ids
                .split(',')
                .filter(|id| !id.is_empty())
                .filter_map(|id| {
                    names.get(id).map(|name| AffectedComponent {
                        id: id.to_string(),
                        name: name.clone(),
                    })
                })
                .collect();
            Ok(Incident {
                id: row.id.to_string(),
                status: incident_status(&row.status)?,
                impact: Impact::parse(&row.impact)
                    .ok_or_else(|| corrupt("incident.impact", &row.impact))?,
                name: row.name,
                created_at: utc(row.created_at),
                updated_at: utc(row.updated_at),
                resolved_at: row.resolved_at.map(utc),
                components,
                updates: by_incident.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect()
}
