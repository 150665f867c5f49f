//! `rmq-admin`: mqadmin's commands, options and tables over the rmq admin API.
//!
//! `main` parses the command line, connects an [`Admin`] and dispatches to one file per command
//! family; each command fills an [`Output`] (mqadmin's text, or JSON with `--json`), printed at
//! the end. Failures go to stderr as `rmq-admin <command>: <what failed: why>` with exit code 1.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use rmq_client_admin::Admin;

mod auth;
mod cluster;
mod config5;
mod controller;
mod group;
mod kv;
mod message;
mod progress;
mod stats;
mod table;
mod topic;

/// The result of a command: mqadmin's text, and the same data as JSON.
#[derive(Debug, Default)]
pub struct Output {
    text: String,
    json: Option<serde_json::Value>,
}

impl Output {
    /// Appends one line of text output.
    pub fn line(&mut self, line: impl AsRef<str>) {
        self.text.push_str(line.as_ref());
        self.text.push('\n');
    }

    /// Sets the JSON output.
    pub fn json<T: serde::Serialize>(&mut self, value: &T) -> CliResult<()> {
        self.json = Some(serde_json::to_value(value).map_err(|e| {
            rmq_client_admin::Error::InvalidArgument(format!("cannot render JSON output: {e}"))
        })?);
        Ok(())
    }
}

/// Errors of the CLI are the admin crate's.
pub type CliResult<T> = Result<T, rmq_client_admin::Error>;

/// An argument error.
pub fn bad_arg(message: impl Into<String>) -> rmq_client_admin::Error {
    rmq_client_admin::Error::InvalidArgument(message.into())
}

#[derive(Debug, Parser)]
#[command(
    name = "rmq-admin",
    about = "RocketMQ admin tool: mqadmin's commands over the rmq client",
    disable_version_flag = true
)]
struct Cli {
    /// Name server address list, e.g. '192.168.0.1:9876;192.168.0.2:9876'.
    #[arg(short = 'n', long = "namesrvAddr", env = "NAMESRV_ADDR", global = true)]
    namesrv: Option<String>,
    /// Print the result as JSON instead of mqadmin's tables.
    #[arg(long, global = true)]
    json: bool,
    /// Timeout of each request, in milliseconds.
    #[arg(long = "timeoutMillis", global = true, default_value_t = 5000)]
    timeout_ms: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Cluster(cluster::Cmd),
    #[command(flatten)]
    Topic(topic::Cmd),
    #[command(flatten)]
    Group(group::Cmd),
    #[command(flatten)]
    Message(message::Cmd),
    #[command(flatten)]
    Kv(kv::Cmd),
    #[command(flatten)]
    Stats(stats::Cmd),
    #[command(flatten)]
    Auth(auth::Cmd),
    #[command(flatten)]
    Controller(controller::Cmd),
    #[command(flatten)]
    Config5(config5::Cmd),
}

impl Command {
    fn name(&self) -> String {
        let debug = match self {
            Command::Cluster(c) => format!("{c:?}"),
            Command::Topic(c) => format!("{c:?}"),
            Command::Group(c) => format!("{c:?}"),
            Command::Message(c) => format!("{c:?}"),
            Command::Kv(c) => format!("{c:?}"),
            Command::Stats(c) => format!("{c:?}"),
            Command::Auth(c) => format!("{c:?}"),
            Command::Controller(c) => format!("{c:?}"),
            Command::Config5(c) => format!("{c:?}"),
        };
        let variant: String = debug.chars().take_while(|c| c.is_alphanumeric()).collect();
        let mut chars = variant.chars();
        match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect(),
            None => variant,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RMQ_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .with_writer(std::io::stderr)
        .init();
    let name = cli.command.name();
    let Some(namesrv) = cli.namesrv.clone().filter(|n| !n.trim().is_empty()) else {
        eprintln!("rmq-admin {name}: {NO_NAMESRV}");
        return ExitCode::FAILURE;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rmq-admin {name}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, namesrv)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rmq-admin {name}: {}", rmq_client_admin::report(&e));
            ExitCode::FAILURE
        }
    }
}

/// What a shell user reads when neither `-n` nor `NAMESRV_ADDR` names a name server.
const NO_NAMESRV: &str = "no name server: pass -n host:port or set NAMESRV_ADDR";

async fn run(cli: Cli, namesrv: String) -> CliResult<()> {
    let admin = Admin::builder()
        .namesrv(namesrv)
        .timeout(Duration::from_millis(cli.timeout_ms.max(1)))
        .build()
        .await?;
    let mut out = Output::default();
    let result = match cli.command {
        Command::Cluster(c) => c.run(&admin, &mut out).await,
        Command::Topic(c) => c.run(&admin, &mut out).await,
        Command::Group(c) => c.run(&admin, &mut out).await,
        Command::Message(c) => c.run(&admin, &mut out).await,
        Command::Kv(c) => c.run(&admin, &mut out).await,
        Command::Stats(c) => c.run(&admin, &mut out).await,
        Command::Auth(c) => c.run(&admin, &mut out).await,
        Command::Controller(c) => c.run(&admin, &mut out).await,
        Command::Config5(c) => c.run(&admin, &mut out).await,
    };
    admin.shutdown().await;
    result?;
    if cli.json {
        let value = out.json.unwrap_or(serde_json::Value::Null);
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| bad_arg(format!("cannot render JSON output: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", out.text);
    }
    Ok(())
}
