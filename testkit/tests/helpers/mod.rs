//! Helpers for the tests of the retry, schedule, transaction, query, reply and reset
//! processors: sends with chosen properties, pulls that wait, broker config updates.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use rmq_protocol::header::{
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, PullMessageRequestHeader,
    SendMessageRequestHeader, SendMessageResponseHeader,
};
use rmq_protocol::message::{decode_stored, DecodeOptions, PullSysFlag};
use rmq_protocol::{Command, Properties, RequestCode, ResponseCode, StoredMessage};
use rmq_remoting::Connection;

/// Generous bound for anything the broker does on its own (deliveries, checks).
pub const EVENTUALLY: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(5);

/// Sends `cmd` and waits for the answer.
pub async fn call(conn: &Connection, cmd: Command) -> Command {
    conn.request(cmd, TIMEOUT).await.expect("answered")
}

/// Sets broker config entries with UPDATE_BROKER_CONFIG, as an admin does.
pub async fn update_config(conn: &Connection, entries: &[(&str, &str)]) {
    let body: String = entries.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    let answer = call(
        conn,
        Command::request(RequestCode::UPDATE_BROKER_CONFIG).with_body(body.into_bytes()),
    )
    .await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
}

/// A SEND_MESSAGE of `body` to `topic`/`queue_id` with `props` and `sys_flag`.
pub fn send_request(
    topic: &str,
    queue_id: i32,
    props: &[(&str, &str)],
    body: &str,
    sys_flag: i32,
) -> Command {
    let properties: Properties = props.iter().copied().collect();
    let header = SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag,
        born_timestamp: now_ms(),
        flag: 0,
        properties: Some(properties.encode()),
        ..SendMessageRequestHeader::default()
    };
    Command::request(RequestCode::SEND_MESSAGE)
        .with_header(&header)
        .with_body(body.as_bytes().to_vec())
}

/// Sends and expects SUCCESS; the response header.
pub async fn send(
    conn: &Connection,
    topic: &str,
    queue_id: i32,
    props: &[(&str, &str)],
    body: &str,
) -> SendMessageResponseHeader {
    send_flagged(conn, topic, queue_id, props, body, 0).await
}

/// [`send`] with a sys flag.
pub async fn send_flagged(
    conn: &Connection,
    topic: &str,
    queue_id: i32,
    props: &[(&str, &str)],
    body: &str,
    sys_flag: i32,
) -> SendMessageResponseHeader {
    let answer = call(conn, send_request(topic, queue_id, props, body, sys_flag)).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    answer.decode_header().expect("send response header")
}

/// One pull without long polling: the code and the messages.
pub async fn pull_once(
    conn: &Connection,
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
) -> (ResponseCode, Vec<StoredMessage>) {
    let header = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: PullSysFlag::new().with_subscription(true).bits(),
        subscription: Some("*".into()),
        expression_type: Some("TAG".into()),
        ..PullMessageRequestHeader::default()
    };
    let answer = call(
        conn,
        Command::request(RequestCode::PULL_MESSAGE).with_header(&header),
    )
    .await;
    let messages = if answer.response_code() == ResponseCode::SUCCESS {
        decode_stored(answer.body.clone(), DecodeOptions::new()).expect("valid records")
    } else {
        Vec::new()
    };
    (answer.response_code(), messages)
}

/// Pulls until the queue has a message at `offset`, for at most [`EVENTUALLY`].
pub async fn pull_eventually(
    conn: &Connection,
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
) -> Vec<StoredMessage> {
    let deadline = Instant::now() + EVENTUALLY;
    loop {
        let (_, messages) = pull_once(conn, group, topic, queue_id, offset).await;
        if !messages.is_empty() {
            return messages;
        }
        assert!(
            Instant::now() < deadline,
            "no message in {topic}/{queue_id} at {offset} within {EVENTUALLY:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The max offset of a queue.
pub async fn max_offset(conn: &Connection, topic: &str, queue_id: i32) -> i64 {
    let answer = call(
        conn,
        Command::request(RequestCode::GET_MAX_OFFSET).with_header(&GetMaxOffsetRequestHeader {
            topic: topic.into(),
            queue_id,
            ..GetMaxOffsetRequestHeader::default()
        }),
    )
    .await;
    let header: GetMaxOffsetResponseHeader = answer.decode_header().expect("max offset header");
    header.offset
}

/// Wall-clock ms since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
