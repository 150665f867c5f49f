//! `rmq-bench-producer`: the send benchmark, with the options and meanings of Java's
//! `org.apache.rocketmq.example.benchmark.Producer` (4.9.7, plus 5.x's `-c`/`-ct`/`-cl`/`-ch`
//! compression and `-ri` report interval). Prints Java's periodic line with p50/p99 added every
//! report interval, and Java's `[Complete]` line at the end; latencies live in HdrHistograms,
//! so memory stays flat however long it runs.
//!
//! Do not quote figures measured against the CI broker (crates.io `rocketmq-broker` 1.0.0).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use rmq_client_producer::{ClientConfig, ErrorKind, Message, Producer};
use rmq_protocol::compression::CompressionType;
use rmq_protocol::SerializeType;
use rmq_tools::bench::java_args::{self, java_bool, Aliases};
use rmq_tools::bench::latency::Latencies;
use rmq_tools::bench::line::{producer_complete_line, producer_line, ProducerReport};

/// Java's two-letter options, read as our long ones.
const ALIASES: Aliases = &[
    ("-ak", "--access-key"),
    ("-sk", "--secret-key"),
    ("-ct", "--compress-type"),
    ("-cl", "--compress-level"),
    ("-ch", "--compress-over"),
    ("-ri", "--report-interval"),
];

/// The default async in-flight window (`--inflight`).
const DEFAULT_ASYNC_WINDOW: u32 = 128;

/// How long a sender waits after a failed send, as Java's does.
const FAILURE_PAUSE: Duration = Duration::from_secs(3);

const JAVA_HELP: &str = "Java equivalent: org.apache.rocketmq.example.benchmark.Producer \
(same letters and meanings; -ak, -sk, -ct, -cl, -ch and -ri are accepted as Java spells them). \
On/off options take a value, as in Java: `-y true`; anything but `true` means off.";

/// Send benchmark: Java's benchmark Producer for rmq.
#[derive(Debug, Parser)]
#[command(name = "rmq-bench-producer", after_help = JAVA_HELP)]
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
    /// Concurrent senders (Java: threadCount); async mode uses one, as Java does.
    #[arg(short = 'w', long, default_value_t = 64)]
    threads: usize,
    /// Body size in bytes (random letters and digits, as Java).
    #[arg(short = 's', long, default_value_t = 128)]
    size: usize,
    /// Set a key (the send's epoch second, as Java) on every message.
    #[arg(short = 'k', long, default_value = "false", value_parser = java_bool, action = clap::ArgAction::Set)]
    keys: bool,
    /// Number of distinct tags, `tag<millis % count>` (0: no tag).
    #[arg(short = 'l', long, default_value_t = 0)]
    tags: u64,
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
    /// Total messages to send (0: until --duration ends, or forever).
    #[arg(short = 'q', long, default_value_t = 0)]
    quantity: u64,
    /// Send delayed messages.
    #[arg(short = 'd', long, default_value = "false", value_parser = java_bool, action = clap::ArgAction::Set)]
    delay: bool,
    /// Delay level when -d is on.
    #[arg(short = 'e', long, default_value_t = 1)]
    delay_level: i32,
    /// Send asynchronously (one sending task; the in-flight window below is the flow control
    /// Java's 10,000-entry queue check is).
    #[arg(short = 'y', long, default_value = "false", value_parser = java_bool, action = clap::ArgAction::Set)]
    r#async: bool,
    /// Async sends in flight at most (the producer's `max_inflight_async`); the sending task
    /// waits for room. Java's benchmark allows 10,000, which turns into hundreds of
    /// milliseconds of queueing per send once the broker is the bottleneck; a window of about a
    /// hundred reaches the same rate with a latency of a few milliseconds (BENCHMARKS.md).
    #[arg(long, default_value_t = DEFAULT_ASYNC_WINDOW, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    inflight: u32,
    /// Compress bodies over --compress-over bytes (Java 5.x: compressEnable). Off, as in
    /// Java, nothing is compressed.
    #[arg(short = 'c', long, default_value = "false", value_parser = java_bool, action = clap::ArgAction::Set)]
    compress: bool,
    /// ZLIB, LZ4 or ZSTD (Java 5.x: -ct).
    #[arg(long, default_value = "ZLIB", value_parser = compression_type)]
    compress_type: CompressionType,
    /// Compression level (Java 5.x: -cl).
    #[arg(long, default_value_t = 5)]
    compress_level: u32,
    /// Compress bodies of at least this many bytes (Java 5.x: -ch).
    #[arg(long, default_value_t = 4096)]
    compress_over: usize,
    /// Producer group.
    #[arg(short = 'g', long, default_value = "benchmark_producer")]
    group: String,
    /// Seconds between two reports.
    #[arg(
        short = 'i',
        long,
        default_value_t = 10,
        conflicts_with = "report_interval"
    )]
    interval: u64,
    /// Milliseconds between two reports (Java 5.x: -ri).
    #[arg(long)]
    report_interval: Option<u64>,
    /// Stop after this many seconds (0: no limit).
    #[arg(long, default_value_t = 0)]
    duration: u64,
    /// Send timeout in milliseconds.
    #[arg(long, default_value_t = 3000)]
    timeout_ms: u64,
}

impl Args {
    /// Reads the command line, Java's two-letter options included.
    fn parse_java(args: impl IntoIterator<Item = String>) -> Result<Args, clap::Error> {
        Args::try_parse_from(java_args::rewrite(args, ALIASES))
    }

    fn report_every(&self) -> Duration {
        match self.report_interval {
            Some(ms) => Duration::from_millis(ms.max(1)),
            None => Duration::from_secs(self.interval.max(1)),
        }
    }

    /// Sending tasks: Java sends from one thread in async mode.
    fn senders(&self) -> usize {
        if self.r#async {
            1
        } else {
            self.threads.max(1)
        }
    }
}

fn compression_type(name: &str) -> Result<CompressionType, String> {
    match name.trim().to_ascii_uppercase().as_str() {
        "ZLIB" => Ok(CompressionType::Zlib),
        "LZ4" => Ok(CompressionType::Lz4),
        "ZSTD" => Ok(CompressionType::Zstd),
        other => Err(format!("`{other}` is not ZLIB, LZ4 or ZSTD")),
    }
}

#[derive(Debug, Default)]
struct Stats {
    ok: AtomicU64,
    send_failed: AtomicU64,
    response_failed: AtomicU64,
    latencies: Latencies,
}

impl Stats {
    fn record(&self, rt: Duration, outcome: Result<(), (ErrorKind, String)>) {
        match outcome {
            Ok(()) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
                self.latencies.record(rt);
            }
            Err((kind, why)) => {
                // A few samples of why sends fail; the counters carry the rest.
                if self.failed() < 3 {
                    eprintln!("send failed: {why}");
                }
                let counter = match kind {
                    ErrorKind::Broker(_) => &self.response_failed,
                    _ => &self.send_failed,
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn failed(&self) -> u64 {
        self.send_failed.load(Ordering::Relaxed) + self.response_failed.load(Ordering::Relaxed)
    }

    /// A report over the interval since the last one, `elapsed` long.
    fn window_report(&self, elapsed: Duration) -> ProducerReport {
        let latency = self.latencies.take_window();
        ProducerReport {
            send_tps: latency.count as f64 / elapsed.as_secs_f64().max(1e-3),
            latency,
            send_failed: self.send_failed.load(Ordering::Relaxed),
            response_failed: self.response_failed.load(Ordering::Relaxed),
        }
    }
}

/// Random letters and digits, as Java's `RandomStringUtils.randomAlphanumeric`; the seed only
/// keeps bodies from being trivially compressible.
fn body(size: usize, seed: u64) -> bytes::Bytes {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed | 1;
    (0..size.max(1))
        .map(|_| {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALNUM[(x % ALNUM.len() as u64) as usize]
        })
        .collect::<Vec<u8>>()
        .into()
}

fn message(args: &Args, body: &bytes::Bytes) -> Message {
    let mut msg = Message::new(args.topic.clone(), body.clone());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    if args.keys {
        msg = msg.with_keys([now.as_secs().to_string()]);
    }
    if args.delay {
        msg = msg.with_delay_level(args.delay_level);
    }
    if args.tags > 0 {
        msg = msg.with_tag(format!("tag{}", now.as_millis() % u128::from(args.tags)));
    }
    msg
}

async fn worker(
    args: Arc<Args>,
    producer: Producer,
    stats: Arc<Stats>,
    claimed: Arc<AtomicU64>,
    stop_at: Option<Instant>,
) {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64);
    let body = body(args.size, seed);
    // Async completions: the producer admits a bounded number of async sends at a time, and
    // finished ones are reaped on every turn, so this set stays bounded too.
    let mut completions = tokio::task::JoinSet::new();
    loop {
        while completions.try_join_next().is_some() {}
        let stop = stop_at.is_some_and(|t| Instant::now() >= t);
        let n = claimed.fetch_add(1, Ordering::Relaxed);
        if stop || (args.quantity > 0 && n >= args.quantity) {
            // Every send counted before the summary is printed.
            while completions.join_next().await.is_some() {}
            return;
        }
        let msg = message(&args, &body);
        let started = Instant::now();
        let failure = |e: rmq_client_producer::Error| (e.kind(), e.to_string());
        if args.r#async {
            match producer.send_async(&msg).await {
                Ok(pending) => {
                    let stats = stats.clone();
                    completions.spawn(async move {
                        let outcome = pending.await.map(drop).map_err(failure);
                        stats.record(started.elapsed(), outcome);
                    });
                }
                Err(e) => stats.record(started.elapsed(), Err(failure(e))),
            }
        } else {
            let outcome = producer.send(&msg).await.map(drop).map_err(failure);
            let failed = outcome.is_err();
            stats.record(started.elapsed(), outcome);
            if failed {
                // Java's sender sleeps 3 s after a failed send instead of spinning on it.
                let pause = stop_at.map_or(FAILURE_PAUSE, |t| {
                    t.saturating_duration_since(Instant::now())
                        .min(FAILURE_PAUSE)
                });
                tokio::time::sleep(pause).await;
            }
        }
    }
}

async fn connect(args: &Args) -> Result<Producer, Box<dyn std::error::Error>> {
    // Java's benchmarks switch to the ROCKETMQ header serialization; so do we.
    let mut config = ClientConfig::builder()
        .namesrv(&args.namesrv)
        .serialize_type(SerializeType::RocketMq);
    if args.acl {
        config = config.credentials(args.access_key.clone(), args.secret_key.clone(), None);
    }
    let mut builder = Producer::builder()
        .client_config(config.build()?)
        .group(args.group.clone())
        .enable_trace(args.msg_trace)
        .max_inflight_async(args.inflight as usize)
        .send_timeout(Duration::from_millis(args.timeout_ms));
    // Java 4.9.7's benchmark never compresses (threshold Integer.MAX_VALUE); 5.x's -c turns it on.
    builder = if args.compress {
        builder
            .compression(args.compress_type)
            .compress_level(args.compress_level)
            .compress_threshold(args.compress_over)
    } else {
        builder.compress_threshold(usize::MAX)
    };
    Ok(builder.build().await?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match Args::parse_java(std::env::args()) {
        Ok(args) => Arc::new(args),
        Err(e) => e.exit(),
    };
    println!(
        "topic: {} threadCount: {} messageSize: {} keyEnable: {} tagCount: {} traceEnable: {} aclEnable: {} messageQuantity: {} delayEnable: {} delayLevel: {} asyncEnable: {} compressEnable: {}",
        args.topic, args.senders(), args.size, args.keys, args.tags, args.msg_trace, args.acl,
        args.quantity, args.delay, args.delay_level, args.r#async, args.compress
    );
    let producer = connect(&args).await?;
    let stats = Arc::new(Stats::default());
    let claimed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let stop_at = (args.duration > 0).then(|| started + Duration::from_secs(args.duration));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.senders() {
        workers.spawn(worker(
            args.clone(),
            producer.clone(),
            stats.clone(),
            claimed.clone(),
            stop_at,
        ));
    }
    let every = args.report_every();
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let mut last_report = Instant::now();
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let report = stats.window_report(last_report.elapsed());
                last_report = Instant::now();
                let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f").to_string();
                println!("{}", producer_line(&now, &report));
            }
            next = workers.join_next() => if next.is_none() { break },
        }
    }
    // Async sends still running finish with the producer's shutdown.
    producer.shutdown().await;
    let latency = stats.latencies.total();
    let complete = ProducerReport {
        send_tps: latency.count as f64 / started.elapsed().as_secs_f64().max(1e-3),
        latency,
        send_failed: stats.send_failed.load(Ordering::Relaxed),
        response_failed: stats.response_failed.load(Ordering::Relaxed),
    };
    let total = stats.ok.load(Ordering::Relaxed) + stats.failed();
    println!("{}", producer_complete_line(total, &complete));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Args {
        let argv = std::iter::once("rmq-bench-producer")
            .chain(args.iter().copied())
            .map(String::from);
        Args::parse_java(argv).expect("valid command line")
    }

    #[test]
    fn defaults_are_javas() {
        let a = parse(&[]);
        assert_eq!(
            (a.topic.as_str(), a.threads, a.size),
            ("BenchmarkTest", 64, 128)
        );
        assert!(!a.keys && !a.r#async && !a.delay && !a.compress && !a.acl && !a.msg_trace);
        assert_eq!((a.tags, a.quantity, a.delay_level), (0, 0, 1));
        assert_eq!(a.report_every(), Duration::from_secs(10));
        assert_eq!(
            (a.access_key.as_str(), a.secret_key.as_str()),
            ("12345678", "rocketmq2")
        );
    }

    #[test]
    fn java_letters_keep_java_meanings() {
        let a = parse(&[
            "-t",
            "T",
            "-w",
            "8",
            "-s",
            "1024",
            "-k",
            "true",
            "-l",
            "4",
            "-q",
            "1000",
            "-d",
            "TRUE",
            "-e",
            "3",
            "-a",
            "true",
            "-ak",
            "AK",
            "-sk",
            "SK",
            "-c",
            "true",
            "-ct",
            "zstd",
            "-cl",
            "3",
            "-ch",
            "512",
            "-ri",
            "2500",
            "-n",
            "10.0.0.1:9876",
        ]);
        assert_eq!((a.topic.as_str(), a.threads, a.size), ("T", 8, 1024));
        assert!(a.keys && a.delay && a.acl && a.compress);
        assert_eq!((a.tags, a.quantity, a.delay_level), (4, 1000, 3));
        assert_eq!((a.access_key.as_str(), a.secret_key.as_str()), ("AK", "SK"));
        assert_eq!(a.compress_type, CompressionType::Zstd);
        assert_eq!((a.compress_level, a.compress_over), (3, 512));
        assert_eq!(a.report_every(), Duration::from_millis(2500));
        assert_eq!(a.namesrv, "10.0.0.1:9876");
    }

    #[test]
    fn on_off_values_read_as_java_parse_boolean() {
        let a = parse(&["-k", "yes", "-y", "1"]);
        assert!(!a.keys && !a.r#async);
    }

    #[test]
    fn the_async_window_defaults_to_a_few_hundred_and_takes_a_flag() {
        assert_eq!(parse(&[]).inflight, DEFAULT_ASYNC_WINDOW);
        assert_eq!(parse(&["-y", "true", "--inflight", "64"]).inflight, 64);
        assert!(
            Args::parse_java(["rmq-bench-producer", "--inflight", "0"].map(String::from)).is_err()
        );
    }

    #[test]
    fn async_mode_sends_from_one_task_as_java() {
        assert_eq!(parse(&["-y", "true", "-w", "32"]).senders(), 1);
        assert_eq!(parse(&["-w", "32"]).senders(), 32);
    }

    #[test]
    fn our_long_names_and_interval_still_work() {
        let a = parse(&[
            "--topic",
            "T",
            "--threads",
            "2",
            "-i",
            "1",
            "--duration",
            "5",
        ]);
        assert_eq!((a.topic.as_str(), a.threads, a.duration), ("T", 2, 5));
        assert_eq!(a.report_every(), Duration::from_secs(1));
    }

    #[test]
    fn bad_values_are_refused_with_the_option_named() {
        let argv = ["rmq-bench-producer", "-ct", "snappy"].map(String::from);
        let err = Args::parse_java(argv).expect_err("snappy is not a codec");
        assert!(err.to_string().contains("--compress-type"), "{err}");
        let argv = ["rmq-bench-producer", "-i", "1", "-ri", "500"].map(String::from);
        assert!(Args::parse_java(argv).is_err(), "two report intervals");
    }

    #[test]
    fn help_names_the_java_equivalent() {
        let argv = ["rmq-bench-producer", "--help"].map(String::from);
        let help = Args::parse_java(argv).expect_err("help exits").to_string();
        assert!(
            help.contains("Java equivalent: org.apache.rocketmq.example.benchmark.Producer"),
            "{help}"
        );
    }

    #[test]
    fn bodies_are_letters_and_digits_of_the_asked_size() {
        let b = body(300, 42);
        assert_eq!(b.len(), 300);
        assert!(b.iter().all(u8::is_ascii_alphanumeric));
        assert_ne!(body(300, 1), body(300, 2));
    }

    #[test]
    fn failures_are_split_as_java_counts_them() {
        let s = Stats::default();
        s.record(Duration::from_millis(2), Ok(()));
        let code = rmq_protocol::ResponseCode::SYSTEM_BUSY;
        s.record(
            Duration::ZERO,
            Err((ErrorKind::Broker(code), "busy".into())),
        );
        s.record(Duration::ZERO, Err((ErrorKind::Timeout, "late".into())));
        let r = s.window_report(Duration::from_secs(1));
        assert_eq!((r.send_failed, r.response_failed), (1, 1));
        assert_eq!(r.latency.count, 1);
        assert_eq!(r.send_tps, 1.0);
    }
}
