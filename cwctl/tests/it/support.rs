use async_nats::jetstream::{self, stream::Stream};
use clap::{CommandFactory, FromArgMatches};
use cwctl::{Cli, CliError, Exit};
use deadpool_postgres::Pool;
use infra::{SecretBox, StreamLimits, Topology};

/// One test's private NATS prefix and database, plus the key its tenants are sealed with.
pub struct TestEnv {
    pub prefix: String,
    pub nats_url: String,
    pub database_url: String,
    pub database: String,
    pub key: String,
    pub topology: Topology,
    pub js: jetstream::Context,
    pub pool: Pool,
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

impl TestEnv {
    pub async fn new() -> Self {
        let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let nats_url = var("TEST_NATS_URL", "nats://127.0.0.1:4222");
        let base = var(
            "TEST_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
        );
        let database = format!("cwctl_{suffix}");
        let mut url = url::Url::parse(&base).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{database}"));
        let database_url = url.to_string();
        let pool = infra::db::connect_and_migrate(&database_url, 2)
            .await
            .expect("test database");
        let client = async_nats::connect(&nats_url).await.expect("NATS");
        let prefix = format!("t{suffix}");
        Self {
            topology: Topology::new(&prefix),
            prefix,
            nats_url,
            database_url,
            database,
            key: SecretBox::generate_key(),
            js: jetstream::new(client),
            pool,
        }
    }

    /// The streams as the services create them (small, for tests).
    pub async fn ensure_streams(&self) {
        self.topology
            .ensure_streams(&self.js, &limits())
            .await
            .expect("streams");
    }

    pub async fn stream(&self, name: &str) -> Stream {
        self.js.get_stream(name).await.expect("stream exists")
    }

    fn args(&self, key: Option<&str>, args: &[&str]) -> Vec<String> {
        let mut all: Vec<String> = [
            "cwctl",
            "--nats-url",
            &self.nats_url,
            "--nats-prefix",
            &self.prefix,
            "--stream-max-bytes",
            "67108864",
            "--database-url",
            &self.database_url,
            "--database-pool-size",
            "2",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if let Some(key) = key {
            all.extend(["--secrets-key".to_owned(), key.to_owned()]);
        }
        all.extend(args.iter().map(|s| (*s).to_owned()));
        all
    }

    /// Runs `cwctl` in-process with this environment's key; returns the result and what it printed.
    pub async fn run(&self, args: &[&str]) -> (Result<Exit, CliError>, String) {
        self.run_with_key(Some(&self.key.clone()), args).await
    }

    pub async fn run_with_key(
        &self,
        key: Option<&str>,
        args: &[&str],
    ) -> (Result<Exit, CliError>, String) {
        // SECRETS_KEY in the test's own environment must not stand in for a key the test withholds.
        let command = Cli::command().mut_arg("secrets_key", |arg| arg.env(None::<&str>));
        let matches = command
            .try_get_matches_from(self.args(key, args))
            .expect("arguments parse");
        let cli = Cli::from_arg_matches(&matches).expect("arguments parse");
        let mut out = Vec::new();
        let result = cwctl::run(cli, &mut out).await;
        (result, String::from_utf8(out).expect("UTF-8 output"))
    }

    /// Runs and expects success; returns the output.
    pub async fn ok(&self, args: &[&str]) -> String {
        let (result, out) = self.run(args).await;
        match result {
            Ok(Exit::Success) => out,
            other => panic!("cwctl {args:?} returned {other:?}; output:\n{out}"),
        }
    }

    /// Registers tenant `acme` on a Chatwoot that no test calls.
    pub async fn add_acme(&self) {
        self.ok(&[
            "tenants",
            "add",
            "acme",
            "--chatwoot-url",
            "https://chat.acme.test",
            "--account-id",
            "7",
            "--api-token",
            "tok",
        ])
        .await;
    }

    pub async fn query_one_string(&self, sql: &str, id: &str) -> Option<String> {
        self.pool
            .get()
            .await
            .expect("connection")
            .query_opt(sql, &[&id])
            .await
            .expect("query")
            .map(|row| row.get(0))
    }
}

pub fn limits() -> StreamLimits {
    StreamLimits {
        max_bytes: 64 << 20,
        activity_max_bytes: 64 << 20,
        ..Default::default()
    }
}

/// Every message of a stream on a subject filter, oldest first.
pub async fn messages(stream: &Stream, filter: &str) -> Vec<jetstream::message::StreamMessage> {
    let mut found = Vec::new();
    let mut next = 1;
    loop {
        match stream.get_first_raw_message_by_subject(filter, next).await {
            Ok(message) => {
                next = message.sequence + 1;
                found.push(message);
            }
            Err(error)
                if matches!(
                    error.kind(),
                    jetstream::stream::RawMessageErrorKind::NoMessageFound
                ) =>
            {
                return found
            }
            Err(error) => panic!("read {filter}: {error}"),
        }
    }
}

pub fn header<'a>(message: &'a jetstream::message::StreamMessage, name: &str) -> Option<&'a str> {
    let name: async_nats::header::HeaderName = name.parse().expect("header name");
    message.headers.get(name).map(|v| v.as_str())
}

impl Drop for TestEnv {
    /// Best effort, on its own runtime so it also runs when the test panicked.
    fn drop(&mut self) {
        e2e::release_blocking(
            self.nats_url.clone(),
            self.topology.streams().to_vec(),
            var(
                "TEST_DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
            self.database.clone(),
        );
    }
}
