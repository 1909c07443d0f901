//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// switchboard: the customer portal's GraphQL gateway.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about)]
pub struct Cli {
    /// Options every command shares.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command shares.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// A TOML configuration file.
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Folder for the embedded database and signing key.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default).
    Serve {
        /// Address to listen on.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill an empty database with the demo dataset.
    Seed {
        /// Accounts to make (at least 2).
        #[arg(long, default_value_t = 4)]
        accounts: usize,
        /// Cases to make.
        #[arg(long, default_value_t = 3000)]
        cases: usize,
        /// Random seed; the same seed gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Print a bearer token for a user of the embedded issuer.
    Token {
        /// The user's login email.
        email: String,
    },
    /// Try the ServiceNow and Okta modes without an instance: starts their
    /// fakes with the demo data in this process, on free ports, and serves
    /// with them (data in `data-<mode>` unless `--data-dir` says).
    #[cfg(feature = "demo")]
    Demo {
        /// Which systems the fakes stand in for.
        #[arg(value_enum)]
        mode: DemoMode,
        /// Address to listen on.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
}

/// What `switchboard demo` runs against.
#[cfg(feature = "demo")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoMode {
    /// Cases, accounts, locations, products and contacts in ServiceNow.
    Servicenow,
    /// Users, entitlements, factors and passwords in Okta.
    Okta,
    /// Both.
    Mixed,
}

#[cfg(feature = "demo")]
impl DemoMode {
    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DemoMode::Servicenow => "servicenow",
            DemoMode::Okta => "okta",
            DemoMode::Mixed => "mixed",
        }
    }
}
