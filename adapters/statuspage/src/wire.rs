//! The parts of Statuspage's public API v2 bodies the adapter reads, and
//! their conversion to domain types. Fields not named here are ignored;
//! timestamps carry any offset and are converted to UTC; an enumeration
//! value outside the documented ones is an error (the page changed its
//! contract), never a guess.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use switchboard_core::status::{
    AffectedComponent, Component, ComponentStatus, Impact, Incident, IncidentStatus,
    IncidentUpdate, Indicator, Summary,
};

/// `summary.json`.
#[derive(Debug, Deserialize)]
pub struct SummaryBody {
    status: StatusBody,
    #[serde(default)]
    components: Vec<ComponentBody>,
    #[serde(default)]
    incidents: Vec<IncidentBody>,
    #[serde(default)]
    scheduled_maintenances: Vec<IncidentBody>,
}

/// `incidents.json`.
#[derive(Debug, Deserialize)]
pub struct IncidentsBody {
    #[serde(default)]
    incidents: Vec<IncidentBody>,
}

#[derive(Debug, Deserialize)]
struct StatusBody {
    indicator: String,
    description: String,
}

#[derive(Debug, Deserialize)]
struct ComponentBody {
    id: String,
    name: String,
    status: String,
    description: Option<String>,
    #[serde(default)]
    position: i32,
    updated_at: DateTime<Utc>,
    group_id: Option<String>,
    #[serde(default)]
    group: bool,
}

#[derive(Debug, Deserialize)]
struct ComponentRef {
    id: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct IncidentBody {
    id: String,
    name: String,
    status: String,
    impact: String,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    incident_updates: Vec<UpdateBody>,
    #[serde(default)]
    components: Vec<ComponentRef>,
}

#[derive(Debug, Deserialize)]
struct UpdateBody {
    status: String,
    body: String,
    created_at: DateTime<Utc>,
}

/// A value outside the documented enumeration.
#[derive(Debug, thiserror::Error)]
#[error("unknown {field} `{value}`")]
pub struct UnknownValue {
    field: &'static str,
    value: String,
}

fn parse<T>(field: &'static str, value: &str, f: fn(&str) -> Option<T>) -> Result<T, UnknownValue> {
    f(value).ok_or_else(|| UnknownValue {
        field,
        value: value.to_string(),
    })
}

impl SummaryBody {
    /// The domain summary: group components become their children's group
    /// name; incidents and active maintenances, newest first.
    pub fn into_domain(self) -> Result<Summary, UnknownValue> {
        let groups: HashMap<String, String> = self
            .components
            .iter()
            .filter(|c| c.group)
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        let mut components = Vec::with_capacity(self.components.len());
        for c in self.components.into_iter().filter(|c| !c.group) {
            components.push(Component {
                status: parse("component status", &c.status, ComponentStatus::parse)?,
                group: c.group_id.as_ref().and_then(|g| groups.get(g)).cloned(),
                id: c.id,
                name: c.name,
                description: c.description,
                position: c.position,
                updated_at: c.updated_at,
            });
        }
        components.sort_by_key(|c| c.position);
        let incidents = incidents(
            self.incidents
                .into_iter()
                .chain(self.scheduled_maintenances),
        )?;
        Ok(Summary {
            indicator: parse("indicator", &self.status.indicator, Indicator::parse)?,
            description: self.status.description,
            components,
            incidents,
        })
    }
}

impl IncidentsBody {
    /// The domain incidents, newest first.
    pub fn into_domain(self) -> Result<Vec<Incident>, UnknownValue> {
        incidents(self.incidents.into_iter())
    }
}

fn incidents(bodies: impl Iterator<Item = IncidentBody>) -> Result<Vec<Incident>, UnknownValue> {
    let mut out = bodies.map(incident).collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|i| std::cmp::Reverse(i.created_at));
    Ok(out)
}

fn incident(body: IncidentBody) -> Result<Incident, UnknownValue> {
    let mut updates = body
        .incident_updates
        .into_iter()
        .map(|u| {
            Ok(IncidentUpdate {
                status: parse("incident update status", &u.status, IncidentStatus::parse)?,
                body: u.body,
                created_at: u.created_at,
            })
        })
        .collect::<Result<Vec<_>, UnknownValue>>()?;
    updates.sort_by_key(|u| std::cmp::Reverse(u.created_at));
    Ok(Incident {
        status: parse("incident status", &body.status, IncidentStatus::parse)?,
        impact: parse("incident impact", &body.impact, Impact::parse)?,
        updated_at: body.updated_at.unwrap_or(body.created_at),
        id: body.id,
        name: body.name,
        created_at: body.created_at,
        resolved_at: body.resolved_at,
        components: body
            .components
            .into_iter()
            .map(|c| AffectedComponent {
                id: c.id,
                name: c.name,
            })
            .collect(),
        updates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_converted_unknown_fields_ignored_and_groups_named() {
        let body = r#"{
          "page": {"id": "p", "name": "P", "url": "https://x", "time_zone": "America/Tijuana", "updated_at": "2026-06-19T04:50:00Z"},
          "status": {"indicator": "minor", "description": "Partially Degraded Service"},
          "components": [
            {"id": "g", "name": "Cloud", "status": "operational", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "position": 1, "description": null, "showcase": false, "group_id": null, "page_id": "p", "group": true, "only_show_if_degraded": false, "components": ["c"]},
            {"id": "c", "name": "Webex", "status": "degraded_performance", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-06-19T04:50:00.123-07:00", "position": 2, "description": "calls", "showcase": true, "group_id": "g", "page_id": "p", "group": false, "only_show_if_degraded": false, "start_date": null}
          ],
          "incidents": [{"id": "i", "name": "Choppy audio", "status": "identified", "impact": "minor", "created_at": "2026-06-19T03:00:00-07:00", "updated_at": "2026-06-19T04:00:00-07:00", "monitoring_at": null, "resolved_at": null, "shortlink": "http://stspg.io/x", "started_at": "2026-06-19T03:00:00-07:00", "page_id": "p",
            "incident_updates": [{"id": "u1", "status": "investigating", "body": "Looking", "incident_id": "i", "created_at": "2026-06-19T03:00:00-07:00", "updated_at": "2026-06-19T03:00:00-07:00", "display_at": "2026-06-19T03:00:00-07:00", "affected_components": null, "deliver_notifications": true, "custom_tweet": null, "tweet_id": null},
                                 {"id": "u2", "status": "identified", "body": "Found", "incident_id": "i", "created_at": "2026-06-19T04:00:00-07:00", "updated_at": "2026-06-19T04:00:00-07:00", "display_at": "2026-06-19T04:00:00-07:00", "affected_components": [{"code": "c", "name": "Webex", "old_status": "operational", "new_status": "degraded_performance"}], "deliver_notifications": true, "custom_tweet": null, "tweet_id": null}],
            "components": [{"id": "c", "name": "Webex", "status": "degraded_performance", "position": 2}]}],
          "scheduled_maintenances": []
        }"#;
        let parsed: SummaryBody = serde_json::from_str(body).unwrap();
        let summary = parsed.into_domain().unwrap();
        assert_eq!(summary.indicator, Indicator::Minor);
        assert_eq!(summary.components.len(), 1, "groups are not components");
        assert_eq!(summary.components[0].group.as_deref(), Some("Cloud"));
        assert_eq!(
            summary.components[0].updated_at.to_rfc3339(),
            "2026-06-19T11:50:00.123+00:00"
        );
        let incident = &summary.incidents[0];
        assert_eq!(incident.updates[0].body, "Found", "newest first");
        assert_eq!(incident.components[0].name, "Webex");
    }

    #[test]
    fn unknown_enumeration_values_are_refused() {
        let body = r#"{"status": {"indicator": "purple", "description": "?"}, "components": [], "incidents": []}"#;
        let parsed: SummaryBody = serde_json::from_str(body).unwrap();
        assert!(parsed.into_domain().is_err());
    }
}
