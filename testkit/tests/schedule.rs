//! Delay levels and 5.x delivery times, over TCP: parked in the system topics, then delivered
//! to the real topic with Java's properties.

mod helpers;

use helpers::{max_offset, now_ms, pull_eventually, pull_once, send, update_config};
use rmq_protocol::ResponseCode;
use rmq_remoting::{Connection, RemotingConfig};
use rmq_testkit::MockCluster;

async fn connect(cluster: &MockCluster) -> Connection {
    let addr = cluster.broker("broker-a").expect("broker-a").addr();
    Connection::connect(&addr.to_string(), &RemotingConfig::default())
        .await
        .expect("connects")
}

/// A message with DELAY=2 waits in SCHEDULE_TOPIC_XXXX queue 1, then arrives in its topic and
/// queue, with DELAY, REAL_TOPIC and REAL_QID as Java's stored properties leave them.
#[tokio::test]
async fn delayed_message_is_held_then_delivered() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    // A second long enough that the first pull surely comes before it, even on a busy machine.
    update_config(&conn, &[("messageDelayLevel", "100ms 1s")]).await;
    let sent_at = now_ms();
    send(&conn, "D", 1, &[("DELAY", "2"), ("TAGS", "X")], "later").await;
    assert_eq!(max_offset(&conn, "SCHEDULE_TOPIC_XXXX", 1).await, 1);
    let (code, none) = pull_once(&conn, "G", "D", 1, 0).await;
    assert!(none.is_empty(), "not before its time ({code:?})");

    let got = pull_eventually(&conn, "G", "D", 1, 0).await;
    let m = &got[0];
    assert_eq!((m.topic.as_str(), m.queue_id), ("D", 1));
    assert_eq!(m.body, "later");
    assert_eq!(m.tags(), Some("X"));
    assert_eq!(
        m.property("DELAY"),
        Some("2"),
        "Java's stored properties keep it"
    );
    assert_eq!(m.property("REAL_TOPIC"), Some("D"));
    assert_eq!(m.property("REAL_QID"), Some("1"));
    assert!(m.store_timestamp >= sent_at + 1000, "stored again when due");
}

/// A level above the ladder is clamped to the last level (Java `getMaxDelayLevel`).
#[tokio::test]
async fn level_above_the_ladder_uses_the_last_level() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    update_config(&conn, &[("messageDelayLevel", "1h 2h")]).await;
    send(&conn, "D", 0, &[("DELAY", "99")], "far").await;
    assert_eq!(max_offset(&conn, "SCHEDULE_TOPIC_XXXX", 1).await, 1);
    assert_eq!(max_offset(&conn, "D", 0).await, 0);
}

/// TIMER_DELAY_MS parks the message in the timer topic; it arrives with TIMER_OUT_MS,
/// TIMER_ENQUEUE_MS and TIMER_DEQUEUE_MS (5.x `convertMessage`).
#[tokio::test]
async fn timer_message_is_delivered_at_its_time() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    update_config(&conn, &[("timerPrecisionMs", "10")]).await;
    let sent_at = now_ms();
    send(&conn, "W", 2, &[("TIMER_DELAY_MS", "1000")], "timed").await;
    assert_eq!(max_offset(&conn, "rmq_sys_wheel_timer", 0).await, 1);
    let (_, none) = pull_once(&conn, "G", "W", 2, 0).await;
    assert!(none.is_empty(), "not before its time");

    let m = pull_eventually(&conn, "G", "W", 2, 0).await.remove(0);
    assert_eq!((m.topic.as_str(), m.queue_id), ("W", 2));
    let due: i64 = m
        .property("TIMER_OUT_MS")
        .expect("out")
        .parse()
        .expect("ms");
    assert!(
        due >= sent_at + 990 && due <= now_ms(),
        "due {due}, sent {sent_at}"
    );
    assert!(m.property("TIMER_ENQUEUE_MS").is_some());
    let dequeued: i64 = m
        .property("TIMER_DEQUEUE_MS")
        .expect("deq")
        .parse()
        .expect("ms");
    assert!(dequeued >= due);
    assert_eq!(m.property("REAL_TOPIC"), Some("W"));
    assert_eq!(m.property("REAL_QID"), Some("2"));
}

/// An absolute delivery time in the past (TIMER_DELIVER_MS, or the legacy __STARTDELIVERTIME)
/// is delivered at once; one in the future is parked.
#[tokio::test]
async fn absolute_delivery_times() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let past = (now_ms() - 1000).to_string();
    send(&conn, "A", 0, &[("TIMER_DELIVER_MS", past.as_str())], "now").await;
    let (code, got) = pull_once(&conn, "G", "A", 0, 0).await;
    assert_eq!(code, ResponseCode::SUCCESS);
    assert_eq!(got[0].body, "now");

    let future = (now_ms() + 3_600_000).to_string();
    send(
        &conn,
        "A",
        0,
        &[("__STARTDELIVERTIME", future.as_str())],
        "later",
    )
    .await;
    assert_eq!(max_offset(&conn, "A", 0).await, 1);
    assert_eq!(max_offset(&conn, "rmq_sys_wheel_timer", 0).await, 1);
}
