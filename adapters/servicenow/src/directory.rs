//! The reference cache behind the `AccountStore`: accounts, locations,
//! products, contacts and users, read in batches (`sys_idIN…`) and kept for
//! the reference TTL.

use std::collections::HashMap;

use switchboard_core::directory::{Contact, Location, Product};
use switchboard_core::{Result, Scope};

use crate::http::HttpError;
use crate::query::id_list;
use crate::wire::{Record, opt, s};
use crate::{AccountRef, Inner, UserRef};

/// Ids per `IN` list.
pub(crate) const CHUNK: usize = 100;

impl Inner {
    /// Primes the account cache (from a case list's dot-walked fields).
    pub(crate) fn prime_account(&self, sys_id: &str, number: &str, name: &str) {
        if sys_id.is_empty() || number.is_empty() {
            return;
        }
        self.account_numbers
            .put(sys_id.to_string(), number.to_string());
        self.accounts.put(
            number.to_string(),
            AccountRef {
                sys_id: sys_id.to_string(),
                number: number.to_string(),
                name: name.to_string(),
            },
        );
    }

    async fn fetch_accounts(&self, field: &str, keys: &[String]) -> Result<(), HttpError> {
        for chunk in keys.chunks(CHUNK) {
            let rows = self
                .list(
                    &self.settings.tables.account,
                    format!("{field}IN{}", chunk.join(",")),
                    &["sys_id", "number", "name"],
                    chunk.len(),
                )
                .await?;
            for r in rows {
                self.prime_account(&s(&r, "sys_id"), &s(&r, "number"), &s(&r, "name"));
            }
        }
        Ok(())
    }

    /// Accounts by number (portal id).
    pub(crate) async fn accounts_by_number(
        &self,
        numbers: &[String],
    ) -> Result<HashMap<String, AccountRef>, HttpError> {
        let numbers = id_list(numbers);
        let (_, missing) = self.accounts.split(&numbers);
        if !missing.is_empty() {
            self.fetch_accounts("number", &missing).await?;
        }
        Ok(numbers
            .iter()
            .filter_map(|n| self.accounts.get(n).map(|a| (n.clone(), a)))
            .collect())
    }

    /// Account numbers by account sys_id.
    pub(crate) async fn account_numbers(
        &self,
        sys_ids: &[String],
    ) -> Result<HashMap<String, String>, HttpError> {
        let ids = id_list(sys_ids);
        let (_, missing) = self.account_numbers.split(&ids);
        if !missing.is_empty() {
            self.fetch_accounts("sys_id", &missing).await?;
        }
        Ok(ids
            .iter()
            .filter_map(|id| self.account_numbers.get(id).map(|n| (id.clone(), n)))
            .collect())
    }

    /// Rows of `table` whose `field` is in `keys`, in batches.
    async fn rows_in(
        &self,
        table: &str,
        field: &str,
        keys: &[String],
        fields: &[&str],
        extra: &str,
    ) -> Result<Vec<Record>, HttpError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            out.extend(
                self.list(
                    table,
                    format!("{field}IN{}{extra}", chunk.join(",")),
                    fields,
                    10_000,
                )
                .await?,
            );
        }
        Ok(out)
    }

    /// Turns rows with an account reference into records, resolving the
    /// account numbers (batched) and caching each.
    async fn with_accounts<T: Clone>(
        &self,
        rows: Vec<Record>,
        account_field: &str,
        build: impl Fn(&Record, String) -> T,
        cache: &crate::cache::TtlMap<String, T>,
    ) -> Result<Vec<T>, HttpError> {
        let refs: Vec<String> = rows.iter().map(|r| s(r, account_field)).collect();
        let numbers = self.account_numbers(&refs).await?;
        let mut out = Vec::new();
        for r in &rows {
            let Some(number) = numbers.get(&s(r, account_field)) else {
                continue;
            };
            let item = build(r, number.clone());
            cache.put(s(r, "sys_id"), item.clone());
            out.push(item);
        }
        Ok(out)
    }

    pub(crate) fn location_fields(&self) -> [&str; 5] {
        let f = &self.settings.fields;
        [
            "sys_id",
            "name",
            &f.customer_location_id,
            &f.location_address,
            &f.location_account,
        ]
    }

    pub(crate) fn build_location(&self, r: &Record, account: String) -> Location {
        let f = &self.settings.fields;
        Location {
            id: s(r, "sys_id"),
            account_id: account,
            customer_location_id: s(r, &f.customer_location_id),
            name: s(r, "name"),
            address: s(r, &f.location_address),
        }
    }

    pub(crate) fn build_product(&self, r: &Record, account: String) -> Product {
        Product {
            id: s(r, "sys_id"),
            account_id: account,
            location_id: opt(r, &self.settings.fields.product_location),
            name: s(r, "name"),
        }
    }

    fn build_contact(r: &Record, account: String) -> Contact {
        Contact {
            id: s(r, "sys_id"),
            account_id: account,
            name: s(r, "name"),
            email: s(r, "email").to_ascii_lowercase(),
            phone: opt(r, "phone"),
        }
    }

    /// Locations by sys_id (any account).
    pub(crate) async fn locations_by(&self, ids: &[String]) -> Result<Vec<Location>, HttpError> {
        let ids = id_list(ids);
        let (mut found, missing) = self.locations.split(&ids);
        if !missing.is_empty() {
            let rows = self
                .rows_in(
                    &self.settings.tables.location,
                    "sys_id",
                    &missing,
                    &self.location_fields(),
                    "",
                )
                .await?;
            let account = self.settings.fields.location_account.clone();
            found.extend(
                self.with_accounts(
                    rows,
                    &account,
                    |r, a| self.build_location(r, a),
                    &self.locations,
                )
                .await?,
            );
        }
        Ok(found)
    }

    /// Products by sys_id (any account).
    pub(crate) async fn products_by(&self, ids: &[String]) -> Result<Vec<Product>, HttpError> {
        let ids = id_list(ids);
        let (mut found, missing) = self.products.split(&ids);
        if !missing.is_empty() {
            let f = &self.settings.fields;
            let fields = [
                "sys_id",
                "name",
                f.product_account.as_str(),
                f.product_location.as_str(),
            ];
            let rows = self
                .rows_in(
                    &self.settings.tables.product,
                    "sys_id",
                    &missing,
                    &fields,
                    "",
                )
                .await?;
            found.extend(
                self.with_accounts(
                    rows,
                    &f.product_account,
                    |r, a| self.build_product(r, a),
                    &self.products,
                )
                .await?,
            );
        }
        Ok(found)
    }

    /// Contacts by sys_id (any account).
    pub(crate) async fn contacts_by(&self, ids: &[String]) -> Result<Vec<Contact>, HttpError> {
        let ids = id_list(ids);
        let (mut found, missing) = self.contacts.split(&ids);
        if !missing.is_empty() {
            let f = &self.settings.fields;
            let fields = [
                "sys_id",
                "name",
                "email",
                "phone",
                f.contact_account.as_str(),
            ];
            let rows = self
                .rows_in(
                    &self.settings.tables.contact,
                    "sys_id",
                    &missing,
                    &fields,
                    "",
                )
                .await?;
            found.extend(
                self.with_accounts(
                    rows,
                    &f.contact_account,
                    Self::build_contact,
                    &self.contacts,
                )
                .await?,
            );
        }
        Ok(found)
    }

    /// The contacts of one account (by the account's sys_id).
    pub(crate) async fn account_contacts(
        &self,
        account: &AccountRef,
    ) -> Result<Vec<Contact>, HttpError> {
        let f = &self.settings.fields;
        let fields = [
            "sys_id",
            "name",
            "email",
            "phone",
            f.contact_account.as_str(),
        ];
        let rows = self
            .list(
                &self.settings.tables.contact,
                format!(
                    "{}={}^ORDERBYname^ORDERBYsys_id",
                    f.contact_account, account.sys_id
                ),
                &fields,
                10_000,
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let c = Self::build_contact(r, account.number.clone());
                self.contacts.put(c.id.clone(), c.clone());
                c
            })
            .collect())
    }

    /// Users by user_name (`sys_created_by` of journal rows), batched and cached.
    pub(crate) async fn users_by_name(
        &self,
        names: &[String],
    ) -> Result<HashMap<String, UserRef>, HttpError> {
        self.users_by("user_name", names).await
    }

    /// Users by sys_id (watch-list entries), batched and cached.
    pub(crate) async fn users_by_id(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, UserRef>, HttpError> {
        self.users_by("sys_id", ids).await
    }

    /// Users whose `column` (`user_name` or `sys_id`) is one of `keys`: one
    /// `…IN` read for those not cached, which fills both caches.
    async fn users_by(
        &self,
        column: &str,
        keys: &[String],
    ) -> Result<HashMap<String, UserRef>, HttpError> {
        let cache = if column == "sys_id" {
            &self.user_ids
        } else {
            &self.users
        };
        let keys = id_list(keys);
        let (_, missing) = cache.split(&keys);
        if !missing.is_empty() {
            let rows = self
                .rows_in(
                    &self.settings.tables.user,
                    column,
                    &missing,
                    &["sys_id", "user_name", "name", "email"],
                    "",
                )
                .await?;
            for r in &rows {
                let user = UserRef {
                    name: s(r, "name"),
                    email: s(r, "email").to_ascii_lowercase(),
                };
                self.users.put(s(r, "user_name"), user.clone());
                self.user_ids.put(s(r, "sys_id"), user);
            }
        }
        Ok(keys
            .iter()
            .filter_map(|k| cache.get(k).map(|u| (k.clone(), u)))
            .collect())
    }

    /// The account `number` if it is in scope.
    pub(crate) async fn scoped_account(
        &self,
        scope: &Scope,
        number: &str,
    ) -> Result<Option<AccountRef>> {
        if !scope.contains(number) {
            return Ok(None);
        }
        let found = self
            .accounts_by_number(&[number.to_string()])
            .await
            .map_err(|e| e.into_core("accounts"))?;
        Ok(found.get(number).cloned())
    }
}
