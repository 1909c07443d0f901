//! The `switchboard` binary: parse the command line, run it.

use clap::Parser;

/// mimalloc rather than the system allocator: under steady load glibc's
/// malloc fragments and resident memory creeps (examples/soak.rs measures
/// it); mimalloc returns freed pages and keeps it flat.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = switchboard::cli::Cli::parse();
    match switchboard::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
