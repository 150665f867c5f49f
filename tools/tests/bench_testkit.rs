//! `rmq-bench-producer` and `rmq-bench-consumer` against an embedded testkit cluster: Java's
//! options are accepted, every message is counted once, and the report lines carry the
//! figures `cargo xtask bench compare` reads.

use std::process::Output;

use rmq_testkit::MockCluster;

/// Runs a bench binary with `args` off the async runtime.
async fn run(bin: &'static str, args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .args(&args)
            .env_remove("NAMESRV_ADDR")
            .output()
            .expect("the bench binary runs")
    })
    .await
    .expect("the blocking task finishes")
}

fn stdout(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The number after `label` in `line`.
fn figure(line: &str, label: &str) -> Option<f64> {
    let rest = &line[line.find(label)? + label.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_and_consumer_count_every_message_with_java_options() {
    let cluster = MockCluster::builder().start().await.expect("testkit");
    cluster.create_topic("BenchTopic", 4);
    let ns = cluster.namesrv_addr();

    // Java's letters: 4 senders, 64 B bodies, keys on, 3 tags, 200 messages in total.
    let out = run(
        env!("CARGO_BIN_EXE_rmq-bench-producer"),
        &[
            "-n",
            &ns,
            "-t",
            "BenchTopic",
            "-w",
            "4",
            "-s",
            "64",
            "-k",
            "true",
            "-l",
            "3",
            "-q",
            "200",
        ],
    )
    .await;
    let text = stdout(&out);
    let complete = text
        .lines()
        .find(|l| l.starts_with("[Complete]"))
        .unwrap_or_else(|| panic!("no [Complete] line: {text}"));
    assert_eq!(figure(complete, "Send Total:"), Some(200.0), "{complete}");
    assert_eq!(figure(complete, "Send Failed:"), Some(0.0), "{complete}");
    assert_eq!(
        figure(complete, "Response Failed:"),
        Some(0.0),
        "{complete}"
    );
    let p99 = figure(complete, "p99 RT(ms):").expect("a p99");
    assert!(p99 > 0.0 && p99 <= figure(complete, "Max RT(ms):").expect("a max"));

    // A new group (Java's -p true suffix) reads the topic's history; -ri is Java 5.x's report
    // interval in milliseconds, -d ours.
    let out = run(
        env!("CARGO_BIN_EXE_rmq-bench-consumer"),
        &[
            "-n",
            &ns,
            "-t",
            "BenchTopic",
            "-g",
            "bench_it",
            "-p",
            "true",
            "-ri",
            "500",
            "-d",
            "6",
        ],
    )
    .await;
    let text = stdout(&out);
    assert!(text.contains("group: bench_it_"), "{text}");
    let consumed: f64 = text
        .lines()
        .filter(|l| l.starts_with("Current Time:"))
        .map(|l| {
            assert!(l.contains("p99(B2C) RT(ms):"), "{l}");
            // TPS over a 0.5 s interval: messages = TPS / 2, give or take the interval's length.
            figure(l, " TPS:").expect("a TPS") * 0.5
        })
        .sum();
    assert!(
        (150.0..=250.0).contains(&consumed),
        "about 200 consumed, got {consumed}: {text}"
    );
    cluster.shutdown().await;
}
