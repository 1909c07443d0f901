//! The case form's catalog, and download links.

use async_graphql::SimpleObject;
use switchboard_core::cases::Catalog;

/// A code and the name shown for it.
#[derive(SimpleObject, Clone, Debug)]
pub struct CatalogEntry {
    /// Stable code (what inputs and filters use).
    pub code: String,
    /// Display name.
    pub name: String,
}

pub(super) fn catalog_entry(code: &str, name: Option<&str>) -> CatalogEntry {
    CatalogEntry {
        code: code.to_string(),
        name: name.unwrap_or(code).to_string(),
    }
}

/// A category of a support case type.
#[derive(SimpleObject)]
pub struct CategoryNode {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// A support case type with its categories.
#[derive(SimpleObject)]
pub struct SupportCaseTypeNode {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Categories, in display order.
    pub categories: Vec<CategoryNode>,
}

/// A case type.
#[derive(SimpleObject)]
pub struct CaseTypeNode {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether customers may open it (proactive types are opened by the provider).
    pub customer_creatable: bool,
    /// Support case types, in display order.
    pub support_case_types: Vec<SupportCaseTypeNode>,
}

/// The case form's choices.
#[derive(SimpleObject)]
pub struct CaseCatalog {
    /// Case types, in display order.
    pub case_types: Vec<CaseTypeNode>,
}

impl From<Catalog> for CaseCatalog {
    fn from(c: Catalog) -> Self {
        Self {
            case_types: c
                .case_types
                .into_iter()
                .map(|t| CaseTypeNode {
                    code: t.code,
                    name: t.name,
                    description: t.description,
                    customer_creatable: t.customer_creatable,
                    support_case_types: t
                        .support_case_types
                        .into_iter()
                        .map(|s| SupportCaseTypeNode {
                            code: s.code,
                            name: s.name,
                            categories: s
                                .categories
                                .into_iter()
                                .map(|c| CategoryNode {
                                    code: c.code,
                                    name: c.name,
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
