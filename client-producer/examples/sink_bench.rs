//! `sink_bench`: the one-shot run of the sink benchmark (see `benches/sink.rs`), printing a
//! Markdown table of msgs/s, client CPU per message and syscalls per message.
//!
//! ```sh
//! cargo run --profile bench -p rmq-client-producer --example sink_bench -- [--secs 3] [--perf]
//! ```
//!
//! The sink runs in this process on its own thread (`rmq-sink`); the client runs on a
//! current-thread runtime in the main thread. Client CPU is summed over every thread but the
//! sink's (`/proc/self/task/*/{schedstat,stat}`); frames per flush come from the transport's
//! metrics (requests written per write syscall). With `--perf`, each
//! workload is run once more in a child process under `perf stat` (against this process's sink)
//! to count every syscall of the client, minus a child that sends nothing.
//!
//! `RMQ_SINK_PIN=split` pins the client to CPU 0 and the sink to CPU 1, `same` both to CPU 0
//! (see `support::Pin`); `perf` children inherit the client's CPU.
//!
//! Never point this at the CI broker: figures come from the sink only.

use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;

#[path = "../benches/support/workloads.rs"]
mod support;

use rmq_testkit::sink::SinkServer;
use support::{Mode, SIZES};

/// The sink benchmark, one shot.
#[derive(Debug, Parser)]
struct Args {
    /// Seconds each workload is measured (after a short calibration run).
    #[arg(long, default_value_t = 3.0)]
    secs: f64,
    /// Only workloads whose label (e.g. `sync_c16/4096B`) contains this.
    #[arg(long)]
    only: Option<String>,
    /// Also count all syscalls per message with `perf stat` (needs `perf`).
    #[arg(long)]
    perf: bool,
    /// Child mode: send to the sink at this address instead of starting one.
    #[arg(long, requires_all = ["mode", "size", "ops"])]
    sink: Option<std::net::SocketAddr>,
    /// Child mode: the workload label (`sync_c1`, `async_64`, ...).
    #[arg(long)]
    mode: Option<String>,
    /// Child mode: body size.
    #[arg(long)]
    size: Option<usize>,
    /// Child mode: operations to run (batches for `batch_32`).
    #[arg(long)]
    ops: Option<u64>,
}

/// Tracepoints counted with `--perf`, with the column they add up into.
const PERF_EVENTS: [(&str, &str); 12] = [
    ("raw_syscalls:sys_enter", "all"),
    ("syscalls:sys_enter_write", "write"),
    ("syscalls:sys_enter_writev", "write"),
    ("syscalls:sys_enter_sendto", "write"),
    ("syscalls:sys_enter_read", "read"),
    ("syscalls:sys_enter_recvfrom", "read"),
    ("syscalls:sys_enter_epoll_wait", "epoll"),
    ("syscalls:sys_enter_epoll_pwait", "epoll"),
    ("syscalls:sys_enter_futex", "futex"),
    ("syscalls:sys_enter_mmap", "mem"),
    ("syscalls:sys_enter_munmap", "mem"),
    ("syscalls:sys_enter_brk", "mem"),
];

/// The `--perf` columns, in order.
const PERF_COLUMNS: [&str; 6] = ["all", "write", "read", "epoll", "futex", "mem"];

fn main() {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    if let Some(addr) = args.sink {
        let mode = Mode::ALL
            .into_iter()
            .find(|m| Some(m.label()) == args.mode)
            .expect("known --mode");
        let (size, ops) = (args.size.unwrap_or(128), args.ops.unwrap_or(0));
        rt.block_on(async {
            let producer = support::producer(addr).await;
            support::run(&producer, mode, &support::message(size), ops).await;
            producer.shutdown().await;
        });
        return;
    }

    let sink = support::start_sink();
    let producer = rt.block_on(support::producer(sink.addr()));
    let perf = args.perf && perf_works();
    if args.perf && !perf {
        eprintln!("`perf stat` does not work here; syscall totals are left out");
    }
    println!(
        "| workload | body | msgs | msgs/s | client CPU µs/msg | client kernel share \
         | client cores | sink CPU µs/msg | frames/flush |{}",
        if perf {
            " syscalls/msg | write | read | epoll | futex | mmap+munmap+brk |"
        } else {
            ""
        }
    );
    println!(
        "|---|---|---|---|---|---|---|---|---|{}",
        if perf { "---|---|---|---|---|---|" } else { "" }
    );
    for size in SIZES {
        let msg = support::message(size);
        for mode in Mode::ALL {
            let label = format!("{}/{size}B", mode.label());
            if args
                .only
                .as_ref()
                .is_some_and(|o| !label.contains(o.as_str()))
            {
                continue;
            }
            let ops = rt.block_on(calibrate(&producer, mode, &msg, args.secs));
            let metrics = || producer.instance().api().remoting().metrics();
            let (m0, (c0, s0)) = (metrics(), support::usage());
            let start = Instant::now();
            rt.block_on(support::run(&producer, mode, &msg, ops));
            let wall = start.elapsed();
            let (m1, (c1, s1)) = (metrics(), support::usage());
            let (client, sink_use) = (c1.since(c0), s1.since(s0));
            let msgs = ops * mode.msgs_per_op();
            let per_msg = |n: u64| n as f64 / msgs as f64;
            let flushes = m1.flushes - m0.flushes;
            let frames = m1.frames_written - m0.frames_written;
            print!(
                "| {} | {size} B | {msgs} | {:.0} | {:.1} | {:.0}% | {:.2} | {:.1} | {:.1} |",
                mode.label(),
                msgs as f64 / wall.as_secs_f64(),
                per_msg(client.cpu_ns) / 1000.0,
                client.sys_share() * 100.0,
                client.cpu_ns as f64 / wall.as_nanos() as f64,
                per_msg(sink_use.cpu_ns) / 1000.0,
                frames as f64 / flushes.max(1) as f64,
            );
            if perf {
                let busy = perf_counts(&sink, mode, size, ops);
                let idle = perf_counts(&sink, mode, size, 0);
                for column in PERF_COLUMNS {
                    let n = busy(column).saturating_sub(idle(column));
                    print!(" {:.2} |", per_msg(n));
                }
            }
            println!();
        }
    }
    rt.block_on(producer.shutdown());
}

/// Warms up and returns how many operations take about `secs`.
async fn calibrate(
    producer: &rmq_client_producer::Producer,
    mode: Mode,
    msg: &rmq_client_producer::Message,
    secs: f64,
) -> u64 {
    let mut ops = 64;
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

fn perf_works() -> bool {
    Command::new("perf")
        .args(["stat", "-x,", "-e", PERF_EVENTS[0].0, "--", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the workload in a child under `perf stat`; returns the counts summed per column.
fn perf_counts(sink: &SinkServer, mode: Mode, size: usize, ops: u64) -> impl Fn(&str) -> u64 {
    let events: Vec<&str> = PERF_EVENTS.iter().map(|(e, _)| *e).collect();
    let out = Command::new("perf")
        .args(["stat", "-x,", "-e", &events.join(",")])
        .arg("--")
        .arg(std::env::current_exe().expect("current exe"))
        .args(["--sink", &sink.addr().to_string(), "--mode", &mode.label()])
        .args(["--size", &size.to_string(), "--ops", &ops.to_string()])
        .output()
        .expect("run perf stat");
    assert!(out.status.success(), "perf stat failed: {out:?}");
    // `perf stat -x,` writes `count,unit,event,...` lines to stderr.
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    let counts: Vec<(String, u64)> = report
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(',');
            let count = fields.next()?.parse().ok()?;
            let event = fields.nth(1)?;
            let column = PERF_EVENTS.iter().find(|(e, _)| *e == event)?.1;
            Some((column.to_owned(), count))
        })
        .collect();
    move |column| {
        counts
            .iter()
            .filter(|(c, _)| c == column)
            .map(|(_, n)| n)
            .sum()
    }
}
