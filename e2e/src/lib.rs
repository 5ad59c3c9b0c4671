//! The end-to-end harness: each [`Env`] gets its own NATS prefix (streams and consumers), its own PostgreSQL
//! database and its own Chatwoot simulator, and starts the real ingress, worker and dispatcher in-process on
//! port 0. Tests, the fault suite and the benchmark all drive the pipeline through it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Parser;
use rand::Rng;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use chatwoot_sim;

/// The fixtures' webhook secret and the simulator's token.
pub const WEBHOOK_SECRET: &str = "Hs7kQ2vN9xPzR4mWb8cTf3Ld";
pub const API_TOKEN: &str = "demo-token";
/// The personal Chatwoot access token of the simulator's agent 21, Ana Lima.
pub const AGENT_TOKEN: &str = "ana-token";
pub const TENANT: &str = "acme";
pub const ACCOUNT_ID: u64 = 3;

/// A test's private slice of NATS and PostgreSQL, and its simulator.
pub struct Env {
    pub nats_url: String,
    pub database_url: String,
    admin_database_url: String,
    pub prefix: String,
    pub secrets_key: String,
    pub sim: chatwoot_sim::Simulator,
    pub http: reqwest::Client,
    /// The worker's RULES_DIR. The test tenant starts with an empty rule set, so the core tests do not depend
    /// on the time of day (the default rules answer differently after hours).
    pub rules_dir: tempfile::TempDir,
    /// Set by [`Env::cleanup`]; an environment dropped without it (a panicking test) is cleaned up on drop.
    cleaned: bool,
}

/// A service started in-process.
pub struct Service {
    pub addr: SocketAddr,
    /// Where `/metrics` is served (the health port, except for the ingress).
    pub metrics_addr: SocketAddr,
    shutdown: CancellationToken,
    handle: JoinHandle<Result<(), String>>,
}

impl Service {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The service's Prometheus text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.metrics_addr))
            .await
            .expect("metrics endpoint")
            .text()
            .await
            .expect("metrics body")
    }

    /// Graceful stop (as on SIGTERM); returns the service's result.
    pub async fn stop(self) -> Result<(), String> {
        self.shutdown.cancel();
        self.handle.await.map_err(|e| e.to_string())?
    }

    /// Whether the service has stopped on its own (a task that failed for good).
    pub fn has_stopped(&self) -> bool {
        self.handle.is_finished()
    }

    /// Abrupt stop: the task is dropped mid-flight, like a killed process (nothing is acked or drained).
    pub fn kill(self) {
        self.handle.abort();
    }
}

/// Reads a file of the repository's `fixtures/chatwoot`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/chatwoot/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

fn random_suffix() -> String {
    format!(
        "{:012x}",
        rand::thread_rng().gen::<u64>() & 0xffff_ffff_ffff
    )
}

impl Env {
    pub async fn new() -> Self {
        let nats_url =
            std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
        let admin = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let suffix = random_suffix();
        let database_url = with_database(&admin, &format!("e2e_{suffix}"));
        // Agent 21 has a personal token, for the API's console sessions.
        let account = chatwoot_sim::SimAccount::new(ACCOUNT_ID, API_TOKEN).with_agent_token(
            chatwoot_sim::SimAgent {
                id: 21,
                name: "Ana Lima".into(),
                email: "ana.lima@acme.example".into(),
            },
            AGENT_TOKEN,
        );
        let sim = chatwoot_sim::spawn(chatwoot_sim::SimConfig {
            accounts: vec![account],
            ..chatwoot_sim::SimConfig::default()
        })
        .await;
        let env = Self {
            nats_url,
            database_url,
            admin_database_url: admin,
            prefix: format!("t{suffix}"),
            secrets_key: infra::SecretBox::generate_key(),
            sim,
            http: reqwest::Client::new(),
            rules_dir: tempfile::tempdir().expect("rules dir"),
            cleaned: false,
        };
        env.add_tenant(TENANT, Some(WEBHOOK_SECRET), false).await;
        env.write_rules(TENANT, "");
        env
    }

    /// Arguments every service takes.
    pub fn common_args(&self) -> Vec<String> {
        [
            "--nats-url",
            &self.nats_url,
            "--nats-prefix",
            &self.prefix,
            "--database-url",
            &self.database_url,
            "--database-pool-size",
            "8",
            "--secrets-key",
            &self.secrets_key,
            // Many tests run at once: JetStream refuses streams whose limits add up to more than the disk.
            "--activity-max-bytes",
            "67108864",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    pub async fn pool(&self) -> infra::db::Pool {
        infra::db::connect_and_migrate(&self.database_url, 4)
            .await
            .expect("test database")
    }

    pub async fn tenants(&self) -> infra::TenantStore {
        let secrets = infra::SecretBox::from_base64(&self.secrets_key).expect("key");
        infra::TenantStore::new(self.pool().await, secrets)
    }

    /// Registers a tenant whose Chatwoot is this environment's simulator. It answers every customer message
    /// publicly with the reply template (`responder: template`, `mode: auto`), which the core tests rely on;
    /// the AI tests set their own settings.
    pub async fn add_tenant(&self, id: &str, secret: Option<&str>, allow_unsigned: bool) {
        self.tenants()
            .await
            .upsert(&infra::tenants::NewTenant {
                id: infra::TenantId::parse(id).expect("valid tenant id"),
                chatwoot_base_url: self.sim.base_url(),
                account_id: ACCOUNT_ID,
                api_token: API_TOKEN.into(),
                webhook_secret: secret.map(str::to_owned),
                allow_unsigned,
                settings: Some(serde_json::json!({ "responder": "template", "mode": "auto" })),
            })
            .await
            .expect("tenant upsert");
    }

    /// Replaces a tenant's rules file (the worker picks it up without a restart).
    pub fn write_rules(&self, tenant: &str, rules: &str) {
        let path = self.rules_dir.path().join(format!("{tenant}.toml"));
        let temp = self.rules_dir.path().join(format!(".{tenant}.toml.tmp"));
        std::fs::write(&temp, rules).expect("write rules");
        std::fs::rename(&temp, &path).expect("install rules");
    }

    fn args(&self, program: &str, extra: &[&str]) -> Vec<String> {
        let mut args = vec![program.to_owned()];
        args.extend(self.common_args());
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    pub async fn start_ingress(&self, extra: &[&str]) -> Service {
        let config =
            ingress::Config::try_parse_from(self.args("ingress", extra)).expect("ingress args");
        let metrics = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let metrics_addr = metrics.local_addr().expect("local addr");
        let mut service = start(|listener, token| async move {
            ingress::run_with_metrics_listener(config, listener, metrics, token)
                .await
                .map_err(|e| e.to_string())
        })
        .await;
        service.metrics_addr = metrics_addr;
        service
    }

    pub async fn start_worker(&self, extra: &[&str]) -> Service {
        self.start_worker_with(None, extra).await
    }

    /// A worker answering with `responder` instead of the tenants' AI settings (`None`: as configured).
    pub async fn start_worker_with(
        &self,
        responder: Option<std::sync::Arc<dyn worker::responder::Responder>>,
        extra: &[&str],
    ) -> Service {
        let rules_dir = self.rules_dir.path().display().to_string();
        let mut args = vec![
            "--fetch-expires",
            "500ms",
            "--retry-min-delay",
            "100ms",
            "--retry-max-delay",
            "2s",
            "--rules-recheck",
            "0s",
            "--sla-check-interval",
            "200ms",
            "--rules-dir",
            &rules_dir,
        ];
        args.extend_from_slice(extra);
        let config =
            worker::Config::try_parse_from(self.args("worker", &args)).expect("worker args");
        start(|listener, token| async move {
            match responder {
                Some(responder) => {
                    worker::run_with_responder(config, listener, token, responder).await
                }
                None => worker::run(config, listener, token).await,
            }
            .map_err(|e| e.to_string())
        })
        .await
    }

    pub async fn start_dispatcher(&self, extra: &[&str]) -> Service {
        let mut args = vec![
            "--fetch-expires",
            "500ms",
            "--retry-min-delay",
            "100ms",
            "--retry-max-delay",
            "1s",
            "--http-timeout",
            "2s",
        ];
        args.extend_from_slice(extra);
        let config = dispatcher::Config::try_parse_from(self.args("dispatcher", &args))
            .expect("dispatcher args");
        start(|listener, token| async move {
            dispatcher::run(config, listener, token)
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// The API service, with a short SSE heartbeat for the tests.
    pub async fn start_api(&self, extra: &[&str]) -> Service {
        let mut args = vec!["--sse-heartbeat", "1s"];
        args.extend_from_slice(extra);
        let config = api::Config::try_parse_from(self.args("api", &args)).expect("api args");
        let metrics = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let metrics_addr = metrics.local_addr().expect("local addr");
        let mut service = start(|listener, token| async move {
            api::run_with_metrics_listener(config, listener, metrics, token)
                .await
                .map_err(|e| e.to_string())
        })
        .await;
        service.metrics_addr = metrics_addr;
        service
    }

    /// A new API key of `tenant` (`read` or `write`), as `cwctl api-keys create` makes it.
    pub async fn api_key(&self, tenant: &str, scope: infra::api_keys::Scope) -> String {
        infra::api_keys::create(&self.pool().await, tenant, "e2e", scope)
            .await
            .expect("create API key")
            .token
    }

    /// Signs `body` as Chatwoot would (now) and posts it to `ingress` for `tenant`.
    pub async fn send(
        &self,
        ingress: &Service,
        tenant: &str,
        body: &[u8],
        delivery_id: &str,
    ) -> (u16, serde_json::Value) {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = chatwoot::sign(WEBHOOK_SECRET.as_bytes(), timestamp, body);
        self.post(
            ingress,
            tenant,
            body.to_vec(),
            &[
                ("content-type", "application/json"),
                ("x-chatwoot-delivery", delivery_id),
                ("x-chatwoot-timestamp", &timestamp.to_string()),
                ("x-chatwoot-signature", &signature),
            ],
        )
        .await
    }

    /// Posts raw bytes with exactly the given headers.
    pub async fn post(
        &self,
        ingress: &Service,
        tenant: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .http
            .post(format!("{}/webhooks/chatwoot/{tenant}", ingress.url()))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("ingress answers");
        let status = response.status().as_u16();
        let json = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, json)
    }

    /// Publishes an API command as the API does (on the conversation's partition, its event key as
    /// `Nats-Msg-Id`); returns whether JetStream already had it.
    pub async fn send_command(&self, command: &proto::Command) -> bool {
        let envelope = command.envelope(chrono::Utc::now().timestamp_millis());
        let partition =
            infra::topology::conversation_partition(&command.tenant, command.conversation_id);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", envelope.event_key.as_str());
        self.jetstream()
            .await
            .publish_with_headers(
                self.topology().event_subject(&command.tenant, partition),
                headers,
                envelope.encode_to_vec().into(),
            )
            .await
            .expect("publish command")
            .await
            .expect("command acknowledged")
            .duplicate
    }

    pub async fn jetstream(&self) -> async_nats::jetstream::Context {
        let client = async_nats::connect(&self.nats_url).await.expect("NATS");
        async_nats::jetstream::new(client)
    }

    pub fn topology(&self) -> infra::Topology {
        infra::Topology::new(&self.prefix)
    }

    /// Messages stored in one of this environment's streams (0 when it does not exist yet).
    pub async fn stream_len(&self, stream: &str) -> u64 {
        match self.jetstream().await.get_stream(stream).await {
            Ok(mut stream) => stream.info().await.map(|i| i.state.messages).unwrap_or(0),
            Err(_) => 0,
        }
    }

    /// Rows in a table of this environment's database.
    pub async fn count(&self, sql: &str) -> i64 {
        let pool = self.pool().await;
        let client = pool.get().await.expect("db");
        client
            .query_one(sql, &[])
            .await
            .expect("count query")
            .get(0)
    }

    /// Removes the streams and the database (best effort).
    /// Deletes the test's streams and database.
    pub async fn cleanup(mut self) {
        release(
            &self.nats_url,
            &self.topology().streams(),
            &self.admin_database_url,
            &self.database_name(),
        )
        .await;
        self.cleaned = true;
    }

    fn database_name(&self) -> String {
        self.database_url
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Drop for Env {
    /// A test that panicked never reached `cleanup`: its streams (which reserve JetStream storage) and database
    /// would outlive it. Best effort, on a runtime of its own in its own thread, since the test's may be gone.
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        let (nats_url, streams, admin, database) = (
            self.nats_url.clone(),
            self.topology().streams(),
            self.admin_database_url.clone(),
            self.database_name(),
        );
        release_blocking(nats_url, streams.to_vec(), admin, database);
    }
}

/// Deletes streams and a database, ignoring what is already gone.
pub async fn release(nats_url: &str, streams: &[String], admin_database_url: &str, database: &str) {
    if let Ok(client) = async_nats::connect(nats_url).await {
        let js = async_nats::jetstream::new(client);
        for stream in streams {
            let _ = js.delete_stream(stream).await;
        }
    }
    if let Ok((client, connection)) =
        tokio_postgres::connect(admin_database_url, tokio_postgres::NoTls).await
    {
        let driver = tokio::spawn(connection);
        let _ = tokio::time::timeout(
            Duration::from_secs(10),
            client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
            )),
        )
        .await;
        drop(client);
        let _ = driver.await;
    }
}

/// [`release`] from synchronous code (a `Drop`), on a runtime of its own.
pub fn release_blocking(
    nats_url: String,
    streams: Vec<String>,
    admin_database_url: String,
    database: String,
) {
    let cleanup = std::thread::spawn(move || {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            runtime.block_on(release(&nats_url, &streams, &admin_database_url, &database));
        }
    });
    let _ = cleanup.join();
}

pub use chatwoot::sample::{agent_note, customer_message};

/// Polls `check` every 25 ms until it holds or `timeout` passes; returns whether it held.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The same server, another database (query parameters are not kept).
fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{database}")
}

async fn start<F, Fut>(run: F) -> Service
where
    F: FnOnce(TcpListener, CancellationToken) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(run(listener, shutdown.clone()));
    let client = reqwest::Client::new();
    let ready = eventually(Duration::from_secs(60), || {
        let client = client.clone();
        let stopped = handle.is_finished();
        async move {
            stopped
                || client
                    .get(format!("http://{addr}/readyz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
        }
    })
    .await;
    if handle.is_finished() {
        let result = handle.await;
        panic!("service on {addr} stopped while starting: {result:?}");
    }
    assert!(ready, "service on {addr} did not become ready");
    Service {
        addr,
        metrics_addr: addr,
        shutdown,
        handle,
    }
}
