//! `rmq-admin sendMessage -m true` and `rmq-admin queryMsgTraceById` on the shared cluster:
//! the traced send's Pub row reads back in mqadmin's columns and in JSON.
//!
//! The binary is built once per run with `cargo build -p rmq-tools --bin rmq-admin` into the
//! same target dir as this test.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use rmq_client_admin::Admin;
use rmq_protocol::naming;
use rmq_tests::names;

const WAIT: Duration = Duration::from_secs(60);

/// The built binary, next to this test's `deps` dir.
fn bin() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("target/<profile>/deps")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "-p", "rmq-tools", "--bin", "rmq-admin"]);
        build.env("CARGO_TARGET_DIR", &target_dir);
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "building rmq-admin failed");
        profile_dir.join("rmq-admin")
    })
}

/// Runs `rmq-admin <args> -n <shared namesrv>`, off the async runtime's threads.
async fn run(args: &[&str]) -> Output {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    all.extend(["-n".to_owned(), rmq_tests::namesrv_addr()]);
    let path = bin().clone();
    tokio::task::spawn_blocking(move || {
        Command::new(path)
            .args(all)
            .env_remove("NAMESRV_ADDR")
            .output()
            .expect("run rmq-admin")
    })
    .await
    .expect("join")
}

/// Runs and expects exit code 0; returns stdout.
async fn ok(args: &[&str]) -> String {
    let o = run(args).await;
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "rmq-admin {args:?} failed: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// `sendMessage -m true` writes the Pub record: `queryMsgTraceById -i <id>` prints it under
/// mqadmin's producer header, and `--json` carries the message's topic and tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_message_with_trace_shows_its_pub_row() {
    let topic = names::topic("trace_cli");
    let admin = Admin::connect(rmq_tests::namesrv_addr())
        .await
        .expect("admin");
    admin.create_topic(&topic).queues(2).await.expect("topic");
    let routed = rmq_tests::eventually(WAIT, || async { admin.topic_route(&topic).await.is_ok() });
    assert!(routed.await, "no route for {topic}");

    let sent = ok(&[
        "sendMessage",
        "-t",
        &topic,
        "-p",
        "traced",
        "-c",
        "TagC",
        "-m",
        "true",
    ])
    .await;
    let msg_id = sent
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().last())
        .expect("msg id column")
        .to_owned();

    let last = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let found = rmq_tests::eventually(WAIT, || {
        let (msg_id, last) = (msg_id.clone(), last.clone());
        async move {
            let text = ok(&["queryMsgTraceById", "-i", &msg_id]).await;
            let pub_row = text.contains("\nPub ");
            *last.lock().expect("lock") = text;
            pub_row
        }
    })
    .await;
    let text = last.lock().expect("lock").clone();
    assert!(found, "no Pub row for {msg_id}: {text}");
    let header = text.lines().next().expect("header");
    assert!(
        header.starts_with("#Type      #ProducerGroup       #ClientHost"),
        "{text}"
    );
    let row = text.lines().nth(1).expect("Pub row");
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[0], "Pub", "{text}");
    assert_eq!(cols[1], naming::DEFAULT_PRODUCER_GROUP, "{text}");
    assert_eq!(cols.last().copied(), Some("success"), "{text}");
    assert!(cols.iter().any(|c| c.ends_with("ms")), "{text}");

    let json = ok(&["queryMsgTraceById", "-i", &msg_id, "--json"]).await;
    assert!(json.contains(&format!("\"topic\": \"{topic}\"")), "{json}");
    assert!(json.contains("\"tags\": \"TagC\""), "{json}");
    assert!(json.contains("\"type\": \"Pub\""), "{json}");

    // Without -m the send writes no trace.
    let plain = ok(&["sendMessage", "-t", &topic, "-p", "plain"]).await;
    let plain_id = plain
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().last())
        .expect("msg id column")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let none = ok(&["queryMsgTraceById", "-i", &plain_id]).await;
    assert!(!none.contains("Pub"), "{none}");
    admin.shutdown().await;
}
