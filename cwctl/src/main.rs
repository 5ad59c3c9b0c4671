use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = cwctl::Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .init();
    let mut out = std::io::stdout().lock();
    match cwctl::run(cli, &mut out).await {
        Ok(exit) => exit.into(),
        // `cwctl dlq list | head`: the reader left, which is not the command's failure.
        Err(cwctl::CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = out.flush();
            eprintln!("cwctl: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
