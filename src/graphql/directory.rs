//! The caller, their accounts, and what belongs to an account.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use switchboard_core::directory::{Account, Contact, Location, Product};

use super::billing::AccountBilling;
use super::context::request;
use super::errors::IntoGql;
use super::guards::{Require, Rule};
use super::inventory::{
    self, AssetConnection, AssetNode, InventoryFilterInput, ServiceConnection, ServiceNode,
};

/// A user's role on an account.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "switchboard_core::Role")]
pub enum Role {
    /// Full authority over the account.
    PrimaryAuthority,
    /// Authority delegated by the primary.
    AlternateAuthority,
    /// Invoices and payments.
    Billing,
    /// Cases and services.
    Standard,
}

/// The signed-in user.
pub struct Me;

#[Object]
impl Me {
    /// Directory id.
    async fn id(&self, ctx: &Context<'_>) -> Result<ID> {
        Ok(ID(request(ctx)?.0.principal.user.id.clone()))
    }

    /// Display name.
    async fn name(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(request(ctx)?.0.principal.user.name.clone())
    }

    /// Login email.
    async fn email(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(request(ctx)?.0.principal.user.email.clone())
    }

    /// Initials, as the portal's header shows them.
    async fn initials(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(initials(&request(ctx)?.0.principal.user.name))
    }

    /// The accounts the user may see, with their role on each.
    async fn accounts(&self, ctx: &Context<'_>) -> Result<Vec<AccountAccess>> {
        let caller = request(ctx)?.0;
        Ok(caller
            .principal
            .entitlements
            .iter()
            .filter_map(|e| {
                caller
                    .principal
                    .accounts
                    .iter()
                    .find(|a| a.id == e.account_id)
                    .map(|a| AccountAccess {
                        account: AccountNode(a.clone()),
                        role: e.role.into(),
                    })
            })
            .collect())
    }
}

/// Initials of a display name: the first letter of the first and last words.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let first = words.first().and_then(|w| w.chars().next());
    let last = words
        .get(1..)
        .and_then(|rest| rest.last())
        .and_then(|w| w.chars().next());
    first
        .into_iter()
        .chain(last)
        .flat_map(char::to_uppercase)
        .collect()
}

/// An account the user may see.
#[derive(SimpleObject)]
pub struct AccountAccess {
    /// The account.
    pub account: AccountNode,
    /// The user's role on it.
    pub role: Role,
}

/// A customer account.
pub struct AccountNode(pub Account);

#[Object(name = "Account")]
impl AccountNode {
    /// The account number.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// The account number, as printed on invoices.
    async fn number(&self) -> &str {
        &self.0.id
    }

    /// The customer's name for it.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Service locations, by customer location id.
    async fn locations(&self, ctx: &Context<'_>) -> Result<Vec<LocationNode>> {
        let (caller, ports, _) = request(ctx)?;
        let list = ports
            .accounts
            .locations(&caller.scope, &self.0.id)
            .await
            .gql()?;
        Ok(list.into_iter().map(LocationNode).collect())
    }

    /// Products, optionally only those at one location.
    async fn products(
        &self,
        ctx: &Context<'_>,
        location_id: Option<ID>,
    ) -> Result<Vec<ProductNode>> {
        let (caller, ports, _) = request(ctx)?;
        let list = ports
            .accounts
            .products(
                &caller.scope,
                &self.0.id,
                location_id.as_ref().map(|id| id.as_str()),
            )
            .await
            .gql()?;
        Ok(list.into_iter().map(ProductNode).collect())
    }

    /// The account's billing, as `billing(accountId)` answers it: needs the
    /// PRIMARY_AUTHORITY, ALTERNATE_AUTHORITY or BILLING role on the
    /// account (FORBIDDEN otherwise, for this field only).
    #[graphql(guard = "Require::on(Rule::Billing, &self.0.id)")]
    async fn billing(&self) -> Option<AccountBilling> {
        Some(AccountBilling::of(&self.0.id))
    }

    /// Contacts, by name.
    async fn contacts(&self, ctx: &Context<'_>) -> Result<Vec<ContactNode>> {
        let (caller, ports, _) = request(ctx)?;
        let list = ports
            .accounts
            .contacts(&caller.scope, &self.0.id)
            .await
            .gql()?;
        Ok(list.into_iter().map(ContactNode).collect())
    }

    /// The account's services at all its locations, by name; `filter`
    /// narrows to locations or searches names and identifiers.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn services(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<InventoryFilterInput>,
    ) -> Result<ServiceConnection> {
        inventory::account_services(ctx, &self.0.id, first, after, filter).await
    }

    /// The account's equipment at all its locations, by name; `filter`
    /// narrows to locations or searches names, serials and models.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn assets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<InventoryFilterInput>,
    ) -> Result<AssetConnection> {
        inventory::account_assets(ctx, &self.0.id, first, after, filter).await
    }
}

/// A service location.
pub struct LocationNode(pub Location);

#[Object(name = "Location")]
impl LocationNode {
    /// Backend id (what cases and filters use).
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// The customer location id, e.g. `UQCD-0004`.
    async fn customer_location_id(&self) -> &str {
        &self.0.customer_location_id
    }

    /// Short name, e.g. `Guilford`.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// `UQCD-0004 - Guilford`, as the portal lists it.
    async fn display_name(&self) -> String {
        format!("{} - {}", self.0.customer_location_id, self.0.name)
    }

    /// Street address.
    async fn address(&self) -> &str {
        &self.0.address
    }

    /// The services delivered here, by name.
    async fn services(&self, ctx: &Context<'_>) -> Result<Vec<ServiceNode>> {
        inventory::location_services(ctx, &self.0.id).await
    }

    /// The equipment installed here, by name.
    async fn assets(&self, ctx: &Context<'_>) -> Result<Vec<AssetNode>> {
        inventory::location_assets(ctx, &self.0.id).await
    }
}

/// A product at an account.
pub struct ProductNode(pub Product);

#[Object(name = "Product")]
impl ProductNode {
    /// Backend id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The location it is at, if any.
    async fn location_id(&self) -> Option<ID> {
        self.0.location_id.clone().map(ID)
    }
}

/// A contact person.
pub struct ContactNode(pub Contact);

#[Object(name = "Contact")]
impl ContactNode {
    /// Backend id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Email.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Phone, if known.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
}

/// Queries about the caller and their accounts.
#[derive(Default)]
pub struct DirectoryQuery;

#[Object(guard = "Require::signed_in()")]
impl DirectoryQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        request(ctx)?;
        Ok(Me)
    }

    /// The accounts the caller may see.
    async fn accounts(&self, ctx: &Context<'_>) -> Result<Vec<AccountNode>> {
        let caller = request(ctx)?.0;
        Ok(caller
            .principal
            .accounts
            .iter()
            .cloned()
            .map(AccountNode)
            .collect())
    }

    /// One of the caller's accounts.
    async fn account(&self, ctx: &Context<'_>, id: ID) -> Result<AccountNode> {
        let (_, _, loaders) = request(ctx)?;
        loaders
            .accounts
            .load_one(id.to_string())
            .await
            .gql()?
            .map(AccountNode)
            .ok_or_else(|| {
                super::errors::to_gql(&switchboard_core::Error::not_found(format!(
                    "account {}",
                    id.as_str()
                )))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_take_first_and_last_words() {
        assert_eq!(initials("Pat Primary"), "PP");
        assert_eq!(initials("ana maria de souza"), "AS");
        assert_eq!(initials("Cher"), "C");
        assert_eq!(initials(""), "");
    }
}
