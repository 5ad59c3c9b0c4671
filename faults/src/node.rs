//! One service replica as a `pipeline-node` process on its own port.

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::{free_port, signal, tail, HarnessError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Ingress,
    Worker,
    Dispatcher,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingress => "ingress",
            Self::Worker => "worker",
            Self::Dispatcher => "dispatcher",
        }
    }
}

/// A replica: started, killed, terminated and restarted on the same port with the same arguments.
#[derive(Debug)]
pub struct Node {
    pub name: String,
    pub role: Role,
    /// The webhook port (ingress) or the health port (worker, dispatcher); `/readyz` answers on it.
    pub addr: SocketAddr,
    binary: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
}

impl Node {
    /// `args` are the service's flags except its listen address, which the node chooses.
    pub fn new(
        binary: &Path,
        name: &str,
        role: Role,
        args: Vec<String>,
        dir: &Path,
    ) -> Result<Self, HarnessError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let mut all = vec![role.as_str().to_owned()];
        match role {
            Role::Ingress => all.extend([
                "--listen-addr".to_owned(),
                addr.to_string(),
                "--metrics-addr".to_owned(),
                "127.0.0.1:0".to_owned(),
            ]),
            Role::Worker | Role::Dispatcher => {
                all.extend(["--health-addr".to_owned(), addr.to_string()])
            }
        }
        all.extend(args);
        Ok(Self {
            name: name.to_owned(),
            role,
            addr,
            binary: binary.to_owned(),
            args: all,
            log: dir.join(format!("{name}.log")),
            child: None,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Starts the process and waits until `/readyz` answers 200 (NATS and PostgreSQL reachable).
    pub async fn start(&mut self) -> Result<(), HarnessError> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(&self.binary)
            .args(&self.args)
            .env(
                "RUST_LOG",
                std::env::var("FAULTS_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()?;
        self.child = Some(child);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| HarnessError::NotReady(e.to_string()))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(child) = &mut self.child {
                if let Some(status) = child.try_wait()? {
                    return Err(HarnessError::NotReady(format!(
                        "{} exited while starting ({status}):\n{}",
                        self.name,
                        tail(&self.log, 30)
                    )));
                }
            }
            let ready = client
                .get(format!("{}/readyz", self.url()))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(HarnessError::NotReady(format!(
            "{} not ready after 60 s:\n{}",
            self.name,
            tail(&self.log, 30)
        )))
    }

    /// SIGKILL: no drain, no ack, nothing flushed.
    pub async fn kill(&mut self) -> Result<(), HarnessError> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// SIGTERM, then waits for the graceful exit (SIGKILL after `deadline`, reported as an error).
    pub async fn terminate(&mut self, deadline: Duration) -> Result<ExitStatus, HarnessError> {
        let Some(mut child) = self.child.take() else {
            return Err(HarnessError::NotReady(format!(
                "{} is not running",
                self.name
            )));
        };
        if let Some(pid) = child.id() {
            signal(pid, "TERM")?;
        }
        match tokio::time::timeout(deadline, child.wait()).await {
            Ok(status) => Ok(status?),
            Err(_) => {
                child.kill().await?;
                Err(HarnessError::NotReady(format!(
                    "{} did not stop within {deadline:?} of SIGTERM",
                    self.name
                )))
            }
        }
    }
}
