//! `[[resource_categories]]`, `[[resources]]` and `[[apps]]`: resource
//! library entries and My Apps tiles laid over the database's.

use serde::{Deserialize, Serialize};

use super::{Config, ConfigError};

/// `[[resource_categories]]`: a resource library category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceCategoryEntry {
    /// Stable id; the id of a database category replaces it.
    pub id: String,
    /// Heading.
    pub name: String,
    /// One line under the heading.
    #[serde(default)]
    pub description: String,
    /// Display order among categories.
    #[serde(default)]
    pub position: i32,
}

/// `[[resources]]`: a guide or document of the resource library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceEntry {
    /// Stable id; the id of a database resource replaces it.
    pub id: String,
    /// The id of its category (from the database or `[[resource_categories]]`).
    pub category: String,
    /// Title.
    pub title: String,
    /// What it covers.
    #[serde(default)]
    pub description: String,
    /// An http(s) link.
    pub url: String,
    /// Whether the link downloads a file.
    #[serde(default)]
    pub download: bool,
    /// Product names it applies to; none: every account.
    #[serde(default)]
    pub products: Vec<String>,
    /// Display order within the category.
    #[serde(default)]
    pub position: i32,
}

/// `[[apps]]`: a My Apps tile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppEntry {
    /// Stable id; the id of a database app replaces it.
    pub id: String,
    /// Name on the tile.
    pub name: String,
    /// What the portal does.
    #[serde(default)]
    pub description: String,
    /// An http(s) link.
    pub url: String,
    /// Product names it applies to; none: every account.
    #[serde(default)]
    pub products: Vec<String>,
    /// Display order.
    #[serde(default)]
    pub position: i32,
}

impl Config {
    /// The configured library entries, laid over the database's.
    pub fn library_extras(&self) -> switchboard_core::resources::Library {
        use switchboard_core::resources::{App, Library, Resource, ResourceCategory};
        Library {
            categories: self
                .resource_categories
                .iter()
                .map(|c| ResourceCategory {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    description: c.description.clone(),
                    position: c.position,
                })
                .collect(),
            resources: self
                .resources
                .iter()
                .map(|r| Resource {
                    id: r.id.clone(),
                    category_id: r.category.clone(),
                    title: r.title.clone(),
                    description: r.description.clone(),
                    url: r.url.clone(),
                    download: r.download,
                    products: r.products.clone(),
                    position: r.position,
                })
                .collect(),
            apps: self
                .apps
                .iter()
                .map(|a| App {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    description: a.description.clone(),
                    url: a.url.clone(),
                    products: a.products.clone(),
                    position: a.position,
                })
                .collect(),
        }
    }

    /// Every configured library entry has an id and an http(s) link.
    pub(super) fn check_library(&self) -> Result<(), ConfigError> {
        let links = self
            .resources
            .iter()
            .map(|r| ("resources", r.id.as_str(), r.url.as_str()))
            .chain(
                self.apps
                    .iter()
                    .map(|a| ("apps", a.id.as_str(), a.url.as_str())),
            );
        for (key, id, url) in links {
            if id.trim().is_empty() {
                return Err(ConfigError(format!("every `{key}` entry needs an `id`")));
            }
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ConfigError(format!(
                    "`{key}` entry `{id}`: `url` must start with http:// or https://, got `{url}`"
                )));
            }
        }
        if self
            .resource_categories
            .iter()
            .any(|c| c.id.trim().is_empty())
        {
            return Err(ConfigError(
                "every `resource_categories` entry needs an `id`".into(),
            ));
        }
        Ok(())
    }
}
