//! The demo status page: the components the portal guide lists, one open
//! incident with two updates and one resolved incident. The SQL seed
//! writes it and the fake Statuspage serves it, so both sources start from
//! the same page; each backend gives the records ids of its own (the ids
//! here are placeholders: a component's name, an incident's position).

use chrono::{DateTime, Duration, Utc};

use super::{
    AffectedComponent, Component, ComponentStatus, Impact, Incident, IncidentStatus, IncidentUpdate,
};

/// The open incident's title.
pub const OPEN_INCIDENT: &str = "Degraded call quality on UCx Webex Teams";
/// The resolved incident's title.
pub const RESOLVED_INCIDENT: &str = "Connectivity outage in the Northeast";

/// (name, group, description) of each component, in position order.
const COMPONENTS: [(&str, Option<&str>, &str); 7] = [
    ("Communications", None, "Voice, SIP trunks and toll-free"),
    (
        "Security & Managed IT Services",
        None,
        "Managed firewalls, endpoints and backups",
    ),
    (
        "Network Infrastructure",
        None,
        "Core network and data centers",
    ),
    ("Connectivity", None, "Internet access, MPLS and SD-WAN"),
    (
        "UCx Webex Teams",
        Some("Cloud Applications"),
        "Webex calling, meetings and messaging",
    ),
    (
        "Microsoft 365",
        Some("Cloud Applications"),
        "Microsoft 365 services we manage",
    ),
    ("Customer Portal", None, "This portal and its API"),
];

/// The demo components, as of `anchor`: all operational but UCx Webex
/// Teams, which the open incident degrades.
pub fn components(anchor: DateTime<Utc>) -> Vec<Component> {
    COMPONENTS
        .iter()
        .zip(1..)
        .map(|((name, group, description), position)| Component {
            id: (*name).to_string(),
            name: (*name).to_string(),
            group: group.map(str::to_string),
            status: if *name == "UCx Webex Teams" {
                ComponentStatus::DegradedPerformance
            } else {
                ComponentStatus::Operational
            },
            description: Some((*description).to_string()),
            position,
            updated_at: anchor - Duration::minutes(90),
        })
        .collect()
}

fn update(status: IncidentStatus, body: &str, at: DateTime<Utc>) -> IncidentUpdate {
    IncidentUpdate {
        status,
        body: body.to_string(),
        created_at: at,
    }
}

fn affected(name: &str) -> Vec<AffectedComponent> {
    vec![AffectedComponent {
        id: name.to_string(),
        name: name.to_string(),
    }]
}

/// The demo incidents, newest first: the open one, then the resolved one.
pub fn incidents(anchor: DateTime<Utc>) -> Vec<Incident> {
    let opened = anchor - Duration::minutes(90);
    let identified = anchor - Duration::minutes(45);
    let outage = anchor - Duration::days(3);
    let resolved = outage + Duration::hours(2);
    vec![
        Incident {
            id: "1".into(),
            name: OPEN_INCIDENT.into(),
            status: IncidentStatus::Identified,
            impact: Impact::Minor,
            created_at: opened,
            updated_at: identified,
            resolved_at: None,
            components: affected("UCx Webex Teams"),
            updates: vec![
                update(
                    IncidentStatus::Identified,
                    "A faulty media relay was identified; traffic is being moved to healthy relays.",
                    identified,
                ),
                update(
                    IncidentStatus::Investigating,
                    "Some customers report choppy audio on Webex calls. We are investigating.",
                    opened,
                ),
            ],
        },
        Incident {
            id: "2".into(),
            name: RESOLVED_INCIDENT.into(),
            status: IncidentStatus::Resolved,
            impact: Impact::Major,
            created_at: outage,
            updated_at: resolved,
            resolved_at: Some(resolved),
            components: affected("Connectivity"),
            updates: vec![
                update(
                    IncidentStatus::Resolved,
                    "A fiber cut was repaired and all circuits are back up.",
                    resolved,
                ),
                update(
                    IncidentStatus::Investigating,
                    "Circuits in the Northeast are down. Our field team is on the way.",
                    outage,
                ),
            ],
        },
    ]
}
