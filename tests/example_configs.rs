//! Every configuration in `examples/config/` loads, and its adapter
//! settings tables read as the adapters' own settings (unknown keys would
//! stop start-up, so a typo in an example fails here first).

use std::path::Path;

use switchboard::config::{Config, Overrides, adapter_settings};

#[test]
fn every_example_config_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("examples/config") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let config = Config::load(Some(&path), &Overrides::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Some(table) = &config.cases.servicenow {
            adapter_settings::<switchboard_servicenow::Settings>("cases.servicenow", Some(table))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        if let Some(table) = &config.directory.okta {
            adapter_settings::<switchboard_okta::Settings>("directory.okta", Some(table))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        seen.push(path.file_name().unwrap().to_string_lossy().to_string());
    }
    seen.sort();
    assert_eq!(
        seen,
        ["mixed.toml", "okta.toml", "servicenow.toml", "sql.toml"]
    );
}
