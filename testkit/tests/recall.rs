//! RECALL_MESSAGE (5.x) over TCP: a timer message's send answer carries its recall handle, a
//! recall before its time keeps it from ever arriving, and the refusals are Java 5.3.3's.

mod helpers;

use std::time::Duration;

use base64::Engine as _;
use helpers::{call, max_offset, now_ms, pull_eventually, pull_once, send_request, update_config};
use rmq_protocol::header::{
    RecallHandle, RecallMessageRequestHeader, RecallMessageResponseHeader, RECALL_HANDLE_FIELD,
};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::{Connection, RemotingConfig};
use rmq_testkit::MockCluster;

async fn connect(cluster: &MockCluster) -> Connection {
    let addr = cluster.broker("broker-a").expect("broker-a").addr();
    Connection::connect(&addr.to_string(), &RemotingConfig::default())
        .await
        .expect("connects")
}

/// Sends a timer message due in `delay_ms` with unique key `id`; its recall handle.
async fn send_timer(conn: &Connection, topic: &str, id: &str, delay_ms: i64) -> Option<String> {
    let delay = delay_ms.to_string();
    let props = [("TIMER_DELAY_MS", delay.as_str()), ("UNIQ_KEY", id)];
    let answer = call(conn, send_request(topic, 0, &props, id, 0)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS, "{answer:?}");
    answer
        .ext_fields
        .get(RECALL_HANDLE_FIELD)
        .map(str::to_owned)
}

fn recall_request(topic: &str, handle: &str) -> Command {
    let header = RecallMessageRequestHeader {
        producer_group: Some("PG".into()),
        topic: topic.into(),
        recall_handle: handle.into(),
        broker_name: Some("broker-a".into()),
    };
    Command::request(RequestCode::RECALL_MESSAGE).with_header(&header)
}

/// base64url of a v1 handle, as Java's `HandleV1#buildHandle` writes it.
fn handle(topic: &str, broker: &str, timestamp: i64, id: &str) -> String {
    let raw = format!("v1 {topic} {broker} {timestamp} {id}");
    base64::engine::general_purpose::URL_SAFE.encode(raw)
}

/// The recalled message never arrives; another one due at the same time does, and the
/// recall's marker is not delivered either.
#[tokio::test]
async fn a_recalled_timer_message_is_never_delivered() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    update_config(
        &conn,
        &[("recallMessageEnable", "true"), ("timerPrecisionMs", "10")],
    )
    .await;
    let sent_at = now_ms();
    let recalled = send_timer(&conn, "R", "ID-RECALLED", 1000)
        .await
        .expect("a timer message's answer carries a recall handle");
    send_timer(&conn, "R", "ID-KEPT", 1000)
        .await
        .expect("handle");
    let decoded = RecallHandle::decode(&recalled).expect("a v1 handle");
    assert_eq!(
        (decoded.topic.as_str(), decoded.broker_name.as_str()),
        ("R", "broker-a")
    );
    assert_eq!(decoded.message_id, "ID-RECALLED");
    let due: i64 = decoded.timestamp.parse().expect("ms");
    assert!(due > sent_at && due <= now_ms() + 1001, "due {due}");

    let answer = call(&conn, recall_request("R", &recalled)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS, "{answer:?}");
    let header: RecallMessageResponseHeader = answer.decode_header().expect("header");
    assert_eq!(header.msg_id, "ID-RECALLED");
    assert_eq!(answer.ext_fields.get("MSG_REGION"), Some("DefaultRegion"));

    let got = pull_eventually(&conn, "G", "R", 0, 0).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "ID-KEPT");
    // Both were due at once; give the timer time to (wrongly) deliver the other one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(max_offset(&conn, "R", 0).await, 1, "only the kept message");
    let (_, again) = pull_once(&conn, "G", "R", 0, 1).await;
    assert!(again.is_empty(), "{again:?}");
    cluster.shutdown().await;
}

/// No handle for a message that is not a timer message.
#[tokio::test]
async fn only_timer_messages_get_a_recall_handle() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let answer = call(&conn, send_request("R", 0, &[("UNIQ_KEY", "X")], "now", 0)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    assert_eq!(answer.ext_fields.get(RECALL_HANDLE_FIELD), None);
    cluster.shutdown().await;
}

/// Java's refusals, in its order: recall disabled (the default), unknown topic, a handle that
/// does not decode, another topic's handle, another broker's, a time already past.
#[tokio::test]
async fn recall_refusals_are_javas() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let valid = send_timer(&conn, "R", "ID1", 60_000).await.expect("handle");
    let refusal = |topic: &str, handle: &str| {
        let request = recall_request(topic, handle);
        let conn = conn.clone();
        async move {
            let answer = call(&conn, request).await;
            (answer.response_code(), answer.remark.unwrap_or_default())
        }
    };
    let forbidden = refusal("R", &valid).await;
    assert_eq!(
        forbidden,
        (
            ResponseCode::NO_PERMISSION,
            "recall failed, operation is forbidden".into()
        )
    );
    update_config(&conn, &[("recallMessageEnable", "true")]).await;
    let illegal = ResponseCode::ILLEGAL_OPERATION;
    let later = now_ms() + 60_000;
    let cases = [
        (
            "NOPE",
            valid.clone(),
            ResponseCode::TOPIC_NOT_EXIST,
            "recall failed, the topic[NOPE] not exist",
        ),
        ("R", "!!".into(), illegal, "recall handle is invalid"),
        (
            "R",
            handle("TBW102", "broker-a", later, "ID1"),
            illegal,
            "recall failed, topic not match",
        ),
        (
            "R",
            handle("R", "broker-z", later, "ID1"),
            illegal,
            "recall failed, broker service not available",
        ),
        (
            "R",
            handle("R", "broker-a", now_ms() - 1, "ID1"),
            illegal,
            "recall failed, timestamp invalid",
        ),
    ];
    for (topic, handle, code, remark) in cases {
        assert_eq!(
            refusal(topic, &handle).await,
            (code, remark.into()),
            "{remark}"
        );
    }
    assert_eq!(refusal("R", &valid).await.0, ResponseCode::SUCCESS);
    cluster.shutdown().await;
}
