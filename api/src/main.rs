use clap::Parser;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = api::Config::parse();
    let _telemetry = infra::telemetry::init("api")?;
    let listener = api::bind(&config.api_listen_addr).await?;
    let shutdown = CancellationToken::new();
    infra::shutdown::cancel_on_signal(shutdown.clone());
    api::run(config, listener, shutdown).await?;
    Ok(())
}
