//! The command line on the embedded default: seed, migrate, token, schema,
//! and configuration errors that name the key at fault.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use switchboard_core::cases::prelude::*;

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

/// POSTs `query` to the gateway at `base` with `token`; the JSON answer.
async fn ask(http: &reqwest::Client, base: &str, token: &str, query: &str) -> serde_json::Value {
    http.post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A free loopback port (bound, then released for the gateway).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the child when the test ends, whatever happens.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_binary_serves_graphiql_and_its_banner_mints_working_tokens() {
    if !switchboard::server::graphiql::embedded() {
        assert_ne!(
            std::env::var("SWITCHBOARD_REQUIRE_GRAPHIQL").as_deref(),
            Ok("1"),
            "GraphiQL's files were not built into the binary: run `npm ci --prefix web/graphiql` \
             before building"
        );
        eprintln!("skipping: GraphiQL's files were not built in");
        return;
    }
    // The binary alone, in a folder of its own, run from there.
    let dir = TempDir::new("copied");
    let binary = dir.0.join("switchboard");
    std::fs::copy(env!("CARGO_BIN_EXE_switchboard"), &binary).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let (_gateway, hint, _) = start_and_read_banner(
        &binary,
        &dir.0,
        &["--data-dir", "state", "serve", "--listen", &listen],
    );
    let data_dir = dir.0.join("state");
    assert!(
        hint.contains(&format!("--data-dir {}", data_dir.display())),
        "the hint names the data folder: {hint}"
    );

    // The printed command, run from elsewhere, mints a token the gateway takes.
    let minted = run_printed(&hint, &std::env::temp_dir());
    assert!(minted.status.success(), "{}", text(&minted.stderr));
    let token = text(&minted.stdout).trim().to_string();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let me = ask(&http, &base, &token, "{ me { name } }").await;
    assert_eq!(me["data"]["me"]["name"], "Pat Primary", "{me}");

    // GraphiQL and its files come from the binary itself.
    let page = http.get(format!("{base}/graphiql")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    let asset = page
        .split('"')
        .find(|part| part.starts_with("/graphiql/assets/") && part.ends_with("graphiql.min.js"))
        .expect("the page loads GraphiQL's script");
    let script = http.get(format!("{base}{asset}")).send().await.unwrap();
    assert_eq!(script.status().as_u16(), 200);
    assert!(script.bytes().await.unwrap().len() > 100_000);

    // A token from another data folder says why it is refused.
    let other = TempDir::new("other-data");
    let seeded = switchboard(
        &other.0,
        &["--data-dir", "d", "seed", "--accounts", "2", "--cases", "5"],
    );
    assert!(seeded.status.success(), "{}", text(&seeded.stderr));
    let foreign = switchboard(
        &other.0,
        &[
            "--data-dir",
            "d",
            "token",
            "pat.primary@harborfreight.example",
        ],
    );
    assert!(foreign.status.success(), "{}", text(&foreign.stderr));
    let refused = ask(
        &http,
        &base,
        text(&foreign.stdout).trim(),
        "{ me { name } }",
    )
    .await;
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("another data folder"), "{message}");
}

/// Starts `switchboard <args>` in `dir` and reads its banner up to the
/// token command; answers the running gateway and that command.
fn start_and_read_banner(
    binary: &Path,
    dir: &Path,
    args: &[&str],
) -> (Running, String, Vec<String>) {
    use std::io::BufRead;
    let child = Command::new(binary)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("CARGO_MANIFEST_DIR")
        .env("SWITCHBOARD_LOG__FILTER", "warn")
        .env("SWITCHBOARD_DATABASE__DEMO_CASES", "40")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut gateway = Running(child);
    let mut banner = std::io::BufReader::new(gateway.0.stdout.take().unwrap()).lines();
    let mut lines = Vec::new();
    let mut hint = None;
    for line in banner.by_ref() {
        let line = line.unwrap();
        if let Some(command) = line.trim().strip_prefix("get a token: ") {
            hint = Some(command.to_string());
        }
        lines.push(line);
        // The banner ends with the demo's notes, or with the token command.
        let demo = args.contains(&"demo");
        if (demo && line_is(&lines, "  configuration: ")) || (!demo && hint.is_some()) {
            break;
        }
    }
    std::thread::spawn(move || banner.for_each(drop));
    let hint = hint.unwrap_or_else(|| panic!("no token command in {lines:?}"));
    (gateway, hint, lines)
}

fn line_is(lines: &[String], prefix: &str) -> bool {
    lines.last().is_some_and(|l| l.starts_with(prefix))
}

/// Runs a printed command line (words split on spaces) from `dir`.
fn run_printed(command: &str, dir: &Path) -> Output {
    let words: Vec<&str> = command.split_whitespace().collect();
    Command::new(words[0])
        .current_dir(dir)
        .env("SWITCHBOARD_LOG__FILTER", "warn")
        .args(&words[1..])
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_each_mode_against_its_fakes_in_one_command() {
    let dir = TempDir::new("demo");
    for mode in ["servicenow", "okta", "mixed"] {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let (gateway, hint, lines) = start_and_read_banner(
            Path::new(env!("CARGO_BIN_EXE_switchboard")),
            &dir.0,
            &["demo", mode, "--listen", &listen],
        );
        let banner = lines.join("\n");
        assert!(
            banner.contains(&format!("http://{listen}/graphql")),
            "{banner}"
        );
        let data = dir.0.join(format!("data-{mode}"));
        assert!(
            hint.contains(&format!("--data-dir {}", data.display()))
                && hint.contains(&format!(
                    "--config {}",
                    data.join(format!("demo-{mode}.toml")).display()
                )),
            "{hint}"
        );
        assert_eq!(
            banner.contains("fake ServiceNow: http://127.0.0.1:"),
            mode != "okta",
            "{banner}"
        );
        assert_eq!(
            banner.contains("fake Okta: http://127.0.0.1:"),
            mode != "servicenow"
        );

        // The printed token command works from anywhere while the demo runs.
        let minted = run_printed(&hint, &std::env::temp_dir());
        assert!(minted.status.success(), "{mode}: {}", text(&minted.stderr));
        let token = text(&minted.stdout).trim().to_string();
        let body = ask(
            &reqwest::Client::new(),
            &format!("http://{listen}"),
            &token,
            "{ me { name } cases(first: 1) { totalCount nodes { number } } }",
        )
        .await;
        assert_eq!(body["data"]["me"]["name"], "Pat Primary", "{mode}: {body}");
        assert!(
            body["data"]["cases"]["totalCount"].as_u64().unwrap() > 0,
            "{mode}: {body}"
        );
        drop(gateway);
    }
}

#[test]
fn an_unreachable_backend_is_named_before_anything_is_written() {
    let dir = TempDir::new("unreachable");
    let closed = free_port();
    std::fs::write(
        dir.0.join("servicenow.toml"),
        format!(
            "[cases]\nbackend = \"servicenow\"\n\n[cases.servicenow]\n\
             instance_url = \"http://127.0.0.1:{closed}\"\n\
             auth = {{ method = \"basic\", username = \"u\", password = \"p\" }}\n\
             retries = 0\ntimeout_ms = 2000\n"
        ),
    )
    .unwrap();
    let out = switchboard(
        &dir.0,
        &["--config", "servicenow.toml", "--data-dir", "d", "serve"],
    );
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(
        error.contains(&format!("http://127.0.0.1:{closed}"))
            && error.contains("cases.servicenow.instance_url")
            && error.contains("check"),
        "{error}"
    );
    // Nothing was seeded: the database holds no demo user.
    let token = switchboard(
        &dir.0,
        &[
            "--data-dir",
            "d",
            "token",
            "pat.primary@harborfreight.example",
        ],
    );
    assert!(!token.status.success());
    assert!(
        text(&token.stderr).contains("no user"),
        "{}",
        text(&token.stderr)
    );
}
