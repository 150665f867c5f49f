//! Shared by `benches/sink.rs` and `examples/sink_bench.rs`: the sink (`rmq_testkit::sink`)
//! started on a thread of its own, the send workloads measured against it, and per-thread CPU
//! accounting that separates the client's threads from the sink's.
//!
//! The sink runs on its own current-thread tokio runtime in one OS thread named
//! [`SINK_THREAD`]; every other thread of the process counts as the client.

// Each includer uses a different part of this file.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use rmq_client_producer::{Message, Producer, SendFuture};
use rmq_testkit::sink::SinkServer;

/// The name of the sink's OS thread; the CPU time of threads with other names is the client's.
pub const SINK_THREAD: &str = "rmq-sink";

/// The topic every workload sends to.
pub const TOPIC: &str = "SinkBench";

// ===== the sink's thread =====

/// Where `RMQ_SINK_PIN` puts the threads: `split` (client on CPU 0, sink on CPU 1), `same`
/// (both on CPU 0), or unset (wherever the scheduler puts them).
///
/// Pinning matters on a small VM: a sync send ping-pongs between the two threads, and a wakeup
/// across CPUs (an IPI, often out of idle) costs far more than one on the same CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin {
    /// Client on CPU 0, sink on CPU 1.
    Split,
    /// Both on CPU 0.
    Same,
}

impl Pin {
    /// `RMQ_SINK_PIN`, if set to `split` or `same`.
    pub fn from_env() -> Option<Pin> {
        match std::env::var("RMQ_SINK_PIN").ok()?.as_str() {
            "split" => Some(Pin::Split),
            "same" => Some(Pin::Same),
            other => panic!("RMQ_SINK_PIN must be `split` or `same`, not `{other}`"),
        }
    }

    fn sink_cpu(self) -> usize {
        match self {
            Pin::Split => 1,
            Pin::Same => 0,
        }
    }
}

/// Pins the calling thread to `cpu` (with `taskset`, which needs no unsafe code here).
pub fn pin_current_thread(cpu: usize) {
    // `/proc/thread-self` links to `<pid>/task/<tid>`.
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    let tid = link
        .file_name()
        .and_then(|t| t.to_str())
        .expect("thread id")
        .to_owned();
    let status = std::process::Command::new("taskset")
        .args(["-pc", &cpu.to_string(), &tid])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run taskset");
    assert!(status.success(), "taskset -pc {cpu} {tid} failed");
}

/// Starts a sink on 127.0.0.1:0 in its own thread and runtime, and pins that thread and the
/// caller's as `RMQ_SINK_PIN` says (the caller is the client). The sink serves until the
/// process exits.
pub fn start_sink() -> SinkServer {
    let pin = Pin::from_env();
    if pin.is_some() {
        pin_current_thread(0);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(SINK_THREAD.into())
        .spawn(move || {
            if let Some(pin) = pin {
                pin_current_thread(pin.sink_cpu());
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("sink runtime");
            rt.block_on(async move {
                let sink = SinkServer::start().await.expect("start the sink");
                tx.send(sink.clone()).expect("report the sink");
                // This clone keeps the sink serving on this thread until the process exits.
                std::future::pending::<()>().await;
            })
        })
        .expect("spawn sink thread");
    rx.recv().expect("sink started")
}

// ===== workloads =====

/// How messages are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `send` from this many tasks sharing one producer.
    Sync { tasks: usize },
    /// `send_async`, awaiting the oldest receipt once this many are in flight.
    Async { in_flight: usize },
    /// `send_oneway`, one after another.
    Oneway,
    /// `send_batch` of this many messages.
    Batch { size: usize },
}

impl Mode {
    /// The five workloads of the sink bench.
    pub const ALL: [Mode; 5] = [
        Mode::Sync { tasks: 1 },
        Mode::Sync { tasks: 16 },
        Mode::Async { in_flight: 64 },
        Mode::Oneway,
        Mode::Batch { size: 32 },
    ];

    /// Messages per operation (a batch is one operation).
    pub fn msgs_per_op(self) -> u64 {
        match self {
            Mode::Batch { size } => size as u64,
            _ => 1,
        }
    }

    /// A short label such as `sync_c16`.
    pub fn label(self) -> String {
        match self {
            Mode::Sync { tasks } => format!("sync_c{tasks}"),
            Mode::Async { in_flight } => format!("async_{in_flight}"),
            Mode::Oneway => "oneway".into(),
            Mode::Batch { size } => format!("batch_{size}"),
        }
    }
}

/// The body sizes of the sink bench: 128 B, and 4 KiB, which the default threshold compresses.
pub const SIZES: [usize; 2] = [128, 4096];

/// A message of `size` bytes: pseudo-random letters, so zlib has real work (4 KiB shrinks to
/// 62% at level 5).
pub fn message(size: usize) -> Message {
    let mut x: u32 = 0x9E37_79B9;
    let body: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b'a' + (x % 26) as u8
        })
        .collect();
    Message::new(TOPIC, body)
}

/// A producer of group `sink_bench` whose name server is the sink at `sink`.
pub async fn producer(sink: SocketAddr) -> Producer {
    Producer::builder()
        .namesrv(sink.to_string())
        .group("sink_bench")
        .build()
        .await
        .expect("build producer against the sink")
}

/// Runs `ops` operations of `mode` and returns once all have completed.
pub async fn run(producer: &Producer, mode: Mode, msg: &Message, ops: u64) {
    match mode {
        Mode::Sync { tasks: 1 } => {
            for _ in 0..ops {
                producer.send(msg).await.expect("send");
            }
        }
        Mode::Sync { tasks } => {
            let next = Arc::new(AtomicU64::new(0));
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..tasks {
                let (producer, msg, next) = (producer.clone(), msg.clone(), next.clone());
                set.spawn(async move {
                    while next.fetch_add(1, Relaxed) < ops {
                        producer.send(&msg).await.expect("send");
                    }
                });
            }
            while let Some(done) = set.join_next().await {
                done.expect("sender task");
            }
        }
        Mode::Async { in_flight } => {
            let mut pending: VecDeque<SendFuture> = VecDeque::with_capacity(in_flight);
            for _ in 0..ops {
                if pending.len() == in_flight {
                    if let Some(oldest) = pending.pop_front() {
                        oldest.await.expect("async send");
                    }
                }
                pending.push_back(producer.send_async(msg).await.expect("send_async"));
            }
            for receipt in pending {
                receipt.await.expect("async send");
            }
        }
        Mode::Oneway => {
            for _ in 0..ops {
                producer.send_oneway(msg).await.expect("send_oneway");
            }
        }
        Mode::Batch { size } => {
            let batch = vec![msg.clone(); size];
            for _ in 0..ops {
                producer.send_batch(&batch).await.expect("send_batch");
            }
        }
    }
}

// ===== accounting =====

/// CPU time summed over threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Nanoseconds on CPU (`/proc/self/task/*/schedstat`, first field).
    pub cpu_ns: u64,
    /// Clock ticks in user mode (`/proc/self/task/*/stat`, utime; 10 ms resolution).
    pub user_ticks: u64,
    /// Clock ticks in the kernel (stime): syscalls, and on loopback also the TCP receive
    /// processing of the segments this thread sends.
    pub sys_ticks: u64,
}

impl Usage {
    /// `self - earlier`.
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu_ns: self.cpu_ns.saturating_sub(earlier.cpu_ns),
            user_ticks: self.user_ticks.saturating_sub(earlier.user_ticks),
            sys_ticks: self.sys_ticks.saturating_sub(earlier.sys_ticks),
        }
    }

    /// The kernel's share of the CPU time, from the tick counts.
    pub fn sys_share(self) -> f64 {
        self.sys_ticks as f64 / (self.user_ticks + self.sys_ticks).max(1) as f64
    }
}

/// The usage of this process's threads so far: (client, sink), split by thread name. Threads
/// that exited are not counted, so keep client threads alive across a measurement.
pub fn usage() -> (Usage, Usage) {
    let (mut client, mut sink) = (Usage::default(), Usage::default());
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    for task in tasks.flatten() {
        let dir = task.path();
        let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        let number = |s: Option<&str>| s.and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        let cpu_ns = number(read("schedstat").split_whitespace().next());
        // `stat`: the fields after the parenthesised name; utime and stime are the 14th and
        // 15th fields of the whole line.
        let stat = read("stat");
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let mut fields = after_name.split_whitespace().skip(11);
        let (user_ticks, sys_ticks) = (number(fields.next()), number(fields.next()));
        let into = if read("comm").trim() == SINK_THREAD {
            &mut sink
        } else {
            &mut client
        };
        into.cpu_ns += cpu_ns;
        into.user_ticks += user_ticks;
        into.sys_ticks += sys_ticks;
    }
    (client, sink)
}
