//! The fake ServiceNow instance and Okta org on fixed loopback ports, with
//! the demo dataset, for a gateway started separately with one of
//! `examples/config/*.toml` (`switchboard demo` does both in one process).
//!
//! `cargo run --example fakes [-- SERVICENOW_PORT OKTA_PORT]`
//! (defaults 18090 and 18091, the ports of `examples/config/*.toml`).
//! Stops on Ctrl-C.

use std::net::SocketAddr;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut ports = std::env::args().skip(1).map(|p| p.parse::<u16>());
    let servicenow_port = ports.next().transpose()?.unwrap_or(18090);
    let okta_port = ports.next().transpose()?.unwrap_or(18091);
    // The gateway's default demo data (`[database]` demo_accounts 4,
    // demo_seed 42).
    let demo = switchboard::backends::demo_fakes(
        &switchboard::config::Config::default(),
        SocketAddr::from(([127, 0, 0, 1], servicenow_port)),
        SocketAddr::from(([127, 0, 0, 1], okta_port)),
    )
    .await?;
    println!("fake ServiceNow at {}", demo.servicenow.url());
    println!("fake Okta at {}", demo.okta.url());
    println!("press Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
