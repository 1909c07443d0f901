//! The status page's GraphQL types, mapped from the domain.

use async_graphql::{Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use switchboard_core::status::{self as core, NewIncident};

/// A component's status.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::status::ComponentStatus")]
pub enum ComponentStatus {
    /// Working normally.
    Operational,
    /// Slower or less reliable than usual.
    DegradedPerformance,
    /// Down for some customers.
    PartialOutage,
    /// Down.
    MajorOutage,
    /// Planned work in progress.
    UnderMaintenance,
}

/// An incident's or a maintenance's stage.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::status::IncidentStatus")]
pub enum IncidentStatus {
    /// The cause is being looked for.
    Investigating,
    /// The cause is known.
    Identified,
    /// A fix is in place and being watched.
    Monitoring,
    /// Over.
    Resolved,
    /// Over, with a write-up.
    Postmortem,
    /// Maintenance planned.
    Scheduled,
    /// Maintenance under way.
    InProgress,
    /// Maintenance done, being checked.
    Verifying,
    /// Maintenance over.
    Completed,
}

/// How bad an incident is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::status::Impact")]
pub enum IncidentImpact {
    /// No visible effect.
    None,
    /// Minor.
    Minor,
    /// Major.
    Major,
    /// Critical.
    Critical,
    /// Planned maintenance.
    Maintenance,
}

/// The overall indicator.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::status::Indicator")]
pub enum StatusIndicator {
    /// All systems operational.
    None,
    /// Partially degraded service.
    Minor,
    /// Partial system outage.
    Major,
    /// Major service outage.
    Critical,
    /// Service under maintenance.
    Maintenance,
}

/// The status page: the overall indicator, every component, and the
/// incidents and maintenance notices not yet resolved.
pub struct SystemStatusNode {
    /// The summary.
    pub summary: core::Summary,
    /// Whether operators may change it here.
    pub writable: bool,
}

#[Object(name = "SystemStatus")]
impl SystemStatusNode {
    /// The overall indicator.
    async fn indicator(&self) -> StatusIndicator {
        self.summary.indicator.into()
    }

    /// The indicator's description ("All Systems Operational").
    async fn description(&self) -> &str {
        &self.summary.description
    }

    /// Every component, in display order.
    async fn components(&self) -> Vec<ComponentNode> {
        self.summary
            .components
            .iter()
            .cloned()
            .map(ComponentNode)
            .collect()
    }

    /// Unresolved incidents and maintenance notices, newest first.
    async fn incidents(&self) -> Vec<IncidentNode> {
        self.summary
            .incidents
            .iter()
            .cloned()
            .map(IncidentNode)
            .collect()
    }

    /// False where the status comes from a read-only source (Statuspage).
    async fn writable(&self) -> bool {
        self.writable
    }
}

/// One service component.
pub struct ComponentNode(pub core::Component);

#[Object(name = "StatusComponent")]
impl ComponentNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The group it is listed under.
    async fn group(&self) -> Option<&str> {
        self.0.group.as_deref()
    }

    /// Its status.
    async fn status(&self) -> ComponentStatus {
        self.0.status.into()
    }

    /// What it covers.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Display order.
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// When its status last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A component an incident affects.
#[derive(SimpleObject)]
pub struct AffectedComponent {
    /// The component's id.
    pub id: ID,
    /// Its name.
    pub name: String,
}

/// One message posted on an incident.
#[derive(SimpleObject)]
pub struct IncidentUpdate {
    /// The incident's status as of this update.
    pub status: IncidentStatus,
    /// The message.
    pub body: String,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
}

/// An incident or maintenance notice.
pub struct IncidentNode(pub core::Incident);

#[Object(name = "Incident")]
impl IncidentNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Its title.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Where it stands.
    async fn status(&self) -> IncidentStatus {
        self.0.status.into()
    }

    /// How bad it is.
    async fn impact(&self) -> IncidentImpact {
        self.0.impact.into()
    }

    /// When it was opened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When it was resolved, if it was.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }

    /// The components it affects.
    async fn components(&self) -> Vec<AffectedComponent> {
        self.0
            .components
            .iter()
            .map(|c| AffectedComponent {
                id: ID(c.id.clone()),
                name: c.name.clone(),
            })
            .collect()
    }

    /// Its updates, newest first.
    async fn updates(&self) -> Vec<IncidentUpdate> {
        self.0
            .updates
            .iter()
            .map(|u| IncidentUpdate {
                status: u.status.into(),
                body: u.body.clone(),
                created_at: u.created_at,
            })
            .collect()
    }
}

/// A new incident.
#[derive(InputObject)]
pub struct PostIncidentInput {
    /// Its title.
    pub name: String,
    /// Its first status (not a closing one); investigating when omitted.
    pub status: Option<IncidentStatus>,
    /// How bad it is.
    pub impact: IncidentImpact,
    /// The first update's message.
    pub body: String,
    /// The components it affects.
    #[graphql(default)]
    pub component_ids: Vec<ID>,
}

impl PostIncidentInput {
    /// The domain input.
    pub fn into_domain(self) -> NewIncident {
        NewIncident {
            name: self.name,
            status: self
                .status
                .map_or(core::IncidentStatus::Investigating, Into::into),
            impact: self.impact.into(),
            body: self.body,
            component_ids: self.component_ids.into_iter().map(|id| id.0).collect(),
        }
    }
}
