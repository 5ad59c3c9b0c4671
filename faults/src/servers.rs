//! A private NATS server (JetStream) and a private PostgreSQL instance, each on a free port with its data in the
//! suite's temporary directory, so they can be crashed and restarted on the same data.

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::{free_port, is_root, tail, wait_for_port, HarnessError};

/// `nats-server -js` on a free port, storing JetStream under its own directory.
#[derive(Debug)]
pub struct NatsServer {
    binary: PathBuf,
    port: u16,
    store: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl NatsServer {
    /// Finds `nats-server` (on PATH or /usr/sbin) and starts it with its store in `dir`.
    pub async fn start(dir: &Path) -> Result<Self, HarnessError> {
        let binary = find_on_path("nats-server")
            .or_else(|| Some(PathBuf::from("/usr/sbin/nats-server")).filter(|p| p.exists()))
            .ok_or_else(|| HarnessError::Missing {
                what: "nats-server",
                hint: "install it (apt install nats-server, or ./scripts/services.sh)".into(),
            })?;
        std::fs::create_dir_all(dir)?;
        let mut server = Self {
            binary,
            port: free_port()?,
            store: dir.join("store"),
            log: dir.join("nats.log"),
            child: None,
        };
        server.spawn().await?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    async fn spawn(&mut self) -> Result<(), HarnessError> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(&self.binary)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()?;
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        if !wait_for_port(addr, Duration::from_secs(20)).await {
            return Err(HarnessError::NotReady(format!(
                "nats-server did not listen on {addr}:\n{}",
                tail(&self.log, 20)
            )));
        }
        Ok(())
    }

    /// SIGKILL: what survives is what JetStream had written.
    pub async fn kill(&mut self) -> Result<(), HarnessError> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// Starts again on the same port and store.
    pub async fn restart(&mut self) -> Result<(), HarnessError> {
        self.kill().await?;
        self.spawn().await
    }
}

/// A PostgreSQL cluster made with `initdb` in the suite's directory and run with `pg_ctl`, as the `postgres`
/// system user when the suite runs as root.
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    sockets: PathBuf,
    log: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Postgres {
    /// Creates a cluster in `dir` and starts it.
    pub async fn start(dir: &Path) -> Result<Self, HarnessError> {
        let bin = postgres_bin_dir()?;
        let as_postgres = is_root();
        std::fs::create_dir_all(dir.join("sockets"))?;
        let pg = Self {
            bin,
            data: dir.join("data"),
            sockets: dir.join("sockets"),
            log: dir.join("postgres.log"),
            port: free_port()?,
            as_postgres,
        };
        if as_postgres {
            run(std::process::Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir))?;
        }
        let mut initdb = pg.command("initdb");
        initdb.arg("-D").arg(&pg.data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(&mut initdb)?;
        pg.pg_ctl_start().await?;
        Ok(pg)
    }

    /// A URL for database `name` (the services create it when missing).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    fn command(&self, program: &str) -> std::process::Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut command = std::process::Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            std::process::Command::new(path)
        }
    }

    async fn pg_ctl_start(&self) -> Result<(), HarnessError> {
        // fsync off: a killed postgres loses nothing the OS already has, and the machine is not crashed here.
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off \
             -c max_connections=300 -c shared_buffers=64MB",
            self.port,
            self.sockets.display()
        );
        let mut start = self.command("pg_ctl");
        start
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .args(["-w", "-t", "60", "-o", &options, "start"]);
        let result = tokio::task::spawn_blocking(move || run(&mut start))
            .await
            .map_err(|e| HarnessError::NotReady(e.to_string()))?;
        result
            .map_err(|error| HarnessError::NotReady(format!("{error}\n{}", tail(&self.log, 20))))?;
        Ok(())
    }

    /// `pg_ctl stop -m fast` (clean shutdown, sessions cut) or `-m immediate` (a crash: recovery at restart).
    pub async fn stop(&self, mode: &str) -> Result<(), HarnessError> {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D")
            .arg(&self.data)
            .args(["-m", mode, "-w", "-t", "60", "stop"]);
        tokio::task::spawn_blocking(move || run(&mut stop))
            .await
            .map_err(|e| HarnessError::NotReady(e.to_string()))?
    }

    /// Starts again on the same data directory and port.
    pub async fn start_again(&self) -> Result<(), HarnessError> {
        self.pg_ctl_start().await
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn run(command: &mut std::process::Command) -> Result<(), HarnessError> {
    let output = command.stdin(Stdio::null()).output()?;
    if output.status.success() {
        return Ok(());
    }
    Err(HarnessError::Command {
        command: format!("{command:?}"),
        status: output.status.to_string(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    })
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

/// The newest `/usr/lib/postgresql/<version>/bin` (Debian), else `pg_config --bindir`, else where `initdb` is.
fn postgres_bin_dir() -> Result<PathBuf, HarnessError> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    if let Ok(out) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
    {
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if bin.join("initdb").exists() {
            return Ok(bin);
        }
    }
    find_on_path("initdb")
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .ok_or_else(|| HarnessError::Missing {
            what: "PostgreSQL server binaries (initdb, pg_ctl)",
            hint: "install PostgreSQL (apt install postgresql, or ./scripts/services.sh)".into(),
        })
}
