//! The case form's catalog: case types, support case types, categories.

/// A category of a support case type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Stable code.
    pub code: String,
    /// Name shown to users.
    pub name: String,
}

/// A support case type and its categories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportCaseType {
    /// Stable code.
    pub code: String,
    /// Name shown to users.
    pub name: String,
    /// Its categories, in display order.
    pub categories: Vec<Category>,
}

/// A case type (the first choice on the case form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseType {
    /// Stable code.
    pub code: String,
    /// Name shown to users.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether customers may open cases of this type (proactive types are
    /// opened by the provider).
    pub customer_creatable: bool,
    /// The support case types offered under it, in display order.
    pub support_case_types: Vec<SupportCaseType>,
}

/// Everything the case form offers, served by the backend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Case types in display order.
    pub case_types: Vec<CaseType>,
}

impl Catalog {
    /// The case type with `code`.
    pub fn case_type(&self, code: &str) -> Option<&CaseType> {
        self.case_types.iter().find(|t| t.code == code)
    }

    /// The support case type with `code`, under any case type.
    pub fn support_case_type(&self, code: &str) -> Option<&SupportCaseType> {
        self.case_types
            .iter()
            .flat_map(|t| &t.support_case_types)
            .find(|s| s.code == code)
    }

    /// The category with `code`, under any support case type.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.case_types
            .iter()
            .flat_map(|t| &t.support_case_types)
            .flat_map(|s| &s.categories)
            .find(|c| c.code == code)
    }
}
