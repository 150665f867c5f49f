//! CONSUMER_SEND_MSG_BACK to `%RETRY%<group>` through the delay ladder, and the DLQ, over TCP.

mod helpers;

use helpers::{call, max_offset, pull_eventually, send, send_request, update_config};
use rmq_protocol::header::ConsumerSendMsgBackRequestHeader;
use rmq_protocol::header::SendMessageRequestHeader;
use rmq_protocol::{ids, Command, RequestCode, ResponseCode};
use rmq_remoting::{Connection, RemotingConfig};
use rmq_testkit::MockCluster;

async fn connect(cluster: &MockCluster) -> Connection {
    let addr = cluster.broker("broker-a").expect("broker-a").addr();
    Connection::connect(&addr.to_string(), &RemotingConfig::default())
        .await
        .expect("connects")
}

fn send_back(offset: i64, group: &str, delay_level: i32, max: Option<i32>) -> Command {
    Command::request(RequestCode::CONSUMER_SEND_MSG_BACK).with_header(
        &ConsumerSendMsgBackRequestHeader {
            offset,
            group: group.into(),
            delay_level,
            origin_msg_id: None,
            origin_topic: Some("T".into()),
            unit_mode: false,
            max_reconsume_times: max,
            broker_name: None,
        },
    )
}

/// A short ladder so level-3 retries come back within the test.
async fn fast_ladder(conn: &Connection) {
    update_config(conn, &[("messageDelayLevel", "10ms 20ms 30ms 40ms")]).await;
}

/// A sent-back message waits in the schedule topic for level 3, then lands in the group's
/// retry topic with RETRY_TOPIC, ORIGIN_MESSAGE_ID and one more reconsume time.
#[tokio::test]
async fn send_back_delivers_to_the_retry_topic_after_the_delay() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    fast_ladder(&conn).await;
    let sent = send(&conn, "T", 0, &[("TAGS", "A"), ("UNIQ_KEY", "U1")], "body").await;
    let offset = ids::decode_offset_msg_id(&sent.msg_id)
        .expect("id")
        .commit_log_offset;

    let answer = call(&conn, send_back(offset, "G", 0, None)).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );

    let retried = pull_eventually(&conn, "G", "%RETRY%G", 0, 0).await;
    let m = &retried[0];
    assert_eq!(m.topic, "%RETRY%G");
    assert_eq!(m.body, "body");
    assert_eq!(m.reconsume_times, 1);
    assert_eq!(m.property("RETRY_TOPIC"), Some("T"));
    assert_eq!(m.property("ORIGIN_MESSAGE_ID"), Some(sent.msg_id.as_str()));
    assert_eq!(m.msg_id(), "U1", "the unique key travels along");
    assert_eq!(m.tags(), Some("A"));
    // Java's stored properties keep the level and the parking address.
    assert_eq!(m.property("DELAY"), Some("3"));
    assert_eq!(m.property("REAL_TOPIC"), Some("%RETRY%G"));
    assert_eq!(
        max_offset(&conn, "SCHEDULE_TOPIC_XXXX", 2).await,
        1,
        "parked at level 3"
    );
}

/// A second send-back of the retried message keeps the first ORIGIN_MESSAGE_ID and counts up.
#[tokio::test]
async fn second_send_back_keeps_the_origin_id() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    fast_ladder(&conn).await;
    let sent = send(&conn, "T", 0, &[], "body").await;
    let offset = ids::decode_offset_msg_id(&sent.msg_id)
        .expect("id")
        .commit_log_offset;
    call(&conn, send_back(offset, "G", 1, None)).await;
    let first = pull_eventually(&conn, "G", "%RETRY%G", 0, 0)
        .await
        .remove(0);
    call(&conn, send_back(first.commit_log_offset, "G", 1, None)).await;
    let second = pull_eventually(&conn, "G", "%RETRY%G", 0, 1)
        .await
        .remove(0);
    assert_eq!(second.reconsume_times, 2);
    assert_eq!(
        second.property("ORIGIN_MESSAGE_ID"),
        Some(sent.msg_id.as_str())
    );
    assert_eq!(second.property("RETRY_TOPIC"), Some("T"));
}

/// Past maxReconsumeTimes (from the header) or with a negative delay level, the message goes
/// straight to `%DLQ%<group>`.
#[tokio::test]
async fn exhausted_or_negative_level_goes_to_the_dlq() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let sent = send(&conn, "T", 0, &[], "dead").await;
    let offset = ids::decode_offset_msg_id(&sent.msg_id)
        .expect("id")
        .commit_log_offset;
    let answer = call(&conn, send_back(offset, "G", 0, Some(0))).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let dead = pull_eventually(&conn, "G", "%DLQ%G", 0, 0).await.remove(0);
    assert_eq!(dead.body, "dead");
    assert_eq!(dead.reconsume_times, 1);
    assert_eq!(max_offset(&conn, "%RETRY%G", 0).await, 0, "nothing retried");

    call(&conn, send_back(offset, "G", -1, None)).await;
    let again = pull_eventually(&conn, "G", "%DLQ%G", 0, 1).await;
    assert_eq!(again[0].body, "dead");
}

/// A send-back naming no stored message is SYSTEM_ERROR with Java's remark.
#[tokio::test]
async fn send_back_of_unknown_offset_is_refused() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let answer = call(&conn, send_back(12_345, "G", 0, None)).await;
    assert_eq!(answer.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("look message by offset failed, 12345")
    );
}

/// A message a client sends to a `%RETRY%` topic with its reconsume times at the maximum is
/// stored in the DLQ (Java `handleRetryAndDLQ`).
#[tokio::test]
async fn retry_topic_send_past_max_lands_in_the_dlq() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let mut request = send_request("%RETRY%G2", 0, &[], "late", 0);
    let mut header: SendMessageRequestHeader = request.decode_header().expect("header");
    header.reconsume_times = Some(16);
    request = request.with_header(&header);
    let answer = call(&conn, request).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    let dead = pull_eventually(&conn, "G2", "%DLQ%G2", 0, 0).await;
    assert_eq!(dead[0].body, "late");
    assert_eq!(dead[0].reconsume_times, 16);
}
