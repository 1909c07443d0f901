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

/// Publishes a change when dropped: what the write changed once it
/// succeeded, `StatusChange::Summary` if it failed or was abandoned after
/// it may have saved something (a failed read-back, a cancelled request),
/// nothing if it was refused before anything was saved. Subscribers and
/// [`super::CachedStatus`] then never miss a change that was saved.
struct Announcement<'a> {
    bus: &'a StatusBus,
    change: Option<StatusChange>,
}

impl<'a> Announcement<'a> {
    fn new(bus: &'a StatusBus) -> Self {
        Self {
            bus,
            change: Some(StatusChange::Summary),
        }
    }

    /// Settles what to announce from the write's outcome, `change` on success.
    fn settle<T>(&mut self, outcome: &Result<T>, change: impl FnOnce(&T) -> StatusChange) {
        use crate::Error as E;
        self.change = match outcome {
            Ok(written) => Some(change(written)),
            Err(
                E::NotFound { .. }
                | E::InvalidInput { .. }
                | E::Forbidden(_)
                | E::Unsupported { .. },
            ) => None,
            Err(_) => Some(StatusChange::Summary),
        };
    }
}

impl Drop for Announcement<'_> {
    fn drop(&mut self) {
        if let Some(change) = self.change.take() {
            self.bus.publish(change);
        }
    }
}

#[async_trait]
impl StatusAdmin for PublishingStatus {
    async fn set_component_status(&self, id: &str, status: ComponentStatus) -> Result<Component> {
        let writer = self.writer()?;
        let mut announcement = Announcement::new(&self.bus);
        let outcome = writer.set_component_status(id, status).await;
        announcement.settle(&outcome, |c| StatusChange::Component { id: c.id.clone() });
        outcome
    }

    async fn post_incident(&self, new: NewIncident) -> Result<Incident> {
        let writer = self.writer()?;
        let mut announcement = Announcement::new(&self.bus);
        let outcome = writer.post_incident(new).await;
        announcement.settle(&outcome, |i| StatusChange::Incident { id: i.id.clone() });
        outcome
    }

    async fn post_incident_update(
        &self,
        id: &str,
        status: IncidentStatus,
        body: &str,
    ) -> Result<Incident> {
        let writer = self.writer()?;
        let mut announcement = Announcement::new(&self.bus);
        let outcome = writer.post_incident_update(id, status, body).await;
        announcement.settle(&outcome, |i| StatusChange::Incident { id: i.id.clone() });
        outcome
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::Utc;

    use super::*;
    use crate::Error;
    use crate::status::demo;

    /// A source whose writes all end with the error it is given, if any.
    struct Failing(Mutex<Option<Error>>);

    #[async_trait]
    impl StatusSource for Failing {
        fn backend(&self) -> &'static str {
            "failing"
        }
        async fn summary(&self) -> Result<Summary> {
            Err(Error::Internal)
        }
        async fn incident(&self, id: &str) -> Result<Incident> {
            Err(Error::not_found(id))
        }
        async fn recent_incidents(&self, _: usize) -> Result<Vec<Incident>> {
            Ok(vec![])
        }
        fn admin(&self) -> Option<&dyn StatusAdmin> {
            Some(self)
        }
    }

    #[async_trait]
    impl StatusAdmin for Failing {
        async fn set_component_status(
            &self,
            id: &str,
            status: ComponentStatus,
        ) -> Result<Component> {
            if let Some(error) = self.0.lock().unwrap().take() {
                return Err(error);
            }
            let mut component = demo::components(Utc::now()).remove(0);
            component.id = id.into();
            component.status = status;
            Ok(component)
        }
        async fn post_incident(&self, _: NewIncident) -> Result<Incident> {
            Err(Error::Internal)
        }
        async fn post_incident_update(
            &self,
            _: &str,
            _: IncidentStatus,
            _: &str,
        ) -> Result<Incident> {
            Err(Error::Internal)
        }
    }

    async fn announced(bus: &StatusBus, fails_with: Option<Error>) -> Vec<StatusChange> {
        let source = Arc::new(Failing(Mutex::new(fails_with)));
        let publishing = PublishingStatus::new(source, bus.clone());
        let mut heard = bus.subscribe();
        let written = publishing
            .admin()
            .unwrap()
            .set_component_status("7", ComponentStatus::MajorOutage)
            .await;
        drop(written);
        let mut changes = Vec::new();
        while let Some(Some(change)) =
            futures::FutureExt::now_or_never(futures::StreamExt::next(&mut heard))
        {
            changes.push(change);
        }
        changes
    }

    #[tokio::test]
    async fn a_write_that_may_have_saved_is_announced_and_a_refused_one_is_not() {
        let bus = StatusBus::default();
        assert_eq!(
            announced(&bus, None).await,
            [StatusChange::Component { id: "7".into() }]
        );
        assert_eq!(
            announced(&bus, Some(Error::unavailable("sql"))).await,
            [StatusChange::Summary],
            "saved, perhaps: the page is read again"
        );
        assert_eq!(
            announced(&bus, Some(Error::not_found("component"))).await,
            []
        );
    }
}
