//! `switchboard demo servicenow|okta|mixed`: the gateway against fakes of
//! ServiceNow and Okta with the demo data, in one process, so those modes
//! can be tried without an instance, on the same release build as
//! `switchboard serve`.
//!
//! The fakes listen on free loopback ports. The configuration pointing at
//! them is written to `<data dir>/demo-<mode>.toml`, so the token command
//! the banner prints (with that file and the data folder) works while the
//! demo runs.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use switchboard_fakes::demo::{Demo, OKTA_API_TOKEN, SERVICENOW_USER};

use crate::cli::{DemoMode, GlobalArgs};
use crate::config::{Config, Overrides};

/// Starts the fakes, writes the configuration and serves.
pub async fn run(
    global: &GlobalArgs,
    mode: DemoMode,
    listen: Option<SocketAddr>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        global.config.is_none(),
        "`demo` writes its own configuration; to use yours, run `serve --config …`"
    );
    let data_dir = global
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("data-{}", mode.name())));
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let fakes = crate::backends::demo_fakes(&Config::default(), any, any).await?;
    let file = data_dir.join(format!("demo-{}.toml", mode.name()));
    std::fs::write(&file, configuration(mode, &fakes))
        .with_context(|| format!("cannot write {}", file.display()))?;
    let global = GlobalArgs {
        config: Some(file.clone()),
        data_dir: Some(data_dir.clone()),
    };
    let overrides = Overrides {
        listen,
        data_dir: Some(data_dir),
    };
    // Logging is set up already, from the defaults (and environment).
    let config = Config::load(Some(&file), &overrides)?;
    let mut notes = Vec::new();
    if mode != DemoMode::Okta {
        notes.push(format!(
            "fake ServiceNow: {} (demo data; it stops with the gateway)",
            fakes.servicenow.url()
        ));
    }
    if mode != DemoMode::Servicenow {
        notes.push(format!(
            "fake Okta: {} (demo users; it stops with the gateway)",
            fakes.okta.url()
        ));
    }
    notes.push(format!("configuration: {}", file.display()));
    let served = crate::serve(config, &global, &notes).await;
    drop(fakes);
    served
}

/// The configuration of `mode` against the running fakes.
fn configuration(mode: DemoMode, fakes: &Demo) -> String {
    let mut text = format!(
        "# Written by `switchboard demo {}`: the fakes' ports change at each start.\n",
        mode.name()
    );
    if mode == DemoMode::Okta {
        text.push_str("[cases]\nbackend = \"sql\"\n\n");
    } else {
        text.push_str(&format!(
            "[cases]\nbackend = \"servicenow\"\n\n[cases.servicenow]\ninstance_url = \"{}\"\n\
             auth = {{ method = \"basic\", username = \"{}\", password = \"{}\" }}\npoll_secs = 5\n\n",
            fakes.servicenow.url(),
            SERVICENOW_USER.0,
            SERVICENOW_USER.1
        ));
    }
    if mode == DemoMode::Servicenow {
        text.push_str("[directory]\nbackend = \"sql\"\n");
    } else {
        text.push_str(&format!(
            "[directory]\nbackend = \"okta\"\n\n[directory.okta]\norg_url = \"{}\"\n\
             auth = {{ method = \"api_token\", token = \"{OKTA_API_TOKEN}\" }}\n",
            fakes.okta.url()
        ));
    }
    text
}
