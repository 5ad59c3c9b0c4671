//! Starting what is measured: the services as separate processes from their release binaries (so each one's CPU
//! and memory can be read from `/proc`), or in-process through the `e2e` harness (the quick mode, which needs
//! no release build), and optionally a private `nats-server`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::process::{Child, Command};

/// How the services run.
#[derive(Debug, Clone)]
pub enum Launch {
    /// `<bin_dir>/{ingress,worker,dispatcher}` as child processes configured by environment variables.
    Processes {
        bin_dir: PathBuf,
        log_dir: PathBuf,
        /// `([service], key, value)` set on top of the benchmark's own configuration.
        extra_env: Vec<(Option<String>, String, String)>,
    },
    /// Tasks of this process (`e2e::Env::start_*`): no per-service CPU or memory.
    InProcess,
}

/// The three services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Ingress,
    Worker,
    Dispatcher,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ingress => "ingress",
            Self::Worker => "worker",
            Self::Dispatcher => "dispatcher",
        }
    }
}

/// The dispatcher's per-tenant pacing (Chatwoot's 3000 calls/minute per client IP) would cap a one-tenant
/// benchmark at 50 events/s; the benchmark measures the pipeline, so it is switched off (an unknown variable is
/// ignored by a dispatcher that has no such limit).
pub const NO_RATE_LIMIT: (&str, &str) = ("RATE_LIMIT_PER_MINUTE", "0");

enum Running {
    Process(ChildService),
    InProcess(e2e::Service),
}

/// Started services; stop them with [`Stack::stop`].
pub struct Stack {
    pub ingress: Option<SocketAddr>,
    /// The ingress's `/metrics` port.
    pub ingress_metrics: Option<SocketAddr>,
    services: Vec<(Role, Running)>,
}

impl Stack {
    /// Starts `roles` in order under the NATS prefix `prefix`, every one with the same stream limit (so whichever
    /// starts last leaves the streams configured the same way).
    pub async fn start(
        env: &mut e2e::Env,
        launch: &Launch,
        prefix: &str,
        roles: &[Role],
        stream_max_bytes: i64,
    ) -> anyhow::Result<Self> {
        let mut stack = Self {
            ingress: None,
            ingress_metrics: None,
            services: Vec::new(),
        };
        if let Err(error) = stack
            .add(env, launch, prefix, roles, stream_max_bytes)
            .await
        {
            stack.stop().await;
            return Err(error);
        }
        Ok(stack)
    }

    /// Starts more services into a running stack (after something had to be done between them, e.g. a
    /// tenant's settings written once the first service had migrated the database).
    pub async fn add(
        &mut self,
        env: &mut e2e::Env,
        launch: &Launch,
        prefix: &str,
        roles: &[Role],
        stream_max_bytes: i64,
    ) -> anyhow::Result<()> {
        let max_bytes = stream_max_bytes.to_string();
        env.prefix = prefix.to_owned();
        let stack = self;
        for &role in roles {
            let running = match launch {
                Launch::InProcess => {
                    // In-process services read their environment through clap, like the binaries.
                    std::env::set_var(NO_RATE_LIMIT.0, NO_RATE_LIMIT.1);
                    let extra = ["--stream-max-bytes", max_bytes.as_str()];
                    let service = match role {
                        Role::Ingress => env.start_ingress(&extra).await,
                        Role::Worker => env.start_worker(&extra).await,
                        Role::Dispatcher => env.start_dispatcher(&extra).await,
                    };
                    if role == Role::Ingress {
                        stack.ingress = Some(service.addr);
                        stack.ingress_metrics = Some(service.metrics_addr);
                    }
                    Running::InProcess(service)
                }
                Launch::Processes {
                    bin_dir,
                    log_dir,
                    extra_env,
                } => {
                    let mut child_env = extra_env.clone();
                    child_env.push((None, "STREAM_MAX_BYTES".to_owned(), max_bytes.clone()));
                    let child =
                        ChildService::spawn(env, role, prefix, bin_dir, log_dir, &child_env)
                            .await?;
                    if role == Role::Ingress {
                        stack.ingress = Some(child.listen);
                        stack.ingress_metrics = child.metrics;
                    }
                    Running::Process(child)
                }
            };
            stack.services.push((role, running));
        }
        Ok(())
    }

    /// Process ids of services running as processes.
    pub fn pids(&self) -> Vec<(Role, u32)> {
        self.services
            .iter()
            .filter_map(|(role, running)| match running {
                Running::Process(child) => Some((*role, child.pid)),
                Running::InProcess(_) => None,
            })
            .collect()
    }

    /// Graceful stop (SIGTERM for processes), in reverse order of start.
    pub async fn stop(mut self) {
        while let Some((role, running)) = self.services.pop() {
            match running {
                Running::InProcess(service) => {
                    if let Err(error) = service.stop().await {
                        eprintln!("bench: {} stopped with an error: {error}", role.name());
                    }
                }
                Running::Process(child) => child.stop().await,
            }
        }
    }
}

struct ChildService {
    role: Role,
    child: Child,
    pid: u32,
    listen: SocketAddr,
    metrics: Option<SocketAddr>,
}

/// A free loopback port (bound, then released for the child to bind).
fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
    Ok(listener.local_addr()?)
}

impl ChildService {
    async fn spawn(
        env: &e2e::Env,
        role: Role,
        prefix: &str,
        bin_dir: &Path,
        log_dir: &Path,
        extra_env: &[(Option<String>, String, String)],
    ) -> anyhow::Result<Self> {
        let binary = bin_dir.join(role.name());
        let listen = free_port()?;
        let metrics = (role == Role::Ingress).then(free_port).transpose()?;
        let log_path = log_dir.join(format!("{}-{prefix}.log", role.name()));
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let mut command = Command::new(&binary);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "RUST_LOG",
                std::env::var("BENCH_SERVICE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env("NATS_URL", &env.nats_url)
            .env("NATS_PREFIX", prefix)
            .env("DATABASE_URL", &env.database_url)
            .env("SECRETS_KEY", &env.secrets_key)
            .env("TENANT_ID", e2e::TENANT)
            .env("CHATWOOT_BASE_URL", env.sim.base_url())
            .env("CHATWOOT_ACCOUNT_ID", e2e::ACCOUNT_ID.to_string())
            .env("CHATWOOT_API_TOKEN", e2e::API_TOKEN)
            .env("CHATWOOT_WEBHOOK_SECRET", e2e::WEBHOOK_SECRET)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        match role {
            Role::Ingress => {
                command.env("LISTEN_ADDR", listen.to_string()).env(
                    "METRICS_ADDR",
                    metrics.context("ingress metrics port")?.to_string(),
                );
            }
            Role::Worker => {
                command
                    .env("HEALTH_ADDR", listen.to_string())
                    .env("RULES_DIR", env.rules_dir.path());
            }
            Role::Dispatcher => {
                command
                    .env("HEALTH_ADDR", listen.to_string())
                    .env(NO_RATE_LIMIT.0, NO_RATE_LIMIT.1);
            }
        }
        for (service, key, value) in extra_env {
            if service.as_deref().is_none_or(|s| s == role.name()) {
                command.env(key, value);
            }
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let pid = child.id().context("child has no pid")?;
        let mut service = Self {
            role,
            child,
            pid,
            listen,
            metrics,
        };
        service.wait_ready(&log_path).await?;
        Ok(service)
    }

    async fn wait_ready(&mut self, log_path: &Path) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let url = format!("http://{}/readyz", self.listen);
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited while starting ({status}); see {}",
                    self.role.name(),
                    log_path.display()
                );
            }
            if client
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "{} not ready after 60 s; see {}",
            self.role.name(),
            log_path.display()
        )
    }

    async fn stop(mut self) {
        terminate(self.pid).await;
        if tokio::time::timeout(Duration::from_secs(25), self.child.wait())
            .await
            .is_err()
        {
            eprintln!(
                "bench: {} did not stop on SIGTERM; killing it",
                self.role.name()
            );
            let _ = self.child.kill().await;
        }
    }
}

/// SIGTERM through `kill(1)`: the workspace forbids `unsafe`, so no `libc::kill`.
async fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .await;
}

/// A `nats-server` of our own, with JetStream in a private directory: no other test's streams share its CPU, and
/// its own CPU is attributable.
pub struct PrivateNats {
    child: Child,
    pub pid: u32,
    pub url: String,
    /// The HTTP monitoring endpoint (`/varz`, `/subsz`).
    pub monitor: String,
}

impl PrivateNats {
    pub async fn start(binary: &str, store_dir: &Path, log_dir: &Path) -> anyhow::Result<Self> {
        let addr = free_port()?;
        let monitor = free_port()?;
        let log = std::fs::File::create(log_dir.join("nats-server.log"))?;
        let child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &addr.port().to_string(), "-js"])
            .args(["-m", &monitor.port().to_string(), "-sd"])
            .arg(store_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {binary}"))?;
        let pid = child.id().context("nats-server has no pid")?;
        let url = format!("nats://{addr}");
        for _ in 0..100 {
            if async_nats::connect(&url).await.is_ok() {
                return Ok(Self {
                    child,
                    pid,
                    url,
                    monitor: format!("http://{monitor}"),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("private nats-server on {addr} did not start")
    }

    /// Server-wide message and subscription counters: what one event costs NATS in protocol operations.
    pub async fn counters(&self) -> std::collections::BTreeMap<String, f64> {
        let mut out = std::collections::BTreeMap::new();
        let get = |path: &str| {
            let url = format!("{}/{path}", self.monitor);
            async move {
                reqwest::get(url)
                    .await
                    .ok()?
                    .json::<serde_json::Value>()
                    .await
                    .ok()
            }
        };
        if let Some(varz) = get("varz").await {
            for key in ["in_msgs", "out_msgs", "in_bytes", "out_bytes"] {
                if let Some(value) = varz.get(key).and_then(serde_json::Value::as_f64) {
                    out.insert(key.to_owned(), value);
                }
            }
        }
        if let Some(subsz) = get("subsz").await {
            for (key, name) in [
                ("num_inserts", "subscribes"),
                ("num_removes", "unsubscribes"),
            ] {
                if let Some(value) = subsz.get(key).and_then(serde_json::Value::as_f64) {
                    out.insert(name.to_owned(), value);
                }
            }
        }
        out
    }

    pub async fn stop(mut self) {
        terminate(self.pid).await;
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// `target/release`, built by cargo when asked to (a no-op when up to date).
pub fn release_dir(build: bool) -> anyhow::Result<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("workspace root")?
        .to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"));
    let bin_dir = target.join("release");
    if build {
        eprintln!("bench: cargo build --release -p ingress -p worker -p dispatcher -p api");
        let status =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args([
                    "build",
                    "--release",
                    "-p",
                    "ingress",
                    "-p",
                    "worker",
                    "-p",
                    "dispatcher",
                    "-p",
                    "api",
                ])
                .current_dir(&workspace)
                .status()
                .context("running cargo build")?;
        if !status.success() {
            bail!("cargo build --release -p ingress -p worker -p dispatcher failed");
        }
    }
    check_binaries(bin_dir)
}

/// `bin_dir` if it holds the three service binaries.
pub fn check_binaries(bin_dir: PathBuf) -> anyhow::Result<PathBuf> {
    for role in [Role::Ingress, Role::Worker, Role::Dispatcher] {
        let binary = bin_dir.join(role.name());
        if !binary.is_file() {
            bail!(
                "{} is missing: run `cargo build --release -p ingress -p worker -p dispatcher` \
                 (or drop --no-build), or use --in-process",
                binary.display()
            );
        }
    }
    Ok(bin_dir)
}

/// `[service:]KEY=VALUE` from `--service-env`.
pub fn parse_service_env(text: &str) -> anyhow::Result<(Option<String>, String, String)> {
    let (target, value) = text
        .split_once('=')
        .with_context(|| format!("--service-env {text}: expected [SERVICE:]KEY=VALUE"))?;
    let (service, key) = match target.split_once(':') {
        Some((service, key)) => (Some(service.to_owned()), key),
        None => (None, target),
    };
    Ok((service, key.to_owned(), value.to_owned()))
}
