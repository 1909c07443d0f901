//! [`StatusSource`] and [`StatusAdmin`] on SQL: the status page the
//! gateway's operators keep themselves.
//!
//! The overall indicator is not stored: it is derived on every read with
//! [`Indicator::derive`] (the worst of every component's status and every
//! unresolved incident's impact). A summary costs three statements
//! (components, unresolved incidents, their updates) whatever the page holds.

mod rows;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use switchboard_core::status::{
    Component, ComponentStatus, Incident, IncidentStatus, Indicator, MAX_BODY_CHARS, NewIncident,
    StatusAdmin, StatusSource, Summary, check_text,
};
use switchboard_core::{Error, Result};

use crate::among::among;
use crate::models::{now, parse_id};
use crate::schema::{status_components, status_incident_updates, status_incidents};
use crate::{SqlStore, db_error, with_conn};
use rows::{ComponentRow, IncidentRow, UpdateRow, join_ids};

fn incident_not_found(id: &str) -> Error {
    Error::not_found(format!("incident {id}"))
}

fn names(components: &[Component]) -> HashMap<String, String> {
    components
        .iter()
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect()
}

impl SqlStore {
    async fn components(&self) -> Result<Vec<Component>> {
        let rows: Vec<ComponentRow> = with_conn!(self.db(), |conn| {
            status_components::table
                .order_by((status_components::position, status_components::id))
                .select(ComponentRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        rows.into_iter().map(ComponentRow::into_domain).collect()
    }

    /// The updates of these incidents, newest first.
    async fn updates_of(&self, ids: &[i64]) -> Result<Vec<UpdateRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        with_conn!(self.db(), |conn| {
            status_incident_updates::table
                .filter(among(status_incident_updates::incident_id, ids))
                .order_by((
                    status_incident_updates::created_at.desc(),
                    status_incident_updates::id.desc(),
                ))
                .select(UpdateRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })
    }

    /// Incidents with their updates, named after `components`.
    async fn assemble(
        &self,
        rows: Vec<IncidentRow>,
        components: &[Component],
    ) -> Result<Vec<Incident>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let updates = self.updates_of(&ids).await?;
        rows::incidents(rows, updates, &names(components))
    }

    /// The component ids of `wanted` that exist, or NotFound for the first that does not.
    async fn existing_components(&self, wanted: &[String]) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(wanted.len());
        for raw in wanted {
            let id = parse_id(raw).ok_or_else(|| Error::not_found(format!("component {raw}")))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Ok(ids);
        }
        let found: Vec<i64> = with_conn!(self.db(), |conn| {
            status_components::table
                .filter(among(status_components::id, &ids))
                .select(status_components::id)
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        match ids.iter().find(|id| !found.contains(id)) {
            Some(missing) => Err(Error::not_found(format!("component {missing}"))),
            None => Ok(ids),
        }
    }

    /// Writes an incident and its first update; returns its id.
    pub(crate) async fn insert_incident(
        &self,
        new: &NewIncident,
        component_ids: &[i64],
        at: NaiveDateTime,
        resolved_at: Option<NaiveDateTime>,
    ) -> Result<i64> {
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                let id: i64 = diesel::insert_into(status_incidents::table)
                    .values((
                        status_incidents::name.eq(&new.name),
                        status_incidents::status.eq(new.status.as_str()),
                        status_incidents::impact.eq(new.impact.as_str()),
                        status_incidents::component_ids.eq(join_ids(component_ids)),
                        status_incidents::created_at.eq(at),
                        status_incidents::updated_at.eq(at),
                        status_incidents::resolved_at.eq(resolved_at),
                    ))
                    .returning(status_incidents::id)
                    .get_result(conn)
                    .await?;
                diesel::insert_into(status_incident_updates::table)
                    .values((
                        status_incident_updates::incident_id.eq(id),
                        status_incident_updates::status.eq(new.status.as_str()),
                        status_incident_updates::body.eq(&new.body),
                        status_incident_updates::created_at.eq(at),
                    ))
                    .execute(conn)
                    .await?;
                Ok(id)
            })
            .await
            .map_err(db_error)
        })
    }

    /// Appends an update; the incident takes its status, and the first
    /// closing status sets `resolved_at`. Returns whether the incident exists.
    pub(crate) async fn append_update(
        &self,
        id: i64,
        status: IncidentStatus,
        body: &str,
        at: NaiveDateTime,
    ) -> Result<bool> {
        let _guard = self.db().write_guard().await;
        with_conn!(self.db(), |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                let row = status_incidents::table.filter(status_incidents::id.eq(id));
                let resolved_at = if status.is_closing() { Some(at) } else { None };
                let changed = diesel::update(row)
                    .set((
                        status_incidents::status.eq(status.as_str()),
                        status_incidents::updated_at.eq(at),
                        status_incidents::resolved_at.eq(diesel::dsl::sql::<
                            diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
                        >(
                            "COALESCE(resolved_at, "
                        )
                        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Timestamp>, _>(
                            resolved_at,
                        )
                        .sql(")")),
                    ))
                    .execute(conn)
                    .await?;
                if changed == 0 {
                    return Ok(false);
                }
                diesel::insert_into(status_incident_updates::table)
                    .values((
                        status_incident_updates::incident_id.eq(id),
                        status_incident_updates::status.eq(status.as_str()),
                        status_incident_updates::body.eq(body),
                        status_incident_updates::created_at.eq(at),
                    ))
                    .execute(conn)
                    .await?;
                Ok(true)
            })
            .await
            .map_err(db_error)
        })
    }
}

#[async_trait]
impl StatusSource for SqlStore {
    fn backend(&self) -> &'static str {
        crate::BACKEND
    }

    async fn summary(&self) -> Result<Summary> {
        let components = self.components().await?;
        let rows: Vec<IncidentRow> = with_conn!(self.db(), |conn| {
            status_incidents::table
                .filter(status_incidents::resolved_at.is_null())
                .order_by((
                    status_incidents::created_at.desc(),
                    status_incidents::id.desc(),
                ))
                .select(IncidentRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        let incidents = self.assemble(rows, &components).await?;
        let indicator = Indicator::derive(&components, &incidents);
        Ok(Summary {
            indicator,
            description: indicator.description().to_string(),
            components,
            incidents,
        })
    }

    async fn incident(&self, id: &str) -> Result<Incident> {
        let key = parse_id(id).ok_or_else(|| incident_not_found(id))?;
        let row: Option<IncidentRow> = with_conn!(self.db(), |conn| {
            status_incidents::table
                .filter(status_incidents::id.eq(key))
                .select(IncidentRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        let row = row.ok_or_else(|| incident_not_found(id))?;
        let components = self.components().await?;
        self.assemble(vec![row], &components)
            .await?
            .pop()
            .ok_or_else(|| incident_not_found(id))
    }

    async fn recent_incidents(&self, limit: usize) -> Result<Vec<Incident>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<IncidentRow> = with_conn!(self.db(), |conn| {
            status_incidents::table
                .order_by((
                    status_incidents::created_at.desc(),
                    status_incidents::id.desc(),
                ))
                .limit(limit)
                .select(IncidentRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        let components = self.components().await?;
        self.assemble(rows, &components).await
    }

    fn admin(&self) -> Option<&dyn StatusAdmin> {
        Some(self)
    }
}

#[async_trait]
impl StatusAdmin for SqlStore {
    async fn set_component_status(&self, id: &str, status: ComponentStatus) -> Result<Component> {
        let key = parse_id(id).ok_or_else(|| Error::not_found(format!("component {id}")))?;
        let _guard = self.db().write_guard().await;
        let row: Option<ComponentRow> = with_conn!(self.db(), |conn| {
            diesel::update(status_components::table.filter(status_components::id.eq(key)))
                .set((
                    status_components::status.eq(status.as_str()),
                    status_components::updated_at.eq(now()),
                ))
                .returning(ComponentRow::as_returning())
                .get_result(conn)
                .await
                .optional()
                .map_err(db_error)
        })?;
        row.ok_or_else(|| Error::not_found(format!("component {id}")))?
            .into_domain()
    }

    async fn post_incident(&self, new: NewIncident) -> Result<Incident> {
        let new = new.validated()?;
        let components = self.existing_components(&new.component_ids).await?;
        let id = self.insert_incident(&new, &components, now(), None).await?;
        self.incident(&id.to_string()).await
    }

    async fn post_incident_update(
        &self,
        id: &str,
        status: IncidentStatus,
        body: &str,
    ) -> Result<Incident> {
        let body = check_text("body", body, MAX_BODY_CHARS)?;
        let key = parse_id(id).ok_or_else(|| incident_not_found(id))?;
        if !self.append_update(key, status, &body, now()).await? {
            return Err(incident_not_found(id));
        }
        self.incident(id).await
    }
}

/// Writes the demo status page ([`switchboard_core::status::demo`]) as of
/// `anchor`, with ids the database assigns; the seed calls it on both
/// databases after the rest of the demo data.
pub async fn write_demo(store: &SqlStore, anchor: NaiveDateTime) -> Result<()> {
    use switchboard_core::status::demo;
    let anchor = anchor.and_utc();
    let mut ids: HashMap<String, i64> = HashMap::new();
    for c in demo::components(anchor) {
        let _guard = store.db().write_guard().await;
        let id: i64 = with_conn!(store.db(), |conn| {
            diesel::insert_into(status_components::table)
                .values((
                    status_components::name.eq(&c.name),
                    status_components::group_name.eq(&c.group),
                    status_components::status.eq(c.status.as_str()),
                    status_components::description.eq(&c.description),
                    status_components::position.eq(c.position),
                    status_components::updated_at.eq(c.updated_at.naive_utc()),
                ))
                .returning(status_components::id)
                .get_result(conn)
                .await
                .map_err(db_error)
        })?;
        ids.insert(c.name, id);
    }
    // Oldest first, so ids grow with time as they do for operators' posts.
    for incident in demo::incidents(anchor).into_iter().rev() {
        let mut updates = incident.updates.into_iter().rev();
        let first = updates.next().ok_or(Error::Internal)?;
        let new = NewIncident {
            name: incident.name,
            status: first.status,
            impact: incident.impact,
            body: first.body,
            component_ids: Vec::new(),
        };
        let components: Vec<i64> = incident
            .components
            .iter()
            .filter_map(|c| ids.get(&c.name).copied())
            .collect();
        let at = first.created_at.naive_utc();
        let id = store.insert_incident(&new, &components, at, None).await?;
        for update in updates {
            let at = update.created_at.naive_utc();
            store
                .append_update(id, update.status, &update.body, at)
                .await?;
        }
    }
    Ok(())
}
