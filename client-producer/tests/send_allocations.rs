//! Heap allocations per message on the send path, pinned per send mode (issue #14): a counting
//! global allocator (`allocation-counter`, which counts per thread; a reallocation counts as an
//! allocation) counts what the client does while a `Producer` sends to the sink server
//! (`rmq_testkit::sink::SinkServer`), after a warm-up, and each mode must stay under its bound.
//! A change that adds an allocation to every send fails here.
//!
//! The client runs on a current-thread runtime in the test's thread, so every task of the
//! producer, its client instance and its connections runs there; the sink runs on a thread and
//! runtime of its own (as in the sink bench) and is not counted. Counting is switched on only
//! around the measured sends, and only on the client's thread.
//!
//! Run: `cargo test -p rmq-client-producer --test send_allocations -- --nocapture` (prints the
//! measured figures).

use std::time::Duration;

#[path = "../benches/support/workloads.rs"]
mod support;

use support::Mode;

// ===== the test =====

/// Operations per mode in the measured run (a batch operation is 32 messages).
const OPS: u64 = 2_000;

/// Operations per mode before measuring: fills the connection's buffers, the pending table,
/// the producer's caches and the per-thread compressor.
const WARM_UP: u64 = 1_000;

/// A workload and the most allocations one send (one call: a batch is one send) may make.
struct Case {
    mode: Mode,
    body: usize,
    max_per_send: f64,
}

/// The bounds: the measured figure plus less than one allocation, so noise (a table that
/// grows once during the run) passes and one more allocation per send does not. `async_64`
/// varies by up to 1.5 with timing (its 64 requests in flight outnumber the thread's pool of
/// header buffers), so its bound sits 2 above the release build's figure.
const CASES: [Case; 6] = [
    Case {
        mode: Mode::Sync { tasks: 1 },
        body: 128,
        max_per_send: 15.0,
    },
    Case {
        mode: Mode::Sync { tasks: 16 },
        body: 128,
        max_per_send: 15.0,
    },
    Case {
        mode: Mode::Async { in_flight: 64 },
        body: 128,
        max_per_send: 20.0,
    },
    Case {
        mode: Mode::Oneway,
        body: 128,
        max_per_send: 6.0,
    },
    Case {
        mode: Mode::Batch { size: 32 },
        body: 128,
        max_per_send: 341.0,
    },
    Case {
        mode: Mode::Sync { tasks: 1 },
        body: 4096,
        max_per_send: 18.0,
    },
];

/// Waits (up to 10 s) until the sink received `n` sends and returns how many it received:
/// oneway sends complete when queued, before the writer task wrote them.
async fn received(sink: &rmq_testkit::sink::SinkServer, n: u64) -> u64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while sink.sends() < n && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sink.sends()
}

/// With the `metrics` feature (CI tests with `--all-features`) every send attempt that waits
/// for an answer also records its instruments through the `metrics` facade, whose label set
/// costs 6 allocations even with no recorder installed (the topic and server names, the label
/// vector and its clone for the second instrument); oneway sends record nothing.
const METRICS_EXTRA: f64 = if cfg!(feature = "metrics") { 6.0 } else { 0.0 };

/// A case's bound in this build.
fn bound(case: &Case) -> f64 {
    match case.mode {
        Mode::Oneway => case.max_per_send,
        _ => case.max_per_send + METRICS_EXTRA,
    }
}

/// Every send mode stays within its allocation bound per send.
#[test]
fn each_send_mode_stays_within_its_allocations_per_message() {
    let sink = support::start_sink();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let producer = rt.block_on(support::producer(sink.addr()));
    let mut report = Vec::new();
    // Send requests the sink should have received so far (a batch is one).
    let mut expected = 0;
    for case in &CASES {
        let msg = support::message(case.body);
        rt.block_on(support::run(&producer, case.mode, &msg, WARM_UP));
        expected += WARM_UP;
        rt.block_on(received(&sink, expected));
        let info = allocation_counter::measure(|| {
            rt.block_on(support::run(&producer, case.mode, &msg, OPS));
        });
        let allocs = info.count_total;
        expected += OPS;
        assert_eq!(
            rt.block_on(received(&sink, expected)),
            expected,
            "{}: the sink received every send",
            case.mode.label()
        );
        let per_send = allocs as f64 / OPS as f64;
        println!(
            "{:>9} {:>5} B: {per_send:7.2} allocations per send, {:6.2} per message (bound {})",
            case.mode.label(),
            case.body,
            per_send / case.mode.msgs_per_op() as f64,
            bound(case)
        );
        report.push((case, per_send));
    }
    rt.block_on(producer.shutdown());
    let over: Vec<String> = report
        .iter()
        .filter(|(case, per_send)| *per_send > bound(case))
        .map(|(case, per_send)| {
            format!(
                "{} {} B: {per_send:.2} allocations per send, bound {}",
                case.mode.label(),
                case.body,
                bound(case)
            )
        })
        .collect();
    assert!(over.is_empty(), "over the bound: {over:?}");
}
