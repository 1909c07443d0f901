//! The stock clients users bring, run from `tests/clients` (npm packages
//! installed by `npm ci --prefix tests/clients`): headless Chromium through
//! playwright-core, graphql-js, graphql-codegen, Apollo Client, graphql-ws.
//!
//! A test needing them skips without `node`, the packages or Chromium,
//! unless `SWITCHBOARD_REQUIRE_CLIENTS=1` (as `.ci/run` sets), which makes
//! it fail instead.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// The folder of the client scripts.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// The example operations' folder.
pub fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Whether the clients can run here; panics when they are required.
pub fn available(browser: bool) -> bool {
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let packages = dir().join("node_modules/playwright-core").exists();
    let chromium = !browser
        || std::path::Path::new(
            &std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        )
        .exists();
    if node && packages && chromium {
        return true;
    }
    let missing = format!(
        "node: {node}, tests/clients/node_modules: {packages}, chromium: {chromium}; run \
         `npm ci --prefix tests/clients` and install Chromium (apt-get install chromium)"
    );
    if std::env::var("SWITCHBOARD_REQUIRE_CLIENTS").as_deref() == Ok("1") {
        panic!("the stock clients are required but missing ({missing})");
    }
    eprintln!("skipping: the stock clients are missing ({missing})");
    false
}

/// Runs `node tests/clients/<script> <args>` to the end (at most two
/// minutes) and answers the JSON object it printed last; fails the test
/// with the script's own account when it fails.
pub async fn run(script: &str, args: &[&str]) -> Value {
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new("node")
            .arg(dir().join(script))
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{script} did not finish within two minutes"))
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{stderr}\n{stdout}",
        output.status
    );
    let last = stdout.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {stdout}"))
}

/// A script that keeps running and prints one JSON line per happening.
pub struct Streaming {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Streaming {
    /// Starts `node tests/clients/<script> <args>`.
    pub fn start(script: &str, args: &[&str]) -> Self {
        let mut child = Command::new("node")
            .arg(dir().join(script))
            .args(args)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().expect("its output");
        Self {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    /// The next line it prints, within 20 seconds.
    pub async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(20), self.lines.next_line())
            .await
            .expect("the client says something within 20 s")
            .expect("its output reads")
            .expect("the client is still running");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
