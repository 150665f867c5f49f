//! POP consumption over TCP: pops with their offset lists, acks single and batched, the
//! invisible time (an unacked message comes back from the POP retry topic), changing it, long
//! polling, and the codes Java answers for stale or malformed handles.

mod common;

use std::time::{Duration, Instant};

use common::{call, connect, messages, send_v2};
use rmq_protocol::body::{BatchAck, BatchAckMessageRequestBody, JsonBody};
use rmq_protocol::header::{
    pop_handles, AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader,
    ChangeInvisibleTimeResponseHeader, PopHandle, PopMessageRequestHeader,
    PopMessageResponseHeader, PopTopicKind, PoppedMessage, INIT_MODE_MIN,
};
use rmq_protocol::{Command, RequestCode, ResponseCode, StoredMessage};
use rmq_remoting::Connection;
use rmq_testkit::MockCluster;

const GROUP: &str = "GP";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

fn pop_request(topic: &str, max: i32, invisible_ms: i64, poll_ms: i64) -> Command {
    pop_request_of(GROUP, topic, "*", max, invisible_ms, poll_ms)
}

fn pop_request_of(
    group: &str,
    topic: &str,
    tags: &str,
    max: i32,
    invisible_ms: i64,
    poll_ms: i64,
) -> Command {
    let header = PopMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id: -1,
        max_msg_nums: max,
        invisible_time: invisible_ms,
        poll_time: poll_ms,
        born_time: now_ms(),
        init_mode: INIT_MODE_MIN,
        exp_type: Some("TAG".into()),
        exp: Some(tags.into()),
        order: Some(false),
        attempt_id: None,
        broker_name: Some("broker-a".into()),
    };
    Command::request(RequestCode::POP_MESSAGE).with_header(&header)
}

/// Pops and returns the answer code, the messages and their handles.
async fn pop(
    conn: &Connection,
    topic: &str,
    invisible_ms: i64,
    poll_ms: i64,
) -> (ResponseCode, Vec<(StoredMessage, PopHandle)>) {
    let answer = conn
        .request(
            pop_request(topic, 32, invisible_ms, poll_ms),
            Duration::from_millis(u64::try_from(poll_ms).unwrap_or(0) + 5_000),
        )
        .await
        .expect("answered");
    let code = answer.response_code();
    if code != ResponseCode::SUCCESS {
        return (code, Vec::new());
    }
    let header: PopMessageResponseHeader = answer.decode_header().expect("pop header");
    let got = messages(&answer);
    let popped: Vec<PoppedMessage<'_>> = got
        .iter()
        .map(|m| PoppedMessage {
            topic: &m.topic,
            queue_id: m.queue_id,
            queue_offset: m.queue_offset,
            pop_ck: m.property("POP_CK"),
        })
        .collect();
    let handles = pop_handles(&header, "broker-a", &popped).expect("handles");
    (code, got.into_iter().zip(handles).collect())
}

fn ack_request(topic: &str, handle: &PopHandle) -> Command {
    let header = AckMessageRequestHeader {
        consumer_group: GROUP.into(),
        topic: handle.real_topic(topic, GROUP),
        queue_id: handle.queue_id,
        extra_info: handle.to_string(),
        offset: handle.queue_offset,
        broker_name: Some(handle.broker_name.clone()),
    };
    Command::request(RequestCode::ACK_MESSAGE).with_header(&header)
}

fn change_request(topic: &str, handle: &PopHandle, invisible_ms: i64) -> Command {
    let header = ChangeInvisibleTimeRequestHeader {
        consumer_group: GROUP.into(),
        topic: handle.real_topic(topic, GROUP),
        queue_id: handle.queue_id,
        extra_info: handle.to_string(),
        offset: handle.queue_offset,
        invisible_time: invisible_ms,
        broker_name: None,
    };
    Command::request(RequestCode::CHANGE_MESSAGE_INVISIBLETIME).with_header(&header)
}

async fn cluster_with_messages(topic: &str, n: usize) -> (MockCluster, Connection) {
    let cluster = MockCluster::builder().start().await.expect("starts");
    cluster.create_topic(topic, 2);
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    for i in 0..n {
        let queue = i32::try_from(i % 2).unwrap_or(0);
        let answer = call(&conn, send_v2(topic, queue, "TagA", b"pop me")).await;
        assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    }
    (cluster, conn)
}

/// A pop over every queue returns each message once with a handle from the offset lists;
/// acked messages are not popped again and the group's offset moves past them.
#[tokio::test]
async fn popped_and_acked_messages_are_consumed_once() {
    let (cluster, conn) = cluster_with_messages("PT1", 4).await;
    let (code, popped) = pop(&conn, "PT1", 30_000, 0).await;
    assert_eq!(code, ResponseCode::SUCCESS);
    assert_eq!(popped.len(), 4);
    for (msg, handle) in &popped {
        assert_eq!(msg.topic, "PT1");
        assert_eq!(handle.kind, PopTopicKind::Normal);
        assert_eq!(handle.queue_offset, msg.queue_offset);
        assert_eq!(handle.ck_offset, 0);
        assert_eq!(handle.invisible_time, 30_000);
    }
    let (code, again) = pop(&conn, "PT1", 30_000, 0).await;
    assert_eq!(code, ResponseCode::POLLING_TIMEOUT, "invisible: {again:?}");
    for (_, handle) in &popped {
        let answer = call(&conn, ack_request("PT1", handle)).await;
        assert_eq!(
            answer.response_code(),
            ResponseCode::SUCCESS,
            "{:?}",
            answer.remark
        );
    }
    let (code, _) = pop(&conn, "PT1", 30_000, 0).await;
    assert_eq!(code, ResponseCode::POLLING_TIMEOUT);
    cluster.shutdown().await;
}

/// A message not acked within its invisible time comes back from the POP retry topic, under
/// the subscribed topic, with POP_CK, one more reconsume time and its first pop time; acking
/// that handle (on the retry topic) ends it.
#[tokio::test]
async fn an_unacked_message_comes_back_through_the_retry_topic() {
    let (cluster, conn) = cluster_with_messages("PT2", 1).await;
    let (code, first) = pop(&conn, "PT2", 300, 0).await;
    assert_eq!(code, ResponseCode::SUCCESS);
    let first_pop = first[0].1.pop_time;

    let started = Instant::now();
    let (code, again) = pop(&conn, "PT2", 30_000, 5_000).await;
    assert_eq!(code, ResponseCode::SUCCESS, "revived within the poll");
    assert!(started.elapsed() < Duration::from_secs(5));
    let (msg, handle) = &again[0];
    assert_eq!(msg.topic, "PT2");
    assert_eq!(&msg.body[..], b"pop me");
    assert_eq!(msg.reconsume_times, 1);
    assert_eq!(
        msg.property("1ST_POP_TIME"),
        Some(first_pop.to_string().as_str())
    );
    assert_eq!(handle.kind, PopTopicKind::Retry);
    assert_eq!(msg.property("POP_CK"), Some(handle.to_string().as_str()));

    let answer = call(&conn, ack_request("PT2", handle)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let (code, _) = pop(&conn, "PT2", 300, 800).await;
    assert_eq!(
        code,
        ResponseCode::POLLING_TIMEOUT,
        "acked retries stay gone"
    );
    cluster.shutdown().await;
}

/// A waiting pop is answered as soon as a message arrives.
#[tokio::test]
async fn a_long_poll_wakes_on_a_new_message() {
    let (cluster, conn) = cluster_with_messages("PT3", 0).await;
    let sender = conn.clone();
    let send = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        call(&sender, send_v2("PT3", 1, "TagA", b"late")).await
    });
    let started = Instant::now();
    let (code, popped) = pop(&conn, "PT3", 30_000, 10_000).await;
    assert_eq!(code, ResponseCode::SUCCESS);
    assert_eq!(&popped[0].0.body[..], b"late");
    assert!(started.elapsed() < Duration::from_secs(8));
    send.await.expect("sent");
    cluster.shutdown().await;
}

/// Changing the invisible time returns a new checkpoint: the message is not revived at the
/// old time, and the new handle acks it.
#[tokio::test]
async fn changing_the_invisible_time_postpones_the_retry() {
    let (cluster, conn) = cluster_with_messages("PT4", 1).await;
    let (_, popped) = pop(&conn, "PT4", 300, 0).await;
    let old = popped[0].1.clone();
    let answer = call(&conn, change_request("PT4", &old, 60_000)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let header: ChangeInvisibleTimeResponseHeader = answer.decode_header().expect("header");
    assert_eq!(header.invisible_time, 60_000);
    let new = PopHandle {
        ck_offset: old.queue_offset,
        pop_time: header.pop_time,
        invisible_time: header.invisible_time,
        revive_qid: header.revive_qid,
        ..old.clone()
    };
    let (code, _) = pop(&conn, "PT4", 300, 1_000).await;
    assert_eq!(
        code,
        ResponseCode::POLLING_TIMEOUT,
        "not revived at the old time"
    );
    let answer = call(&conn, ack_request("PT4", &new)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    cluster.shutdown().await;
}

/// A batch ack of every popped message consumes them all.
#[tokio::test]
async fn a_batch_ack_consumes_every_message_named() {
    let (cluster, conn) = cluster_with_messages("PT5", 4).await;
    let (_, popped) = pop(&conn, "PT5", 500, 0).await;
    assert_eq!(popped.len(), 4);
    let mut body = BatchAckMessageRequestBody {
        broker_name: "broker-a".into(),
        acks: Vec::new(),
    };
    for (_, h) in &popped {
        body.acks.push(BatchAck {
            acked: vec![u32::try_from(h.queue_offset - h.ck_offset).expect("bit")],
            consumer_group: GROUP.into(),
            invisible_time: h.invisible_time,
            pop_time: h.pop_time,
            queue_id: h.queue_id,
            retry: h.kind.mark().into(),
            revive_queue_id: h.revive_qid,
            start_offset: h.ck_offset,
            topic: "PT5".into(),
        });
    }
    let request = Command::request(RequestCode::BATCH_ACK_MESSAGE)
        .with_body(body.to_json().expect("encodes"));
    assert_eq!(
        call(&conn, request).await.response_code(),
        ResponseCode::SUCCESS
    );
    let (code, _) = pop(&conn, "PT5", 500, 1_200).await;
    assert_eq!(code, ResponseCode::POLLING_TIMEOUT, "nothing revived");
    let empty = Command::request(RequestCode::BATCH_ACK_MESSAGE);
    assert_eq!(
        call(&conn, empty).await.response_code(),
        ResponseCode::NO_MESSAGE
    );
    cluster.shutdown().await;
}

/// Java's answers to handles it cannot use: an offset no longer (or not yet) in the queue is
/// NO_MESSAGE, a bad queue MESSAGE_ILLEGAL, an unknown topic TOPIC_NOT_EXIST, a malformed
/// handle SYSTEM_ERROR; an ack of a message already acked is still SUCCESS.
#[tokio::test]
async fn stale_and_malformed_handles_get_javas_codes() {
    let (cluster, conn) = cluster_with_messages("PT6", 1).await;
    let (_, popped) = pop(&conn, "PT6", 30_000, 0).await;
    let handle = popped[0].1.clone();
    assert_eq!(
        call(&conn, ack_request("PT6", &handle))
            .await
            .response_code(),
        ResponseCode::SUCCESS
    );
    assert_eq!(
        call(&conn, ack_request("PT6", &handle))
            .await
            .response_code(),
        ResponseCode::SUCCESS,
        "a second ack changes nothing and succeeds"
    );
    let beyond = PopHandle {
        queue_offset: 99,
        ..handle.clone()
    };
    assert_eq!(
        call(&conn, ack_request("PT6", &beyond))
            .await
            .response_code(),
        ResponseCode::NO_MESSAGE
    );
    assert_eq!(
        call(&conn, change_request("PT6", &beyond, 1_000))
            .await
            .response_code(),
        ResponseCode::NO_MESSAGE
    );
    let bad_queue = PopHandle {
        queue_id: 7,
        ..handle.clone()
    };
    assert_eq!(
        call(&conn, ack_request("PT6", &bad_queue))
            .await
            .response_code(),
        ResponseCode::MESSAGE_ILLEGAL
    );
    assert_eq!(
        call(&conn, ack_request("NoSuchTopic", &handle))
            .await
            .response_code(),
        ResponseCode::TOPIC_NOT_EXIST
    );
    let mut malformed = ack_request("PT6", &handle);
    malformed.ext_fields.insert("extraInfo", "not a handle");
    let answer = call(&conn, malformed).await;
    assert_eq!(answer.response_code(), ResponseCode::SYSTEM_ERROR);
    assert!(answer.remark.unwrap_or_default().contains("extraInfo"));
    cluster.shutdown().await;
}

/// The pop request checks: more than 32 messages, an unknown topic, a pop that waited too
/// long already, and an order pop the testkit does not serve.
#[tokio::test]
async fn pops_are_checked_like_java() {
    let (cluster, conn) = cluster_with_messages("PT7", 1).await;
    let too_many = call(&conn, pop_request("PT7", 33, 1_000, 0)).await;
    assert_eq!(too_many.response_code(), ResponseCode::INVALID_PARAMETER);
    let unknown = call(&conn, pop_request("NoSuchTopic", 1, 1_000, 0)).await;
    assert_eq!(unknown.response_code(), ResponseCode::TOPIC_NOT_EXIST);
    let mut late = pop_request("PT7", 1, 1_000, 0);
    late.ext_fields.insert("bornTime", "1000");
    assert_eq!(
        call(&conn, late).await.response_code(),
        ResponseCode::POLLING_TIMEOUT
    );
    let mut order = pop_request("PT7", 1, 1_000, 0);
    order.ext_fields.insert("order", "true");
    assert_eq!(
        call(&conn, order).await.response_code(),
        ResponseCode::SYSTEM_ERROR
    );
    cluster.shutdown().await;
}

/// A pop returns only messages its tag expression matches, and every group pops the topic
/// on its own.
#[tokio::test]
async fn pops_filter_by_tag_and_groups_are_independent() {
    let (cluster, conn) = cluster_with_messages("PT8", 2).await;
    let answer = call(&conn, send_v2("PT8", 0, "TagB", b"tagged b")).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let only_b = call(&conn, pop_request_of("GB", "PT8", "TagB", 32, 30_000, 0)).await;
    assert_eq!(only_b.response_code(), ResponseCode::SUCCESS);
    let got = messages(&only_b);
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].body[..], b"tagged b");
    let all = call(&conn, pop_request_of("GA", "PT8", "*", 32, 30_000, 0)).await;
    assert_eq!(messages(&all).len(), 3, "another group sees every message");
    cluster.shutdown().await;
}
