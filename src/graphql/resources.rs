//! The resource library and My Apps of an account: `resourceLibrary` and
//! `myApps`, each narrowed to the products the account has. Any signed-in
//! user of the account sees them; another customer's account is NOT_FOUND.

use async_graphql::{Context, ID, Object, Result};
use switchboard_core::resources::{App, CategoryResources, Resource};

use super::context::request;
use super::errors::IntoGql;
use super::guards::Require;

/// A category of the resource library with the resources the account sees.
pub struct ResourceCategoryNode(pub CategoryResources);

#[Object(name = "ResourceCategory")]
impl ResourceCategoryNode {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.category.id.clone())
    }

    /// Heading, e.g. `Portal Guides`.
    async fn name(&self) -> &str {
        &self.0.category.name
    }

    /// One line under the heading.
    async fn description(&self) -> &str {
        &self.0.category.description
    }

    /// Its guides and documents, in display order.
    async fn resources(&self) -> Vec<ResourceNode> {
        self.0.resources.iter().cloned().map(ResourceNode).collect()
    }
}

/// A guide or document.
pub struct ResourceNode(pub Resource);

#[Object(name = "Resource")]
impl ResourceNode {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What it covers.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Where it is read or downloaded.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// Whether the link downloads a file rather than opening a page.
    async fn download(&self) -> bool {
        self.0.download
    }

    /// The product names it is for; empty when it is for everyone.
    async fn products(&self) -> &[String] {
        &self.0.products
    }
}

/// A My Apps tile: a product portal.
pub struct AppNode(pub App);

#[Object(name = "App")]
impl AppNode {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Name on the tile.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the portal does.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Where the tile leads.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The product names it is for; empty when it is for everyone.
    async fn products(&self) -> &[String] {
        &self.0.products
    }
}

/// Queries for the resource library and My Apps.
#[derive(Default)]
pub struct ResourceQuery;

#[Object(guard = "Require::signed_in()")]
impl ResourceQuery {
    /// The resource library as the account sees it: categories in display
    /// order, each with the resources for no product in particular or for a
    /// product the account has; empty categories are left out.
    async fn resource_library(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
    ) -> Result<Vec<ResourceCategoryNode>> {
        let (caller, ports, _) = request(ctx)?;
        let list = ports
            .resources
            .resources_for(&caller.scope, &account_id)
            .await
            .gql()?;
        Ok(list.into_iter().map(ResourceCategoryNode).collect())
    }

    /// My Apps (service logins) as the account sees them: the tiles for no
    /// product in particular or for a product the account has.
    async fn my_apps(&self, ctx: &Context<'_>, account_id: ID) -> Result<Vec<AppNode>> {
        let (caller, ports, _) = request(ctx)?;
        let list = ports
            .resources
            .apps_for(&caller.scope, &account_id)
            .await
            .gql()?;
        Ok(list.into_iter().map(AppNode).collect())
    }
}
