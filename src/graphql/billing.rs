//! Billing, for the PRIMARY_AUTHORITY, ALTERNATE_AUTHORITY and BILLING users
//! of an account ([`Rule::Billing`]): the billing summary, billing details,
//! invoices with their summary of charges and breakdown, call reports, the
//! payment portal link, and download links (invoice PDF; usage as CSV,
//! Excel or PDF).
//!
//! `billing(accountId)` carries the guard, so everything under it is the
//! guarded account's; `billingSummaries` spans only the accounts where the
//! rule holds.

mod connection;
mod inputs;
mod nodes;

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::NaiveDate;
use switchboard_core::billing::{BillingStore, ChargeLine, Invoice};
use switchboard_core::directory::Account;
use switchboard_core::{Error, PageRequest, Scope};

use super::context::{Ports, request};
use super::directory::AccountNode;
use super::errors::{IntoGql, to_gql};
use super::guards::{Require, Rule, permitted_accounts};
use super::pagination::Download;
use crate::auth::Caller;
pub use connection::{InvoiceConnection, UsageConnection};
pub use inputs::{
    InvoiceOrderField, InvoiceOrderInput, UsageFilterInput, UsageKind, UsageOrderField,
    UsageOrderInput, invoice_filter,
};
pub use nodes::{
    BillingDetailsNode, ChargeCategoryNode, ChargeLineNode, InvoiceNode, MoneyNode,
    UsageRecordNode, UsageTotalsNode, hms,
};

/// A call report's download formats.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values.
    Csv,
    /// An Excel workbook (.xlsx).
    Xlsx,
    /// A PDF document.
    Pdf,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Pdf => "pdf",
        }
    }

    /// The media type of the download.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Pdf => "application/pdf",
        }
    }
}

/// Charge lines by invoice id, read in one batch, limited to the accounts
/// where the caller may see billing.
pub struct ChargesLoader {
    port: Arc<dyn BillingStore>,
    scope: Scope,
}

impl ChargesLoader {
    /// The loader for one request of `caller`.
    pub fn new(ports: &Ports, caller: &Caller) -> Self {
        Self {
            port: ports.billing.clone(),
            scope: Scope::new(permitted_accounts(caller, Rule::Billing)),
        }
    }
}

impl Loader<String> for ChargesLoader {
    type Value = Vec<ChargeLine>;
    type Error = Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<ChargeLine>>, Error> {
        let mut out: HashMap<String, Vec<ChargeLine>> =
            keys.iter().map(|k| (k.clone(), Vec::new())).collect();
        for line in self.port.charges(&self.scope, keys).await? {
            out.entry(line.invoice_id.clone()).or_default().push(line);
        }
        Ok(out)
    }
}

/// Percent-encodes `value` for any part of a URL.
pub fn encode_component(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The payment portal URL for `account` (and `invoice`'s number) from the
/// configured template.
pub fn payment_url(template: &str, account: &str, invoice: Option<&str>) -> String {
    template
        .replace("{account}", &encode_component(account))
        .replace("{invoice}", &encode_component(invoice.unwrap_or("")))
}

/// The billing summary of one account: its latest invoice.
pub struct BillingSummary {
    account: Account,
    latest: Option<Invoice>,
}

#[Object]
impl BillingSummary {
    /// The account.
    async fn account(&self) -> AccountNode {
        AccountNode(self.account.clone())
    }

    /// The newest invoice, if any.
    async fn latest_invoice(&self) -> Option<InvoiceNode> {
        self.latest.clone().map(InvoiceNode)
    }

    /// The newest invoice's due date.
    async fn due_date(&self) -> Option<NaiveDate> {
        self.latest.as_ref().map(|i| i.due_date)
    }

    /// The newest invoice's total amount due.
    async fn total_due(&self) -> Option<MoneyNode> {
        self.latest.as_ref().map(|i| MoneyNode(i.total_due()))
    }
}

/// One account's billing; reached only through the guarded `billing` field.
pub struct AccountBilling {
    account_id: String,
}

impl AccountBilling {
    /// The billing of `account_id`; callers guard it with [`Rule::Billing`].
    pub(crate) fn of(account_id: &str) -> Self {
        Self {
            account_id: account_id.to_string(),
        }
    }

    fn scope(&self) -> Scope {
        Scope::new([self.account_id.clone()])
    }

    fn ids(&self) -> Vec<String> {
        vec![self.account_id.clone()]
    }
}

#[Object]
impl AccountBilling {
    /// The account number.
    async fn account_id(&self) -> ID {
        ID(self.account_id.clone())
    }

    /// Address, phone and bill-notification email.
    async fn details(&self, ctx: &Context<'_>) -> Result<Option<BillingDetailsNode>> {
        let ports = request(ctx)?.1;
        let found = ports
            .billing
            .billing_details(&self.scope(), &self.ids())
            .await
            .gql()?;
        Ok(found.into_iter().next().map(BillingDetailsNode))
    }

    /// The latest invoice, its due date and total amount due.
    async fn summary(&self, ctx: &Context<'_>) -> Result<BillingSummary> {
        let (caller, ports, _) = request(ctx)?;
        let latest = ports
            .billing
            .latest_invoices(&self.scope(), &self.ids())
            .await
            .gql()?;
        let account = caller
            .principal
            .accounts
            .iter()
            .find(|a| a.id == self.account_id)
            .cloned()
            .ok_or_else(|| to_gql(&Error::not_found(format!("account {}", self.account_id))))?;
        Ok(BillingSummary {
            account,
            latest: latest.into_iter().next(),
        })
    }

    /// The account's invoices, newest first unless `orderBy` says otherwise;
    /// `search` finds invoices by any part of their number.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        order_by: Option<InvoiceOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<InvoiceConnection> {
        let ports = request(ctx)?.1;
        let filter = invoice_filter(search.as_deref())?;
        let page = PageRequest::new(first, after).gql()?;
        let order = InvoiceOrderInput::to_core(order_by);
        let scope = self.scope();
        let billing = &ports.billing;
        let wants_count = ctx.look_ahead().field("totalCount").exists();
        let (page, count) = futures::join!(
            billing.list_invoices(&scope, &self.account_id, &filter, order, &page),
            async {
                if wants_count {
                    billing
                        .count_invoices(&scope, &self.account_id, &filter)
                        .await
                } else {
                    Ok(0)
                }
            }
        );
        InvoiceConnection::load(ctx, page.gql()?, count.gql()?).await
    }

    /// One invoice of the account, by `id` or by `number` (give exactly one).
    async fn invoice(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        number: Option<String>,
    ) -> Result<InvoiceNode> {
        let ports = request(ctx)?.1;
        let scope = self.scope();
        let found = match (id, number) {
            (Some(id), None) => ports
                .billing
                .invoices_by_ids(&scope, &[id.to_string()])
                .await
                .gql()?
                .pop()
                .ok_or_else(|| to_gql(&Error::not_found(format!("invoice {}", id.as_str()))))?,
            (None, Some(number)) => ports
                .billing
                .invoice_by_number(&scope, &number)
                .await
                .gql()?,
            _ => {
                return Err(to_gql(&Error::invalid(
                    "id",
                    "give either `id` or `number`",
                )));
            }
        };
        Ok(InvoiceNode(found))
    }

    /// The call report: usage records, filtered and paged (oldest call first
    /// unless `orderBy` says otherwise).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn usage(
        &self,
        ctx: &Context<'_>,
        filter: Option<UsageFilterInput>,
        order_by: Option<UsageOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<UsageConnection> {
        let filter = filter.unwrap_or_default();
        UsageConnection::load(
            ctx,
            self.scope(),
            &self.account_id,
            filter,
            order_by,
            first,
            after,
        )
        .await
    }

    /// The whole call report matching `filter` as a file, to GET with the
    /// same bearer token.
    async fn usage_export(
        &self,
        ctx: &Context<'_>,
        format: ExportFormat,
        filter: Option<UsageFilterInput>,
        order_by: Option<UsageOrderInput>,
    ) -> Result<Download> {
        let ports = request(ctx)?.1;
        let filter = filter.unwrap_or_default();
        filter.check()?;
        let query = serde_urlencoded::to_string([
            ("account", self.account_id.clone()),
            ("filter", serde_json::to_string(&filter)?),
            ("orderBy", serde_json::to_string(&order_by)?),
        ])?;
        Ok(Download {
            url: format!("{}/usage.{}?{query}", ports.public_url, format.extension()),
            content_type: format.content_type().into(),
        })
    }

    /// Where to pay: the payment portal for this account, and the invoice
    /// when one is named. The gateway never handles card data.
    async fn payment_url(&self, ctx: &Context<'_>, invoice_id: Option<ID>) -> Result<String> {
        let ports = request(ctx)?.1;
        let number = match invoice_id {
            None => None,
            Some(id) => Some(
                ports
                    .billing
                    .invoices_by_ids(&self.scope(), &[id.to_string()])
                    .await
                    .gql()?
                    .pop()
                    .ok_or_else(|| to_gql(&Error::not_found(format!("invoice {}", id.as_str()))))?
                    .number,
            ),
        };
        Ok(payment_url(
            &ports.payment_portal_url,
            &self.account_id,
            number.as_deref(),
        ))
    }
}

/// Billing queries.
#[derive(Default)]
pub struct BillingQuery;

#[Object(guard = "Require::signed_in()")]
impl BillingQuery {
    /// One account's billing. Needs the PRIMARY_AUTHORITY,
    /// ALTERNATE_AUTHORITY or BILLING role on it (FORBIDDEN otherwise;
    /// another customer's account is NOT_FOUND); null only with that error,
    /// so the rest of the query still resolves.
    #[graphql(guard = "Require::on(Rule::Billing, account_id.as_str())")]
    async fn billing(&self, ctx: &Context<'_>, account_id: ID) -> Result<Option<AccountBilling>> {
        request(ctx)?;
        Ok(Some(AccountBilling {
            account_id: account_id.to_string(),
        }))
    }

    /// The home page's billing widget: the latest invoice of each account
    /// where the caller may see billing (none for other roles).
    async fn billing_summaries(&self, ctx: &Context<'_>) -> Result<Vec<BillingSummary>> {
        let (caller, ports, _) = request(ctx)?;
        let accounts = permitted_accounts(caller, Rule::Billing);
        let scope = Scope::new(accounts.clone());
        let mut latest = ports
            .billing
            .latest_invoices(&scope, &accounts)
            .await
            .gql()?;
        Ok(caller
            .principal
            .accounts
            .iter()
            .filter(|a| scope.contains(&a.id))
            .map(|a| BillingSummary {
                account: a.clone(),
                latest: latest
                    .iter()
                    .position(|i| i.account_id == a.id)
                    .map(|at| latest.swap_remove(at)),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_urls_encode_their_parts() {
        let template = "https://pay.example/a/{account}?invoice={invoice}";
        assert_eq!(
            payment_url(template, "12 34", Some("INV&1")),
            "https://pay.example/a/12%2034?invoice=INV%261"
        );
        assert_eq!(
            payment_url(template, "1234567890", None),
            "https://pay.example/a/1234567890?invoice="
        );
    }
}
