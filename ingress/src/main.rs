use clap::Parser;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = ingress::Config::parse();
    let _telemetry = infra::telemetry::init("ingress")?;
    let listener = ingress::bind(&config.listen_addr).await?;
    let shutdown = CancellationToken::new();
    infra::shutdown::cancel_on_signal(shutdown.clone());
    ingress::run(config, listener, shutdown).await?;
    Ok(())
}
