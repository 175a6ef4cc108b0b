//! `liveliness`: the command line of the Liveliness liveness oracle.
//!
//! ```text
//! liveliness keys generate|import|show        encrypted ECDSA and BLS keystores
//! liveliness deploy                           the AttestationCenter and the LivelinessRegistry
//! liveliness operator register|change-endpoint|leave|rejoin|unregister|set-power
//! liveliness score <ADDRESS>                  one operator's reputation
//! liveliness status                           every registered operator, and the registry
//! liveliness node --config <FILE>             run a node
//! ```
//!
//! Results go to stdout (tables, or JSON with `--json`); logs go to stderr, filtered by
//! `RUST_LOG` (default `info`). Errors print as `error: …` and exit with status 1.

mod chain;
mod cli;
mod deploy;
mod keys;
mod node;
mod operator;
mod output;
mod query;

use clap::Parser;
use cli::{Cli, Command};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();
    if let Err(err) = run(cli.command).await {
        eprintln!("error: {err}");
        // Transport errors often repeat their cause's text; print each message once.
        let mut last = err.to_string();
        for cause in err.chain().skip(1) {
            let text = cause.to_string();
            if text != last {
                eprintln!("  caused by: {text}");
            }
            last = text;
        }
        std::process::exit(1);
    }
}

async fn run(command: Command) -> eyre::Result<()> {
    match command {
        Command::Keys(command) => keys::run(command),
        Command::Deploy(args) => deploy::run(args).await,
        Command::Operator(command) => operator::run(command).await,
        Command::Score(args) => query::score(args).await,
        Command::Status(args) => query::status(args).await,
        Command::Node(args) => node::run(args).await,
        Command::Devnet(args) => devnet(args).await,
    }
}

/// `liveliness devnet`: this same binary runs the nodes.
async fn devnet(args: cli::DevnetArgs) -> eyre::Result<()> {
    let binary = std::env::current_exe()?;
    let dir = std::path::absolute(&args.dir)?;
    let mut options =
        liveliness_devnet::DevnetOptions::new(usize::from(args.operators), binary, dir);
    options.block_time = args.block_time;
    options.epoch_length = args.epoch_length;
    options.c = args.c;
    options.submit_empty_tasks = args.submit_empty_tasks;
    options.log_filter = args.node_log;
    liveliness_devnet::run(
        options,
        liveliness_devnet::Faults {
            operators: usize::from(args.faulty),
            after_epochs: args.faulty_after_epochs,
        },
    )
    .await
}
