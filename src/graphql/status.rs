//! System status: the page every signed-in caller may read
//! (`systemStatus`, `incident`, `recentIncidents`), the `systemStatusChanged`
//! subscription, operators' writes (`setComponentStatus`, `postIncident`,
//! `postIncidentUpdate`, [`Rule::Operator`]), and "open a case about this
//! incident" for customers ([`Rule::Writer`] on the account).
//!
//! On a read-only source (Statuspage) the operator mutations answer
//! `NOT_SUPPORTED` naming the backend, saying to change it at its source.
//!
//! A case about an incident is a Technical Support case; the link to the
//! incident is kept in the case itself: its title names the incident and
//! its description ends with the incident's id, name, status and impact.

mod nodes;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_graphql::{Context, ID, Object, Result, Subscription};
use futures::{Stream, StreamExt};
use switchboard_core::Error;
use switchboard_core::cases::NewCase;
use switchboard_core::status::{Incident, StatusAdmin};

use super::cases::CaseNode;
use super::context::{Ports, request};
use super::errors::IntoGql;
use super::guards::{Require, Rule};
pub use nodes::{
    ComponentNode, ComponentStatus, IncidentImpact, IncidentNode, IncidentStatus,
    PostIncidentInput, StatusIndicator, SystemStatusNode,
};

/// Most incidents `recentIncidents` returns.
const MAX_RECENT: i32 = 50;

async fn system_status(ports: &Ports) -> Result<SystemStatusNode> {
    let summary = ports.status.summary().await.gql()?;
    Ok(SystemStatusNode {
        summary,
        writable: ports.status.admin().is_some(),
    })
}

fn admin(ports: &Ports) -> Result<&dyn StatusAdmin> {
    ports
        .status
        .admin()
        .ok_or_else(|| {
            Error::unsupported(
                ports.status.backend(),
                "changing system status (it is read-only here; change it at its source)",
            )
        })
        .gql()
}

/// Status queries.
#[derive(Default)]
pub struct StatusQuery;

#[Object(guard = "Require::signed_in()")]
impl StatusQuery {
    /// The status page now: indicator, components and unresolved incidents.
    async fn system_status(&self, ctx: &Context<'_>) -> Result<SystemStatusNode> {
        let (_, ports, _) = request(ctx)?;
        system_status(ports).await
    }

    /// One incident, resolved or not.
    async fn incident(&self, ctx: &Context<'_>, id: ID) -> Result<IncidentNode> {
        let (_, ports, _) = request(ctx)?;
        Ok(IncidentNode(ports.status.incident(&id).await.gql()?))
    }

    /// The most recent incidents, resolved ones too, newest first (1 to 50).
    async fn recent_incidents(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<Vec<IncidentNode>> {
        let (_, ports, _) = request(ctx)?;
        if !(1..=MAX_RECENT).contains(&first) {
            return Err(Error::invalid(
                "first",
                format!("ask for 1 to {MAX_RECENT}"),
            ))
            .gql();
        }
        let incidents = ports.status.recent_incidents(first as usize).await.gql()?;
        Ok(incidents.into_iter().map(IncidentNode).collect())
    }
}

/// Status mutations.
#[derive(Default)]
pub struct StatusMutation;

#[Object(guard = "Require::writer()")]
impl StatusMutation {
    /// Sets a component's status (operators).
    #[graphql(guard = "Require::operator()")]
    async fn set_component_status(
        &self,
        ctx: &Context<'_>,
        component_id: ID,
        status: ComponentStatus,
    ) -> Result<ComponentNode> {
        let (_, ports, _) = request(ctx)?;
        let component = admin(ports)?
            .set_component_status(&component_id, status.into())
            .await
            .gql()?;
        Ok(ComponentNode(component))
    }

    /// Opens an incident with its first update (operators).
    #[graphql(guard = "Require::operator()")]
    async fn post_incident(
        &self,
        ctx: &Context<'_>,
        input: PostIncidentInput,
    ) -> Result<IncidentNode> {
        let (_, ports, _) = request(ctx)?;
        let incident = admin(ports)?
            .post_incident(input.into_domain())
            .await
            .gql()?;
        Ok(IncidentNode(incident))
    }

    /// Posts an update on an incident; a closing status resolves it (operators).
    #[graphql(guard = "Require::operator()")]
    async fn post_incident_update(
        &self,
        ctx: &Context<'_>,
        incident_id: ID,
        status: IncidentStatus,
        body: String,
    ) -> Result<IncidentNode> {
        let (_, ports, _) = request(ctx)?;
        let incident = admin(ports)?
            .post_incident_update(&incident_id, status.into(), &body)
            .await
            .gql()?;
        Ok(IncidentNode(incident))
    }

    /// Opens a Technical Support case on one of the caller's accounts about
    /// an incident; the case names the incident. Retrying with the same
    /// `idempotencyKey` returns the first case.
    #[graphql(guard = "Require::on(Rule::Writer, account_id.as_str())")]
    async fn open_case_about_incident(
        &self,
        ctx: &Context<'_>,
        incident_id: ID,
        account_id: ID,
        description: String,
        idempotency_key: Option<String>,
    ) -> Result<CaseNode> {
        let (caller, ports, _) = request(ctx)?;
        let incident = ports.status.incident(&incident_id).await.gql()?;
        let new = case_about(&incident, account_id.0, &description, idempotency_key);
        let created = ports
            .cases
            .create_case(&caller.scope, &caller.actor, new)
            .await
            .gql()?;
        Ok(CaseNode(created.record))
    }
}

/// The Technical Support category that fits an incident's first affected
/// component: Voice & WebEx for calling, Managed Service for Microsoft 365
/// and security, Data and Networking otherwise.
fn category_for(incident: &Incident) -> (&'static str, &'static str) {
    let component = incident
        .components
        .first()
        .map(|c| c.name.to_lowercase())
        .unwrap_or_default();
    if component.contains("webex") || component.contains("communications") {
        ("VOICE_AND_WEBEX", "UCX")
    } else if component.contains("microsoft") {
        ("MANAGED_SERVICE", "OFFICE_365")
    } else if component.contains("security") {
        ("MANAGED_SERVICE", "FIREWALLS")
    } else {
        ("DATA_AND_NETWORKING", "NETWORKING")
    }
}

/// The case that records the link to `incident`.
fn case_about(
    incident: &Incident,
    account_id: String,
    description: &str,
    idempotency_key: Option<String>,
) -> NewCase {
    let (support_type, category) = category_for(incident);
    let name: String = incident.name.chars().take(120).collect();
    NewCase {
        account_id,
        case_type: "TECHNICAL_SUPPORT".into(),
        support_case_type: Some(support_type.into()),
        category: category.into(),
        title: Some(format!("Incident: {name}")),
        description: format!(
            "{}\n\nAbout system status incident {} \"{}\" ({}, {} impact).",
            description.trim(),
            incident.id,
            incident.name,
            incident.status.as_str(),
            incident.impact.as_str()
        ),
        location_not_listed: true,
        product_not_listed: true,
        idempotency_key,
        ..NewCase::default()
    }
}

/// Status subscriptions.
#[derive(Default)]
pub struct StatusSubscription;

#[Subscription(guard = "Require::signed_in()")]
impl StatusSubscription {
    /// The status page after each change (an operator's write, or a
    /// Statuspage poll that saw a difference). Ends when the token expires.
    async fn system_status_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = SystemStatusNode> + use<>> {
        let (caller, ports, _) = request(ctx)?;
        let writable = ports.status.admin().is_some();
        let lifetime = Duration::from_secs(caller.expires_at.saturating_sub(unix_now()));
        Ok(ports
            .feeds
            .status
            .subscribe()
            .filter_map(move |shared| async move {
                // Read once for every subscriber of the change.
                let summary = shared.record().await?.clone();
                Some(SystemStatusNode { summary, writable })
            })
            .take_until(tokio::time::sleep(lifetime)))
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
