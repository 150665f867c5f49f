//! QUERY_MESSAGE by key and by unique key, and VIEW_MESSAGE_BY_ID, over TCP.

mod helpers;

use helpers::{call, send};
use rmq_protocol::header::{
    QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader,
};
use rmq_protocol::message::{decode_stored, DecodeOptions};
use rmq_protocol::{ids, Command, RequestCode, ResponseCode, StoredMessage};
use rmq_remoting::{Connection, RemotingConfig};
use rmq_testkit::MockCluster;

async fn connect(cluster: &MockCluster) -> Connection {
    let addr = cluster.broker("broker-a").expect("broker-a").addr();
    Connection::connect(&addr.to_string(), &RemotingConfig::default())
        .await
        .expect("connects")
}

fn query(topic: &str, key: &str, max: i32, unique: Option<bool>) -> Command {
    Command::request(RequestCode::QUERY_MESSAGE).with_header(&QueryMessageRequestHeader {
        topic: topic.into(),
        key: key.into(),
        max_num: max,
        begin_timestamp: 0,
        end_timestamp: i64::MAX,
        unique_key_query: unique,
    })
}

fn records(answer: &Command) -> Vec<StoredMessage> {
    decode_stored(answer.body.clone(), DecodeOptions::new()).expect("valid records")
}

/// Messages sent with a key come back from a query by that key, oldest first, and the header
/// names the last indexed record.
#[tokio::test]
async fn query_by_key_returns_every_message_with_the_key() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    send(&conn, "Q", 0, &[("KEYS", "order-1 shared")], "one").await;
    send(&conn, "Q", 1, &[("KEYS", "order-2 shared")], "two").await;
    let last = send(&conn, "Other", 0, &[("KEYS", "shared")], "other").await;

    let answer = call(&conn, query("Q", "shared", 32, None)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let bodies: Vec<_> = records(&answer).iter().map(|m| m.body.clone()).collect();
    assert_eq!(bodies, ["one", "two"]);
    let header: QueryMessageResponseHeader = answer.decode_header().expect("header");
    let last_offset = ids::decode_offset_msg_id(&last.msg_id)
        .expect("id")
        .commit_log_offset;
    assert_eq!(header.index_last_update_phyoffset, last_offset);

    let one = call(&conn, query("Q", "order-2", 32, None)).await;
    assert_eq!(records(&one).len(), 1);
    let limited = call(&conn, query("Q", "shared", 1, None)).await;
    assert_eq!(records(&limited)[0].body, "two", "the newest one");
}

/// A key nobody sent is QUERY_NOT_FOUND with Java's remark.
#[tokio::test]
async fn query_of_unknown_key_is_not_found() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let answer = call(&conn, query("Q", "nope", 32, None)).await;
    assert_eq!(answer.response_code(), ResponseCode::QUERY_NOT_FOUND);
    assert_eq!(
        answer.remark.as_deref(),
        Some("can not find message, maybe time range not correct")
    );
}

/// The unique-key flag finds a message by its UNIQ_KEY even when the asked count is 0.
#[tokio::test]
async fn query_by_unique_key_finds_the_message() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    let uniq = "7F00000100002A9F0000000000000001";
    send(&conn, "Q", 2, &[("UNIQ_KEY", uniq)], "unique").await;
    let answer = call(&conn, query("Q", uniq, 0, Some(true))).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let found = records(&answer);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].msg_id(), uniq);
    assert_eq!(found[0].queue_id, 2);
}

/// VIEW_MESSAGE_BY_ID returns the record an offset message id points at; a wrong offset is
/// SYSTEM_ERROR with Java's remark.
#[tokio::test]
async fn view_by_id_returns_the_record_at_the_offset() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(&cluster).await;
    send(&conn, "V", 0, &[], "first").await;
    let sent = send(&conn, "V", 0, &[("TAGS", "B")], "second").await;
    let offset = ids::decode_offset_msg_id(&sent.msg_id)
        .expect("id")
        .commit_log_offset;
    let view = |offset| {
        Command::request(RequestCode::VIEW_MESSAGE_BY_ID).with_header(&ViewMessageRequestHeader {
            offset,
            topic: None,
        })
    };
    let answer = call(&conn, view(offset)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let got = records(&answer);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "second");
    assert_eq!(got[0].offset_msg_id(), sent.msg_id);

    let missing = call(&conn, view(offset + 1)).await;
    assert_eq!(missing.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        missing.remark,
        Some(format!(
            "can not find message by the offset, {}",
            offset + 1
        ))
    );
}
