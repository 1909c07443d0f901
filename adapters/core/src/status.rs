//! System status: the provider's service components and their status,
//! incidents and maintenance notices with their updates, and the overall
//! indicator; the [`StatusSource`] port, its optional write capability
//! [`StatusAdmin`], and the [`StatusBus`] that tells subscribers when the
//! status changed.
//!
//! Status is global: it is the same for every signed-in caller and carries
//! no customer data, so the port takes no [`crate::Scope`].

mod cached;
pub mod demo;
mod kinds;
mod publishing;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
pub use cached::CachedStatus;
pub use kinds::{ComponentStatus, Impact, IncidentStatus, Indicator};
pub use publishing::PublishingStatus;

/// Longest component or incident name accepted.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest incident update body accepted.
pub const MAX_BODY_CHARS: usize = 4000;

/// One service component of the status page (`Connectivity`, `Microsoft 365`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// The backend's id.
    pub id: String,
    /// The name the page shows.
    pub name: String,
    /// The group it is listed under, if any.
    pub group: Option<String>,
    /// Its current status.
    pub status: ComponentStatus,
    /// A short explanation of what it covers.
    pub description: Option<String>,
    /// Display order (ascending).
    pub position: i32,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
}

/// A component an incident affects, by id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedComponent {
    /// The component's id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// One message posted on an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentUpdate {
    /// The incident's status as of this update.
    pub status: IncidentStatus,
    /// What the provider said.
    pub body: String,
    /// When it was posted.
    pub created_at: DateTime<Utc>,
}

/// An incident or a maintenance notice (an "outage notification").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// The backend's id.
    pub id: String,
    /// Its title.
    pub name: String,
    /// Where it stands now (the latest update's status).
    pub status: IncidentStatus,
    /// How bad it is.
    pub impact: Impact,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was resolved (or completed), if it was.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The components it affects.
    pub components: Vec<AffectedComponent>,
    /// Its updates, newest first.
    pub updates: Vec<IncidentUpdate>,
}

/// The whole page: components, unresolved incidents and the indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The overall indicator and its description.
    pub indicator: Indicator,
    /// The description shown next to the indicator ("All Systems Operational").
    pub description: String,
    /// Every component, in position order.
    pub components: Vec<Component>,
    /// The incidents and maintenance notices not yet resolved, newest first.
    pub incidents: Vec<Incident>,
}

/// What an operator posts to open an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident {
    /// Its title (1 to [`MAX_NAME_CHARS`] characters).
    pub name: String,
    /// Its first status (not a closing one).
    pub status: IncidentStatus,
    /// How bad it is.
    pub impact: Impact,
    /// The first update's text (1 to [`MAX_BODY_CHARS`] characters).
    pub body: String,
    /// The affected components' ids (each must exist).
    pub component_ids: Vec<String>,
}

/// The status port: reads.
///
/// Guarantees every implementation gives (checked by the conformance suite):
/// - [`StatusSource::summary`] lists every component in position order and
///   only unresolved incidents, newest first, each with its updates newest
///   first;
/// - an unknown incident id (or one not in the backend's id format) is
///   [`crate::Error::NotFound`];
/// - an outage of the backend is [`crate::Error::Unavailable`] naming it;
/// - writes exist only through [`StatusSource::admin`]; a source that cannot
///   write answers `None` there, and nothing else changes.
#[async_trait]
pub trait StatusSource: Send + Sync {
    /// The backend's name for logs and errors (`sql`, `statuspage`).
    fn backend(&self) -> &'static str;

    /// Components, unresolved incidents and the indicator.
    async fn summary(&self) -> Result<Summary>;

    /// One incident, resolved or not.
    async fn incident(&self, id: &str) -> Result<Incident>;

    /// The most recent incidents (resolved ones too), newest first, at most `limit`.
    async fn recent_incidents(&self, limit: usize) -> Result<Vec<Incident>>;

    /// The write capability, when the backend has one.
    fn admin(&self) -> Option<&dyn StatusAdmin>;
}

/// The status port: writes, for the sources the gateway's operators update.
///
/// Every write bumps the record's `updated_at`; an unknown id is
/// [`crate::Error::NotFound`], bad text [`crate::Error::InvalidInput`] on
/// the GraphQL argument's name, and a failed write changes nothing.
#[async_trait]
pub trait StatusAdmin: Send + Sync {
    /// Sets a component's status; returns the component as it is now.
    async fn set_component_status(&self, id: &str, status: ComponentStatus) -> Result<Component>;

    /// Opens an incident with its first update.
    async fn post_incident(&self, new: NewIncident) -> Result<Incident>;

    /// Posts an update; the incident takes its status, and a closing status
    /// (resolved, postmortem, completed) sets `resolved_at` once.
    async fn post_incident_update(
        &self,
        id: &str,
        status: IncidentStatus,
        body: &str,
    ) -> Result<Incident>;

    /// Resolves an incident with a last update.
    async fn resolve_incident(&self, id: &str, body: &str) -> Result<Incident> {
        self.post_incident_update(id, IncidentStatus::Resolved, body)
            .await
    }
}

/// What changed on the status page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StatusChange {
    /// A component's status changed.
    Component {
        /// Its id.
        id: String,
    },
    /// An incident was opened or updated.
    Incident {
        /// Its id.
        id: String,
    },
    /// Something changed; a poll saw a different summary.
    Summary,
}

/// Carries [`StatusChange`]s to subscribers, apart from the case
/// [`crate::EventBus`] (whose events are case-specific and account-scoped,
/// while status is global). A subscriber that falls behind skips to the
/// latest changes.
pub type StatusBus = crate::events::Broadcast<StatusChange>;

/// Checks an operator's incident text; `field` names the argument.
pub fn check_text(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(crate::Error::invalid(
            field,
            format!("enter 1 to {max} characters"),
        ));
    }
    Ok(text.to_string())
}

impl NewIncident {
    /// The input with its text trimmed and checked, or the first problem.
    pub fn validated(mut self) -> Result<Self> {
        self.name = check_text("input.name", &self.name, MAX_NAME_CHARS)?;
        self.body = check_text("input.body", &self.body, MAX_BODY_CHARS)?;
        if self.status.is_closing() {
            return Err(crate::Error::invalid(
                "input.status",
                "a new incident cannot start resolved or completed",
            ));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn subscribers_hear_changes_published_after_they_subscribe() {
        let bus = StatusBus::default();
        bus.publish(StatusChange::Summary);
        let mut changes = bus.subscribe();
        assert_eq!(bus.subscribers(), 1);
        bus.publish(StatusChange::Component { id: "1".into() });
        assert_eq!(
            changes.next().await,
            Some(StatusChange::Component { id: "1".into() })
        );
    }

    #[test]
    fn new_incidents_are_checked() {
        let new = NewIncident {
            name: "  Outage ".into(),
            status: IncidentStatus::Investigating,
            impact: Impact::Major,
            body: "Looking".into(),
            component_ids: vec![],
        };
        assert_eq!(
            new.clone().validated().map(|n| n.name).ok(),
            Some("Outage".into())
        );
        let blank = NewIncident {
            body: " ".into(),
            ..new.clone()
        };
        assert!(
            matches!(blank.validated(), Err(crate::Error::InvalidInput { field, .. }) if field == "input.body")
        );
        let closed = NewIncident {
            status: IncidentStatus::Resolved,
            ..new
        };
        assert!(closed.validated().is_err());
    }
}
