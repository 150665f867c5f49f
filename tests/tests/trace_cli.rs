//! `rmq-admin sendMessage -m true` and `rmq-admin queryMsgTraceById` on the shared cluster:
//! the traced send's Pub row reads back in mqadmin's columns and in JSON.
//!
//! The binary is built once per run with `cargo build -p rmq-tools --bin rmq-admin` into the
//! same target dir as this test.

mod support;

use std::time::Duration;

use rmq_client_admin::Admin;
use rmq_protocol::naming;
use rmq_tests::names;
use support::rmq_admin::ok_blocking;

const WAIT: Duration = Duration::from_secs(60);

/// The message id in `sendMessage`'s output: the last column of its one row.
fn sent_msg_id(sent: &str) -> String {
    sent.lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().last())
        .expect("msg id column")
        .to_owned()
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

    let sent = ok_blocking(&[
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
    let msg_id = sent_msg_id(&sent);

    let last = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let found = rmq_tests::eventually(WAIT, || {
        let (msg_id, last) = (msg_id.clone(), last.clone());
        async move {
            let text = ok_blocking(&["queryMsgTraceById", "-i", &msg_id]).await;
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

    let json = ok_blocking(&["queryMsgTraceById", "-i", &msg_id, "--json"]).await;
    assert!(json.contains(&format!("\"topic\": \"{topic}\"")), "{json}");
    assert!(json.contains("\"tags\": \"TagC\""), "{json}");
    assert!(json.contains("\"type\": \"Pub\""), "{json}");

    // Without -m the send writes no trace.
    let plain = ok_blocking(&["sendMessage", "-t", &topic, "-p", "plain"]).await;
    let plain_id = sent_msg_id(&plain);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let none = ok_blocking(&["queryMsgTraceById", "-i", &plain_id]).await;
    assert!(!none.contains("Pub"), "{none}");
    admin.shutdown().await;
}
