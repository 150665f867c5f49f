//! `rmq-bench-consumer`: Java's benchmark `Consumer` for rmq. Consumes a topic and prints, every
//! 10 s, the consume TPS and the born-to-consume (B2C) and store-to-consume (S2C) latencies:
//! average, max, p50 and p99.
//!
//! ```sh
//! rmq-bench-consumer -n 127.0.0.1:9876 -t BenchmarkTest -g benchmark_consumer -r 0
//! ```

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Parser;
use rmq_client_consumer::{ConsumeResult, Filter, PushConsumer, ReceivedMessage};

/// Command-line options, named as Java's benchmark `Consumer`.
#[derive(Debug, Parser)]
#[command(
    name = "rmq-bench-consumer",
    about = "Consume and report TPS and latencies"
)]
struct Args {
    /// Name-server addresses.
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
    /// Consumer group (a suffix is added unless `-u false`).
    #[arg(short = 'g', long, default_value = "benchmark_consumer")]
    group: String,
    /// Filter type: TAG or SQL92.
    #[arg(short = 'p', long, default_value = "TAG")]
    filter_type: String,
    /// Filter expression.
    #[arg(short = 'e', long, default_value = "*")]
    expression: String,
    /// Percentage of messages to fail (returned as `Later`).
    #[arg(short = 'r', long, default_value_t = 0)]
    fail_rate: u64,
    /// Add a random suffix to the group.
    #[arg(short = 'u', long, default_value_t = true, action = clap::ArgAction::Set)]
    group_suffix: bool,
    /// Stop after this many seconds (0: until Ctrl-C).
    #[arg(short = 'd', long, default_value_t = 0)]
    duration: u64,
}

/// Latency histogram by millisecond, up to 60 s, plus counters.
#[derive(Debug)]
struct Stats {
    count: AtomicU64,
    failed: AtomicU64,
    b2c_sum: AtomicU64,
    s2c_sum: AtomicU64,
    b2c_max: AtomicU64,
    s2c_max: AtomicU64,
    b2c_hist: Vec<AtomicU64>,
}

const BUCKETS: usize = 60_001;

impl Stats {
    fn new() -> Self {
        Stats {
            count: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            b2c_sum: AtomicU64::new(0),
            s2c_sum: AtomicU64::new(0),
            b2c_max: AtomicU64::new(0),
            s2c_max: AtomicU64::new(0),
            b2c_hist: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn record(&self, m: &ReceivedMessage) {
        let now = SystemTime::now();
        let age = |at: Option<SystemTime>| {
            at.and_then(|t| now.duration_since(t).ok())
                .map_or(0, |d| d.as_millis() as u64)
        };
        let (b2c, s2c) = (age(m.born_time()), age(m.store_time()));
        self.count.fetch_add(1, Relaxed);
        self.b2c_sum.fetch_add(b2c, Relaxed);
        self.s2c_sum.fetch_add(s2c, Relaxed);
        self.b2c_max.fetch_max(b2c, Relaxed);
        self.s2c_max.fetch_max(s2c, Relaxed);
        self.b2c_hist[(b2c as usize).min(BUCKETS - 1)].fetch_add(1, Relaxed);
    }

    /// Percentile of the B2C histogram since the last report, then resets it.
    fn take_percentiles(&self) -> (u64, u64) {
        let counts: Vec<u64> = self.b2c_hist.iter().map(|b| b.swap(0, Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let pick = |q: f64| {
            let target = ((total as f64) * q).ceil() as u64;
            let mut seen = 0;
            for (ms, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= target.max(1) {
                    return ms as u64;
                }
            }
            0
        };
        if total == 0 {
            (0, 0)
        } else {
            (pick(0.5), pick(0.99))
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let group = if args.group_suffix {
        format!("{}_{}", args.group, std::process::id())
    } else {
        args.group.clone()
    };
    let filter = if args.filter_type.eq_ignore_ascii_case("SQL92") {
        Filter::sql92(args.expression.clone())
    } else {
        Filter::expression(args.expression.clone())
    };
    let stats = Arc::new(Stats::new());
    let consumer = PushConsumer::builder()
        .namesrv(args.namesrv.clone())
        .group(group.clone())
        .subscribe(args.topic.clone(), filter)
        .build()
        .await?;
    let (s, fail_rate) = (stats.clone(), args.fail_rate.min(100));
    let seq = Arc::new(AtomicU64::new(0));
    consumer
        .start(move |msgs: Vec<ReceivedMessage>| {
            let (s, seq) = (s.clone(), seq.clone());
            async move {
                for m in &msgs {
                    s.record(m);
                }
                if fail_rate > 0 && seq.fetch_add(1, Relaxed) % 100 < fail_rate {
                    s.failed.fetch_add(msgs.len() as u64, Relaxed);
                    return ConsumeResult::RETRY;
                }
                ConsumeResult::Success
            }
        })
        .await?;
    println!("consumer started: topic {} group {group}", args.topic);
    let period = Duration::from_secs(10);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let stop = async {
        if args.duration == 0 {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            tokio::time::sleep(Duration::from_secs(args.duration)).await;
        }
    };
    tokio::pin!(stop);
    let mut last = (0u64, 0u64, 0u64);
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = ticker.tick() => {
                let c = stats.count.load(Relaxed);
                let (b, s2) = (stats.b2c_sum.load(Relaxed), stats.s2c_sum.load(Relaxed));
                let n = c - last.0;
                let avg = |sum: u64, old: u64| if n == 0 { 0.0 } else { (sum - old) as f64 / n as f64 };
                let (p50, p99) = stats.take_percentiles();
                println!(
                    "Consume TPS: {} Average(B2C) RT(ms): {:7.3} Average(S2C) RT(ms): {:7.3} MAX(B2C) RT(ms): {} MAX(S2C) RT(ms): {} p50(B2C): {p50} p99(B2C): {p99} Failed: {}",
                    n / period.as_secs(),
                    avg(b, last.1),
                    avg(s2, last.2),
                    stats.b2c_max.swap(0, Relaxed),
                    stats.s2c_max.swap(0, Relaxed),
                    stats.failed.load(Relaxed),
                );
                last = (c, b, s2);
            }
        }
    }
    consumer.shutdown().await;
    Ok(())
}
