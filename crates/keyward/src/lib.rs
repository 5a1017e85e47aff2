//! keyward: the binary's library half. The command line (serve, migrate, tenant / client /
//! user / keys / admin commands), configuration, and the one composition root
//! ([`application::Application`], over `startup::Platform`) that wires every crate together
//! at compile time. `main.rs` parses arguments and calls in here; the end-to-end tests run
//! the same application in their own process (`keyward_testkit::app::TestApp`).

pub mod admin_service;
pub mod application;
pub mod cli;
pub mod commands;
pub mod config;
pub mod failure;
pub mod operator;
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
            let listen = config.listen;
            let app = application::Application::build(config).await?;
            if dev {
                app.seed_demo().await?.print(app.platform());
            }
            let listener = std::net::TcpListener::bind(listen).map_err(|e| {
                Failure::Config(format!("KEYWARD_LISTEN: cannot listen on {listen}: {e}"))
            })?;
            serve::serve(app, listener).await
        }
        Command::Migrate => {
            // Platform::start migrates; it also checks the master key, which a migration
            // must not run past with the wrong key.
            Platform::start(config).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Tenant(c) => commands::tenant::run(&operator(config).await?, c).await,
        Command::Client(c) => commands::client::run(&operator(config).await?, c).await,
        Command::User(c) => commands::user::run(&operator(config).await?, c).await,
        Command::Keys(c) => commands::keys::run(&operator(config).await?, c).await,
        Command::Admin(c) => commands::admin::run(&operator(config).await?, c).await,
    }
}

/// The admin use-cases on the configured platform, called as the local operator.
async fn operator(config: Config) -> Result<operator::Operator, Failure> {
    operator::Operator::new(&Platform::start(config).await?).await
}
