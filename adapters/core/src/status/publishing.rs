//! A [`StatusSource`] decorator that publishes a [`StatusChange`] after
//! every successful operator write, so the SQL source's subscribers hear
//! of changes without the adapter knowing about the bus.

use std::sync::Arc;

use async_trait::async_trait;

use super::{
    Component, ComponentStatus, Incident, IncidentStatus, NewIncident, StatusAdmin, StatusBus,
    StatusChange, StatusSource, Summary,
};
use crate::Result;

/// Wraps a source; reads pass through, writes publish on success.
#[derive(Clone)]
pub struct PublishingStatus {
    inner: Arc<dyn StatusSource>,
    bus: StatusBus,
}

impl PublishingStatus {
    /// Publishes `inner`'s writes on `bus`.
    pub fn new(inner: Arc<dyn StatusSource>, bus: StatusBus) -> Self {
        Self { inner, bus }
    }

    fn writer(&self) -> Result<&dyn StatusAdmin> {
        // `admin()` below only hands out this wrapper when the inner one writes.
        self.inner.admin().ok_or(crate::Error::Internal)
    }
}

#[async_trait]
impl StatusSource for PublishingStatus {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn summary(&self) -> Result<Summary> {
        self.inner.summary().await
    }

    async fn incident(&self, id: &str) -> Result<Incident> {
        self.inner.incident(id).await
    }

    async fn recent_incidents(&self, limit: usize) -> Result<Vec<Incident>> {
        self.inner.recent_incidents(limit).await
    }

    fn admin(&self) -> Option<&dyn StatusAdmin> {
        self.inner.admin().map(|_| self as &dyn StatusAdmin)
    }
}

#[async_trait]
impl StatusAdmin for PublishingStatus {
    async fn set_component_status(&self, id: &str, status: ComponentStatus) -> Result<Component> {
        let component = self.writer()?.set_component_status(id, status).await?;
        self.bus.publish(StatusChange::Component {
            id: component.id.clone(),
        });
        Ok(component)
    }

    async fn post_incident(&self, new: NewIncident) -> Result<Incident> {
        let incident = self.writer()?.post_incident(new).await?;
        self.bus.publish(StatusChange::Incident {
            id: incident.id.clone(),
        });
        Ok(incident)
    }

    async fn post_incident_update(
        &self,
        id: &str,
        status: IncidentStatus,
        body: &str,
    ) -> Result<Incident> {
        let incident = self
            .writer()?
            .post_incident_update(id, status, body)
            .await?;
        self.bus.publish(StatusChange::Incident {
            id: incident.id.clone(),
        });
        Ok(incident)
    }
}
