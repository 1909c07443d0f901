//! What a behaviour needs to know about the dataset it runs against.

use std::cmp::Ordering;

use switchboard_core::{AccountStore, Actor, Error, Result, Scope};

/// How a backend compares case ids when it breaks ties in an ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdOrder {
    /// Ids are decimal integers, compared as numbers (the SQL adapter).
    Numeric,
    /// Ids are compared as text, byte by byte (fixed-length ids such as
    /// ServiceNow's `sys_id`).
    Text,
}

impl IdOrder {
    /// Compares two ids of the backend.
    ///
    /// # Panics
    /// When an id is not a number under [`IdOrder::Numeric`]: the fixture
    /// then describes the backend wrongly.
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            IdOrder::Numeric => {
                let number = |id: &str| {
                    id.parse::<i128>().unwrap_or_else(|_| {
                        panic!(
                            "case id `{id}` is not a number, yet the fixture says IdOrder::Numeric"
                        )
                    })
                };
                number(a).cmp(&number(b))
            }
            IdOrder::Text => a.cmp(b),
        }
    }
}

/// One account of the dataset and the records a behaviour refers to on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFixture {
    /// The account's id.
    pub account_id: String,
    /// Someone entitled to the account, who makes its writes.
    pub actor: Actor,
    /// A location of the account with at least one product at it.
    pub location_id: String,
    /// A product of the account at `location_id`.
    pub product_id: String,
    /// A contact of the account.
    pub contact_id: String,
}

impl AccountFixture {
    /// Finds a location with a product, and a contact, of `account_id`
    /// through the [`AccountStore`] port.
    pub async fn discover(
        directory: &dyn AccountStore,
        account_id: &str,
        actor: Actor,
    ) -> Result<Self> {
        let scope = Scope::new([account_id.to_string()]);
        let mut found = None;
        for location in directory.locations(&scope, account_id).await? {
            let products = directory
                .products(&scope, account_id, Some(&location.id))
                .await?;
            if let Some(product) = products.into_iter().next() {
                found = Some((location.id, product.id));
                break;
            }
        }
        let (location_id, product_id) = found.ok_or_else(|| {
            Error::not_found(format!("a location with a product on account {account_id}"))
        })?;
        let contact_id = directory
            .contacts(&scope, account_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found(format!("a contact on account {account_id}")))?
            .id;
        Ok(Self {
            account_id: account_id.to_string(),
            actor,
            location_id,
            product_id,
            contact_id,
        })
    }

    /// A scope over this account alone.
    pub fn scope(&self) -> Scope {
        Scope::new([self.account_id.clone()])
    }
}

/// The two accounts every behaviour works with, and how the backend orders ids.
///
/// The dataset behind it must hold, on each account, a few dozen cases
/// spread over every state (including `RESOLVED` and `CLOSED`) and
/// priority, opened and updated at various times, most of them at a
/// location, with some activity and watch lists. The demo seed of the SQL
/// adapter is such a dataset; a fake of another backend needs a similar one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    /// The account the behaviours act in.
    pub home: AccountFixture,
    /// Another account, whose records must stay out of `home`'s reach.
    pub other: AccountFixture,
    /// How ties in an ordering are broken.
    pub id_order: IdOrder,
}

impl Fixture {
    /// A fixture over two accounts, each with the actor that writes to it,
    /// discovered through the [`AccountStore`] port.
    pub async fn discover(
        directory: &dyn AccountStore,
        home: (&str, Actor),
        other: (&str, Actor),
        id_order: IdOrder,
    ) -> Result<Self> {
        Ok(Self {
            home: AccountFixture::discover(directory, home.0, home.1).await?,
            other: AccountFixture::discover(directory, other.0, other.1).await?,
            id_order,
        })
    }

    /// A scope over both accounts (a user entitled to both).
    pub fn both(&self) -> Scope {
        Scope::new([self.home.account_id.clone(), self.other.account_id.clone()])
    }
}
