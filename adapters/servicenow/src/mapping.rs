//! The instance's choice values: states and priorities (mapped once at
//! connect, failing loudly when they do not map) and the case catalog.

use std::collections::BTreeMap;

use switchboard_core::cases::{CaseState, CaseType, Catalog, Category, Priority, SupportCaseType};

use crate::http::HttpError;
use crate::wire::{Record, s};

/// One `sys_choice` row.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub element: String,
    pub value: String,
    pub label: String,
    pub sequence: i64,
    pub dependent_value: String,
    pub hint: String,
}

impl Choice {
    pub(crate) fn from_record(r: &Record) -> Self {
        Self {
            element: s(r, "element"),
            value: s(r, "value"),
            label: s(r, "label"),
            sequence: s(r, "sequence").trim().parse().unwrap_or(i64::MAX),
            dependent_value: s(r, "dependent_value"),
            hint: s(r, "hint"),
        }
    }
}

/// The fields of `sys_choice` read.
pub(crate) const CHOICE_FIELDS: &[&str] = &[
    "element",
    "value",
    "label",
    "sequence",
    "dependent_value",
    "hint",
    "inactive",
];

/// Portal states and priorities to instance values and back.
#[derive(Debug, Clone)]
pub(crate) struct Values {
    states: Vec<(CaseState, String)>,
    priorities: Vec<(Priority, String)>,
}

fn priority_name(p: Priority) -> &'static str {
    match p {
        Priority::Critical => "CRITICAL",
        Priority::High => "HIGH",
        Priority::Moderate => "MODERATE",
        Priority::Low => "LOW",
    }
}

fn normalise(label: &str) -> String {
    label
        .to_ascii_lowercase()
        .replace("cancelled", "canceled")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Values {
    /// Maps every portal state and priority, or says exactly what does not map.
    pub(crate) fn resolve(
        choices: &[Choice],
        state_overrides: &BTreeMap<String, String>,
        priority_overrides: &BTreeMap<String, String>,
    ) -> Result<Self, String> {
        let of = |element: &str| -> Vec<&Choice> {
            choices.iter().filter(|c| c.element == element).collect()
        };
        let (states_rows, priority_rows) = (of("state"), of("priority"));
        for name in state_overrides.keys() {
            if !CaseState::ALL.iter().any(|s| s.as_str() == name) {
                return Err(format!(
                    "settings.states names `{name}`, which is not a portal state"
                ));
            }
        }
        for name in priority_overrides.keys() {
            if !Priority::ALL.iter().any(|p| priority_name(*p) == name) {
                return Err(format!(
                    "settings.priorities names `{name}`, which is not a portal priority"
                ));
            }
        }
        let mut states = Vec::new();
        for state in CaseState::ALL {
            let value = match state_overrides.get(state.as_str()) {
                Some(v) => v.clone(),
                None => states_rows
                    .iter()
                    .find(|c| normalise(&c.label) == normalise(state.label()))
                    .map(|c| c.value.clone())
                    .ok_or_else(|| {
                        format!(
                            "the instance has no case state labelled `{}` in sys_choice; map {} in settings.states",
                            state.label(),
                            state.as_str()
                        )
                    })?,
            };
            if !states_rows.iter().any(|c| c.value == value) {
                return Err(format!(
                    "state value `{value}` (for {}) is not a case state choice of the instance",
                    state.as_str()
                ));
            }
            if states.iter().any(|(_, v)| *v == value) {
                return Err(format!("state value `{value}` is mapped twice"));
            }
            states.push((state, value));
        }
        let mut priorities = Vec::new();
        for p in Priority::ALL {
            let name = priority_name(p);
            let value = match priority_overrides.get(name) {
                Some(v) => v.clone(),
                None => priority_rows
                    .iter()
                    .find(|c| normalise(&c.label).contains(&name.to_ascii_lowercase()))
                    .map(|c| c.value.clone())
                    .ok_or_else(|| {
                        format!(
                            "the instance has no priority labelled like `{}` in sys_choice; map {name} in settings.priorities",
                            p.label()
                        )
                    })?,
            };
            if !priority_rows.iter().any(|c| c.value == value) {
                return Err(format!(
                    "priority value `{value}` (for {name}) is not a priority choice of the instance"
                ));
            }
            if priorities.iter().any(|(_, v)| *v == value) {
                return Err(format!("priority value `{value}` is mapped twice"));
            }
            priorities.push((p, value));
        }
        Ok(Self { states, priorities })
    }

    /// The instance value of a state.
    pub(crate) fn state_value(&self, state: CaseState) -> &str {
        self.states
            .iter()
            .find(|(s, _)| *s == state)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    /// The state of an instance value; an unknown value is an error naming it.
    pub(crate) fn state(&self, value: &str) -> Result<CaseState, HttpError> {
        self.states
            .iter()
            .find(|(_, v)| v == value)
            .map(|(s, _)| *s)
            .ok_or_else(|| {
                HttpError::Payload(format!(
                    "field `state` holds `{value}`, which maps to no portal state"
                ))
            })
    }

    /// The label of a state value, for the activity stream (the raw value when unknown).
    pub(crate) fn state_label(&self, value: &str) -> String {
        self.state(value)
            .map(|s| s.label().to_string())
            .unwrap_or_else(|_| value.to_string())
    }

    /// The instance value of a priority.
    pub(crate) fn priority_value(&self, p: Priority) -> &str {
        self.priorities
            .iter()
            .find(|(q, _)| *q == p)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    /// The priority of an instance value; an unknown value is an error naming it.
    pub(crate) fn priority(&self, value: &str) -> Result<Priority, HttpError> {
        self.priorities
            .iter()
            .find(|(_, v)| v == value)
            .map(|(p, _)| *p)
            .ok_or_else(|| {
                HttpError::Payload(format!(
                    "field `priority` holds `{value}`, which maps to no portal priority"
                ))
            })
    }

    /// The label of a priority value (the raw value when unknown).
    pub(crate) fn priority_label(&self, value: &str) -> String {
        self.priority(value)
            .map(|p| p.label())
            .unwrap_or_else(|_| value.to_string())
    }
}

/// The catalog from the choice lists of the case type, support case type and
/// category fields.
pub(crate) fn catalog(
    choices: &[Choice],
    case_type_field: &str,
    support_field: &str,
    category_field: &str,
    proactive: &[String],
) -> Catalog {
    let mut sorted: Vec<&Choice> = choices.iter().collect();
    sorted.sort_by(|a, b| {
        a.sequence
            .cmp(&b.sequence)
            .then_with(|| a.label.cmp(&b.label))
    });
    let of = |element: &str| -> Vec<&Choice> {
        sorted
            .iter()
            .copied()
            .filter(|c| c.element == element)
            .collect()
    };
    let (types, supports, categories) =
        (of(case_type_field), of(support_field), of(category_field));
    Catalog {
        case_types: types
            .iter()
            .map(|t| CaseType {
                code: t.value.clone(),
                name: t.label.clone(),
                description: t.hint.clone(),
                customer_creatable: !proactive.contains(&t.value),
                support_case_types: supports
                    .iter()
                    .filter(|s| s.dependent_value == t.value)
                    .map(|s| SupportCaseType {
                        code: s.value.clone(),
                        name: s.label.clone(),
                        categories: categories
                            .iter()
                            .filter(|c| c.dependent_value == s.value)
                            .map(|c| Category {
                                code: c.value.clone(),
                                name: c.label.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(element: &str, value: &str, label: &str) -> Choice {
        Choice {
            element: element.into(),
            value: value.into(),
            label: label.into(),
            sequence: 0,
            dependent_value: String::new(),
            hint: String::new(),
        }
    }

    fn profile() -> Vec<Choice> {
        vec![
            choice("state", "1", "New"),
            choice("state", "10", "Open"),
            choice("state", "18", "Awaiting Info"),
            choice("state", "6", "Resolved"),
            choice("state", "3", "Closed"),
            choice("state", "7", "Cancelled"),
            choice("priority", "1", "1 - Critical"),
            choice("priority", "2", "2 - High"),
            choice("priority", "3", "3 - Moderate"),
            choice("priority", "4", "4 - Low"),
        ]
    }

    #[test]
    fn maps_the_profile_and_fails_loudly() {
        let none = BTreeMap::new();
        let values = Values::resolve(&profile(), &none, &none).unwrap();
        assert_eq!(values.state_value(CaseState::Canceled), "7");
        assert_eq!(values.state("18").unwrap(), CaseState::AwaitingInfo);
        assert!(values.state("99").is_err());
        assert_eq!(values.priority("2").unwrap(), Priority::High);

        let mut missing = profile();
        missing.retain(|c| c.label != "Cancelled");
        let error = Values::resolve(&missing, &none, &none).unwrap_err();
        assert!(error.contains("Canceled"), "{error}");
        let overrides = BTreeMap::from([("CANCELED".to_string(), "3".to_string())]);
        assert!(Values::resolve(&profile(), &overrides, &none).is_err());
    }
}
