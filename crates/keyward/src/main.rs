//! keyward: the binary. Parses the command line (serve, migrate, tenant / client / user / keys
//! / admin commands) and the configuration, sets up logging and the runtime, and calls
//! `keyward::run`; the composition root is the library's `application::Application`.

use std::process::ExitCode;

use clap::Parser;
use keyward::cli::{Cli, LogFormat};
use keyward::config::Config;
use keyward::failure::Failure;

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
    match runtime.block_on(keyward::run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
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
