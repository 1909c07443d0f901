//! The release gateway as a child process, for the benchmarks that weigh
//! it: its resident memory is then its own, not the load tool's.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The demo users of account 1234567890 (see the README).
pub const USERS: [&str; 5] = [
    "pat.primary@harborfreight.example",
    "alex.alternate@harborfreight.example",
    "bailey.billing@harborfreight.example",
    "sam.standard@harborfreight.example",
    "morgan.multi@partner.example",
];

/// Their account.
pub const ACCOUNT: &str = "1234567890";

/// A gateway process on a loopback port over a fresh embedded database
/// (or a PostgreSQL one it shares with other replicas), killed (and its
/// folder removed, when it made one) when dropped.
pub struct ChildGateway {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub addr: String,
    /// A token for each of [`USERS`].
    pub tokens: Vec<String>,
    /// Its data folder (signing key).
    #[allow(
        dead_code,
        reason = "read by the examples that start replicas; this module is compiled into each example"
    )]
    pub data: PathBuf,
    /// The folder it made, removed when dropped.
    dir: Option<PathBuf>,
}

impl Drop for ChildGateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Where a replica keeps its data, on which database.
pub struct Replica<'a> {
    /// The PostgreSQL database the replicas share.
    pub database_url: &'a str,
    /// The data folder the first replica made (its signing key); `None`
    /// for the first, which also fills the database with demo data.
    pub data: Option<&'a std::path::Path>,
    /// The NATS server and stream carrying events between the replicas
    /// (`None`: the database does).
    pub nats: Option<(&'a str, &'a str)>,
}

/// The release gateway beside this example (`target/release/switchboard`).
fn binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let release = exe
        .parent()
        .and_then(|examples| examples.parent())
        .ok_or_else(|| anyhow::anyhow!("cannot find the target folder"))?;
    let binary = release.join("switchboard");
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: cargo build --release --bin switchboard",
        binary.display()
    );
    Ok(binary)
}

impl ChildGateway {
    /// Starts it with `demo_cases` demo cases and waits until it is ready.
    pub async fn start(name: &str, demo_cases: usize) -> anyhow::Result<Self> {
        Self::start_on(name, demo_cases, None).await
    }

    /// [`ChildGateway::start`], as a replica on a shared PostgreSQL
    /// database when `replica` says so.
    pub async fn start_on(
        name: &str,
        demo_cases: usize,
        replica: Option<Replica<'_>>,
    ) -> anyhow::Result<Self> {
        let binary = binary()?;
        let (dir, data) = match replica.as_ref().and_then(|r| r.data) {
            Some(data) => (None, data.to_path_buf()),
            None => {
                let dir =
                    std::env::temp_dir().join(format!("switchboard-{name}-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir)?;
                let data = dir.join("data");
                (Some(dir), data)
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut command = Command::new(&binary);
        command
            .env("SWITCHBOARD_LOG__FILTER", "error")
            .env("SWITCHBOARD_DATABASE__DEMO_CASES", demo_cases.to_string())
            .env_remove("DATABASE_URL");
        if let Some(replica) = &replica {
            let first = replica.data.is_none();
            command
                .env("DATABASE_URL", replica.database_url)
                .env("SWITCHBOARD_DATABASE__DEMO_DATA", first.to_string());
            if let Some((url, stream)) = replica.nats {
                command
                    .env("SWITCHBOARD_EVENTS__BACKEND", "nats")
                    .env("SWITCHBOARD_EVENTS__NATS_URL", url)
                    .env("SWITCHBOARD_EVENTS__NATS_STREAM", stream);
            }
        }
        let child = command
            .arg("--data-dir")
            .arg(&data)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .spawn()?;
        let mut gateway = Self {
            child,
            addr: format!("127.0.0.1:{port}"),
            tokens: Vec::new(),
            data: data.clone(),
            dir,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while http
            .get(format!("http://{}/readyz", gateway.addr))
            .send()
            .await
            .map_or(true, |r| !r.status().is_success())
        {
            anyhow::ensure!(Instant::now() < deadline, "the gateway did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for user in USERS {
            let mut token = Command::new(&binary);
            token.env("SWITCHBOARD_LOG__FILTER", "error");
            match &replica {
                Some(replica) => token.env("DATABASE_URL", replica.database_url),
                None => token.env_remove("DATABASE_URL"),
            };
            let out = token
                .arg("--data-dir")
                .arg(&data)
                .args(["token", user])
                .output()?;
            anyhow::ensure!(
                out.status.success(),
                "token: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            gateway
                .tokens
                .push(String::from_utf8(out.stdout)?.trim().to_string());
        }
        Ok(gateway)
    }

    /// The CPU time it has used so far (user and system).
    pub fn cpu(&self) -> Duration {
        cpu_of(&format!("/proc/{}/stat", self.child.id()))
    }

    /// Its resident memory now, in bytes.
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

/// Bytes in MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The `p` quantile (0 to 1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// This process's CPU time so far (user and system).
pub fn own_cpu() -> Duration {
    cpu_of("/proc/self/stat")
}

/// User plus system time from a `/proc/<pid>/stat` file (clock ticks of
/// 1/100 s on Linux).
fn cpu_of(path: &str) -> Duration {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}
