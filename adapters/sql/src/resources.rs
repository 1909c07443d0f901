//! [`ResourceLibrary`] on SQL: the library's categories, resources and apps
//! with the product names each applies to, and an account's product names.
//! The library is small and shared by every account, so it is read whole
//! (four statements) and narrowed in memory.

pub mod demo;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchboard_core::resources::{App, Library, Resource, ResourceCategory, ResourceLibrary};
use switchboard_core::{Error, Result, Scope};

use crate::schema::{
    portal_app_products, portal_apps, products, resource_categories, resource_products, resources,
};
use crate::{SqlStore, db_error, with_conn};

/// A row of `resource_categories`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = resource_categories)]
pub struct CategoryRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub position: i32,
}

/// A row of `resources`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = resources)]
pub struct ResourceRow {
    pub id: i64,
    pub category_id: i64,
    pub title: String,
    pub description: String,
    pub url: String,
    pub download: bool,
    pub position: i32,
}

/// A row of `portal_apps`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = portal_apps)]
pub struct AppRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub url: String,
    pub position: i32,
}

/// The product names tied to `id` in (owner id, product name) pairs.
fn names_of(pairs: &[(i64, String)], id: i64) -> Vec<String> {
    pairs
        .iter()
        .filter(|(owner, _)| *owner == id)
        .map(|(_, name)| name.clone())
        .collect()
}

/// Rows read whole: categories, resources, their products, apps, theirs.
type LibraryRows = (
    Vec<CategoryRow>,
    Vec<ResourceRow>,
    Vec<(i64, String)>,
    Vec<AppRow>,
    Vec<(i64, String)>,
);

fn into_library((categories, resources, resource_names, apps, app_names): LibraryRows) -> Library {
    let mut library = Library {
        categories: categories
            .into_iter()
            .map(|c| ResourceCategory {
                id: c.id.to_string(),
                name: c.name,
                description: c.description,
                position: c.position,
            })
            .collect(),
        resources: resources
            .into_iter()
            .map(|r| Resource {
                id: r.id.to_string(),
                category_id: r.category_id.to_string(),
                products: names_of(&resource_names, r.id),
                title: r.title,
                description: r.description,
                url: r.url,
                download: r.download,
                position: r.position,
            })
            .collect(),
        apps: apps
            .into_iter()
            .map(|a| App {
                id: a.id.to_string(),
                products: names_of(&app_names, a.id),
                name: a.name,
                description: a.description,
                url: a.url,
                position: a.position,
            })
            .collect(),
    };
    library.sort();
    library
}

#[async_trait]
impl ResourceLibrary for SqlStore {
    async fn library(&self) -> Result<Library> {
        let rows: LibraryRows = with_conn!(self.db, |conn| {
            let categories = resource_categories::table
                .select(CategoryRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)?;
            let resources = resources::table
                .select(ResourceRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)?;
            let resource_names = resource_products::table
                .select((
                    resource_products::resource_id,
                    resource_products::product_name,
                ))
                .load(conn)
                .await
                .map_err(db_error)?;
            let apps = portal_apps::table
                .select(AppRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)?;
            let app_names = portal_app_products::table
                .select((
                    portal_app_products::app_id,
                    portal_app_products::product_name,
                ))
                .load(conn)
                .await
                .map_err(db_error)?;
            Ok::<_, Error>((categories, resources, resource_names, apps, app_names))
        })?;
        Ok(into_library(rows))
    }

    async fn product_names(&self, scope: &Scope, account_id: &str) -> Result<Vec<String>> {
        if !scope.contains(account_id) {
            return Err(Error::not_found(format!("account {account_id}")));
        }
        with_conn!(self.db, |conn| {
            products::table
                .filter(products::account_id.eq(account_id))
                .select(products::name)
                .distinct()
                .order_by(products::name)
                .load(conn)
                .await
                .map_err(db_error)
        })
    }
}
