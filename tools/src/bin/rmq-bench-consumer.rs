//! `rmq-bench-consumer`: the consume benchmark, with the options and meanings of Java's
//! `org.apache.rocketmq.example.benchmark.Consumer` (4.9.7, plus 5.x's `-ri`). Consumes a
//! topic and prints Java's periodic line every report interval: consume TPS, failures, and the
//! born-to-consume (B2C) and store-to-consume (S2C) latencies, with the B2C p50/p99 added from
//! HdrHistograms (bounded memory).
//!
//! ```sh
//! rmq-bench-consumer -n 127.0.0.1:9876 -t BenchmarkTest -g benchmark_consumer -p true -r 0.1
//! ```

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use rmq_client_consumer::{ClientConfig, ConsumeResult, Filter, PushConsumer, ReceivedMessage};
use rmq_protocol::SerializeType;
use rmq_tools::bench::java_args::{self, java_bool, Aliases};
use rmq_tools::bench::latency::Latencies;
use rmq_tools::bench::line::{consumer_line, ConsumerReport};

/// Java's two-letter options, read as our long ones.
const ALIASES: Aliases = &[
    ("-ak", "--access-key"),
    ("-sk", "--secret-key"),
    ("-ri", "--report-interval"),
];

const JAVA_HELP: &str = "Java equivalent: org.apache.rocketmq.example.benchmark.Consumer \
(same letters and meanings; -ak, -sk and -ri are accepted as Java spells them). On/off \
options take a value, as in Java: `-p true`; anything but `true` means off.";

/// Consume benchmark: Java's benchmark Consumer for rmq.
#[derive(Debug, Parser)]
#[command(name = "rmq-bench-consumer", after_help = JAVA_HELP)]
struct Args {
    /// Name server address(es), `;`-separated.
    #[arg(
        short = 'n',
        long,
        env = "NAMESRV_ADDR",
        default_value = "127.0.0.1:9876"
    )]
    namesrv: String,
    /// Topic.
    #[arg(short = 't', long, default_value = "BenchmarkTest")]
    topic: String,
    /// Listener calls running at once (Java: threadCount).
    #[arg(short = 'w', long, default_value_t = 20)]
    threads: usize,
    /// Consumer group (the prefix, when -p is on).
    #[arg(short = 'g', long, default_value = "benchmark_consumer")]
    group: String,
    /// Append `_<epoch millis % 100>` to the group, as Java does, so that runs get a fresh
    /// group (Java's option is called "group prefix enable").
    #[arg(short = 'p', long, default_value = "false", value_parser = java_bool, action = clap::ArgAction::Set)]
    group_suffix: bool,
    /// Filter type: TAG or SQL92, spelled as Java's `ExpressionType`; applies with -e or
    /// --expression (without one, everything is consumed).
    #[arg(short = 'f', long)]
    filter_type: Option<String>,
    /// A file holding the filter expression (Java's -e reads a file).
    #[arg(short = 'e', long, conflicts_with = "expression")]
    expression_file: Option<PathBuf>,
    /// The filter expression itself.
    #[arg(long)]
    expression: Option<String>,
    /// The share of listener calls answered "consume later", 0.0 to 1.0 (Java: fail rate).
    #[arg(short = 'r', long, default_value_t = 0.0, value_parser = fail_rate)]
    fail_rate: f64,
    /// Message trace to RMQ_SYS_TRACE_TOPIC (Java: msgTraceEnable).
    #[arg(short = 'm', long, default_value = "false", value_parser = java_bool, action = clap::ArgAction::Set)]
    msg_trace: bool,
    /// Sign requests with ACL credentials (Java: aclEnable).
    #[arg(short = 'a', long, default_value = "false", value_parser = java_bool, action = clap::ArgAction::Set)]
    acl: bool,
    /// ACL access key when -a is on (Java: -ak; Java's default).
    #[arg(long, default_value = "12345678")]
    access_key: String,
    /// ACL secret key when -a is on (Java: -sk; Java's default).
    #[arg(long, default_value = "rocketmq2")]
    secret_key: String,
    /// Milliseconds between two reports (Java 5.x: -ri).
    #[arg(long, default_value_t = 10_000)]
    report_interval: u64,
    /// Stop after this many seconds (0: until Ctrl-C).
    #[arg(short = 'd', long, default_value_t = 0)]
    duration: u64,
}

impl Args {
    /// Reads the command line, Java's two-letter options included.
    fn parse_java(args: impl IntoIterator<Item = String>) -> Result<Args, clap::Error> {
        Args::try_parse_from(java_args::rewrite(args, ALIASES))
    }

    /// The group to join: Java appends `_<millis % 100>` when -p is on.
    fn group_at(&self, now: SystemTime) -> String {
        if self.group_suffix {
            let millis = now
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis();
            format!("{}_{}", self.group, millis % 100)
        } else {
            self.group.clone()
        }
    }

    /// The subscription filter, as Java builds it: `*` unless both a type and an expression are
    /// given; an unknown type is refused.
    fn filter(&self) -> Result<Filter, String> {
        let expression = match (&self.expression, &self.expression_file) {
            (Some(text), _) => Some(text.trim().to_owned()),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("-e {}: {e}", path.display()))?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        match (self.filter_type.as_deref(), expression) {
            (Some("TAG"), Some(expr)) => Ok(Filter::expression(expr)),
            (Some("SQL92"), Some(expr)) => Ok(Filter::sql92(expr)),
            (Some(other), Some(_)) => Err(format!(
                "-f {other}: not a filter type (TAG or SQL92, as Java spells them)"
            )),
            _ => Ok(Filter::all()),
        }
    }
}

fn fail_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!("`{text}` is not a rate from 0.0 to 1.0")),
    }
}

/// Whether the `n`th listener call (from 0) fails at `rate`: exactly `rate` of the calls fail,
/// spread evenly (Java draws a random number per call; the share is the same).
fn fails(n: u64, rate: f64) -> bool {
    ((n + 1) as f64 * rate).floor() > (n as f64 * rate).floor()
}

#[derive(Debug, Default)]
struct Stats {
    consumed: AtomicU64,
    failed: AtomicU64,
    b2c: Latencies,
    s2c: Latencies,
}

impl Stats {
    fn record(&self, m: &ReceivedMessage, now: SystemTime) {
        let age = |at: Option<SystemTime>| {
            at.and_then(|t| now.duration_since(t).ok())
                .unwrap_or_default()
        };
        self.consumed.fetch_add(1, Relaxed);
        self.b2c.record(age(m.born_time()));
        self.s2c.record(age(m.store_time()));
    }

    /// The report over the interval since the previous one: `last` holds the counters then.
    fn window_report(&self, elapsed: Duration, last: &mut (u64, u64)) -> ConsumerReport {
        let (consumed, failed) = (self.consumed.load(Relaxed), self.failed.load(Relaxed));
        let report = ConsumerReport {
            tps: consumed.saturating_sub(last.0) as f64 / elapsed.as_secs_f64().max(1e-3),
            failed: failed.saturating_sub(last.1),
            b2c: self.b2c.take_window(),
            s2c: self.s2c.take_window(),
        };
        *last = (consumed, failed);
        report
    }
}

async fn connect(args: &Args, group: &str) -> Result<PushConsumer, Box<dyn std::error::Error>> {
    // Java's benchmarks switch to the ROCKETMQ header serialization; so do we.
    let mut config = ClientConfig::builder()
        .namesrv(&args.namesrv)
        .serialize_type(SerializeType::RocketMq);
    if args.acl {
        config = config.credentials(args.access_key.clone(), args.secret_key.clone(), None);
    }
    Ok(PushConsumer::builder()
        .client_config(config.build()?)
        .group(group.to_owned())
        .subscribe(args.topic.clone(), args.filter()?)
        .consume_concurrency(args.threads.max(1))
        .enable_trace(args.msg_trace)
        .build()
        .await?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match Args::parse_java(std::env::args()) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let group = args.group_at(SystemTime::now());
    println!(
        "topic: {}, threadCount {}, group: {group}, suffix: {}, filterType: {}, expression: {}, msgTraceEnable: {}, aclEnable: {}",
        args.topic,
        args.threads,
        args.group_suffix,
        args.filter_type.as_deref().unwrap_or("null"),
        args.expression.as_deref().unwrap_or("null"),
        args.msg_trace,
        args.acl
    );
    let consumer = connect(&args, &group).await?;
    let stats = Arc::new(Stats::default());
    let (s, rate) = (stats.clone(), args.fail_rate);
    let calls = Arc::new(AtomicU64::new(0));
    consumer
        .start(move |msgs: Vec<ReceivedMessage>| {
            let (s, calls) = (s.clone(), calls.clone());
            async move {
                let now = SystemTime::now();
                for m in &msgs {
                    s.record(m, now);
                }
                if fails(calls.fetch_add(1, Relaxed), rate) {
                    s.failed.fetch_add(msgs.len() as u64, Relaxed);
                    return ConsumeResult::RETRY;
                }
                ConsumeResult::Success
            }
        })
        .await?;
    println!("Consumer Started.");
    let every = Duration::from_millis(args.report_interval.max(1));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let stop = async {
        if args.duration == 0 {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            tokio::time::sleep(Duration::from_secs(args.duration)).await;
        }
    };
    tokio::pin!(stop);
    let (mut last, mut last_report) = ((0, 0), Instant::now());
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = ticker.tick() => {
                let report = stats.window_report(last_report.elapsed(), &mut last);
                last_report = Instant::now();
                let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
                println!("{}", consumer_line(now.as_millis(), &report));
            }
        }
    }
    consumer.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        let argv = std::iter::once("rmq-bench-consumer")
            .chain(args.iter().copied())
            .map(String::from);
        Args::parse_java(argv)
    }

    fn at_millis(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn defaults_are_javas() {
        let a = parse(&[]).expect("no options");
        assert_eq!((a.topic.as_str(), a.threads), ("BenchmarkTest", 20));
        assert_eq!(a.group_at(at_millis(1234)), "benchmark_consumer");
        assert_eq!(a.fail_rate, 0.0);
        assert_eq!(a.report_interval, 10_000);
        assert!(matches!(a.filter(), Ok(f) if f == Filter::all()));
    }

    #[test]
    fn group_suffix_is_javas_millis_mod_100_only_when_p_is_true() {
        let a = parse(&["-g", "bench", "-p", "true"]).expect("valid");
        assert_eq!(a.group_at(at_millis(1_700_000_000_042)), "bench_42");
        let a = parse(&["-g", "bench", "-p", "yes"]).expect("valid");
        assert_eq!(a.group_at(at_millis(1_700_000_000_042)), "bench");
    }

    #[test]
    fn f_takes_javas_expression_types_and_e_reads_a_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("expr");
        std::fs::write(&path, "a > 5\n").expect("write expression");
        let p = path.to_str().expect("utf-8 temp path");
        let a = parse(&["-f", "SQL92", "-e", p]).expect("valid");
        assert_eq!(a.filter(), Ok(Filter::sql92("a > 5")));
        let a = parse(&["-f", "TAG", "--expression", "A || B"]).expect("valid");
        assert_eq!(a.filter(), Ok(Filter::expression("A || B")));
        // Java subscribes to everything unless both a type and an expression are given.
        let a = parse(&["-f", "SQL92"]).expect("valid");
        assert_eq!(a.filter(), Ok(Filter::all()));
    }

    #[test]
    fn unknown_filter_types_and_missing_files_are_refused_by_name() {
        let a = parse(&["-f", "sql92", "--expression", "a > 1"]).expect("valid");
        let err = a.filter().expect_err("Java spells it SQL92");
        assert!(err.contains("-f sql92"), "{err}");
        let a = parse(&["-f", "TAG", "-e", "/nonexistent/rmq-expr"]).expect("valid");
        let err = a.filter().expect_err("no such file");
        assert!(err.contains("/nonexistent/rmq-expr"), "{err}");
    }

    #[test]
    fn fail_rate_is_javas_fraction() {
        assert_eq!(parse(&["-r", "0.25"]).expect("valid").fail_rate, 0.25);
        assert!(parse(&["-r", "25"]).is_err(), "a percentage is not a rate");
        let failed = (0..1000).filter(|&n| fails(n, 0.25)).count();
        assert_eq!(failed, 250);
        assert!(!(0..1000).any(|n| fails(n, 0.0)));
        assert!((0..1000).all(|n| fails(n, 1.0)));
    }

    #[test]
    fn java_two_letter_options_are_read() {
        let a = parse(&[
            "-a", "true", "-ak", "AK", "-sk", "SK", "-ri", "1000", "-w", "4",
        ])
        .expect("valid");
        assert!(a.acl);
        assert_eq!((a.access_key.as_str(), a.secret_key.as_str()), ("AK", "SK"));
        assert_eq!((a.report_interval, a.threads), (1000, 4));
    }

    #[test]
    fn help_names_the_java_equivalent() {
        let help = parse(&["--help"]).expect_err("help exits").to_string();
        assert!(
            help.contains("Java equivalent: org.apache.rocketmq.example.benchmark.Consumer"),
            "{help}"
        );
    }

    #[test]
    fn a_window_report_counts_the_interval_only() {
        let s = Stats::default();
        s.consumed.store(30, Relaxed);
        s.failed.store(3, Relaxed);
        let mut last = (10, 1);
        let r = s.window_report(Duration::from_secs(2), &mut last);
        assert_eq!((r.tps, r.failed), (10.0, 2));
        assert_eq!(last, (30, 3));
    }
}
