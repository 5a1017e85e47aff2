//! The `keyward-bench` command: parses and validates the arguments, resolves the target's
//! endpoints, prepares the scenario, runs the bounded load and prints the summary (a table, or
//! one JSON object with `--json`). It talks to the server under test through standard OAuth 2.0
//! / OIDC endpoints only and depends on no Keyward crate. Exit codes: 0 the run completed (its
//! errors are in the report), 1 the target could not be prepared, 2 bad arguments.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use keyward_bench::config::{Args, Config};
use keyward_bench::report::{RunInfo, Summary};
use keyward_bench::scenario::Plan;
use keyward_bench::{endpoints, runner};

fn main() -> ExitCode {
    let config = match Config::try_from(Args::parse()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("keyward-bench: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&config) {
        Ok(summary) => {
            if config.json {
                match serde_json::to_string(&summary) {
                    Ok(line) => println!("{line}"),
                    Err(e) => {
                        eprintln!("keyward-bench: {e}");
                        return ExitCode::from(1);
                    }
                }
            } else {
                print!("{}", summary.table());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("keyward-bench: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(config: &Config) -> anyhow::Result<Summary> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.load.threads)
        .enable_all()
        .build()
        .context("tokio runtime")?;
    runtime.block_on(async {
        let client = http_client(config)?;
        let endpoints = endpoints::resolve(&client, config).await?;
        let (plan, states) = Plan::prepare(&client, config, &endpoints).await?;
        let plan = Arc::new(plan);
        let info = RunInfo {
            scenario: config.scenario.as_str(),
            unit: plan.unit(),
            urls: plan.urls(),
            concurrency: states.len(),
            threads: config.load.threads,
            warmup_s: config.load.warmup.as_secs_f64(),
            rate: config.load.rate,
        };
        let result = runner::run(client, plan, states, &config.load).await?;
        Ok(Summary::new(info, &result))
    })
}

/// One client for every worker: keep-alive connections pooled for the whole concurrency, no
/// proxy (loopback targets must not be routed elsewhere), no redirects (a 3xx is an error here).
fn http_client(config: &Config) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(config.load.concurrency)
        .tcp_nodelay(true)
        .timeout(config.load.timeout)
        .connect_timeout(config.load.timeout)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("keyward-bench/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("HTTP client")
}
