//! keyward: the binary. The command line (serve, migrate, tenant / client / user / keys
//! commands), configuration, and the one composition root (`startup`) that wires every crate
//! together at compile time.

mod cli;
mod commands;
mod config;
mod failure;
mod output;
mod seed;
mod serve;
mod startup;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, LogFormat};
use crate::config::Config;
use crate::failure::Failure;
use crate::startup::Platform;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), cli.log_format, |k| {
        std::env::var(k).ok()
    }) {
        Ok(c) => c,
        Err(e) => return report(&Failure::from(e)),
    };
    init_logging(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(&Failure::Internal(format!("starting the runtime: {e}"))),
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
    }
}

async fn run(command: Command, config: Config) -> Result<(), Failure> {
    match command {
        Command::Serve { dev } => {
            let config = if dev { config.into_embedded() } else { config };
            let platform = Platform::start(config).await?;
            if dev {
                seed::seed(&platform).await?;
            }
            serve::serve(platform).await
        }
        Command::Migrate => {
            // Platform::start migrates; it also checks the master key, which a migration
            // must not run past with the wrong key.
            Platform::start(config).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Tenant(c) => commands::tenant::run(&Platform::start(config).await?, c).await,
        Command::Client(c) => commands::client::run(&Platform::start(config).await?, c).await,
        Command::User(c) => commands::user::run(&Platform::start(config).await?, c).await,
        Command::Keys(c) => commands::keys::run(&Platform::start(config).await?, c).await,
        Command::Admin(c) => commands::admin::run(&Platform::start(config).await?, c).await,
    }
}

fn report(failure: &Failure) -> ExitCode {
    eprintln!("error: {failure}");
    failure.exit_code()
}

/// Logs go to stderr so that `--json` output on stdout stays clean. `RUST_LOG` refines the
/// default filter; sqlx's per-statement logs are kept at warn.
fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
