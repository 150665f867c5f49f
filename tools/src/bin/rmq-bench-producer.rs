//! `rmq-bench-producer`: the send benchmark, with the options of Java's
//! `org.apache.rocketmq.example.benchmark.Producer`. Prints send TPS, max/average/p50/p99 RT and
//! failure counts every interval, and a summary line at the end.
//!
//! Do not quote figures measured against the CI broker (crates.io `rocketmq-broker` 1.0.0).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use rmq_client_producer::{ErrorKind, Message, Producer, SendStatus};

/// Send benchmark (options as Java's benchmark Producer).
#[derive(Debug, Parser)]
#[command(name = "rmq-bench-producer")]
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
    /// Concurrent senders.
    #[arg(short = 'w', long, default_value_t = 64)]
    threads: usize,
    /// Body size in bytes.
    #[arg(short = 's', long, default_value_t = 128)]
    size: usize,
    /// Set a key on every message.
    #[arg(short = 'k', long, default_value_t = false, action = clap::ArgAction::Set)]
    keys: bool,
    /// Number of distinct tags (0: no tag).
    #[arg(short = 'c', long, default_value_t = 0)]
    tags: usize,
    /// Send asynchronously.
    #[arg(short = 'y', long, default_value_t = false, action = clap::ArgAction::Set)]
    r#async: bool,
    /// Total messages to send (0: until --duration ends, or forever).
    #[arg(short = 'q', long, default_value_t = 0)]
    quantity: u64,
    /// Send delayed messages.
    #[arg(short = 'd', long, default_value_t = false, action = clap::ArgAction::Set)]
    delay: bool,
    /// Delay level when -d is set.
    #[arg(short = 'e', long, default_value_t = 1)]
    delay_level: i32,
    /// Producer group.
    #[arg(short = 'g', long, default_value = "benchmark_producer")]
    group: String,
    /// Seconds between two reports.
    #[arg(short = 'i', long, default_value_t = 10)]
    interval: u64,
    /// Stop after this many seconds (0: no limit).
    #[arg(long, default_value_t = 0)]
    duration: u64,
    /// Send timeout in milliseconds.
    #[arg(long, default_value_t = 3000)]
    timeout_ms: u64,
}

#[derive(Default)]
struct Stats {
    ok: AtomicU64,
    send_failed: AtomicU64,
    response_failed: AtomicU64,
    /// RTs (µs) of the current interval.
    window: Mutex<Vec<u64>>,
    /// RTs (µs) of the whole run.
    all: Mutex<Vec<u64>>,
}

impl Stats {
    fn record(&self, rt: Duration, outcome: Result<SendStatus, (ErrorKind, String)>) {
        if let Err((_, why)) = &outcome {
            // A few samples of why sends fail; the counters carry the rest.
            if self.send_failed.load(Ordering::Relaxed)
                + self.response_failed.load(Ordering::Relaxed)
                < 3
            {
                eprintln!("send failed: {why}");
            }
        }
        let outcome = outcome.map_err(|(kind, _)| kind);
        match outcome {
            Ok(_) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
                let us = rt.as_micros() as u64;
                if let Ok(mut w) = self.window.lock() {
                    w.push(us);
                }
            }
            Err(ErrorKind::Broker(_)) => {
                self.response_failed.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.send_failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn take_window(&self) -> Vec<u64> {
        let w = self
            .window
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default();
        if let Ok(mut all) = self.all.lock() {
            all.extend_from_slice(&w);
        }
        w
    }
}

struct Summary {
    count: usize,
    max_ms: f64,
    avg_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn summarize(mut rts: Vec<u64>) -> Summary {
    rts.sort_unstable();
    let count = rts.len();
    let pct = |p: f64| -> f64 {
        if count == 0 {
            return 0.0;
        }
        let i = ((count as f64 * p).ceil() as usize).clamp(1, count) - 1;
        rts[i] as f64 / 1000.0
    };
    let sum: u64 = rts.iter().sum();
    Summary {
        count,
        max_ms: rts.last().copied().unwrap_or(0) as f64 / 1000.0,
        avg_ms: if count == 0 {
            0.0
        } else {
            sum as f64 / count as f64 / 1000.0
        },
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    }
}

fn message(args: &Args, body: &bytes::Bytes, n: u64) -> Message {
    let mut msg = Message::new(args.topic.clone(), body.clone());
    if args.keys {
        msg = msg.with_keys([n.to_string()]);
    }
    if args.tags > 0 {
        msg = msg.with_tag(format!("tag{}", n % args.tags as u64));
    }
    if args.delay {
        msg = msg.with_delay_level(args.delay_level);
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
    let body = bytes::Bytes::from(vec![b'a'; args.size.max(1)]);
    loop {
        if stop_at.is_some_and(|t| Instant::now() >= t) {
            return;
        }
        let n = claimed.fetch_add(1, Ordering::Relaxed);
        if args.quantity > 0 && n >= args.quantity {
            return;
        }
        let msg = message(&args, &body, n);
        let started = Instant::now();
        if args.r#async {
            match producer.send_async(&msg).await {
                Ok(pending) => {
                    let stats = stats.clone();
                    tokio::spawn(async move {
                        let outcome = pending
                            .await
                            .map(|r| r.status())
                            .map_err(|e| (e.kind(), e.to_string()));
                        stats.record(started.elapsed(), outcome);
                    });
                }
                Err(e) => stats.record(started.elapsed(), Err((e.kind(), e.to_string()))),
            }
        } else {
            let outcome = producer
                .send(&msg)
                .await
                .map(|r| r.status())
                .map_err(|e| (e.kind(), e.to_string()));
            stats.record(started.elapsed(), outcome);
        }
    }
}

fn report(stats: &Stats, interval: Duration, last: &mut (u64, u64, u64)) {
    let s = summarize(stats.take_window());
    let ok = stats.ok.load(Ordering::Relaxed);
    let sf = stats.send_failed.load(Ordering::Relaxed);
    let rf = stats.response_failed.load(Ordering::Relaxed);
    let tps = (ok - last.0) as f64 / interval.as_secs_f64();
    println!(
        "Send TPS: {tps:.0} Max RT(ms): {:.3} Average RT(ms): {:.3} p50 RT(ms): {:.3} p99 RT(ms): {:.3} Send Failed: {} Response Failed: {}",
        s.max_ms, s.avg_ms, s.p50_ms, s.p99_ms, sf - last.1, rf - last.2
    );
    *last = (ok, sf, rf);
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Arc::new(Args::parse());
    let producer = Producer::builder()
        .namesrv(args.namesrv.clone())
        .group(args.group.clone())
        .send_timeout(Duration::from_millis(args.timeout_ms))
        .build()
        .await?;
    let stats = Arc::new(Stats::default());
    let claimed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let stop_at = (args.duration > 0).then(|| started + Duration::from_secs(args.duration));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.threads.max(1) {
        workers.spawn(worker(
            args.clone(),
            producer.clone(),
            stats.clone(),
            claimed.clone(),
            stop_at,
        ));
    }
    let interval = Duration::from_secs(args.interval.max(1));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    let mut last = (0, 0, 0);
    loop {
        tokio::select! {
            _ = ticker.tick() => report(&stats, interval, &mut last),
            next = workers.join_next() => if next.is_none() { break },
        }
    }
    // Async sends still running finish with the producer's shutdown.
    producer.shutdown().await;
    let _ = stats.take_window();
    let all = stats.all.lock().map(|a| a.clone()).unwrap_or_default();
    let s = summarize(all);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "[Complete] Send Total: {} Send TPS: {:.0} Max RT(ms): {:.3} Average RT(ms): {:.3} p50 RT(ms): {:.3} p99 RT(ms): {:.3} Send Failed: {} Response Failed: {}",
        s.count,
        s.count as f64 / secs,
        s.max_ms,
        s.avg_ms,
        s.p50_ms,
        s.p99_ms,
        stats.send_failed.load(Ordering::Relaxed),
        stats.response_failed.load(Ordering::Relaxed)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_follow_the_nearest_rank() {
        let s = summarize((1..=100).map(|i| i * 1000).collect());
        assert_eq!(s.count, 100);
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(s.avg_ms, 50.5);
        assert_eq!(summarize(Vec::new()).p99_ms, 0.0);
    }
}
