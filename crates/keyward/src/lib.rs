//! keyward: the binary's library half. The command line (serve, migrate, tenant / client /
//! user / keys commands), configuration, and the one composition root (`startup`) that wires
//! every crate together at compile time. `main.rs` parses arguments and calls in here; the
//! end-to-end tests run the same server in their own process (`serve::start` on a listener
//! they bound to port 0).

pub mod admin_service;
pub mod cli;
pub mod commands;
pub mod config;
pub mod failure;
mod output;
pub mod seed;
pub mod serve;
pub mod startup;

use crate::cli::Command;
use crate::config::Config;
use crate::failure::Failure;
use crate::startup::Platform;

/// Runs one command of the command line to its end.
pub async fn run(command: Command, config: Config) -> Result<(), Failure> {
    match command {
        Command::Serve { dev } => {
            let config = if dev { config.into_embedded() } else { config };
            let platform = Platform::start(config).await?;
            if dev {
                seed::seed(&platform).await?.print(&platform);
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
