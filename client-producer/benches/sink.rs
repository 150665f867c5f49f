//! The producer against an in-process sink server that acknowledges every send at once
//! (`rmq_testkit::sink`, started by `support/workloads.rs`), so what is timed is the client:
//! building and encoding the request, the transport, matching the response, plus loopback TCP.
//!
//! The client runs on a current-thread runtime in the bench thread, the sink on its own
//! thread and runtime; `RMQ_SINK_PIN=split|same` pins them (see `support::Pin`). Throughput
//! is in messages (a batch of 32 counts 32). 4 KiB bodies are zlib-compressed (default
//! threshold 4 KiB), batches never are. Client CPU per message and syscalls per message come
//! from `cargo run --profile bench -p rmq-client-producer --example
//! sink_bench`; BENCHMARKS.md has both.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "support/workloads.rs"]
mod support;

use support::{Mode, SIZES};

fn sink(c: &mut Criterion) {
    let sink = support::start_sink();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let producer = rt.block_on(support::producer(sink.addr()));
    let mut group = c.benchmark_group("sink");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for size in SIZES {
        let msg = support::message(size);
        for mode in Mode::ALL {
            group.throughput(Throughput::Elements(mode.msgs_per_op()));
            let id = BenchmarkId::new(mode.label(), format!("{size}B"));
            group.bench_function(id, |b| {
                b.iter_custom(|ops| {
                    rt.block_on(async {
                        let start = Instant::now();
                        support::run(&producer, mode, &msg, ops).await;
                        start.elapsed()
                    })
                });
            });
        }
    }
    group.finish();
    rt.block_on(producer.shutdown());
}

criterion_group!(benches, sink);
criterion_main!(benches);
