//! INVOKE_BROKER_TO_RESET_OFFSET over TCP: the offset table, the RESET_CONSUMER_CLIENT_OFFSET
//! sent to live consumers, the committed offsets, and Java's refusals.

mod common;
mod helpers;

use std::collections::BTreeMap;

use common::{consumer_heartbeat, recording_client};
use helpers::{call, send, EVENTUALLY};
use rmq_protocol::body::{GetConsumerStatusBody, JsonBody, ResetOffsetBody};
use rmq_protocol::header::{
    GetConsumerStatusRequestHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, ResetOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use rmq_protocol::{Command, MessageQueue, RequestCode, ResponseCode};
use rmq_remoting::{Connection, RemotingClient, RemotingConfig};
use rmq_testkit::MockCluster;
use tokio::sync::mpsc::UnboundedReceiver;

async fn connect(addr: &str) -> Connection {
    Connection::connect(addr, &RemotingConfig::default())
        .await
        .expect("connects")
}

fn reset(timestamp: i64, force: bool) -> Command {
    Command::request(RequestCode::INVOKE_BROKER_TO_RESET_OFFSET).with_header(
        &ResetOffsetRequestHeader {
            topic: "R".into(),
            group: "G".into(),
            timestamp,
            is_force: force,
        },
    )
}

async fn commit(conn: &Connection, queue_id: i32, offset: i64) {
    let header = UpdateConsumerOffsetRequestHeader {
        consumer_group: "G".into(),
        topic: "R".into(),
        queue_id,
        commit_offset: offset,
        broker_name: None,
    };
    let answer = call(
        conn,
        Command::request(RequestCode::UPDATE_CONSUMER_OFFSET).with_header(&header),
    )
    .await;
    assert!(answer.response_code().is_success());
}

async fn committed(conn: &Connection, queue_id: i32) -> i64 {
    let header = QueryConsumerOffsetRequestHeader {
        consumer_group: "G".into(),
        topic: "R".into(),
        queue_id,
        set_zero_if_not_found: None,
        broker_name: None,
    };
    let answer = call(
        conn,
        Command::request(RequestCode::QUERY_CONSUMER_OFFSET).with_header(&header),
    )
    .await;
    let header: QueryConsumerOffsetResponseHeader = answer.decode_header().expect("offset");
    header.offset
}

fn offsets(body: &[u8]) -> BTreeMap<i32, i64> {
    ResetOffsetBody::from_json(body)
        .expect("offset table")
        .offset_table
        .into_iter()
        .map(|(q, o)| (q.queue_id, o))
        .collect()
}

async fn next_reset(rx: &mut UnboundedReceiver<Command>) -> Command {
    loop {
        let request = tokio::time::timeout(EVENTUALLY, rx.recv())
            .await
            .expect("in time")
            .expect("client alive");
        if request.request_code() == RequestCode::RESET_CONSUMER_CLIENT_OFFSET {
            return request;
        }
    }
}

/// Three messages in queue 0 of a four-queue topic, offsets committed at 2 everywhere.
async fn setup(conn: &Connection) {
    for body in ["a", "b", "c"] {
        send(conn, "R", 0, &[], body).await;
    }
    for queue_id in 0..4 {
        commit(conn, queue_id, 2).await;
    }
}

/// A forced reset to a time before every message moves each queue to its first offset,
/// tells the live consumer, and commits the new offsets.
#[tokio::test]
async fn forced_reset_rewinds_and_notifies_live_consumers() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let conn = connect(&addr).await;
    setup(&conn).await;
    let (consumer, mut rx) = recording_client();
    consumer
        .invoke(&addr, consumer_heartbeat("c1", "G", "R"), EVENTUALLY)
        .await
        .expect("heartbeat");

    let answer = call(&conn, reset(0, true)).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    let table = offsets(&answer.body);
    assert_eq!(table, BTreeMap::from([(0, 0), (1, 0), (2, 0), (3, 0)]));

    let notice = next_reset(&mut rx).await;
    let header: ResetOffsetRequestHeader = notice.decode_header().expect("header");
    assert_eq!((header.topic.as_str(), header.group.as_str()), ("R", "G"));
    assert_eq!(offsets(&notice.body), table);
    assert_eq!(committed(&conn, 0).await, 0);
}

/// Without force, a reset only moves offsets back: to the max offsets (-1) it keeps the
/// committed offset where that is lower.
#[tokio::test]
async fn unforced_reset_never_moves_forward() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let conn = connect(&addr).await;
    setup(&conn).await;
    let (consumer, _rx) = recording_client();
    consumer
        .invoke(&addr, consumer_heartbeat("c1", "G", "R"), EVENTUALLY)
        .await
        .expect("heartbeat");
    let answer = call(&conn, reset(-1, false)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    // Queue 0 has max 3 > committed 2: kept; the empty queues have max 0 < 2: moved back.
    assert_eq!(
        offsets(&answer.body),
        BTreeMap::from([(0, 2), (1, 0), (2, 0), (3, 0)])
    );
}

/// No live consumer is CONSUMER_NOT_ONLINE; a queue without a committed offset, or an
/// unknown topic, is SYSTEM_ERROR, each with Java's remark.
#[tokio::test]
async fn reset_refusals_follow_java() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let conn = connect(&addr).await;
    send(&conn, "R", 0, &[], "a").await;
    commit(&conn, 0, 1).await;
    let answer = call(&conn, reset(0, true)).await;
    assert_eq!(answer.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("THe consumer group <G> not exist")
    );

    for queue_id in 1..4 {
        commit(&conn, queue_id, 0).await;
    }
    let answer = call(&conn, reset(0, true)).await;
    assert_eq!(answer.response_code(), ResponseCode::CONSUMER_NOT_ONLINE);
    assert!(answer
        .remark
        .as_deref()
        .is_some_and(|r| r.starts_with("Consumer not online, so can not reset offset, Group: G")));

    let unknown = Command::request(RequestCode::INVOKE_BROKER_TO_RESET_OFFSET).with_header(
        &ResetOffsetRequestHeader {
            topic: "nope".into(),
            group: "G".into(),
            timestamp: 0,
            is_force: true,
        },
    );
    let answer = call(&conn, unknown).await;
    assert_eq!(answer.response_code(), ResponseCode::SYSTEM_ERROR);
    assert!(answer
        .remark
        .as_deref()
        .is_some_and(|r| r.contains("no topic in this broker")));
}

/// INVOKE_BROKER_TO_GET_CONSUMER_STATUS asks each live consumer and answers per client id;
/// with no consumer it is SYSTEM_ERROR.
#[tokio::test]
async fn consumer_status_collects_each_clients_offsets() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let conn = connect(&addr).await;
    let status = |group: &str| {
        Command::request(RequestCode::INVOKE_BROKER_TO_GET_CONSUMER_STATUS).with_header(
            &GetConsumerStatusRequestHeader {
                topic: "R".into(),
                group: group.into(),
                client_addr: None,
            },
        )
    };
    let none = call(&conn, status("G")).await;
    assert_eq!(none.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        none.remark.as_deref(),
        Some("No Any Consumer online in the consumer group: [G]")
    );

    // A consumer that answers GET_CONSUMER_STATUS_FROM_CLIENT with one queue at offset 7.
    let queue = MessageQueue {
        topic: "R".into(),
        broker_name: "broker-a".into(),
        queue_id: 1,
    };
    let answer_body = GetConsumerStatusBody {
        message_queue_table: BTreeMap::from([(queue, 7)]),
        ..GetConsumerStatusBody::default()
    }
    .to_fastjson()
    .expect("json");
    let (asked_tx, mut asked) = tokio::sync::mpsc::unbounded_channel();
    let processor = move |_addr: String, request: Command| {
        let body = answer_body.clone();
        let asked_tx = asked_tx.clone();
        async move {
            let _ = asked_tx.send(request.request_code());
            Some(Command::response_to(&request, ResponseCode::SUCCESS, None).with_body(body))
        }
    };
    let consumer = RemotingClient::builder()
        .processor(std::sync::Arc::new(processor))
        .build();
    consumer
        .invoke(&addr, consumer_heartbeat("c1", "G", "R"), EVENTUALLY)
        .await
        .expect("heartbeat");

    let answer = call(&conn, status("G")).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    let body = GetConsumerStatusBody::from_json(&answer.body).expect("body");
    let c1 = body.consumer_table.get("c1").expect("c1 answered");
    let offsets: Vec<i64> = c1
        .as_object()
        .expect("queue table")
        .values()
        .filter_map(serde_json::Value::as_i64)
        .collect();
    assert_eq!(offsets, [7]);
    let mut codes = Vec::new();
    while let Ok(code) = asked.try_recv() {
        codes.push(code);
    }
    assert!(codes.contains(&RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT));
}
