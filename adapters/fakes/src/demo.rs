//! Both fakes with the demo dataset, so the gateway's ServiceNow and Okta
//! modes can be tried without an instance (`switchboard demo`,
//! `examples/fakes.rs`).

use std::net::SocketAddr;

use crate::okta::{FakeOkta, OktaDirectory};
use crate::servicenow::{Dataset, DemoSource, FakeOptions, FakeServiceNow};

/// The fake ServiceNow's integration user: (user name, password).
pub const SERVICENOW_USER: (&str, &str) = ("switchboard.integration", "fake-password");

/// The fake Okta org's API token.
pub const OKTA_API_TOKEN: &str = "00fake-okta-api-token";

/// How many cases the fake ServiceNow holds: the demo source should be
/// seeded with this many.
pub const CASES: usize = 240;

/// The two fakes, running until dropped.
pub struct Demo {
    /// ServiceNow, with the demo accounts, locations, products, contacts
    /// and cases.
    pub servicenow: FakeServiceNow,
    /// Okta, with the demo users and their groups.
    pub okta: FakeOkta,
}

impl Demo {
    /// Starts both on these addresses (port 0: a free one), ServiceNow
    /// with the first `accounts` accounts of `source`. Seeded from the
    /// gateway's `[database]` demo settings with [`CASES`] cases, the source
    /// matches the gateway's own demo data, so the services and assets in
    /// its database name the fake's locations and products.
    pub async fn start(
        servicenow: SocketAddr,
        okta: SocketAddr,
        source: &dyn DemoSource,
        accounts: usize,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let dataset = Dataset::demo(source, accounts)
            .await
            .map_err(|e| e.to_string())?;
        let servicenow =
            FakeServiceNow::start_on(servicenow, dataset, FakeOptions::default()).await?;
        let okta = FakeOkta::start_on(okta, OktaDirectory::demo(), OKTA_API_TOKEN).await?;
        Ok(Self { servicenow, okta })
    }
}
