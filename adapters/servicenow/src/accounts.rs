//! [`AccountStore`] on ServiceNow: accounts, locations, products and
//! contacts of the caller's accounts, through the reference cache of
//! [`crate::directory`].

use async_trait::async_trait;
use switchboard_core::directory::{Account, Contact, Location, Product};
use switchboard_core::{AccountStore, Error, Result, Scope};

use crate::http::HttpError;
use crate::{AccountRef, ServiceNow};

impl ServiceNow {
    /// The account `account_id` when it is in scope: another customer's
    /// account is NOT_FOUND, as in every adapter; an account of the scope
    /// the instance does not know has nothing (None).
    async fn account_in(&self, scope: &Scope, account_id: &str) -> Result<Option<AccountRef>> {
        if !scope.contains(account_id) {
            return Err(Error::not_found(format!("account {account_id}")));
        }
        self.inner.scoped_account(scope, account_id).await
    }
}

#[async_trait]
impl AccountStore for ServiceNow {
    async fn accounts_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Account>> {
        let wanted: Vec<String> = ids
            .iter()
            .filter(|id| scope.contains(id))
            .cloned()
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let found = self
            .inner
            .accounts_by_number(&wanted)
            .await
            .map_err(|e| e.into_core("accounts"))?;
        let mut out: Vec<Account> = found
            .into_values()
            .map(|a| Account {
                id: a.number,
                name: a.name,
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn locations_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Location>> {
        in_scope(
            scope,
            "locations",
            || self.inner.locations_by(ids),
            |l: &Location| &l.account_id,
        )
        .await
    }

    async fn products_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Product>> {
        in_scope(
            scope,
            "products",
            || self.inner.products_by(ids),
            |p: &Product| &p.account_id,
        )
        .await
    }

    async fn contacts_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Contact>> {
        in_scope(
            scope,
            "contacts",
            || self.inner.contacts_by(ids),
            |c: &Contact| &c.account_id,
        )
        .await
    }

    async fn locations(&self, scope: &Scope, account_id: &str) -> Result<Vec<Location>> {
        let Some(account) = self.account_in(scope, account_id).await? else {
            return Ok(Vec::new());
        };
        let inner = &self.inner;
        let f = &inner.settings.fields;
        let rows = inner
            .list(
                &inner.settings.tables.location,
                format!(
                    "{}={}^ORDERBY{}^ORDERBYsys_id",
                    f.location_account, account.sys_id, f.customer_location_id
                ),
                &inner.location_fields(),
                10_000,
            )
            .await
            .map_err(|e| e.into_core("locations"))?;
        let mut out: Vec<Location> = rows
            .iter()
            .map(|r| {
                let l = inner.build_location(r, account.number.clone());
                inner.locations.put(l.id.clone(), l.clone());
                l
            })
            .collect();
        out.sort_by(|a, b| {
            a.customer_location_id
                .cmp(&b.customer_location_id)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(out)
    }

    async fn products(
        &self,
        scope: &Scope,
        account_id: &str,
        location_id: Option<&str>,
    ) -> Result<Vec<Product>> {
        let Some(account) = self.account_in(scope, account_id).await? else {
            return Ok(Vec::new());
        };
        let inner = &self.inner;
        let f = &inner.settings.fields;
        let mut query = format!("{}={}", f.product_account, account.sys_id);
        if let Some(location) = location_id {
            query.push_str(&format!(
                "^{}={}",
                f.product_location,
                crate::query::clean(location)
            ));
        }
        query.push_str("^ORDERBYname^ORDERBYsys_id");
        let fields = [
            "sys_id",
            "name",
            f.product_account.as_str(),
            f.product_location.as_str(),
        ];
        let rows = inner
            .list(&inner.settings.tables.product, query, &fields, 10_000)
            .await
            .map_err(|e| e.into_core("products"))?;
        Ok(rows
            .iter()
            .map(|r| {
                let p = inner.build_product(r, account.number.clone());
                inner.products.put(p.id.clone(), p.clone());
                p
            })
            .collect())
    }

    async fn contacts(&self, scope: &Scope, account_id: &str) -> Result<Vec<Contact>> {
        let Some(account) = self.account_in(scope, account_id).await? else {
            return Ok(Vec::new());
        };
        let mut out = self
            .inner
            .account_contacts(&account)
            .await
            .map_err(|e| e.into_core("contacts"))?;
        out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }
}

/// The records with these ids that are in scope: nothing for an empty scope
/// (no upstream read), otherwise one cached by-ids `read` filtered to the
/// scope's accounts; `what` names them in errors.
async fn in_scope<T, F>(
    scope: &Scope,
    what: &str,
    read: impl FnOnce() -> F,
    account: impl Fn(&T) -> &str,
) -> Result<Vec<T>>
where
    F: std::future::Future<Output = Result<Vec<T>, HttpError>>,
{
    if scope.accounts().is_empty() {
        return Ok(Vec::new());
    }
    let found = read().await.map_err(|e| e.into_core(what))?;
    Ok(found
        .into_iter()
        .filter(|i| scope.contains(account(i)))
        .collect())
}
