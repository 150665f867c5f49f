//! The send path's rules over TCP, as Java's `SendMessageProcessor` and commit log apply them:
//! `%RETRY%` sends and the header's `maxReconsumeTimes`, refused delayed batches and
//! far-future timer messages, the properties Java does not store, and the broker permission.

mod helpers;

use helpers::{call, max_offset, pull_eventually, send, send_request, update_config};
use rmq_protocol::body::{JsonBody, TopicRouteData};
use rmq_protocol::header::{
    ConsumerSendMsgBackRequestHeader, GetRouteInfoRequestHeader, PutKvConfigRequestHeader,
    SendMessageRequestHeader, SendMessageRequestHeaderV2,
};
use rmq_protocol::message::{encode_batch, Message};
use rmq_protocol::{Command, Properties, RequestCode, ResponseCode, Version};
use rmq_remoting::{Connection, RemotingConfig};
use rmq_testkit::MockCluster;

async fn connect(cluster: &MockCluster) -> Connection {
    let addr = cluster.broker("broker-a").expect("broker-a").addr();
    Connection::connect(&addr.to_string(), &RemotingConfig::default())
        .await
        .expect("connects")
}

/// A send to `%RETRY%<group>` with `reconsume_times` and the header's `max_reconsume_times`,
/// from a client of `version`.
fn retry_send(group: &str, reconsume: i32, max: Option<i32>, version: i32) -> Command {
    let topic = format!("%RETRY%{group}");
    let mut request = send_request(&topic, 0, &[], "again", 0);
    let mut header: SendMessageRequestHeader = request.decode_header().expect("header");
    header.reconsume_times = Some(reconsume);
    header.max_reconsume_times = max;
    request = request.with_header(&header);
    request.version = version;
    request
}

/// The header's `maxReconsumeTimes` decides where a `%RETRY%` send goes: at the maximum to
/// the DLQ, below it to the retry topic, although the group's own maximum (16) is far off;
/// a client older than V3_4_9 gets the group's maximum.
#[tokio::test]
async fn retry_send_honours_the_header_max_reconsume_times() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let current = Version::V4_9_3.0;
    let at_max = call(&conn, retry_send("G", 2, Some(2), current)).await;
    assert_eq!(at_max.response_code(), ResponseCode::SUCCESS);
    let dead = pull_eventually(&conn, "G", "%DLQ%G", 0, 0).await;
    assert_eq!(dead[0].reconsume_times, 2);
    assert_eq!(max_offset(&conn, "%RETRY%G", 0).await, 0);

    let below = call(&conn, retry_send("G", 2, Some(3), current)).await;
    assert_eq!(below.response_code(), ResponseCode::SUCCESS);
    assert_eq!(max_offset(&conn, "%RETRY%G", 0).await, 1);

    let old_client = Version::V3_4_9.0 - 1;
    let ignored = call(&conn, retry_send("G", 2, Some(2), old_client)).await;
    assert_eq!(ignored.response_code(), ResponseCode::SUCCESS);
    assert_eq!(
        max_offset(&conn, "%RETRY%G", 0).await,
        2,
        "group max applies"
    );
    assert_eq!(max_offset(&conn, "%DLQ%G", 0).await, 1);
}

/// A batch whose header properties carry a delay level is refused with MESSAGE_ILLEGAL and
/// Java's remark (`CommitLog#asyncPutMessages`); nothing is stored.
#[tokio::test]
async fn delayed_batch_is_refused() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let body = encode_batch(&[
        Message::new("B", &b"one"[..]),
        Message::new("B", &b"two"[..]),
    ])
    .expect("batch");
    let mut properties = Properties::new();
    properties.insert("DELAY", "2");
    let header: SendMessageRequestHeaderV2 = SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: "B".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        properties: Some(properties.encode()),
        batch: true,
        ..SendMessageRequestHeader::default()
    }
    .into();
    let request = Command::request(RequestCode::SEND_BATCH_MESSAGE)
        .with_header(&header)
        .with_body(body);
    let answer = call(&conn, request).await;
    assert_eq!(answer.response_code(), ResponseCode::MESSAGE_ILLEGAL);
    assert_eq!(
        answer.remark.as_deref(),
        Some("the message is illegal, maybe msg body or properties length not matched. msg body length limit 4194304B, msg properties length limit 32KB.")
    );
    assert_eq!(max_offset(&conn, "B", 0).await, 0);
    assert_eq!(max_offset(&conn, "SCHEDULE_TOPIC_XXXX", 1).await, 0);
}

/// A timer message due further out than `timerMaxDelaySec` (3 days by default), or whose
/// delivery time does not parse, is refused with MESSAGE_ILLEGAL and 5.x's remark; one within
/// the limit is parked.
#[tokio::test]
async fn timer_message_beyond_the_max_delay_is_refused() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let remark = "timer message illegal, the delay time should not be bigger than the max delay 259200000ms; or if set del msg, the delay time should be bigger than the current time";
    let four_days = (4 * 24 * 3600).to_string();
    for value in [four_days.as_str(), "soon"] {
        let request = send_request("T", 0, &[("TIMER_DELAY_SEC", value)], "x", 0);
        let answer = call(&conn, request).await;
        assert_eq!(
            answer.response_code(),
            ResponseCode::MESSAGE_ILLEGAL,
            "{value}"
        );
        assert_eq!(answer.remark.as_deref(), Some(remark), "{value}");
    }
    let two_days = (2 * 24 * 3600).to_string();
    let request = send_request("T", 0, &[("TIMER_DELAY_SEC", two_days.as_str())], "x", 0);
    let answer = call(&conn, request).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    assert_eq!(max_offset(&conn, "rmq_sys_wheel_timer", 0).await, 1);
    assert_eq!(max_offset(&conn, "T", 0).await, 0);
}

/// WAIT is not stored with a message sent straight to its topic (Java 4.9.7 strips it from the
/// properties string); a delayed message keeps it, since parking writes the string again.
#[tokio::test]
async fn wait_is_stored_only_when_the_message_is_parked() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    update_config(&conn, &[("messageDelayLevel", "100ms")]).await;
    send(&conn, "W", 0, &[("WAIT", "true"), ("TAGS", "A")], "now").await;
    let plain = pull_eventually(&conn, "G", "W", 0, 0).await.remove(0);
    assert_eq!(plain.property("WAIT"), None);
    assert_eq!(plain.tags(), Some("A"));

    send(&conn, "W", 1, &[("WAIT", "false"), ("DELAY", "1")], "later").await;
    let delayed = pull_eventually(&conn, "G", "W", 1, 0).await.remove(0);
    assert_eq!(delayed.body, "later");
    assert_eq!(delayed.property("WAIT"), Some("false"));
}

fn route(topic: &str) -> Command {
    Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&GetRouteInfoRequestHeader {
        topic: topic.into(),
        accept_standard_json_only: None,
    })
}

async fn route_perm(ns: &Connection, topic: &str) -> i32 {
    let answer = call(ns, route(topic)).await;
    let route = TopicRouteData::from_json(&answer.body).expect("route");
    route.queue_datas[0].perm
}

fn send_back(offset: i64) -> Command {
    Command::request(RequestCode::CONSUMER_SEND_MSG_BACK).with_header(
        &ConsumerSendMsgBackRequestHeader {
            offset,
            group: "G".into(),
            delay_level: 0,
            origin_msg_id: None,
            origin_topic: Some("Plain".into()),
            unit_mode: false,
            max_reconsume_times: None,
            broker_name: None,
        },
    )
}

/// `brokerPermission=4` (mqadmin updateBrokerConfig / wipeWritePerm) re-registers the routes
/// read-only; the broker then refuses sends to order topics and send-backs with NO_PERMISSION
/// and Java's remark, while a send to another topic is still stored, as Java 4.9.7's
/// `msgCheck` does. `brokerPermission=6` undoes it.
#[tokio::test]
async fn read_only_broker_refuses_order_topic_sends_and_send_backs() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let ns = Connection::connect(&cluster.namesrv_addr(), &RemotingConfig::default())
        .await
        .expect("connects");
    let kv = Command::request(RequestCode::PUT_KV_CONFIG).with_header(&PutKvConfigRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".into(),
        key: "Ordered".into(),
        value: "broker-a:4".into(),
    });
    assert_eq!(call(&ns, kv).await.response_code(), ResponseCode::SUCCESS);
    let sent = send(&conn, "Plain", 0, &[], "first").await;
    send(&conn, "Ordered", 0, &[], "first").await;
    assert_eq!(route_perm(&ns, "Plain").await, 6);

    update_config(&conn, &[("brokerPermission", "4")]).await;
    assert_eq!(route_perm(&ns, "Plain").await, 4, "routes say read-only");
    let forbidden = Some("the broker[127.0.0.1] sending message is forbidden");
    let ordered = call(&conn, send_request("Ordered", 0, &[], "x", 0)).await;
    assert_eq!(ordered.response_code(), ResponseCode::NO_PERMISSION);
    assert_eq!(ordered.remark.as_deref(), forbidden);
    let offset = rmq_protocol::ids::decode_offset_msg_id(&sent.msg_id)
        .expect("id")
        .commit_log_offset;
    let back = call(&conn, send_back(offset)).await;
    assert_eq!(back.response_code(), ResponseCode::NO_PERMISSION);
    assert_eq!(back.remark.as_deref(), forbidden);
    let plain = call(&conn, send_request("Plain", 0, &[], "x", 0)).await;
    assert_eq!(plain.response_code(), ResponseCode::SUCCESS);
    assert_eq!(max_offset(&conn, "Ordered", 0).await, 1);

    update_config(&conn, &[("brokerPermission", "6")]).await;
    assert_eq!(route_perm(&ns, "Plain").await, 6);
    send(&conn, "Ordered", 0, &[], "again").await;
    assert_eq!(max_offset(&conn, "Ordered", 0).await, 2);
}
