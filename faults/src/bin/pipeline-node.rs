//! One binary for the three services, so the fault suite runs each as a real process it can SIGKILL or SIGTERM:
//! `pipeline-node ingress|worker|dispatcher [that service's flags]`.

use clap::Parser;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let role = args.next().unwrap_or_default();
    // clap takes the first argument as the program name: the role stands in for it.
    let argv: Vec<String> = std::iter::once(role.clone()).chain(args).collect();
    let shutdown = CancellationToken::new();
    match role.as_str() {
        "ingress" => {
            let config = ingress::Config::parse_from(argv);
            let _telemetry = infra::telemetry::init("ingress")?;
            let listener = TcpListener::bind(&config.listen_addr).await?;
            infra::shutdown::cancel_on_signal(shutdown.clone());
            ingress::run(config, listener, shutdown).await?;
        }
        "worker" => {
            let config = worker::Config::parse_from(argv);
            let _telemetry = infra::telemetry::init("worker")?;
            let listener = TcpListener::bind(&config.health_addr).await?;
            infra::shutdown::cancel_on_signal(shutdown.clone());
            worker::run(config, listener, shutdown).await?;
        }
        "dispatcher" => {
            let config = dispatcher::Config::parse_from(argv);
            let _telemetry = infra::telemetry::init("dispatcher")?;
            let listener = TcpListener::bind(&config.health_addr).await?;
            infra::shutdown::cancel_on_signal(shutdown.clone());
            dispatcher::run(config, listener, shutdown).await?;
        }
        other => {
            anyhow::bail!("usage: pipeline-node ingress|worker|dispatcher [flags]; got `{other}`")
        }
    }
    Ok(())
}
