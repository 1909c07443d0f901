//! switchboard: a GraphQL gateway for a telecom's customer portal.
//!
//! [`App::build`] wires configuration to a database, the ports that serve
//! each domain, the schema and the HTTP router; [`run`] is the command line.

pub mod auth;
pub mod backends;
pub mod cli;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod graphql;
pub mod limits;
pub mod metrics;
pub mod server;
pub mod telemetry;

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use switchboard_core::events::{Broadcast, BusMessage, RelayState, Topic};
use switchboard_core::publishing::Publishing;
use switchboard_core::tollfree::PublishingTollFree;
use switchboard_core::{Buses, CaseStore, EventBus, TollFreeStore};
use switchboard_sql::seed::{self, SeedOptions};
use switchboard_sql::{Db, DbOptions, SqlStore};
use tokio::net::TcpListener;

use crate::auth::{Callers, EmbeddedIssuer, TrustedIssuer, Verifier};
use crate::cli::{Cli, Command};
use crate::config::{Config, EventsBackend, Overrides};
use crate::graphql::Ports;
use crate::server::AppState;

/// How many audit entries wait, at most, while the database refuses them.
const AUDIT_QUEUE: usize = 10_000;

/// How long the exit waits for waiting audit entries to be stored (after
/// the drain's deadline).
pub const AUDIT_FLUSH: Duration = Duration::from_secs(3);

/// A gateway ready to serve.
pub struct App {
    /// Shared state of every handler.
    pub state: AppState,
    /// The SQL store behind the ports.
    pub store: SqlStore,
}

/// The event buses and what carries them between replicas.
struct Carried {
    buses: Buses,
    /// The relay's listener, when there is one (for readiness).
    relay: Option<RelayState>,
    /// The listener hearing what the database announces itself (entitlement
    /// changes): the relay's on PostgreSQL, one of its own when NATS carries
    /// the events and the database is PostgreSQL, else none.
    database: Option<RelayState>,
}

/// The event buses: relayed between replicas through PostgreSQL when
/// `[events]` says so (the default on PostgreSQL) or through NATS, else
/// inside this process.
async fn event_buses(config: &Config, db: &Db) -> anyhow::Result<Carried> {
    let retention = Duration::from_secs(config.events.retention_secs);
    let pg_options = switchboard_sql::relay::RelayOptions { retention };
    let (buses, state, database) = if config.events.backend == EventsBackend::Nats {
        let options = switchboard_nats::NatsOptions {
            url: config.events.nats_url.clone(),
            stream: config.events.nats_stream.clone(),
            retention,
        };
        let (relay, listener) = switchboard_nats::open(&options).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot start the NATS event relay at {} (events.nats_url): {e}",
                options.url
            )
        })?;
        let buses = Buses::relayed(relay);
        let state = listener.state();
        let deliver = buses.clone();
        listener.spawn(move |message| deliver.deliver(message));
        let database = if db.backend() == switchboard_sql::Backend::Postgres {
            let listener = switchboard_sql::relay::listen(db, pg_options)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen to the database's notices: {e}"))?;
            let database = listener.state();
            let deliver = buses.entitlements.clone();
            // Only what the database announces is stored there; the
            // replicas' own events come through NATS.
            listener.spawn(move |message| {
                if let BusMessage::Entitlements(change) = message {
                    deliver.deliver(change);
                }
            });
            Some(database)
        } else {
            None
        };
        (buses, state, database)
    } else if config.events.relayed_by_postgres(Some(db.url()))? {
        let (relay, listener) = switchboard_sql::relay::open(db, pg_options)
            .await
            .map_err(|e| anyhow::anyhow!("cannot start the event relay: {e}"))?;
        let buses = Buses::relayed(relay);
        let state = listener.state();
        let deliver = buses.clone();
        listener.spawn(move |message| deliver.deliver(message));
        (buses, state.clone(), Some(state))
    } else {
        tracing::info!("events reach the subscribers of this process only (one instance)");
        return Ok(Carried {
            buses: Buses::default(),
            relay: None,
            database: None,
        });
    };
    let carrier = match config.events.backend {
        EventsBackend::Nats => "NATS JetStream",
        _ => "PostgreSQL LISTEN/NOTIFY",
    };
    // Ready to serve means hearing the other replicas: wait for the first
    // listen (a moment), not forever (`/readyz` says so meanwhile).
    if state.listening_within(Duration::from_secs(5)).await {
        tracing::info!(events.carrier = carrier, "events reach every replica");
    } else {
        tracing::warn!(
            events.carrier = carrier,
            "the event relay does not listen yet; /readyz answers 503 until it does"
        );
    }
    Ok(Carried {
        buses,
        relay: Some(state),
        database,
    })
}

/// Hands every message of `bus` to `forget` until it answers false, and
/// `None` whenever messages may have been missed: this subscriber fell
/// behind, or `relay` (what carries them) lost its connection and listens
/// again. For caches that must drop what changed.
fn forget_on<T: Topic>(
    bus: &Broadcast<T>,
    relay: Option<&RelayState>,
    forget: impl Fn(Option<T>) -> bool + Send + Sync + 'static,
) {
    use futures::StreamExt as _;
    let forget = Arc::new(forget);
    let mut changes = bus.subscribe_noting_gaps();
    let each = forget.clone();
    tokio::spawn(async move {
        while let Some(change) = changes.next().await {
            if !each(change) {
                return;
            }
        }
    });
    if let Some(relay) = relay {
        let mut listening = relay.subscribe();
        tokio::spawn(async move {
            listening.borrow_and_update();
            // Each `true` after this is a new LISTEN (the relay sets it once
            // per connection), however quickly it followed a loss.
            while listening.changed().await.is_ok() {
                if *listening.borrow_and_update() && !forget(None) {
                    return;
                }
            }
        });
    }
}

/// Makes `callers` forget the users whose entitlements changed (announced
/// by the database), for as long as it lives; everyone when announcements
/// may have been missed.
fn forget_changed_entitlements(carried: &Carried, callers: &Arc<Callers>) {
    let weak = Arc::downgrade(callers);
    forget_on(
        &carried.buses.entitlements,
        carried.database.as_ref(),
        move |change| {
            let Some(callers) = weak.upgrade() else {
                return false;
            };
            callers.forget(change.and_then(|c| c.users).as_deref());
            true
        },
    );
}

/// Makes `cache` drop the reference records its backend announces changed
/// (on any replica); everything when announcements may have been missed.
fn forget_changed_reference(
    carried: &Carried,
    cache: impl switchboard_core::server::ReferenceCache + 'static,
) {
    forget_on(
        &carried.buses.reference,
        carried.relay.as_ref(),
        move |change| {
            match change {
                Some(change) if change.backend == cache.backend() => {
                    cache.forget(&change.table, &change.ids);
                }
                Some(_) => {}
                None => cache.forget_all(),
            }
            true
        },
    );
}

/// The upstream systems `config` uses, by their backend names.
fn upstreams(config: &Config) -> Vec<&'static str> {
    use crate::config::{CasesBackend, DirectoryBackend, StatusSourceKind};
    [
        (
            config.cases.backend == CasesBackend::Servicenow,
            switchboard_servicenow::BACKEND,
        ),
        (
            config.directory.backend == DirectoryBackend::Okta,
            switchboard_okta::BACKEND,
        ),
        (
            config.status.source == StatusSourceKind::Statuspage,
            switchboard_statuspage::BACKEND,
        ),
    ]
    .into_iter()
    .filter_map(|(on, backend)| on.then_some(backend))
    .collect()
}

/// Where work done once per cluster (pollers) takes turns: PostgreSQL's
/// advisory locks, shared by every replica on the database, when events
/// are `relayed` between them (by PostgreSQL or NATS; else what one
/// replica's poller announces would reach its own subscribers only);
/// otherwise (or on SQLite, one instance) this process.
async fn leases(
    db: &Db,
    relayed: bool,
) -> anyhow::Result<Arc<dyn switchboard_core::lease::Leases>> {
    if !relayed || db.backend() != switchboard_sql::Backend::Postgres {
        return Ok(Arc::new(switchboard_core::lease::Local::default()));
    }
    let holder = format!("{:016x}", rand::random::<u64>());
    let leases = switchboard_sql::lease::open(db, &holder)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach the database for leases: {e}"))?;
    Ok(leases)
}

/// Opens the database and applies pending migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<SqlStore> {
    let url = config.database_url();
    if switchboard_sql::db::backend_of(&url) == switchboard_sql::Backend::Sqlite
        && let Some(parent) =
            std::path::Path::new(url.strip_prefix("sqlite://").unwrap_or(&url)).parent()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let options = DbOptions {
        pool_size: config.database.pool_size,
        acquire_timeout: Duration::from_millis(config.database.connect_timeout_ms),
        statement_timeout: Duration::from_millis(config.database.statement_timeout_ms),
    };
    let db = Db::connect(&url, &options)
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    let applied = switchboard_sql::migrate::run(&db)
        .await
        .map_err(|e| anyhow::anyhow!("migrations failed: {e} (see the log above)"))?;
    if !applied.is_empty() {
        tracing::info!(migrations = applied.len(), "applied database migrations");
    }
    Ok(SqlStore::new(db))
}

impl App {
    /// Builds the gateway: database (migrated, and seeded when empty and
    /// configured so), issuer, ports, schema and router state.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = open_database(&config).await?;
        // External backends first: one that cannot be reached stops
        // start-up, naming its URL, before anything is written.
        let backends = backends::Backends::connect(&config, &store).await?;
        if config.demo_data()
            && seed::is_empty(&store)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            let options = SeedOptions {
                accounts: config.database.demo_accounts,
                cases: config.database.demo_cases,
                seed: config.database.demo_seed,
                anchor: chrono::Utc::now().naive_utc(),
            };
            let report = seed::seed(&store, &options)
                .await
                .map_err(|e| anyhow::anyhow!("seeding failed: {e}"))?;
            tracing::info!(
                accounts = report.accounts,
                cases = report.cases,
                "filled the empty database with demo data"
            );
        }
        let issuer = EmbeddedIssuer::load_or_create(
            &config.data_dir,
            &config.issuer(),
            &config.auth.audience,
        )?;
        let trusted = TrustedIssuer::new(
            issuer.issuer(),
            vec![config.auth.audience.clone()],
            issuer.jwks(),
        )?;
        let mut trusted = vec![trusted];
        let issuer_http = auth::http_client()?;
        for external in &config.auth.issuers {
            trusted.push(TrustedIssuer::from_config(external, issuer_http.clone())?);
        }
        let verifier = Verifier::new(trusted, config.auth.leeway_secs);
        verifier.warm_up();
        let carried = event_buses(&config, store.db()).await?;
        let buses = carried.buses.clone();
        let leases = leases(store.db(), carried.relay.is_some()).await?;
        let bus: Arc<dyn EventBus> = Arc::new(buses.cases.clone());
        // Toll-free requests stay in the database; their cases live with the others.
        let tollfree_store = match &backends.request_cases {
            Some(cases) => store.clone().with_request_cases(cases.clone()),
            None => store.clone(),
        };
        let tollfree_bus = buses.tollfree.clone();
        let tollfree: Arc<dyn TollFreeStore> = Arc::new(PublishingTollFree::new(
            Arc::new(tollfree_store),
            tollfree_bus.clone(),
            bus.clone(),
        ));
        let cases: Arc<dyn CaseStore> = Arc::new(Publishing::new(backends.cases, bus.clone()));
        let callers = Arc::new(Callers::new(
            verifier,
            backends.directory,
            backends.accounts.clone(),
            Duration::from_secs(config.auth.principal_cache_secs),
        ));
        forget_changed_entitlements(&carried, &callers);
        let servicenow_hook = backends.servicenow.as_ref().and_then(|adapter| {
            forget_changed_reference(&carried, adapter.clone());
            // Without a webhook, poll `sys_updated_on` (the adapter's
            // `poll_secs`; 0 turns polling off too).
            if config.cases.webhook_secret.is_none() {
                let _detached = adapter.spawn_poller(bus.clone(), leases.clone());
            }
            config.cases.webhook_secret.as_ref().map(|secret| {
                Arc::new(server::webhooks::ServiceNowHook::new(
                    secret,
                    Duration::from_secs(config.cases.webhook_tolerance_secs),
                    Arc::new(adapter.clone()),
                    &buses,
                    Arc::new(store.clone()),
                ))
            })
        });
        let status_bus = buses.status.clone();
        let status = status_source(&config, &store, &status_bus, leases)?;
        // An entry the database refuses (an outage) waits and is stored
        // once it answers.
        let audit = Arc::new(switchboard_core::audit::Retrying::new(
            Arc::new(store.clone()),
            AUDIT_QUEUE,
            Duration::from_secs(30),
        ));
        let feeds = Arc::new(graphql::feed::Feeds::new(
            bus.clone(),
            cases.clone(),
            tollfree_bus.clone(),
            tollfree.clone(),
            status_bus.clone(),
            status.clone(),
        ));
        let limits = limits::Limits::new(&config.limits)?;
        let ports = Ports {
            cases,
            accounts: backends.accounts,
            bus,
            public_url: config.public_url(),
            callers: callers.clone(),
            audit: audit.clone(),
            identity: backends.identity,
            access_requests: Arc::new(store.clone()),
            profile: Arc::new(graphql::profile::ProfileLimits::new(
                &config.identity,
                &limits,
            )),
            billing: Arc::new(store.clone()),
            payment_portal_url: config.billing.payment_portal_url.clone(),
            resources: Arc::new(switchboard_core::resources::CachedLibrary::new(
                Arc::new(switchboard_core::resources::Extended::new(
                    Arc::new(store.clone()),
                    config.library_extras(),
                )),
                LIBRARY_TTL,
            )),
            inventory: backends.inventory,
            status,
            feeds,
            status_bus,
            tollfree,
            tollfree_bus,
            tollfree_rates: config.tollfree.rates()?,
        };
        let schema = graphql::build(
            Some(ports.clone()),
            &config.limits,
            config.introspection_access(),
        );
        let metrics = config
            .metrics
            .enabled
            .then(|| metrics::Metrics::new(store.db().clone()))
            .flatten();
        let gate = Arc::new(graphql::gate::Gate::new(
            &config.limits,
            config.introspection_access(),
            Some(ports.audit.clone()),
        ));
        let state = AppState {
            fanout: Arc::new(server::ws::fanout::Fanout::new(schema.clone())),
            schema,
            gate,
            ports,
            callers,
            issuer: Arc::new(issuer),
            db: Arc::new(store.db().clone()),
            graphiql: Arc::new(server::graphiql::Assets::load(
                config.server.graphiql_assets.as_deref(),
            )),
            documents: Arc::new(server::documents::Documents::load(&config.server)?),
            sessions: Arc::new(server::session::Sessions::new(
                &config,
                Arc::new(store.clone()),
                demo_users(),
            )?),
            servicenow_hook,
            okta_hook: config
                .directory
                .event_hook_secret
                .as_deref()
                .map(|secret| Arc::new(server::okta_hook::OktaHook::new(secret, &buses))),
            relay: carried.relay,
            metrics,
            drain: server::drain::Drain::default(),
            audit,
            ws_connects: (config.limits.ws_connects_per_address > 0).then(|| {
                Arc::new(limits.limiter(
                    "ws_connects_address",
                    config.limits.ws_connects_per_address,
                    Duration::from_secs(config.limits.ws_connects_window_secs),
                ))
            }),
            limits,
            upstreams: upstreams(&config),
            config: Arc::new(config),
        };
        Ok(Self { state, store })
    }

    /// Serves on `listener` until `shutdown` completes, then drains (see
    /// [`server::drain`]) and returns.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        use axum::serve::ListenerExt as _;
        let admin = match (self.state.config.metrics.listen, &self.state.metrics) {
            (Some(address), Some(metrics)) => {
                let listener = TcpListener::bind(address)
                    .await
                    .with_context(|| format!("cannot listen on {address} (metrics.listen)"))?;
                let router = server::metrics_router(metrics.clone());
                Some(tokio::spawn(
                    async move { axum::serve(listener, router).await },
                ))
            }
            _ => None,
        };
        let drain = self.state.drain.clone();
        let audit = self.state.audit.clone();
        let timing = self.state.config.drain_timing();
        tokio::spawn(drain.clone().run(shutdown, timing));
        let deadline = timing.deadline;
        let router = server::router(self.state);
        let router = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        // Small writes (WebSocket events, short answers) go out at once.
        let listener = listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
        // Running requests finish (the server waits for them) and
        // WebSockets close (the drain counts them), within the deadline.
        let served = axum::serve(listener, router).with_graceful_shutdown(drain.closing());
        let finished = async {
            served.await?;
            drain.released().await;
            Ok::<_, std::io::Error>(())
        };
        let overdue = async {
            tokio::select! {
                () = async {
                    drain.closing().await;
                    tokio::time::sleep(deadline).await;
                } => {}
                () = drain.stopped() => {}
            }
        };
        let result = tokio::select! {
            result = finished => result,
            () = overdue => {
                tracing::warn!(
                    deadline_ms = deadline.as_millis() as u64,
                    "requests or connections were still open at the drain's deadline (or a second signal); exiting"
                );
                Ok(())
            }
        };
        if let Some(admin) = admin {
            admin.abort();
        }
        result?;
        let flush = if drain.stopping() {
            Duration::ZERO
        } else {
            AUDIT_FLUSH
        };
        let lost = audit.flush(flush).await;
        if lost > 0 {
            tracing::error!(
                entries = lost,
                "audit entries could not be stored before the exit (the log has each)"
            );
        }
        if !drain.stopping() {
            telemetry::flush().await;
        }
        tracing::info!("drained");
        Ok(())
    }
}

/// The demo dataset's users, as GraphiQL's "sign in as" lists them.
fn demo_users() -> Vec<server::session::DemoUser> {
    let customers = seed::DEMO_USERS.iter().map(|u| {
        let roles: Vec<String> = u
            .entitlements
            .iter()
            .map(|(account, role)| format!("{} on {account}", role.as_str()))
            .collect();
        server::session::DemoUser {
            email: u.email.to_string(),
            label: format!("{} ({})", u.name, roles.join(", ")),
        }
    });
    let operators = seed::DEMO_OPERATORS
        .iter()
        .map(|(email, name)| server::session::DemoUser {
            email: email.to_string(),
            label: format!("{name} (OPERATOR)"),
        });
    customers.chain(operators).collect()
}

/// How long the database's status summary is served from memory at most;
/// any change published on the status bus (by any replica) drops it sooner.
const STATUS_MAX_AGE: Duration = Duration::from_secs(10);

/// How long the resource library and My Apps are served from memory; the
/// gateway writes neither, so edits made in the database show within it.
const LIBRARY_TTL: Duration = Duration::from_secs(60);

/// The configured system status source: the database (operators' writes
/// published on `bus`, its summary kept until one is), or a Statuspage
/// page (polled and cached by its adapter; read-only).
fn status_source(
    config: &Config,
    store: &SqlStore,
    bus: &switchboard_core::status::StatusBus,
    leases: Arc<dyn switchboard_core::lease::Leases>,
) -> anyhow::Result<Arc<dyn switchboard_core::StatusSource>> {
    use crate::config::StatusSourceKind;
    use switchboard_core::status::{CachedStatus, PublishingStatus};
    let status = &config.status;
    Ok(match status.source {
        StatusSourceKind::Sql => {
            let cached = CachedStatus::new(Arc::new(store.clone()), bus, STATUS_MAX_AGE);
            Arc::new(PublishingStatus::new(Arc::new(cached), bus.clone()))
        }
        StatusSourceKind::Statuspage => {
            let options = switchboard_statuspage::Options {
                url: status.statuspage_url.clone().unwrap_or_default(),
                ttl: Duration::from_secs(status.cache_secs),
                stale_for: Duration::from_secs(status.stale_secs),
                timeout: Duration::from_millis(status.timeout_ms),
            };
            Arc::new(
                switchboard_statuspage::StatuspageSource::new(options, bus.clone(), leases)
                    .map_err(|e| anyhow::anyhow!("cannot set up the Statuspage source: {e}"))?,
            )
        }
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            // Without the handler, SIGTERM stops the process the default
            // way; serving goes on meanwhile.
            Err(error) => {
                tracing::warn!(%error, "cannot watch for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("stop signal received");
}

/// The command that mints a token this gateway accepts: the same program,
/// configuration file and data folder (the signing key lives there).
pub fn token_command(global: &cli::GlobalArgs, config: &Config, email: &str) -> String {
    let program = if std::env::var_os("CARGO_MANIFEST_DIR").is_some() {
        // Started by `cargo run`: the same profile again.
        if cfg!(debug_assertions) {
            "cargo run --".to_string()
        } else {
            "cargo run --release --".to_string()
        }
    } else {
        std::env::args()
            .next()
            .unwrap_or_else(|| "switchboard".into())
    };
    let mut command = program;
    if let Some(file) = &global.config {
        let file = std::path::absolute(file).unwrap_or(file.clone());
        command.push_str(&format!(
            " --config {}",
            shell_word(&file.display().to_string())
        ));
    }
    let data_dir = std::path::absolute(&config.data_dir).unwrap_or(config.data_dir.clone());
    command.push_str(&format!(
        " --data-dir {} token {email}",
        shell_word(&data_dir.display().to_string())
    ));
    command
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-:@+=,".contains(c));
    if plain && !word.is_empty() {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Builds the gateway from `config` and serves until a shutdown signal,
/// after printing where to go (and `notes`).
pub async fn serve(
    config: Config,
    global: &cli::GlobalArgs,
    notes: &[String],
) -> anyhow::Result<()> {
    let token_hint = token_command(global, &config, "pat.primary@harborfreight.example");
    let listen = config.server.listen;
    let public = config.public_url();
    let app = App::build(config).await?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    // The banner is a courtesy: a closed stdout must not stop the gateway
    // (println! would panic on it).
    let mut banner = format!(
        "switchboard is listening on {public}\n  \
         GraphQL:  {public}/graphql (POST, GET for queries, WebSocket for subscriptions)\n  \
         GraphiQL: {public}/graphiql\n  \
         get a token: {token_hint}\n  \
         (the README lists every demo user)\n"
    );
    for note in notes {
        banner.push_str(&format!("  {note}\n"));
    }
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    // The first signal drains; a second one stops at once.
    let drain = app.state.drain.clone();
    let signals = async move {
        shutdown_signal().await;
        tokio::spawn(async move {
            shutdown_signal().await;
            drain.stop();
        });
    };
    app.serve(listener, signals).await
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let listen = match &cli.command {
        Some(Command::Serve { listen }) => *listen,
        _ => None,
    };
    let overrides = Overrides {
        listen,
        data_dir: cli.global.data_dir.clone(),
    };
    let config = Config::load(cli.global.config.as_deref(), &overrides)?;
    // Traces are for the server, not for one-off commands.
    let serving = matches!(cli.command, None | Some(Command::Serve { .. }));
    telemetry::init(&config.log, serving.then_some(&config.traces))?;
    match cli.command.unwrap_or(Command::Serve { listen: None }) {
        Command::Serve { .. } => serve(config, &cli.global, &[]).await,
        #[cfg(feature = "demo")]
        Command::Demo { mode, listen } => demo::run(&cli.global, mode, listen).await,
        Command::Migrate => {
            let store = open_database(&config).await?;
            drop(store);
            println!("migrations are up to date");
            Ok(())
        }
        Command::Seed {
            accounts,
            cases,
            seed: seed_value,
        } => {
            anyhow::ensure!(accounts >= 2, "--accounts must be at least 2");
            let store = open_database(&config).await?;
            let options = SeedOptions {
                accounts,
                cases,
                seed: seed_value,
                anchor: chrono::Utc::now().naive_utc(),
            };
            let report = seed::seed(&store, &options)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "seeded {} accounts, {} users, {} cases, {} activity entries",
                report.accounts, report.users, report.cases, report.activities
            );
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Token { email } => {
            let store = open_database(&config).await?;
            // The configured directory (the database, or Okta) names the user.
            let directory = backends::Backends::connect(&config, &store)
                .await?
                .directory;
            let principal = directory
                .principal_by_email(&email)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no user with the email {email}; the README lists the demo users"
                    )
                })?;
            let issuer = EmbeddedIssuer::load_or_create(
                &config.data_dir,
                &config.issuer(),
                &config.auth.audience,
            )?;
            println!(
                "{}",
                issuer.mint(&principal.user, config.auth.token_ttl_secs)?
            );
            Ok(())
        }
    }
}
