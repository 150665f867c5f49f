//! `rmq-testkit`: runs an embedded RocketMQ cluster until Ctrl-C or until stdin closes. The
//! first stdout line is `namesrv 127.0.0.1:PORT`, for scripts to read.

use std::io::Write;
use std::process::ExitCode;

use rmq_testkit::MockCluster;
use tokio::io::AsyncReadExt;

const HELP: &str = "\
rmq-testkit: an embedded RocketMQ cluster (name server + brokers) on 127.0.0.1

USAGE:
    rmq-testkit [--brokers N] [--port P] [--queues Q] [--no-auto-create]

OPTIONS:
    --brokers N         master brokers broker-a, broker-b... (default 1)
    --port P            name-server port; 0 picks a free one (default 9876)
    --queues Q          queues per auto-created topic (default 4)
    --store-mib M       message bytes kept per broker, in MiB (default 64)
    --cluster NAME      cluster name (default DefaultCluster)
    --no-auto-create    refuse sends to unknown topics (autoCreateTopicEnable=false)
    -h, --help          this text

Prints `namesrv 127.0.0.1:PORT` as its first line, then runs until Ctrl-C or stdin closes
(stdin at end of file from the start, e.g. /dev/null, stops it at once: pipe something in,
such as `sleep infinity | rmq-testkit`).";

#[derive(Debug)]
struct Args {
    brokers: usize,
    port: u16,
    queues: i32,
    store_mib: usize,
    cluster: String,
    auto_create: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        brokers: 1,
        port: 9876,
        queues: 4,
        store_mib: 64,
        cluster: "DefaultCluster".into(),
        auto_create: true,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--brokers" => parsed.brokers = number(&value("--brokers")?, "--brokers")?,
            "--port" => parsed.port = number(&value("--port")?, "--port")?,
            "--queues" => parsed.queues = number(&value("--queues")?, "--queues")?,
            "--store-mib" => parsed.store_mib = number(&value("--store-mib")?, "--store-mib")?,
            "--cluster" => parsed.cluster = value("--cluster")?,
            "--no-auto-create" => parsed.auto_create = false,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(parsed))
}

fn number<T: std::str::FromStr>(text: &str, name: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{name}: {text:?} is not a valid number"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            say(HELP);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("rmq-testkit: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let started = MockCluster::builder()
        .brokers(args.brokers)
        .namesrv_port(args.port)
        .queues_per_topic(args.queues)
        .store_budget(args.store_mib.saturating_mul(1 << 20))
        .cluster_name(args.cluster)
        .auto_create_topics(args.auto_create)
        .start()
        .await;
    let cluster = match started {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("rmq-testkit: {e}");
            return ExitCode::FAILURE;
        }
    };
    say(&format!("namesrv {}", cluster.namesrv_addr()));
    for broker in cluster.brokers() {
        say(&format!("broker {} {}", broker.name(), broker.addr()));
    }
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = stdin_closed() => {}
    }
    cluster.shutdown().await;
    ExitCode::SUCCESS
}

/// Prints one line and flushes; a reader that went away is no reason to stop serving (a
/// script may read the first line only and close the pipe).
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Resolves when stdin reaches end of file (or fails).
async fn stdin_closed() {
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 1024];
    while let Ok(n) = stdin.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}
