use clap::Parser;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = dispatcher::Config::parse();
    let _telemetry = infra::telemetry::init("dispatcher")?;
    let listener = tokio::net::TcpListener::bind(&config.health_addr).await?;
    let shutdown = CancellationToken::new();
    infra::shutdown::cancel_on_signal(shutdown.clone());
    dispatcher::run(config, listener, shutdown).await?;
    Ok(())
}
