//! Every configuration in `examples/config/` loads, and its adapter
//! settings tables read as the adapters' own settings (unknown keys would
//! stop start-up, so a typo in an example fails here first).

#![expect(
    clippy::result_large_err,
    reason = "figment's Jail closures return figment's error, as its API asks"
)]

mod common;

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
        // In a jail: the deployment test sets environment variables.
        let mut loaded = None;
        figment::Jail::expect_with(|_| {
            loaded = Some(Config::load(Some(&path), &Overrides::default()));
            Ok(())
        });
        let config = loaded
            .unwrap()
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

/// The deployment examples (`examples/deploy/`) cannot run here (no
/// container runtime, no cluster), so this keeps them honest: their
/// configuration loads, their environment names are settings the binary
/// reads, their ports are the ones it listens on, their probe paths answer
/// on a running gateway, and their grace periods cover the drain.
mod deploy {
    use std::path::{Path, PathBuf};

    use figment::Jail;
    use serde_json::Value;
    use switchboard::config::{Config, Overrides};

    use crate::common;

    fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/deploy")
    }

    fn yaml(path: &Path) -> Value {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
    }

    fn manifest(kind: &str) -> Value {
        let path = dir().join("kubernetes").join(format!("{kind}.yaml"));
        yaml(&path)
    }

    /// Names the process reads besides the `SWITCHBOARD_<SECTION>__<KEY>`
    /// settings.
    const OTHER_NAMES: [&str; 2] = ["DATABASE_URL", "SWITCHBOARD_CONFIG"];

    /// The configuration `file` (TOML text, if any) and `env` make, as the
    /// binary would load it; an unknown name or key fails the load.
    fn load(file: Option<&str>, env: &[(String, String)]) -> Config {
        let mut loaded = None;
        Jail::expect_with(|jail| {
            for (name, value) in env {
                assert!(
                    name.starts_with("SWITCHBOARD_") || OTHER_NAMES.contains(&name.as_str()),
                    "{name} is not a name the gateway reads"
                );
                if name != "SWITCHBOARD_CONFIG" {
                    jail.set_env(name, value);
                }
            }
            if let Some(text) = file {
                jail.create_file("switchboard.toml", text)?;
            }
            let config = Config::load(
                file.map(|_| Path::new("switchboard.toml")),
                &Overrides::default(),
            )
            .map_err(|e| e.to_string())?;
            loaded = Some(config);
            Ok(())
        });
        loaded.unwrap()
    }

    /// `(name, value)` of a container's or service's `env` list (values of
    /// secrets as a stand-in URL).
    fn env_of(list: &Value) -> Vec<(String, String)> {
        let entries: Vec<(String, String)> = match list {
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    let value = item["value"]
                        .as_str()
                        .unwrap_or("postgres://db.example/switchboard");
                    (
                        item["name"].as_str().unwrap().to_string(),
                        value.to_string(),
                    )
                })
                .collect(),
            Value::Object(map) => map
                .iter()
                .map(|(name, value)| {
                    let value = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (name.clone(), value)
                })
                .collect(),
            _ => Vec::new(),
        };
        assert!(!entries.is_empty(), "no environment in {list}");
        entries
    }

    /// The `NAME=value` pairs of a Dockerfile's `ENV` instructions
    /// (continued over lines ending in `\\`).
    fn dockerfile_env(dockerfile: &str) -> Vec<(String, String)> {
        let mut env = Vec::new();
        let mut continued = false;
        for line in dockerfile.lines() {
            let words = match line.strip_prefix("ENV ") {
                Some(rest) => rest,
                None if continued => line,
                None => continue,
            };
            continued = words.trim_end().ends_with('\\');
            for word in words.trim_end_matches('\\').split_whitespace() {
                let (name, value) = word.split_once('=').expect("ENV NAME=value");
                env.push((name.to_string(), value.to_string()));
            }
        }
        env
    }

    /// Asserts that `words` (a list) is a command line the binary takes.
    fn parses_as_command(words: &Value) {
        let words: Vec<&str> = words
            .as_array()
            .unwrap_or_else(|| panic!("not a list: {words}"))
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        <switchboard::cli::Cli as clap::Parser>::try_parse_from(
            std::iter::once("switchboard").chain(words.iter().copied()),
        )
        .unwrap_or_else(|e| panic!("{words:?}: {e}"));
    }

    /// A duration in Compose's notation (`30s`, `1m`).
    fn compose_secs(value: &str) -> u64 {
        match value.strip_suffix('m') {
            Some(minutes) => minutes.parse::<u64>().unwrap() * 60,
            None => value.trim_end_matches('s').parse().unwrap(),
        }
    }

    /// The longest a drain takes: grace, deadline and the audit flush.
    fn drain_ms(config: &Config) -> u64 {
        let timing = config.drain_timing();
        (timing.grace + timing.deadline + switchboard::AUDIT_FLUSH).as_millis() as u64
    }

    #[tokio::test]
    async fn kubernetes_manifests_match_the_configuration_the_binary_accepts() {
        let config_map = manifest("configmap");
        let deployment = manifest("deployment");
        let toml = config_map["data"]["switchboard.toml"].as_str().unwrap();
        let pod = &deployment["spec"]["template"];
        let container = &pod["spec"]["containers"][0];
        let env = env_of(&container["env"]);
        assert!(
            env.iter()
                .any(|(n, v)| n == "SWITCHBOARD_CONFIG" && v == "/etc/switchboard/switchboard.toml")
        );
        let mounted = &container["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "config")
            .expect("the ConfigMap is mounted")["mountPath"];
        assert_eq!(mounted, "/etc/switchboard");
        let config = load(Some(toml), &env);
        assert_eq!(
            config.database.url.as_deref(),
            Some("postgres://db.example/switchboard")
        );

        let ports = container["ports"].as_array().unwrap();
        let named = |name: &str| {
            ports
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("no port named {name}"))["containerPort"]
                .as_u64()
                .unwrap() as u16
        };
        assert_eq!(named("http"), config.server.listen.port());
        let metrics = config
            .metrics
            .listen
            .expect("metrics on a listener of their own");
        assert_eq!(named("metrics"), metrics.port());
        let annotations = &pod["metadata"]["annotations"];
        assert_eq!(
            annotations["prometheus.io/port"],
            metrics.port().to_string()
        );
        assert_eq!(annotations["prometheus.io/path"], "/metrics");

        // The probes' paths answer 200 on a running gateway's main listener.
        let gw = common::start(common::Backend::Sqlite).await.unwrap();
        for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
            let get = &container[probe]["httpGet"];
            assert_eq!(get["port"], "http", "{probe}");
            let path = get["path"].as_str().unwrap();
            let status = gw
                .http
                .get(format!("{}{path}", gw.base))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 200, "{probe} {path}");
        }
        assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
        assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");

        // The pod's user is the image's, and the args a command the binary has.
        let dockerfile = std::fs::read_to_string(dir().join("Dockerfile")).unwrap();
        let user = pod["spec"]["securityContext"]["runAsUser"]
            .as_u64()
            .unwrap();
        assert!(
            dockerfile.contains(&format!("\nUSER {user}\n")),
            "USER {user}"
        );
        parses_as_command(&container["args"]);

        // The drain fits in the termination grace period.
        let grace_ms = pod["spec"]["terminationGracePeriodSeconds"]
            .as_u64()
            .unwrap()
            * 1000;
        assert!(
            drain_ms(&config) < grace_ms,
            "drain {} ms",
            drain_ms(&config)
        );

        // The Service, the budget and the autoscaler name what the
        // Deployment makes.
        let labels = &pod["metadata"]["labels"];
        assert_eq!(&deployment["spec"]["selector"]["matchLabels"], labels);
        let service = manifest("service");
        assert_eq!(&service["spec"]["selector"], labels);
        assert!(
            ports
                .iter()
                .any(|p| p["name"] == service["spec"]["ports"][0]["targetPort"])
        );
        let budget = manifest("pdb");
        assert_eq!(&budget["spec"]["selector"]["matchLabels"], labels);
        let autoscaler = manifest("hpa");
        let target = &autoscaler["spec"]["scaleTargetRef"];
        assert_eq!(target["kind"], "Deployment");
        assert_eq!(target["name"], deployment["metadata"]["name"]);
        // Below the fewest replicas, so a node can still be drained.
        assert!(
            budget["spec"]["minAvailable"].as_u64().unwrap()
                < autoscaler["spec"]["minReplicas"].as_u64().unwrap()
        );
    }

    #[test]
    fn the_compose_file_and_the_image_match_the_configuration_the_binary_accepts() {
        let compose = yaml(&dir().join("compose.yaml"));
        let dockerfile = std::fs::read_to_string(dir().join("Dockerfile")).unwrap();
        let service = &compose["services"]["switchboard"];
        assert_eq!(
            dir()
                .join(service["build"]["context"].as_str().unwrap())
                .join(service["build"]["dockerfile"].as_str().unwrap())
                .canonicalize()
                .unwrap(),
            dir().join("Dockerfile").canonicalize().unwrap()
        );

        // The image's own environment, then the service's.
        let mut env = dockerfile_env(&dockerfile);
        assert!(
            env.iter().any(|(n, _)| n == "SWITCHBOARD_SERVER__LISTEN"),
            "{env:?}"
        );
        env.extend(env_of(&service["environment"]));
        let config = load(None, &env);

        // What the balancer forwards to is what the replicas listen on.
        let nginx = std::fs::read_to_string(dir().join("nginx.conf")).unwrap();
        let upstream = format!("server switchboard:{};", config.server.listen.port());
        assert!(nginx.contains(&upstream), "nginx.conf lacks {upstream}");
        let exposed = format!("EXPOSE {}", config.server.listen.port());
        assert!(
            dockerfile.contains(&exposed),
            "the Dockerfile lacks {exposed}"
        );

        parses_as_command(&service["command"]);
        let stop = compose_secs(service["stop_grace_period"].as_str().unwrap()) * 1000;
        assert!(drain_ms(&config) < stop, "drain {} ms", drain_ms(&config));
        assert_eq!(service["deploy"]["replicas"], 3);

        // The build's toolchain is at least the one the crate asks for.
        let manifest =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
                .unwrap();
        let wanted = manifest
            .lines()
            .find_map(|l| l.strip_prefix("rust-version = "))
            .unwrap()
            .trim_matches('"');
        let used = dockerfile
            .lines()
            .find_map(|l| l.strip_prefix("FROM rust:"))
            .unwrap()
            .split(['-', ' '])
            .next()
            .unwrap();
        let version = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap()).collect() };
        assert!(version(used) >= version(wanted), "rust {used} < {wanted}");
    }
}
