//! Behaviours of every [`StatusSource`]: each runs on a source serving the
//! demo page ([`switchboard_core::status::demo`]) and panics naming the
//! broken guarantee. Sources that cannot write say so through
//! [`StatusSource::admin`]; [`writes_follow_the_capability`] takes the
//! expected capability as a plain flag.

use switchboard_core::Error;
use switchboard_core::status::{
    ComponentStatus, Impact, Incident, IncidentStatus, Indicator, NewIncident, StatusSource,
    Summary, demo,
};

async fn summary(source: &dyn StatusSource) -> Summary {
    source
        .summary()
        .await
        .unwrap_or_else(|e| panic!("the summary must load: {e}"))
}

fn component_id(summary: &Summary, name: &str) -> String {
    summary
        .components
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.id.clone())
        .unwrap_or_else(|| panic!("component {name} must be listed"))
}

/// Every component of the guide, in position order, and the indicator of
/// a page with one degraded component and one minor incident.
pub async fn summary_lists_the_components_in_order(source: &dyn StatusSource) {
    let summary = summary(source).await;
    let names: Vec<&str> = summary.components.iter().map(|c| c.name.as_str()).collect();
    let expected: Vec<String> = demo::components(chrono::Utc::now())
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, expected, "components in position order");
    let positions: Vec<i32> = summary.components.iter().map(|c| c.position).collect();
    assert!(positions.is_sorted(), "positions ascend: {positions:?}");
    let webex = &summary.components[component_index(&summary, "UCx Webex Teams")];
    assert_eq!(webex.status, ComponentStatus::DegradedPerformance);
    assert_eq!(webex.group.as_deref(), Some("Cloud Applications"));
    assert_eq!(
        summary.indicator,
        Indicator::Minor,
        "degraded + minor incident"
    );
    assert_eq!(summary.description, Indicator::Minor.description());
}

fn component_index(summary: &Summary, name: &str) -> usize {
    summary
        .components
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("component {name} must be listed"))
}

/// Only unresolved incidents, each with its updates newest first and its
/// affected components named.
pub async fn summary_holds_unresolved_incidents_only(source: &dyn StatusSource) {
    let summary = summary(source).await;
    let names: Vec<&str> = summary.incidents.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, [demo::OPEN_INCIDENT], "only the open incident");
    let open = &summary.incidents[0];
    assert_eq!(open.status, IncidentStatus::Identified);
    assert_eq!(open.impact, Impact::Minor);
    assert!(open.resolved_at.is_none());
    assert_newest_first(open);
    assert_eq!(open.updates.len(), 2, "two updates");
    assert_eq!(open.updates[0].status, IncidentStatus::Identified);
    let affected: Vec<&str> = open.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(affected, ["UCx Webex Teams"]);
    assert_eq!(
        open.components[0].id,
        component_id(&summary, "UCx Webex Teams"),
        "affected components carry the component's id"
    );
}

fn assert_newest_first(incident: &Incident) {
    let times: Vec<_> = incident.updates.iter().map(|u| u.created_at).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "updates newest first: {times:?}"
    );
}

/// Incidents by id (resolved ones too), recent incidents newest first,
/// and unknown ids as not found.
pub async fn incidents_are_found_by_id(source: &dyn StatusSource) {
    let open = summary(source).await.incidents.remove(0);
    let again = source.incident(&open.id).await.expect("the open incident");
    assert_eq!(again, open, "by id equals the summary's");
    let recent = source.recent_incidents(10).await.expect("recent incidents");
    let names: Vec<&str> = recent.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, [demo::OPEN_INCIDENT, demo::RESOLVED_INCIDENT]);
    let resolved = source
        .incident(&recent[1].id)
        .await
        .expect("a resolved incident by id");
    assert_eq!(resolved.status, IncidentStatus::Resolved);
    assert!(resolved.resolved_at.is_some(), "resolved_at is set");
    assert_newest_first(&resolved);
    assert_eq!(source.recent_incidents(1).await.expect("one").len(), 1);
    for unknown in ["999999", "no-such-incident", ""] {
        assert!(
            matches!(source.incident(unknown).await, Err(Error::NotFound { .. })),
            "incident {unknown:?} is not found"
        );
    }
}

/// Sources without the write capability answer `None` for it; those with
/// it apply component changes, incidents and updates, recompute the
/// indicator, and refuse unknown ids and bad text without changing anything.
pub async fn writes_follow_the_capability(source: &dyn StatusSource, writes: bool) {
    let Some(admin) = source.admin() else {
        assert!(!writes, "the source must declare its write capability");
        return;
    };
    assert!(writes, "a read-only source must not declare writes");
    let before = summary(source).await;
    let connectivity = component_id(&before, "Connectivity");
    let changed = admin
        .set_component_status(&connectivity, ComponentStatus::MajorOutage)
        .await
        .expect("an operator sets a component's status");
    assert_eq!(changed.status, ComponentStatus::MajorOutage);
    assert!(changed.updated_at >= before.components[0].updated_at);
    let after = summary(source).await;
    assert_eq!(
        after.indicator,
        Indicator::Critical,
        "a major outage is critical"
    );
    assert!(matches!(
        admin
            .set_component_status("999999", ComponentStatus::Operational)
            .await,
        Err(Error::NotFound { .. })
    ));
    let new = NewIncident {
        name: "Circuits down in Denver".into(),
        status: IncidentStatus::Investigating,
        impact: Impact::Major,
        body: "We are looking into it.".into(),
        component_ids: vec![connectivity.clone()],
    };
    let posted = admin.post_incident(new.clone()).await.expect("posted");
    assert_eq!(posted.updates.len(), 1);
    assert_eq!(posted.components[0].name, "Connectivity");
    assert_eq!(
        summary(source).await.incidents[0].id,
        posted.id,
        "newest first"
    );
    let bad = NewIncident {
        component_ids: vec!["999999".into()],
        ..new.clone()
    };
    assert!(matches!(
        admin.post_incident(bad).await,
        Err(Error::NotFound { .. })
    ));
    let blank = NewIncident {
        name: " ".into(),
        ..new
    };
    assert!(matches!(
        admin.post_incident(blank).await,
        Err(Error::InvalidInput { field, .. }) if field == "input.name"
    ));
    let resolved = admin
        .resolve_incident(&posted.id, "Fixed.")
        .await
        .expect("resolved");
    assert_eq!(resolved.status, IncidentStatus::Resolved);
    assert!(resolved.resolved_at.is_some());
    assert_eq!(resolved.updates.len(), 2);
    assert_eq!(resolved.updates[0].body, "Fixed.");
    let open: Vec<String> = summary(source)
        .await
        .incidents
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert!(
        !open.contains(&posted.id),
        "resolved incidents leave the summary"
    );
    assert!(matches!(
        admin
            .post_incident_update(&posted.id, IncidentStatus::Monitoring, "")
            .await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        admin
            .post_incident_update("999999", IncidentStatus::Monitoring, "x")
            .await,
        Err(Error::NotFound { .. })
    ));
    let unchanged = source.incident(&posted.id).await.expect("still there");
    assert_eq!(unchanged, resolved, "refused writes change nothing");
}
