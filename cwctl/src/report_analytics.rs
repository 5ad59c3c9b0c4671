//! `cwctl report summary|timeseries|breakdown|peak-hours`: the support figures of one tenant, read from the
//! rollups in PostgreSQL like the API's `/api/v1/reports/*` (same JSON with `--json`, same CSV with `--csv`).

use std::io::Write;

use analytics::reports::{Dimension, Granularity, Group, Volume};
use analytics::view::{self, Period, Series};
use chrono::{DateTime, Duration, Utc};
use clap::{Args, Subcommand, ValueEnum};

use crate::output::{parse_instant, table};
use crate::{CliError, Context, Exit};

#[derive(Debug, Subcommand)]
pub enum AnalyticsCommand {
    /// First response, reply and resolution times (avg, p50-p99), volumes, CSAT, bot and deliveries, with the
    /// previous period.
    Summary(Common),
    /// One value per hour, day or week.
    Timeseries {
        #[command(flatten)]
        common: Common,
        /// conversations, incoming_messages, outgoing_messages, resolutions, first_response, reply_time,
        /// resolution_time, csat_score, bot_handoffs or drafts.
        #[arg(long, default_value = "conversations")]
        metric: String,
        #[arg(long, value_enum, default_value = "day")]
        granularity: GranularityArg,
        /// count, avg, p50, p90, p95 or p99; default: count for counts, p50 for durations.
        #[arg(long)]
        stat: Option<String>,
    },
    /// The figures of every agent, team, inbox or channel.
    Breakdown {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value = "agent")]
        dimension: DimensionArg,
    },
    /// Volume by local weekday × hour.
    PeakHours {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value = "conversations")]
        volume: VolumeArg,
    },
}

#[derive(Debug, Args)]
pub struct Common {
    #[arg(long, value_name = "T")]
    pub tenant: String,
    /// RFC 3339 or a duration ago (`7d`, `12h`). Default: 7 days before `--until`.
    #[arg(long, value_name = "WHEN", value_parser = parse_instant)]
    pub since: Option<DateTime<Utc>>,
    /// RFC 3339 or a duration ago. Default: now.
    #[arg(long, value_name = "WHEN", value_parser = parse_instant)]
    pub until: Option<DateTime<Utc>>,
    /// `account`, `agent:ID`, `team:ID`, `inbox:ID` or `channel:TYPE`.
    #[arg(long, default_value = "account")]
    pub group: String,
    /// Durations in the tenant's business hours.
    #[arg(long)]
    pub business_hours: bool,
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GranularityArg {
    Hour,
    Day,
    Week,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DimensionArg {
    Agent,
    Team,
    Inbox,
    Channel,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VolumeArg {
    Conversations,
    IncomingMessages,
    OutgoingMessages,
}

struct Loaded {
    period: Period,
    group: Group,
    rollup: analytics::reports::Rollup,
    counters: analytics::Counters,
}

async fn load(
    common: &Common,
    dimension: Option<Dimension>,
    ctx: &mut Context,
) -> Result<Loaded, CliError> {
    let until = common.until.unwrap_or_else(Utc::now);
    let since = common.since.unwrap_or(until - Duration::days(7));
    if since >= until {
        return Err(CliError::Invalid("--since must be before --until".into()));
    }
    let group: Group = common
        .group
        .parse()
        .map_err(|e: analytics::reports::GroupError| CliError::Invalid(format!("--group: {e}")))?;
    let period = Period { since, until };
    let pool = ctx.pool().await?;
    let client = pool.get().await?;
    let mut dimensions = vec![group.dimension()];
    dimensions.extend(dimension);
    let from = period.previous().since;
    let rollup = analytics::load_rollup(&client, &common.tenant, from, until, &dimensions)
        .await
        .map_err(|e| CliError::Invalid(e.to_string()))?;
    let counters = analytics::load_counters(&client, &common.tenant, from, until)
        .await
        .map_err(|e| CliError::Invalid(e.to_string()))?;
    Ok(Loaded {
        period,
        group,
        rollup,
        counters,
    })
}

fn json(out: &mut impl Write, value: &impl serde::Serialize) -> Result<Exit, CliError> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(Exit::Success)
}

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.0}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1}%"))
}

pub async fn run(
    command: AnalyticsCommand,
    ctx: &mut Context,
    out: &mut impl Write,
) -> Result<Exit, CliError> {
    match command {
        AnalyticsCommand::Summary(common) => {
            let l = load(&common, None, ctx).await?;
            let s = view::summary(
                &common.tenant,
                &l.rollup,
                &l.counters,
                &l.group,
                l.period,
                common.business_hours,
            );
            if common.json {
                return json(out, &s);
            }
            if common.csv {
                write!(out, "{}", analytics::csv::summary(&s))?;
                return Ok(Exit::Success);
            }
            writeln!(
                out,
                "{} {} .. {} ({})",
                s.tenant, s.since, s.until, s.timezone
            )?;
            let (c, p) = (&s.current, &s.previous);
            let mut rows = vec![
                count_row("conversations", c.conversations, p.conversations),
                count_row(
                    "incoming messages",
                    c.incoming_messages,
                    p.incoming_messages,
                ),
                count_row(
                    "outgoing messages",
                    c.outgoing_messages,
                    p.outgoing_messages,
                ),
                count_row("resolutions", c.resolutions, p.resolutions),
                count_row("bot resolutions", c.bot_resolutions, p.bot_resolutions),
                count_row("bot handoffs", c.bot_handoffs, p.bot_handoffs),
            ];
            for (name, d, prev) in [
                ("first response", &c.first_response, &p.first_response),
                ("reply time", &c.reply_time, &p.reply_time),
                ("resolution time", &c.resolution_time, &p.resolution_time),
            ] {
                rows.push(vec![
                    name.into(),
                    d.count.to_string(),
                    format!(
                        "avg {} p50 {} p90 {} p95 {} p99 {}",
                        secs(d.stats.avg),
                        secs(d.stats.p50),
                        secs(d.stats.p90),
                        secs(d.stats.p95),
                        secs(d.stats.p99)
                    ),
                    format!("avg {}", secs(prev.stats.avg)),
                ]);
            }
            rows.push(vec![
                "csat".into(),
                c.csat.responses.to_string(),
                format!(
                    "score {} response rate {}",
                    pct(c.csat.score),
                    pct(c.csat.response_rate)
                ),
                format!("score {}", pct(p.csat.score)),
            ]);
            rows.push(vec![
                "drafts".into(),
                c.bot.drafts.to_string(),
                format!("approval rate {}", pct(c.bot.approval_rate)),
                p.bot.drafts.to_string(),
            ]);
            table(
                out,
                &["FIGURE", "COUNT", "VALUES (SECONDS)", "PREVIOUS"],
                &rows,
            )?;
        }
        AnalyticsCommand::Timeseries {
            common,
            metric,
            granularity,
            stat,
        } => {
            if !view::METRICS.contains(&metric.as_str()) {
                return Err(CliError::Invalid(format!(
                    "--metric: `{metric}` is not one of {}",
                    view::METRICS.join(", ")
                )));
            }
            let stat = stat.unwrap_or_else(|| view::default_stat(&metric).to_owned());
            if !view::STATS.contains(&stat.as_str()) {
                return Err(CliError::Invalid(format!(
                    "--stat: `{stat}` is not one of {}",
                    view::STATS.join(", ")
                )));
            }
            let l = load(&common, None, ctx).await?;
            let series = Series {
                metric: &metric,
                stat: &stat,
                granularity: match granularity {
                    GranularityArg::Hour => Granularity::Hour,
                    GranularityArg::Day => Granularity::Day,
                    GranularityArg::Week => Granularity::Week,
                },
                business_hours: common.business_hours,
            };
            let t = view::timeseries(&l.rollup, &l.counters, &l.group, l.period, series);
            if common.json {
                return json(out, &t);
            }
            if common.csv {
                write!(out, "{}", analytics::csv::timeseries(&t))?;
                return Ok(Exit::Success);
            }
            let rows: Vec<Vec<String>> = t
                .points
                .iter()
                .map(|p| {
                    vec![
                        p.start.clone(),
                        p.value.map_or_else(|| "-".into(), |v| format!("{v}")),
                    ]
                })
                .collect();
            table(
                out,
                &["START", &format!("{}_{}", t.metric, t.stat).to_uppercase()],
                &rows,
            )?;
        }
        AnalyticsCommand::Breakdown { common, dimension } => {
            let dimension = match dimension {
                DimensionArg::Agent => Dimension::Agent,
                DimensionArg::Team => Dimension::Team,
                DimensionArg::Inbox => Dimension::Inbox,
                DimensionArg::Channel => Dimension::Channel,
            };
            let l = load(&common, Some(dimension), ctx).await?;
            let b = view::breakdown(
                &l.rollup,
                &l.counters,
                dimension,
                l.period,
                common.business_hours,
            );
            if common.json {
                return json(out, &b);
            }
            if common.csv {
                write!(out, "{}", analytics::csv::breakdown(&b))?;
                return Ok(Exit::Success);
            }
            let rows: Vec<Vec<String>> = b
                .rows
                .iter()
                .map(|r| {
                    let f = &r.figures;
                    vec![
                        r.group.clone(),
                        f.conversations.to_string(),
                        f.resolutions.to_string(),
                        secs(f.first_response.stats.avg),
                        secs(f.first_response.stats.p90),
                        secs(f.reply_time.stats.avg),
                        secs(f.resolution_time.stats.avg),
                        pct(f.csat.score),
                    ]
                })
                .collect();
            table(
                out,
                &[
                    "GROUP",
                    "CONVERSATIONS",
                    "RESOLUTIONS",
                    "FRT AVG",
                    "FRT P90",
                    "REPLY AVG",
                    "RESOLUTION AVG",
                    "CSAT",
                ],
                &rows,
            )?;
        }
        AnalyticsCommand::PeakHours { common, volume } => {
            let volume = match volume {
                VolumeArg::Conversations => Volume::Conversations,
                VolumeArg::IncomingMessages => Volume::IncomingMessages,
                VolumeArg::OutgoingMessages => Volume::OutgoingMessages,
            };
            let l = load(&common, None, ctx).await?;
            let p = view::peak_hours(&l.rollup, &l.group, l.period, volume);
            if common.json {
                return json(out, &p);
            }
            // The CSV is the grid already; a table would be 25 columns wide either way.
            write!(out, "{}", analytics::csv::peak_hours(&p))?;
        }
    }
    Ok(Exit::Success)
}

fn count_row(name: &str, current: u64, previous: u64) -> Vec<String> {
    vec![
        name.into(),
        current.to_string(),
        String::new(),
        previous.to_string(),
    ]
}
