//! Helpers shared by the testkit's integration tests: raw remoting connections and the few
//! requests the tests build by hand (the client crates are deliberately not used here).
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rmq_protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, JsonBody, MessageModel,
    SubscriptionData,
};
use rmq_protocol::header::{
    PullMessageRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
};
use rmq_protocol::message::{decode_stored, DecodeOptions, PullSysFlag};
use rmq_protocol::{Command, Properties, RequestCode, StoredMessage};
use rmq_remoting::{Connection, RemotingClient, RemotingConfig};
use tokio::sync::mpsc;

/// Generous bound for one request to a healthy node.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A standalone connection to `addr`.
pub async fn connect(addr: SocketAddr) -> Connection {
    Connection::connect(&addr.to_string(), &RemotingConfig::default())
        .await
        .expect("connects")
}

/// Sends `cmd` and waits for the answer.
pub async fn call(conn: &Connection, cmd: Command) -> Command {
    conn.request(cmd, TIMEOUT).await.expect("answered")
}

/// A client whose server-initiated requests land in the returned receiver (and are answered
/// SUCCESS).
pub fn recording_client() -> (RemotingClient, mpsc::UnboundedReceiver<Command>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let processor = move |_addr: String, request: Command| {
        let tx = tx.clone();
        async move {
            let answer = Command::response_to(&request, rmq_protocol::ResponseCode::SUCCESS, None);
            let _ = tx.send(request);
            Some(answer)
        }
    };
    let client = RemotingClient::builder()
        .processor(Arc::new(processor))
        .build();
    (client, rx)
}

/// A V1 send header for `topic` / `queue_id` with `properties`.
pub fn send_header(
    topic: &str,
    queue_id: i32,
    properties: &Properties,
) -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 7,
        properties: Some(properties.encode()),
        ..SendMessageRequestHeader::default()
    }
}

/// SEND_MESSAGE_V2 of `body` with tag `tag`.
pub fn send_v2(topic: &str, queue_id: i32, tag: &str, body: &'static [u8]) -> Command {
    let mut properties = Properties::new();
    properties.insert("TAGS", tag);
    properties.insert("KEYS", "k1");
    let header: SendMessageRequestHeaderV2 = send_header(topic, queue_id, &properties).into();
    Command::request(RequestCode::SEND_MESSAGE_V2)
        .with_header(&header)
        .with_body(body)
}

/// A pull of up to 32 messages, with `suspend_ms` of long polling (0: none).
pub fn pull(group: &str, topic: &str, queue_id: i32, offset: i64, suspend_ms: i64) -> Command {
    let flag = PullSysFlag::new()
        .with_suspend(suspend_ms > 0)
        .with_subscription(true);
    let header = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: flag.bits(),
        commit_offset: 0,
        suspend_timeout_millis: suspend_ms,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        ..PullMessageRequestHeader::default()
    };
    Command::request(RequestCode::PULL_MESSAGE).with_header(&header)
}

/// The messages of a pull answer.
pub fn messages(answer: &Command) -> Vec<StoredMessage> {
    decode_stored(answer.body.clone(), DecodeOptions::new()).expect("valid records")
}

/// A HEART_BEAT for consumer `group` of `client_id`, subscribed to `topic` with `*`.
pub fn consumer_heartbeat(client_id: &str, group: &str, topic: &str) -> Command {
    let data = HeartbeatData {
        client_id: client_id.into(),
        consumer_data_set: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            consume_type: ConsumeType::Passively,
            group_name: group.into(),
            message_model: MessageModel::Clustering,
            subscription_data_set: vec![SubscriptionData::from_tag_expression(topic, "*", 1)],
            unit_mode: false,
        }],
        ..HeartbeatData::default()
    };
    Command::request(RequestCode::HEART_BEAT).with_body(data.to_json().expect("encodes"))
}

/// `127.0.0.1:port`.
pub fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}
