//! The command line on the embedded default: seed, migrate, token, schema,
//! and configuration errors that name the key at fault.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("switchboard-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn switchboard(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("SWITCHBOARD_LOG__FILTER", "warn")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn schema_prints_the_sdl() {
    let dir = TempDir::new("schema");
    let out = switchboard(&dir.0, &["schema"]);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), switchboard::graphql::sdl());
}

#[test]
fn seed_migrate_and_token_on_the_embedded_default() {
    let dir = TempDir::new("seed");
    let data = dir.0.join("data");
    let data = data.to_str().unwrap();

    let out = switchboard(
        &dir.0,
        &[
            "--data-dir",
            data,
            "seed",
            "--accounts",
            "2",
            "--cases",
            "40",
            "--seed",
            "7",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("seeded 2 accounts"),
        "{}",
        text(&out.stdout)
    );

    let again = switchboard(&dir.0, &["--data-dir", data, "seed"]);
    assert!(!again.status.success(), "seeding a full database must fail");
    assert!(
        text(&again.stderr).contains("already holds data"),
        "{}",
        text(&again.stderr)
    );

    let out = switchboard(&dir.0, &["--data-dir", data, "migrate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = switchboard(
        &dir.0,
        &[
            "--data-dir",
            data,
            "token",
            "pat.primary@harborfreight.example",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["email"], "pat.primary@harborfreight.example");
    assert_eq!(claims["aud"], "switchboard");
    assert!(claims["exp"].as_u64().unwrap() > claims["iat"].as_u64().unwrap());
    assert!(Path::new(data).join("issuer-ed25519.pem").exists());

    let out = switchboard(
        &dir.0,
        &["--data-dir", data, "token", "nobody@nowhere.example"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no user"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn seeding_is_deterministic() {
    let listing = |name: &str| {
        let dir = TempDir::new(name);
        let data = dir.0.join("data");
        let out = switchboard(
            &dir.0,
            &[
                "--data-dir",
                data.to_str().unwrap(),
                "seed",
                "--accounts",
                "3",
                "--cases",
                "60",
                "--seed",
                "11",
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use switchboard_core::CaseStore;
            use switchboard_core::cases::{CaseFilter, CaseOrder, CaseOrderField, Direction};
            let db = switchboard_sql::Db::connect(
                data.join("switchboard.db").to_str().unwrap(),
                &Default::default(),
            )
            .unwrap();
            let store = switchboard_sql::SqlStore::new(db);
            let scope =
                switchboard_core::Scope::new(["1234567890".to_string(), "2345678901".to_string()]);
            let order = CaseOrder {
                field: CaseOrderField::Number,
                direction: Direction::Asc,
            };
            let page = switchboard_core::PageRequest::first(100);
            store
                .list_cases(&scope, &CaseFilter::default(), order, &page)
                .await
                .unwrap()
                .into_items()
                .into_iter()
                .map(|c| {
                    (
                        c.number,
                        c.account_id,
                        c.state,
                        c.priority,
                        c.title,
                        c.category,
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let first = listing("det-a");
    assert!(!first.is_empty());
    assert_eq!(first, listing("det-b"));
}

#[test]
fn bad_configuration_names_the_key() {
    let dir = TempDir::new("config");
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .current_dir(&dir.0)
        .env("SWITCHBOARD_SERVER__LISTEN", "not-an-address")
        .arg("schema")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("server.listen"),
        "{}",
        text(&out.stderr)
    );

    std::fs::write(dir.0.join("c.toml"), "[database]\npool_sise = 3\n").unwrap();
    let out = switchboard(&dir.0, &["--config", "c.toml", "schema"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("pool_sise"),
        "{}",
        text(&out.stderr)
    );
}
