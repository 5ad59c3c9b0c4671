//! `cwctl doctor`: is this deployment healthy? Checks NATS, the streams and consumers, PostgreSQL and its
//! migrations, and for each tenant Chatwoot's `/health` and an authenticated API call (for a tenant on another
//! platform: its settings, and an authenticated read of that platform's API, see `doctor_platforms`).
//!
//! Exit codes, for runbooks and probes: 0 healthy; 1 configuration missing (no SECRETS_KEY, no tenant); 2 a
//! tenant's Chatwoot (or platform) unreachable; 3 a tenant's authentication failed; 4 both 2 and 3; 5 NATS (or its streams and
//! consumers) failing; 6 PostgreSQL (or its migrations) failing; 7 both NATS and PostgreSQL.

use std::io::Write;
use std::time::{Duration, Instant};

use chatwoot::client::calls;
use chatwoot::{ApiError, ChatwootClient};
use clap::Args;
use serde::Serialize;

use crate::{CliError, Context, Exit};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Machine-readable report on stdout.
    #[arg(long)]
    pub json: bool,
    /// Timeout of each check.
    #[arg(long, default_value = "5s", value_parser = infra::config::parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Config,
    Nats,
    Postgres,
    ChatwootReachability,
    ChatwootAuth,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub area: Area,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub healthy: bool,
    pub exit_code: u8,
    pub checks: Vec<Check>,
}

pub(crate) struct Checks(pub(crate) Vec<Check>);

impl Checks {
    pub(crate) fn push(
        &mut self,
        name: impl Into<String>,
        area: Area,
        started: Instant,
        result: Result<Option<u16>, (Option<u16>, String)>,
    ) {
        let (status, http_status, detail) = match result {
            Ok(http) => (Status::Ok, http, None),
            Err((http, detail)) => (Status::Failed, http, Some(detail)),
        };
        self.0.push(Check {
            name: name.into(),
            area,
            status,
            http_status,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            detail,
        });
    }

    fn failed(&self, area: Area) -> bool {
        self.0
            .iter()
            .any(|c| c.area == area && c.status == Status::Failed)
    }
}

pub async fn run(
    args: DoctorArgs,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    let mut checks = Checks(Vec::new());
    check_nats(ctx, &args, &mut checks).await;
    let tenants = check_postgres_and_tenants(ctx, &args, &mut checks).await;
    if let Some(tenants) = tenants {
        check_chatwoot(&tenants, &args, &mut checks).await;
    }
    let exit_code = exit_code(&checks);
    let report = Report {
        healthy: exit_code == 0,
        exit_code,
        checks: checks.0,
    };
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        )?;
    } else {
        for check in &report.checks {
            let status = match check.status {
                Status::Ok => "ok  ",
                Status::Failed => "FAIL",
                Status::Skipped => "skip",
            };
            let http = check
                .http_status
                .map(|s| format!(" HTTP {s}"))
                .unwrap_or_default();
            let detail = check
                .detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            writeln!(
                out,
                "{status} {}{http} ({} ms){detail}",
                check.name, check.duration_ms
            )?;
        }
        writeln!(
            out,
            "{}",
            if report.healthy {
                "healthy"
            } else {
                "UNHEALTHY"
            }
        )?;
    }
    Ok(if exit_code == 0 {
        Exit::Success
    } else {
        Exit::Code(exit_code)
    })
}

fn exit_code(checks: &Checks) -> u8 {
    let nats = checks.failed(Area::Nats);
    let postgres = checks.failed(Area::Postgres);
    let unreachable = checks.failed(Area::ChatwootReachability);
    let auth = checks.failed(Area::ChatwootAuth);
    match (nats, postgres) {
        (true, true) => return 7,
        (true, false) => return 5,
        (false, true) => return 6,
        (false, false) => {}
    }
    if checks.failed(Area::Config) {
        return 1;
    }
    match (unreachable, auth) {
        (true, true) => 4,
        (true, false) => 2,
        (false, true) => 3,
        (false, false) => 0,
    }
}

async fn check_nats(ctx: &Context, args: &DoctorArgs, checks: &mut Checks) {
    let started = Instant::now();
    let url = ctx.nats_args().nats_url.clone();
    let connected = tokio::time::timeout(
        args.timeout,
        async_nats::ConnectOptions::new()
            .name("cwctl-doctor")
            .connection_timeout(args.timeout)
            .connect(url.as_str()),
    )
    .await;
    let client = match connected {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => {
            return checks.push(
                format!("NATS {url}"),
                Area::Nats,
                started,
                Err((None, e.to_string())),
            )
        }
        Err(_) => {
            return checks.push(
                format!("NATS {url}"),
                Area::Nats,
                started,
                Err((None, "timed out".into())),
            )
        }
    };
    checks.push(format!("NATS {url}"), Area::Nats, started, Ok(None));
    let js = async_nats::jetstream::new(client);
    let topology = ctx.topology();
    let streams = [
        (
            topology.events_stream(),
            (0..infra::topology::PARTITIONS)
                .map(|p| topology.worker_consumer(p))
                .collect(),
        ),
        (
            topology.actions_stream(),
            vec![topology.dispatcher_consumer()],
        ),
        (topology.dead_letter_stream(), Vec::new()),
        (topology.activity_stream(), Vec::new()),
    ];
    for (stream_name, consumers) in streams {
        let started = Instant::now();
        let stream = match tokio::time::timeout(args.timeout, js.get_stream(&stream_name)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                checks.push(
                    format!("stream {stream_name}"),
                    Area::Nats,
                    started,
                    Err((None, e.to_string())),
                );
                continue;
            }
            Err(_) => {
                checks.push(
                    format!("stream {stream_name}"),
                    Area::Nats,
                    started,
                    Err((None, "timed out".into())),
                );
                continue;
            }
        };
        checks.push(
            format!("stream {stream_name}"),
            Area::Nats,
            started,
            Ok(None),
        );
        if consumers.is_empty() {
            continue;
        }
        let started = Instant::now();
        let mut missing = Vec::new();
        for consumer in &consumers {
            if stream.consumer_info(consumer).await.is_err() {
                missing.push(consumer.clone());
            }
        }
        let name = format!("consumers of {stream_name} ({})", consumers.len());
        let result = if missing.is_empty() {
            Ok(None)
        } else {
            Err((
                None,
                format!("missing {} (has the service started?)", missing.join(", ")),
            ))
        };
        checks.push(name, Area::Nats, started, result);
    }
}

/// PostgreSQL, migrations and the tenant list; `None` when tenants cannot be read.
async fn check_postgres_and_tenants(
    ctx: &mut Context,
    args: &DoctorArgs,
    checks: &mut Checks,
) -> Option<Vec<infra::Tenant>> {
    let started = Instant::now();
    let url = ctx.database_url().to_owned();
    let connected = tokio::time::timeout(
        args.timeout,
        tokio_postgres::connect(&url, tokio_postgres::NoTls),
    )
    .await;
    let client = match connected {
        Ok(Ok((client, connection))) => {
            tokio::spawn(connection);
            client
        }
        Ok(Err(e)) => {
            checks.push(
                "PostgreSQL",
                Area::Postgres,
                started,
                Err((None, e.to_string())),
            );
            return None;
        }
        Err(_) => {
            checks.push(
                "PostgreSQL",
                Area::Postgres,
                started,
                Err((None, "timed out".into())),
            );
            return None;
        }
    };
    checks.push("PostgreSQL", Area::Postgres, started, Ok(None));
    let started = Instant::now();
    let expected = infra::db::latest_migration_version();
    let result = match infra::db::applied_migration_version(&client).await {
        Ok(Some(v)) if v >= expected => Ok(None),
        Ok(Some(v)) => Err((
            None,
            format!("schema at V{v}, this build expects V{expected} (start a service to migrate)"),
        )),
        Ok(None) => Err((
            None,
            "no migrations applied (start a service to migrate)".into(),
        )),
        Err(e) => Err((None, e.to_string())),
    };
    let migrated = result.is_ok();
    checks.push(
        format!("migrations (V{expected})"),
        Area::Postgres,
        started,
        result,
    );
    if !migrated {
        return None;
    }
    let started = Instant::now();
    let Some(secrets) = ctx.secrets() else {
        checks.push(
            "SECRETS_KEY",
            Area::Config,
            started,
            Err((None, "not set: tenant tokens cannot be read".into())),
        );
        return None;
    };
    let secret_box = match secrets.secret_box() {
        Ok(secret_box) => secret_box,
        Err(e) => {
            checks.push(
                "SECRETS_KEY",
                Area::Config,
                started,
                Err((None, e.to_string())),
            );
            return None;
        }
    };
    let pool = match infra::db::pool(&url, 1) {
        Ok(pool) => pool,
        Err(e) => {
            checks.push(
                "tenants",
                Area::Postgres,
                started,
                Err((None, e.to_string())),
            );
            return None;
        }
    };
    match infra::TenantStore::new(pool, secret_box).list().await {
        Ok(tenants) if tenants.is_empty() => {
            checks.push(
                "tenants",
                Area::Config,
                started,
                Err((None, "no tenant registered".into())),
            );
            None
        }
        Ok(tenants) => {
            checks.push(
                format!("tenants ({})", tenants.len()),
                Area::Config,
                started,
                Ok(None),
            );
            Some(tenants)
        }
        Err(infra::tenants::TenantError::Crypto { tenant, .. }) => {
            let detail = format!("SECRETS_KEY does not open tenant {tenant}'s secrets");
            checks.push("tenants", Area::Config, started, Err((None, detail)));
            None
        }
        Err(e) => {
            checks.push(
                "tenants",
                Area::Postgres,
                started,
                Err((None, e.to_string())),
            );
            None
        }
    }
}

async fn check_chatwoot(tenants: &[infra::Tenant], args: &DoctorArgs, checks: &mut Checks) {
    let client = match ChatwootClient::new(args.timeout) {
        Ok(client) => client,
        Err(e) => {
            checks.push(
                "HTTP client",
                Area::Config,
                Instant::now(),
                Err((None, e.to_string())),
            );
            return;
        }
    };
    for tenant in tenants {
        if tenant.platform != infra::Platform::Chatwoot {
            crate::doctor_platforms::check(&client, tenant, checks).await;
            continue;
        }
        let started = Instant::now();
        let health = client.health(tenant).await;
        let reachable = match &health {
            Ok(response) => Ok(Some(response.status)),
            Err(ApiError::Status { status, body, .. }) => Err((Some(*status), body.clone())),
            Err(e) => Err((None, e.to_string())),
        };
        let up = reachable.is_ok();
        checks.push(
            format!(
                "tenant {}: Chatwoot /health at {}",
                tenant.id, tenant.chatwoot_base_url
            ),
            Area::ChatwootReachability,
            started,
            reachable,
        );
        let started = Instant::now();
        let name = format!(
            "tenant {}: API token for account {}",
            tenant.id, tenant.account_id
        );
        if !up {
            checks.0.push(Check {
                name,
                area: Area::ChatwootAuth,
                status: Status::Skipped,
                http_status: None,
                duration_ms: 0,
                detail: Some("Chatwoot unreachable".into()),
            });
            continue;
        }
        let result = match client.send(tenant, &calls::profile()).await {
            Ok(response) => Ok(Some(response.status)),
            // Agent-bot tokens may not read the profile; this answer proves the token is a valid bot token.
            Err(ApiError::Status {
                status: 401, body, ..
            }) if body.contains("not authorized for bots") => Ok(Some(401)),
            Err(ApiError::Status { status, body, .. }) if status == 401 || status == 403 => {
                Err((Some(status), body))
            }
            Err(ApiError::Status { status, body, .. }) => Err((Some(status), body)),
            Err(e) => Err((None, e.to_string())),
        };
        let area = match &result {
            Err((Some(401 | 403), _)) | Ok(_) => Area::ChatwootAuth,
            Err(_) => Area::ChatwootReachability,
        };
        checks.push(name, area, started, result);
    }
}
