//! [`Inventory`] on SQL: services and assets of an account, keyset-paginated
//! by name then id over `(account_id, name, id)` indexes, and read in one
//! batch per set of locations for loaders.

pub(crate) mod demo;

use async_trait::async_trait;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchboard_core::cases::Direction;
use switchboard_core::inventory::{
    Asset, AssetKind, AssetStatus, Inventory, InventoryFilter, Service, ServiceKind, ServiceStatus,
};
use switchboard_core::{Error, Page, PageRequest, Result, Scope};

use crate::among::among;
use crate::cursor::{Cursor, seek};
use crate::models::parse_ids;
use crate::schema::{assets, services};
use crate::{SqlStore, db_error, scoped_rows_in, with_conn};

/// The ordering tag of service cursors.
const SERVICES_ORDER: &str = "SERVICES_NAME_ASC";
/// The ordering tag of asset cursors.
const ASSETS_ORDER: &str = "ASSETS_NAME_ASC";

/// A row of `services`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = services)]
pub struct ServiceRow {
    pub id: i64,
    pub account_id: String,
    pub location_id: i64,
    pub product_id: Option<i64>,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub circuit_id: Option<String>,
    /// Ten-digit numbers separated by spaces.
    pub phone_numbers: String,
    pub started_on: Option<NaiveDate>,
    pub search_text: String,
}

/// A row of `assets`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = assets)]
pub struct AssetRow {
    pub id: i64,
    pub account_id: String,
    pub location_id: i64,
    pub service_id: Option<i64>,
    pub name: String,
    pub kind: String,
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    pub status: String,
    pub search_text: String,
}

/// A stored name the domain does not know: the data is wrong, not the request.
fn unknown(what: &str, value: &str) -> Error {
    tracing::error!(
        adapter.name = crate::BACKEND,
        what,
        value,
        "unknown stored value"
    );
    Error::Internal
}

impl ServiceRow {
    /// The domain service.
    pub fn into_domain(self) -> Result<Service> {
        Ok(Service {
            kind: ServiceKind::parse(&self.kind)
                .ok_or_else(|| unknown("service.kind", &self.kind))?,
            status: ServiceStatus::parse(&self.status)
                .ok_or_else(|| unknown("service.status", &self.status))?,
            id: self.id.to_string(),
            account_id: self.account_id,
            location_id: self.location_id.to_string(),
            product_id: self.product_id.map(|p| p.to_string()),
            name: self.name,
            circuit_id: self.circuit_id,
            phone_numbers: self
                .phone_numbers
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            started_on: self.started_on,
        })
    }
}

impl AssetRow {
    /// The domain asset.
    pub fn into_domain(self) -> Result<Asset> {
        Ok(Asset {
            kind: AssetKind::parse(&self.kind).ok_or_else(|| unknown("asset.kind", &self.kind))?,
            status: AssetStatus::parse(&self.status)
                .ok_or_else(|| unknown("asset.status", &self.status))?,
            id: self.id.to_string(),
            account_id: self.account_id,
            location_id: self.location_id.to_string(),
            service_id: self.service_id.map(|s| s.to_string()),
            name: self.name,
            manufacturer: self.manufacturer,
            model: self.model,
            serial: self.serial,
        })
    }
}

/// `%text%` with `%`, `_` and `\` escaped (`\` is the escape).
fn contains_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A boxed query over one account's rows of `$table` selecting `$select`,
/// narrowed by an [`InventoryFilter`].
macro_rules! filtered {
    ($table:ident, $select:expr, $account:expr, $filter:expr, $DB:ty) => {{
        let filter: &InventoryFilter = $filter;
        let mut q = $table::table
            .select($select)
            .filter($table::account_id.eq($account))
            .into_boxed::<$DB>();
        if !filter.location_ids.is_empty() {
            q = q.filter(among($table::location_id, parse_ids(&filter.location_ids)));
        }
        if let Some(text) = filter.search_text() {
            let by_text = contains_pattern(&text);
            let by_digits = contains_pattern(&filter.search_digits().unwrap_or(text));
            q = q.filter(
                $table::search_text
                    .like(by_text)
                    .escape('\\')
                    .or($table::search_text.like(by_digits).escape('\\')),
            );
        }
        q
    }};
}

/// One page of `$table` rows (as `$Row`) after `$cursor`, ordered by name then id.
macro_rules! page_rows {
    ($db:expr, $table:ident, $Row:ty, $account:expr, $filter:expr, $cursor:expr, $limit:expr) => {
        with_conn!($db, |conn, DB| {
            let mut q = filtered!($table, <$Row>::as_select(), $account, $filter, DB);
            let key = $cursor.map(|Cursor { k, i, .. }| (k, i));
            seek!(q, $table::name, Direction::Asc, key);
            let rows: Vec<$Row> = q.limit($limit).load(conn).await.map_err(db_error)?;
            Ok::<_, Error>(rows)
        })
    };
}

fn account_in_scope(scope: &Scope, account_id: &str) -> Result<()> {
    if scope.contains(account_id) {
        Ok(())
    } else {
        Err(Error::not_found(format!("account {account_id}")))
    }
}

/// The decoded cursor of `page` for `ordering`, and how many rows to read
/// (one more than the page, to learn whether another follows).
fn seek(page: &PageRequest, ordering: &str) -> Result<(Option<Cursor>, i64)> {
    let cursor = page
        .after
        .as_deref()
        .map(|raw| Cursor::decode(raw, ordering))
        .transpose()?;
    Ok((cursor, page.first as i64 + 1))
}

/// The page of `first` items of `rows`, each with its cursor (the
/// ordering, `key`'s sort key and id).
fn page_of<R, T>(
    rows: Vec<R>,
    first: usize,
    ordering: &str,
    key: impl Fn(&R) -> (String, i64),
    convert: impl Fn(R) -> Result<T>,
) -> Result<Page<T>> {
    let cursor = |row: &R| {
        let (k, i) = key(row);
        Cursor {
            o: ordering.to_string(),
            k,
            i,
        }
    };
    crate::cursor::page_of(rows, first, cursor, |row| row).try_map(convert)
}

#[async_trait]
impl Inventory for SqlStore {
    async fn services(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Service>> {
        account_in_scope(scope, account_id)?;
        let (cursor, limit) = seek(page, SERVICES_ORDER)?;
        let rows = page_rows!(
            self.db,
            services,
            ServiceRow,
            account_id,
            filter,
            cursor.clone(),
            limit
        )?;
        page_of(
            rows,
            page.first,
            SERVICES_ORDER,
            |r| (r.name.clone(), r.id),
            ServiceRow::into_domain,
        )
    }

    async fn count_services(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
    ) -> Result<u64> {
        account_in_scope(scope, account_id)?;
        let n: i64 = with_conn!(self.db, |conn, DB| {
            filtered!(services, diesel::dsl::count_star(), account_id, filter, DB)
                .get_result(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn services_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Service>> {
        scoped_rows_in!(self.db, services, ServiceRow, id, ids, scope, services::id)?
            .into_iter()
            .map(ServiceRow::into_domain)
            .collect()
    }

    async fn services_at(&self, scope: &Scope, location_ids: &[String]) -> Result<Vec<Service>> {
        scoped_rows_in!(
            self.db,
            services,
            ServiceRow,
            location_id,
            location_ids,
            scope,
            (services::location_id, services::name, services::id)
        )?
        .into_iter()
        .map(ServiceRow::into_domain)
        .collect()
    }

    async fn assets(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
        page: &PageRequest,
    ) -> Result<Page<Asset>> {
        account_in_scope(scope, account_id)?;
        let (cursor, limit) = seek(page, ASSETS_ORDER)?;
        let rows = page_rows!(
            self.db,
            assets,
            AssetRow,
            account_id,
            filter,
            cursor.clone(),
            limit
        )?;
        page_of(
            rows,
            page.first,
            ASSETS_ORDER,
            |r| (r.name.clone(), r.id),
            AssetRow::into_domain,
        )
    }

    async fn count_assets(
        &self,
        scope: &Scope,
        account_id: &str,
        filter: &InventoryFilter,
    ) -> Result<u64> {
        account_in_scope(scope, account_id)?;
        let n: i64 = with_conn!(self.db, |conn, DB| {
            filtered!(assets, diesel::dsl::count_star(), account_id, filter, DB)
                .get_result(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn assets_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Asset>> {
        scoped_rows_in!(self.db, assets, AssetRow, id, ids, scope, assets::id)?
            .into_iter()
            .map(AssetRow::into_domain)
            .collect()
    }

    async fn assets_at(&self, scope: &Scope, location_ids: &[String]) -> Result<Vec<Asset>> {
        scoped_rows_in!(
            self.db,
            assets,
            AssetRow,
            location_id,
            location_ids,
            scope,
            (assets::location_id, assets::name, assets::id)
        )?
        .into_iter()
        .map(AssetRow::into_domain)
        .collect()
    }
}
