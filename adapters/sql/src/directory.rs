//! [`AccountStore`] and [`UserDirectory`] on SQL.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use switchboard_core::directory::{
    Account, AccountStore, Contact, Location, Principal, Product, User, UserDirectory,
};
use switchboard_core::{Entitlement, Error, Result, Role, Scope};

use crate::among::among;
use crate::models::*;
use crate::schema::{accounts, contacts, locations, operators, products, user_entitlements, users};
use crate::{SqlStore, db_error, scoped_rows_in, with_conn};

/// A user row: id, email, name.
type UserTuple = (i64, String, String);
/// An entitlement row: account id, account name, role.
type RightTuple = (String, String, String);

fn account_in_scope(scope: &Scope, account_id: &str) -> Result<()> {
    if scope.contains(account_id) {
        Ok(())
    } else {
        Err(Error::not_found(format!("account {account_id}")))
    }
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn accounts_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Account>> {
        let ids: Vec<&String> = ids.iter().filter(|id| scope.contains(id)).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<AccountRow> = with_conn!(self.db, |conn| {
            accounts::table
                .filter(among(accounts::id, ids))
                .select(AccountRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(AccountRow::into_domain).collect())
    }

    async fn locations_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Location>> {
        let rows = scoped_rows_in!(
            self.db,
            locations,
            LocationRow,
            id,
            ids,
            scope,
            locations::id
        )?;
        Ok(rows.into_iter().map(LocationRow::into_domain).collect())
    }

    async fn products_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Product>> {
        let rows = scoped_rows_in!(self.db, products, ProductRow, id, ids, scope, products::id)?;
        Ok(rows.into_iter().map(ProductRow::into_domain).collect())
    }

    async fn contacts_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Contact>> {
        let rows = scoped_rows_in!(self.db, contacts, ContactRow, id, ids, scope, contacts::id)?;
        Ok(rows.into_iter().map(ContactRow::into_domain).collect())
    }

    async fn locations(&self, scope: &Scope, account_id: &str) -> Result<Vec<Location>> {
        account_in_scope(scope, account_id)?;
        let rows: Vec<LocationRow> = with_conn!(self.db, |conn| {
            locations::table
                .filter(locations::account_id.eq(account_id))
                .order_by((locations::customer_location_id, locations::id))
                .select(LocationRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(LocationRow::into_domain).collect())
    }

    async fn products(
        &self,
        scope: &Scope,
        account_id: &str,
        location_id: Option<&str>,
    ) -> Result<Vec<Product>> {
        account_in_scope(scope, account_id)?;
        let location = match location_id {
            None => None,
            Some(raw) => {
                Some(parse_id(raw).ok_or_else(|| Error::not_found(format!("location {raw}")))?)
            }
        };
        let rows: Vec<ProductRow> = with_conn!(self.db, |conn| {
            let mut q = products::table
                .filter(products::account_id.eq(account_id))
                .select(ProductRow::as_select())
                .into_boxed();
            if let Some(location) = location {
                q = q.filter(products::location_id.eq(location));
            }
            q.order_by((products::name, products::id))
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(ProductRow::into_domain).collect())
    }

    async fn contacts(&self, scope: &Scope, account_id: &str) -> Result<Vec<Contact>> {
        account_in_scope(scope, account_id)?;
        let rows: Vec<ContactRow> = with_conn!(self.db, |conn| {
            contacts::table
                .filter(contacts::account_id.eq(account_id))
                .order_by((contacts::name, contacts::id))
                .select(ContactRow::as_select())
                .load(conn)
                .await
                .map_err(db_error)
        })?;
        Ok(rows.into_iter().map(ContactRow::into_domain).collect())
    }
}

impl SqlStore {
    async fn principal_where(
        &self,
        by_id: Option<i64>,
        by_email: Option<String>,
    ) -> Result<Option<Principal>> {
        let found: Option<(UserTuple, Vec<RightTuple>, bool)> = with_conn!(self.db, |conn| {
            let mut q = users::table
                .select((users::id, users::email, users::name))
                .into_boxed();
            if let Some(id) = by_id {
                q = q.filter(users::id.eq(id));
            }
            if let Some(email) = &by_email {
                q = q.filter(users::email.eq(email));
            }
            let user: Option<(i64, String, String)> =
                q.first(conn).await.optional().map_err(db_error)?;
            match user {
                None => Ok::<_, Error>(None),
                Some((id, email, name)) => {
                    let rights: Vec<(String, String, String)> = user_entitlements::table
                        .inner_join(accounts::table)
                        .filter(user_entitlements::user_id.eq(id))
                        .order_by(accounts::id)
                        .select((accounts::id, accounts::name, user_entitlements::role))
                        .load(conn)
                        .await
                        .map_err(db_error)?;
                    let operator: i64 = operators::table
                        .filter(operators::user_id.eq(id))
                        .count()
                        .get_result(conn)
                        .await
                        .map_err(db_error)?;
                    Ok(Some(((id, email, name), rights, operator > 0)))
                }
            }
        })?;
        Ok(
            found.map(|((id, email, name), rights, operator)| Principal {
                operator,
                user: User {
                    id: id.to_string(),
                    email,
                    name,
                },
                entitlements: rights
                    .iter()
                    .filter_map(|(account, _, role)| {
                        Role::parse(role).map(|role| Entitlement {
                            account_id: account.clone(),
                            role,
                        })
                    })
                    .collect(),
                accounts: rights
                    .into_iter()
                    .map(|(id, name, _)| Account { id, name })
                    .collect(),
            }),
        )
    }
}

#[async_trait]
impl UserDirectory for SqlStore {
    async fn principal_by_id(&self, user_id: &str) -> Result<Option<Principal>> {
        match parse_id(user_id) {
            None => Ok(None),
            Some(id) => self.principal_where(Some(id), None).await,
        }
    }

    async fn principal_by_email(&self, email: &str) -> Result<Option<Principal>> {
        self.principal_where(None, Some(email.trim().to_ascii_lowercase()))
            .await
    }
}
