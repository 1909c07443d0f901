//! The fake ServiceNow instance and Okta org on fixed loopback ports, with
//! the demo dataset, so the gateway's ServiceNow and Okta modes can be
//! tried without either (`examples/try-external.sh` starts this first).
//!
//! `cargo run --example fakes [-- SERVICENOW_PORT OKTA_PORT]`
//! (defaults 18090 and 18091, the ports of `examples/config/*.toml`).
//! Stops on Ctrl-C.

use std::net::SocketAddr;

use switchboard_fakes::okta::{FakeOkta, OktaDirectory};
use switchboard_fakes::servicenow::{Dataset, FakeOptions, FakeServiceNow};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ports = std::env::args().skip(1).map(|p| p.parse::<u16>());
    let servicenow_port = ports.next().transpose()?.unwrap_or(18090);
    let okta_port = ports.next().transpose()?.unwrap_or(18091);
    let today = chrono::Utc::now().date_naive();
    // The gateway's default demo data (`[database]` demo_accounts 4,
    // demo_seed 42): the same accounts, locations and products as the
    // database the example configurations seed, so the services and assets
    // there name the fake's locations and products.
    let defaults = switchboard::config::Config::default().database;
    let dataset = Dataset::demo(
        defaults.demo_accounts,
        240,
        defaults.demo_seed,
        (
            chrono::Datelike::year(&today),
            chrono::Datelike::month(&today),
            chrono::Datelike::day(&today),
        ),
    )
    .await?;
    let servicenow = FakeServiceNow::start_on(
        SocketAddr::from(([127, 0, 0, 1], servicenow_port)),
        dataset,
        FakeOptions::default(),
    )
    .await?;
    let okta = FakeOkta::start_on(
        SocketAddr::from(([127, 0, 0, 1], okta_port)),
        OktaDirectory::demo(),
        "00fake-okta-api-token",
    )
    .await?;
    println!("fake ServiceNow at {}", servicenow.url());
    println!("fake Okta at {}", okta.url());
    println!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
