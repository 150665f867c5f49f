//! Transactions over TCP: half messages, END_TRANSACTION commit and rollback, and the broker's
//! CHECK_TRANSACTION_STATE to the producer group.

mod common;
mod helpers;

use common::recording_client;
use helpers::{
    call, max_offset, pull_eventually, pull_once, send_flagged, update_config, EVENTUALLY,
};
use rmq_protocol::body::{HeartbeatData, JsonBody, ProducerData};
use rmq_protocol::header::{
    CheckTransactionStateRequestHeader, EndTransactionRequestHeader, SendMessageResponseHeader,
    TRANSACTION_COMMIT, TRANSACTION_ROLLBACK,
};
use rmq_protocol::message::{decode_stored, sysflag, DecodeOptions};
use rmq_protocol::{ids, Command, RequestCode, ResponseCode};
use rmq_remoting::{Connection, RemotingConfig};
use rmq_testkit::MockCluster;

const PREPARED: &[(&str, &str)] = &[("TRAN_MSG", "true"), ("PGROUP", "PG"), ("UNIQ_KEY", "TX1")];

async fn connect(addr: &str) -> Connection {
    Connection::connect(addr, &RemotingConfig::default())
        .await
        .expect("connects")
}

async fn send_half(conn: &Connection, body: &str) -> SendMessageResponseHeader {
    send_flagged(
        conn,
        "TX",
        0,
        PREPARED,
        body,
        sysflag::TRANSACTION_PREPARED_TYPE,
    )
    .await
}

fn end(group: &str, queue_offset: i64, commit_log_offset: i64, state: i32) -> Command {
    Command::request(RequestCode::END_TRANSACTION).with_header(&EndTransactionRequestHeader {
        producer_group: group.into(),
        tran_state_table_offset: queue_offset,
        commit_log_offset,
        commit_or_rollback: state,
        from_transaction_check: Some(false),
        msg_id: "TX1".into(),
        transaction_id: Some("TX1".into()),
        broker_name: None,
    })
}

fn commit_log_offset(sent: &SendMessageResponseHeader) -> i64 {
    ids::decode_offset_msg_id(&sent.msg_id)
        .expect("id")
        .commit_log_offset
}

/// A half message is invisible until committed; the commit delivers it to its real topic
/// and queue, with the commit bits and the half's offset.
#[tokio::test]
async fn commit_delivers_the_half_message() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let conn = connect(&addr).await;
    let sent = send_half(&conn, "pending").await;
    assert_eq!(max_offset(&conn, "RMQ_SYS_TRANS_HALF_TOPIC", 0).await, 1);
    let (_, none) = pull_once(&conn, "G", "TX", 0, 0).await;
    assert!(none.is_empty(), "a half message is not consumable");

    let half_offset = commit_log_offset(&sent);
    let answer = call(
        &conn,
        end("PG", sent.queue_offset, half_offset, TRANSACTION_COMMIT),
    )
    .await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    let m = pull_eventually(&conn, "G", "TX", 0, 0).await.remove(0);
    assert_eq!(m.body, "pending");
    // Java's stored properties keep the half message's.
    assert_eq!(m.property("TRAN_MSG"), Some("true"));
    assert_eq!(m.property("REAL_TOPIC"), Some("TX"));
    assert_eq!(m.msg_id(), "TX1");
    assert_eq!(
        sysflag::transaction_type(m.sys_flag),
        sysflag::TRANSACTION_COMMIT_TYPE
    );
    assert_eq!(m.prepared_transaction_offset, half_offset);
}

/// A rollback delivers nothing; an END_TRANSACTION naming the wrong group or offset is
/// refused with Java's remark.
#[tokio::test]
async fn rollback_and_mismatched_end_deliver_nothing() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let conn = connect(&addr).await;
    let sent = send_half(&conn, "undone").await;
    let offset = commit_log_offset(&sent);

    let wrong_group = call(
        &conn,
        end("OTHER", sent.queue_offset, offset, TRANSACTION_COMMIT),
    )
    .await;
    assert_eq!(wrong_group.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        wrong_group.remark.as_deref(),
        Some("The producer group wrong")
    );
    let wrong_offset = call(
        &conn,
        end("PG", sent.queue_offset + 5, offset, TRANSACTION_COMMIT),
    )
    .await;
    assert_eq!(
        wrong_offset.remark.as_deref(),
        Some("The transaction state table offset wrong")
    );
    let missing = call(
        &conn,
        end("PG", sent.queue_offset, offset + 1, TRANSACTION_COMMIT),
    )
    .await;
    assert_eq!(
        missing.remark.as_deref(),
        Some("Find prepared transaction message failed")
    );

    let answer = call(
        &conn,
        end("PG", sent.queue_offset, offset, TRANSACTION_ROLLBACK),
    )
    .await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    assert_eq!(max_offset(&conn, "TX", 0).await, 0);
    assert_eq!(
        max_offset(&conn, "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0).await,
        1,
        "marked done"
    );
}

/// An open half message past the transaction timeout is checked back on the producer
/// group's connection with the message in the body; answering commit delivers it.
#[tokio::test]
async fn open_transaction_is_checked_back_and_commit_answers_it() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let conn = connect(&addr).await;
    update_config(
        &conn,
        &[
            ("transactionTimeOut", "0"),
            ("transactionCheckInterval", "50"),
        ],
    )
    .await;
    let (producer, mut checks) = recording_client();
    let heartbeat = HeartbeatData {
        client_id: "producer-1".into(),
        producer_data_set: vec![ProducerData {
            group_name: "PG".into(),
        }],
        ..HeartbeatData::default()
    };
    let answer = producer
        .invoke(
            &addr,
            Command::request(RequestCode::HEART_BEAT).with_body(heartbeat.to_json().expect("json")),
            EVENTUALLY,
        )
        .await
        .expect("heartbeat");
    assert!(answer.response_code().is_success());
    let sent = producer
        .invoke(
            &addr,
            helpers::send_request(
                "TX",
                0,
                PREPARED,
                "in doubt",
                sysflag::TRANSACTION_PREPARED_TYPE,
            ),
            EVENTUALLY,
        )
        .await
        .expect("sent");
    assert!(sent.response_code().is_success(), "{:?}", sent.remark);

    let check = tokio::time::timeout(EVENTUALLY, checks.recv())
        .await
        .expect("checked in time")
        .expect("client alive");
    assert_eq!(check.request_code(), RequestCode::CHECK_TRANSACTION_STATE);
    let header: CheckTransactionStateRequestHeader = check.decode_header().expect("header");
    assert_eq!(header.msg_id.as_deref(), Some("TX1"));
    let body = decode_stored(check.body.clone(), DecodeOptions::new()).expect("record");
    assert_eq!(body[0].topic, "TX", "sent under its real topic");
    assert_eq!(body[0].property("TRANSACTION_CHECK_TIMES"), Some("1"));

    let answer = call(
        &conn,
        end(
            "PG",
            header.tran_state_table_offset,
            header.commit_log_offset,
            TRANSACTION_COMMIT,
        ),
    )
    .await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    let m = pull_eventually(&conn, "G", "TX", 0, 0).await.remove(0);
    assert_eq!(m.body, "in doubt");
}

/// After `transactionCheckMax` checks the broker gives up on the message.
#[tokio::test]
async fn checks_stop_after_the_maximum() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let conn = connect(&addr).await;
    update_config(
        &conn,
        &[
            ("transactionTimeOut", "0"),
            ("transactionCheckInterval", "20"),
            ("transactionCheckMax", "2"),
        ],
    )
    .await;
    send_half(&conn, "abandoned").await;
    // The original and one copy per check: 1 + 2, then no more.
    let deadline = std::time::Instant::now() + EVENTUALLY;
    while max_offset(&conn, "RMQ_SYS_TRANS_HALF_TOPIC", 0).await < 3 {
        assert!(std::time::Instant::now() < deadline, "two checks in time");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(max_offset(&conn, "RMQ_SYS_TRANS_HALF_TOPIC", 0).await, 3);
}
