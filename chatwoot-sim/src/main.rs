//! Standalone Chatwoot simulator, driven through its `/__sim/` control API.

use std::net::SocketAddr;

use anyhow::Context as _;
use chatwoot_sim::{SimAccount, SimConfig};
use clap::Parser;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// Serves a simulated Chatwoot REST API for end-to-end tests.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "SIM_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Account id served.
    #[arg(long, env = "SIM_ACCOUNT_ID", default_value_t = 3)]
    account_id: u64,
    /// User access token accepted for the account.
    #[arg(
        long,
        env = "SIM_API_TOKEN",
        default_value = "demo-token",
        hide_env_values = true,
        hide_default_value = true
    )]
    api_token: String,
    /// Agent-bot access token accepted for the account (optional).
    #[arg(long, env = "SIM_BOT_TOKEN", hide_env_values = true)]
    bot_token: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();

    let account = SimAccount::new(args.account_id, args.api_token).with_bot_tokens(args.bot_token);
    let config = SimConfig {
        accounts: vec![account],
        ..SimConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    tracing::info!(addr = %listener.local_addr()?, account_id = args.account_id, "chatwoot simulator listening");

    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    chatwoot_sim::run(config, listener, shutdown).await?;
    tracing::info!("chatwoot simulator stopped");
    Ok(())
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only ctrl-c stops the simulator");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}
