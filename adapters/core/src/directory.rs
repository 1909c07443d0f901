//! Accounts, their locations, products and contacts, and the portal's users.

use async_trait::async_trait;

use crate::{Entitlement, Result, Scope};

/// A customer account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account number, which is also its id.
    pub id: String,
    /// The customer's name for it.
    pub name: String,
}

/// A service location of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Backend id.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// The customer location id, e.g. `UQCD-0004`.
    pub customer_location_id: String,
    /// Short name, e.g. `Guilford`.
    pub name: String,
    /// Street address.
    pub address: String,
}

/// A product (service) at an account, optionally tied to a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Backend id.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// The location it is installed at, if any.
    pub location_id: Option<String>,
    /// Name, e.g. `MSx Managed WAN`.
    pub name: String,
}

/// A contact person of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Backend id.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// Full name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Phone number, if known.
    pub phone: Option<String>,
}

/// A portal user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Directory id (the token's subject).
    pub id: String,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
}

/// A user with what they may see: the identity of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user: User,
    /// Their accounts and roles.
    pub entitlements: Vec<Entitlement>,
    /// The accounts named by the entitlements, for display.
    pub accounts: Vec<Account>,
    /// Whether they operate the gateway itself (the OPERATOR role).
    pub operator: bool,
}

impl Principal {
    /// The scope the user's requests run in.
    pub fn scope(&self) -> Scope {
        Scope::new(self.entitlements.iter().map(|e| e.account_id.clone()))
    }
}

/// Accounts and what belongs to them. Every method is scoped.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// The accounts with these ids that are in scope.
    async fn accounts_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Account>>;
    /// The locations with these ids that are in scope.
    async fn locations_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Location>>;
    /// The products with these ids that are in scope.
    async fn products_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Product>>;
    /// The contacts with these ids that are in scope.
    async fn contacts_by_ids(&self, scope: &Scope, ids: &[String]) -> Result<Vec<Contact>>;
    /// An account's locations, ordered by customer location id.
    async fn locations(&self, scope: &Scope, account_id: &str) -> Result<Vec<Location>>;
    /// An account's products, optionally only those at one location.
    async fn products(
        &self,
        scope: &Scope,
        account_id: &str,
        location_id: Option<&str>,
    ) -> Result<Vec<Product>>;
    /// An account's contacts, ordered by name.
    async fn contacts(&self, scope: &Scope, account_id: &str) -> Result<Vec<Contact>>;
}

/// Where the gateway learns who a token's subject is.
#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// The user with this directory id, with their entitlements.
    async fn principal_by_id(&self, user_id: &str) -> Result<Option<Principal>>;
    /// The user with this login email, with their entitlements.
    async fn principal_by_email(&self, email: &str) -> Result<Option<Principal>>;
}
