//! `auto_batch_bench`: 64 tasks calling `send` (and a 64-deep `send_async` window) on one
//! producer against the in-process sink (`rmq_testkit::sink`), with and without
//! [`AutoBatch`] (its defaults, two requests in flight, a 1 ms delay), printing a Markdown
//! table of msgs/s, client CPU per message, the sink's CPU per message (what a broker would
//! save) and requests per message.
//!
//! ```sh
//! cargo run --profile bench -p rmq-client-producer --example auto_batch_bench -- [--secs 3] [--rounds 3]
//! ```
//!
//! Each round measures every workload once, in turn, so a slow moment of a shared machine
//! falls on all of them rather than on one; every round is printed. The sink runs on its own
//! thread (`rmq-sink`), the client on a current-thread runtime in the main thread; client CPU
//! is every thread but the sink's (`/proc/self/task/*/schedstat`), as in `sink_bench`.
//! Requests per message come from the transport's frame counter. `RMQ_SINK_PIN` works as in
//! `sink_bench`.

use std::time::{Duration, Instant};

use clap::Parser;
use rmq_client_producer::{AutoBatch, Producer};

#[path = "../benches/support/workloads.rs"]
mod support;

use support::Mode;

/// The auto-batch benchmark.
#[derive(Debug, Parser)]
struct Args {
    /// Seconds each workload is measured per round.
    #[arg(long, default_value_t = 3.0)]
    secs: f64,
    /// Rounds; each measures every workload once.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Body size in bytes.
    #[arg(long, default_value_t = 128)]
    size: usize,
    /// Only rows whose `workload producer` (e.g. `sync_c64 auto 1ms`) contains this.
    #[arg(long)]
    only: Option<String>,
}

/// The producers compared: a label and the auto-batch settings (`None`: unbatched).
fn variants() -> [(&'static str, Option<AutoBatch>); 4] {
    [
        ("unbatched", None),
        ("auto default (10ms, 1 in flight)", Some(AutoBatch::new())),
        (
            "auto 10ms, 2 in flight",
            Some(AutoBatch::new().max_in_flight(2)),
        ),
        (
            "auto 1ms, 1 in flight",
            Some(AutoBatch::new().max_delay(Duration::from_millis(1))),
        ),
    ]
}

const MODES: [Mode; 2] = [Mode::Sync { tasks: 64 }, Mode::Async { in_flight: 64 }];

fn main() {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let sink = support::start_sink();
    let producers: Vec<(&str, Producer)> = variants()
        .into_iter()
        .enumerate()
        .map(|(i, (label, batching))| {
            let mut builder = Producer::builder()
                .namesrv(sink.addr().to_string())
                .group(format!("auto_batch_bench_{i}"));
            if let Some(batching) = batching {
                builder = builder.auto_batch(batching);
            }
            (label, rt.block_on(builder.build()).expect("producer"))
        })
        .collect();
    let msg = support::message(args.size);
    println!("| round | workload | producer | msgs | msgs/s | client CPU µs/msg | sink CPU µs/msg | requests/msg |");
    println!("|---|---|---|---|---|---|---|---|");
    for round in 1..=args.rounds {
        for mode in MODES {
            for (label, producer) in &producers {
                let row = format!("{} {label}", mode.label());
                if args
                    .only
                    .as_ref()
                    .is_some_and(|o| !row.contains(o.as_str()))
                {
                    continue;
                }
                let ops = rt.block_on(calibrate(producer, mode, &msg, args.secs));
                let frames = || {
                    producer
                        .instance()
                        .api()
                        .remoting()
                        .metrics()
                        .frames_written
                };
                let (f0, (c0, s0)) = (frames(), support::usage());
                let start = Instant::now();
                rt.block_on(support::run(producer, mode, &msg, ops));
                let wall = start.elapsed();
                let (f1, (c1, s1)) = (frames(), support::usage());
                let per_msg_us = |ns: u64| ns as f64 / ops as f64 / 1000.0;
                println!(
                    "| {round} | {} | {label} | {ops} | {:.0} | {:.2} | {:.2} | {:.3} |",
                    mode.label(),
                    ops as f64 / wall.as_secs_f64(),
                    per_msg_us(c1.since(c0).cpu_ns),
                    per_msg_us(s1.since(s0).cpu_ns),
                    (f1 - f0) as f64 / ops as f64,
                );
            }
        }
    }
    for (_, producer) in producers {
        rt.block_on(producer.shutdown());
    }
}

/// Warms up and returns how many messages take about `secs`.
async fn calibrate(
    producer: &Producer,
    mode: Mode,
    msg: &rmq_client_producer::Message,
    secs: f64,
) -> u64 {
    let mut ops = 256;
    loop {
        let start = Instant::now();
        support::run(producer, mode, msg, ops).await;
        let took = start.elapsed();
        if took >= Duration::from_millis(300) {
            return ((ops as f64 / took.as_secs_f64()) * secs).max(1.0) as u64;
        }
        ops *= 2;
    }
}
