//! The status enumerations, with the lowercase wire names Statuspage uses
//! (also the SQL adapter's storage names), and the indicator rule.

use super::{Component, Incident};

/// Generates `ALL`, `as_str` and `parse` for a fieldless enum.
macro_rules! wire_names {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// Every value.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The wire and storage name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),*
                }
            }

            /// Parses [`Self::as_str`]'s output.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

/// A component's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

wire_names!(ComponentStatus {
    Operational => "operational",
    DegradedPerformance => "degraded_performance",
    PartialOutage => "partial_outage",
    MajorOutage => "major_outage",
    UnderMaintenance => "under_maintenance",
});

/// An incident's (or a maintenance's) stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

wire_names!(IncidentStatus {
    Investigating => "investigating",
    Identified => "identified",
    Monitoring => "monitoring",
    Resolved => "resolved",
    Postmortem => "postmortem",
    Scheduled => "scheduled",
    InProgress => "in_progress",
    Verifying => "verifying",
    Completed => "completed",
});

impl IncidentStatus {
    /// Whether the incident is over in this status.
    pub fn is_closing(self) -> bool {
        matches!(
            self,
            IncidentStatus::Resolved | IncidentStatus::Postmortem | IncidentStatus::Completed
        )
    }
}

/// How bad an incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Impact {
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

wire_names!(Impact {
    None => "none",
    Minor => "minor",
    Major => "major",
    Critical => "critical",
    Maintenance => "maintenance",
});

/// The page's overall indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indicator {
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

wire_names!(Indicator {
    None => "none",
    Minor => "minor",
    Major => "major",
    Critical => "critical",
    Maintenance => "maintenance",
});

impl Indicator {
    /// Severity order: none < maintenance < minor < major < critical.
    fn rank(self) -> u8 {
        match self {
            Indicator::None => 0,
            Indicator::Maintenance => 1,
            Indicator::Minor => 2,
            Indicator::Major => 3,
            Indicator::Critical => 4,
        }
    }

    /// The description Statuspage pages show for this indicator.
    pub fn description(self) -> &'static str {
        match self {
            Indicator::None => "All Systems Operational",
            Indicator::Minor => "Partially Degraded Service",
            Indicator::Major => "Partial System Outage",
            Indicator::Critical => "Major Service Outage",
            Indicator::Maintenance => "Service Under Maintenance",
        }
    }

    /// What one component's status contributes.
    pub fn of_component(status: ComponentStatus) -> Self {
        match status {
            ComponentStatus::Operational => Indicator::None,
            ComponentStatus::DegradedPerformance => Indicator::Minor,
            ComponentStatus::PartialOutage => Indicator::Major,
            ComponentStatus::MajorOutage => Indicator::Critical,
            ComponentStatus::UnderMaintenance => Indicator::Maintenance,
        }
    }

    /// What one unresolved incident's impact contributes.
    pub fn of_impact(impact: Impact) -> Self {
        match impact {
            Impact::None => Indicator::None,
            Impact::Minor => Indicator::Minor,
            Impact::Major => Indicator::Major,
            Impact::Critical => Indicator::Critical,
            Impact::Maintenance => Indicator::Maintenance,
        }
    }

    /// The rule for sources that do not report an indicator themselves:
    /// the worst of what every component's status and every unresolved
    /// incident's impact contributes, in the order of [`Indicator::rank`]
    /// (degraded → minor, partial outage → major, major outage → critical,
    /// under maintenance → maintenance; an impact maps to its namesake).
    pub fn derive(components: &[Component], incidents: &[Incident]) -> Self {
        let from_components = components.iter().map(|c| Self::of_component(c.status));
        let from_incidents = incidents
            .iter()
            .filter(|i| i.resolved_at.is_none())
            .map(|i| Self::of_impact(i.impact));
        from_components
            .chain(from_incidents)
            .max_by_key(|i| i.rank())
            .unwrap_or(Indicator::None)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn component(status: ComponentStatus) -> Component {
        Component {
            id: "1".into(),
            name: "Connectivity".into(),
            group: None,
            status,
            description: None,
            position: 1,
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn names_round_trip() {
        for s in ComponentStatus::ALL {
            assert_eq!(ComponentStatus::parse(s.as_str()), Some(*s));
        }
        for s in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Impact::parse("maintenance"), Some(Impact::Maintenance));
        assert_eq!(Indicator::parse("unknown"), None);
    }

    #[test]
    fn the_worst_component_or_incident_sets_the_indicator() {
        let ok = component(ComponentStatus::Operational);
        assert_eq!(
            Indicator::derive(std::slice::from_ref(&ok), &[]),
            Indicator::None
        );
        let maintenance = component(ComponentStatus::UnderMaintenance);
        let degraded = component(ComponentStatus::DegradedPerformance);
        assert_eq!(
            Indicator::derive(std::slice::from_ref(&maintenance), &[]),
            Indicator::Maintenance
        );
        assert_eq!(
            Indicator::derive(&[maintenance, degraded.clone()], &[]),
            Indicator::Minor
        );
        let incident = Incident {
            id: "1".into(),
            name: "x".into(),
            status: IncidentStatus::Investigating,
            impact: Impact::Critical,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            resolved_at: None,
            components: vec![],
            updates: vec![],
        };
        assert_eq!(
            Indicator::derive(
                std::slice::from_ref(&degraded),
                std::slice::from_ref(&incident)
            ),
            Indicator::Critical
        );
        let resolved = Incident {
            resolved_at: Some(Utc::now()),
            ..incident
        };
        assert_eq!(
            Indicator::derive(&[degraded], &[resolved]),
            Indicator::Minor
        );
    }
}
