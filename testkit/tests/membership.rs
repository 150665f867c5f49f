//! Client registry over TCP: heartbeats, group membership and NOTIFY_CONSUMER_IDS_CHANGED,
//! queue locks, restart forgetting groups, connection lists and a relayed running-info request.

mod common;

use std::time::Duration;

use common::{call, connect, consumer_heartbeat, recording_client, TIMEOUT};
use rmq_protocol::body::{
    ConsumerConnection, ConsumerListBody, JsonBody, LockBatchRequestBody, LockBatchResponseBody,
};
use rmq_protocol::header::{
    ConsumeMessageDirectlyRequestHeader, GetConsumerConnectionListRequestHeader,
    GetConsumerListByGroupRequestHeader, GetConsumerRunningInfoRequestHeader,
    PullMessageRequestHeader, UnregisterClientRequestHeader,
};
use rmq_protocol::{Command, MessageQueue, RequestCode, ResponseCode};
use rmq_testkit::MockCluster;
use tokio::sync::mpsc::UnboundedReceiver;

fn consumer_list(group: &str) -> Command {
    Command::request(RequestCode::GET_CONSUMER_LIST_BY_GROUP).with_header(
        &GetConsumerListByGroupRequestHeader {
            consumer_group: group.into(),
        },
    )
}

async fn next_notify(rx: &mut UnboundedReceiver<Command>) -> Command {
    tokio::time::timeout(TIMEOUT, rx.recv())
        .await
        .expect("notified in time")
        .expect("client alive")
}

/// Heartbeats register members; each join is announced to every member, and a leave (by
/// unregister or by closing the connection) to the ones left.
#[tokio::test]
async fn membership_changes_notify_every_member() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let (first, mut first_rx) = recording_client();
    let answer = first
        .invoke(&addr, consumer_heartbeat("c1", "G", "T"), TIMEOUT)
        .await
        .expect("answered");
    assert!(answer.response_code().is_success());
    let notify = next_notify(&mut first_rx).await;
    assert_eq!(
        notify.request_code(),
        RequestCode::NOTIFY_CONSUMER_IDS_CHANGED
    );
    assert_eq!(notify.ext_fields.get("consumerGroup"), Some("G"));

    let (second, mut second_rx) = recording_client();
    second
        .invoke(&addr, consumer_heartbeat("c2", "G", "T"), TIMEOUT)
        .await
        .expect("answered");
    next_notify(&mut first_rx).await;
    next_notify(&mut second_rx).await;
    let list = first
        .invoke(&addr, consumer_list("G"), TIMEOUT)
        .await
        .expect("answered");
    let mut ids = ConsumerListBody::from_json(&list.body)
        .expect("list")
        .consumer_id_list;
    ids.sort();
    assert_eq!(ids, ["c1", "c2"]);

    // A repeated heartbeat with nothing new announces nothing.
    first
        .invoke(&addr, consumer_heartbeat("c1", "G", "T"), TIMEOUT)
        .await
        .expect("answered");
    let unregister = Command::request(RequestCode::UNREGISTER_CLIENT).with_header(
        &UnregisterClientRequestHeader {
            client_id: "c2".into(),
            producer_group: None,
            consumer_group: Some("G".into()),
        },
    );
    second
        .invoke(&addr, unregister, TIMEOUT)
        .await
        .expect("answered");
    let notify = next_notify(&mut first_rx).await;
    assert_eq!(notify.ext_fields.get("consumerGroup"), Some("G"));
    assert!(first_rx.try_recv().is_err(), "one notification per change");
    second.shutdown().await;

    // Closing the last member's connection empties the group.
    let (third, mut third_rx) = recording_client();
    third
        .invoke(&addr, consumer_heartbeat("c3", "G", "T"), TIMEOUT)
        .await
        .expect("answered");
    next_notify(&mut third_rx).await;
    next_notify(&mut first_rx).await;
    first.shutdown().await;
    next_notify(&mut third_rx).await;
    let list = third
        .invoke(&addr, consumer_list("G"), TIMEOUT)
        .await
        .expect("answered");
    let ids = ConsumerListBody::from_json(&list.body)
        .expect("list")
        .consumer_id_list;
    assert_eq!(ids, ["c3"]);
    third.shutdown().await;
}

/// A group with no member answers GET_CONSUMER_LIST_BY_GROUP with Java's SYSTEM_ERROR.
#[tokio::test]
async fn empty_group_has_no_consumer_list() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    let answer = call(&conn, consumer_list("Nobody")).await;
    assert_eq!(answer.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("no consumer for this group, Nobody")
    );
}

fn lock_body(client: &str, queues: &[i32], code: RequestCode, only_this: Option<bool>) -> Command {
    let body = LockBatchRequestBody {
        client_id: client.into(),
        consumer_group: "G".into(),
        mq_set: queues
            .iter()
            .map(|q| MessageQueue::new("T", "broker-a", *q))
            .collect(),
        only_this_broker: only_this,
    };
    Command::request(code).with_body(body.to_json().expect("encodes"))
}

fn locked(answer: &Command) -> Vec<i32> {
    let mut ids: Vec<i32> = LockBatchResponseBody::from_json(&answer.body)
        .expect("lock body")
        .lock_ok_mq_set
        .iter()
        .map(|mq| mq.queue_id)
        .collect();
    ids.sort();
    ids
}

/// A queue is locked by one client at a time, renewable by its holder, free after unlock;
/// the 4.x and 5.x bodies are both accepted.
#[tokio::test]
async fn queue_locks_are_exclusive_until_unlocked() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    let lock = RequestCode::LOCK_BATCH_MQ;
    let answer = call(&conn, lock_body("c1", &[0, 1], lock, None)).await;
    assert_eq!(locked(&answer), [0, 1]);
    let answer = call(&conn, lock_body("c2", &[1, 2], lock, Some(false))).await;
    assert_eq!(locked(&answer), [2]);
    let answer = call(&conn, lock_body("c1", &[0, 1], lock, Some(true))).await;
    assert_eq!(locked(&answer), [0, 1], "the holder renews");
    let broker = cluster.broker("broker-a").expect("a");
    assert_eq!(broker.lock_holder("G", "T", 2).as_deref(), Some("c2"));
    let unlock = lock_body("c1", &[1], RequestCode::UNLOCK_BATCH_MQ, None);
    assert!(call(&conn, unlock).await.response_code().is_success());
    let answer = call(&conn, lock_body("c2", &[1], lock, None)).await;
    assert_eq!(locked(&answer), [1]);
}

fn heartbeat_pull(group: &str, topic: &str) -> Command {
    let header = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        sys_flag: 0,
        suspend_timeout_millis: 0,
        ..PullMessageRequestHeader::default()
    };
    Command::request(RequestCode::PULL_MESSAGE).with_header(&header)
}

/// After a restart the broker keeps messages but has forgotten the group: a pull that relies
/// on the heartbeat's subscription is SUBSCRIPTION_NOT_EXIST until the client heartbeats.
#[tokio::test]
async fn restart_forgets_groups_until_the_next_heartbeat() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let broker = cluster.broker("broker-a").expect("a");
    let conn = connect(broker.addr()).await;
    call(&conn, common::send_v2("R", 0, "t", b"kept")).await;
    call(&conn, consumer_heartbeat("c1", "G", "R")).await;
    assert_eq!(
        call(&conn, heartbeat_pull("G", "R")).await.response_code(),
        ResponseCode::SUCCESS
    );
    assert_eq!(broker.consumer_ids("G"), ["c1"]);

    broker.restart().await.expect("restarts");
    assert!(broker.consumer_ids("G").is_empty());
    let conn = connect(broker.addr()).await;
    let answer = call(&conn, heartbeat_pull("G", "R")).await;
    assert_eq!(answer.response_code(), ResponseCode::SUBSCRIPTION_NOT_EXIST);
    assert!(answer
        .remark
        .unwrap_or_default()
        .starts_with("the consumer's group info not exist"));
    call(&conn, consumer_heartbeat("c1", "G", "R")).await;
    let answer = call(&conn, heartbeat_pull("G", "R")).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    assert_eq!(&common::messages(&answer)[0].body[..], b"kept");
}

/// The consumer connection list names each member with its client id and language.
#[tokio::test]
async fn consumer_connection_list_names_members() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    let request = Command::request(RequestCode::GET_CONSUMER_CONNECTION_LIST).with_header(
        &GetConsumerConnectionListRequestHeader {
            consumer_group: "G".into(),
        },
    );
    let answer = call(&conn, request.clone()).await;
    assert_eq!(answer.response_code(), ResponseCode::CONSUMER_NOT_ONLINE);
    call(&conn, consumer_heartbeat("c1", "G", "T")).await;
    let answer = call(&conn, request).await;
    let body = ConsumerConnection::from_json(&answer.body).expect("body");
    assert_eq!(body.connection_set.len(), 1);
    assert_eq!(body.connection_set[0].client_id, "c1");
    assert_eq!(body.connection_set[0].language, "RUST");
    assert!(body.subscription_table.contains_key("T"));
}

/// GET_CONSUMER_RUNNING_INFO goes to the named client over its own connection, and the
/// client's answer comes back to the asker.
#[tokio::test]
async fn running_info_is_relayed_to_the_client() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr();
    let (client, mut rx) = recording_client();
    client
        .invoke(
            &addr.to_string(),
            consumer_heartbeat("c1", "G", "T"),
            TIMEOUT,
        )
        .await
        .expect("answered");
    next_notify(&mut rx).await;
    let admin = connect(addr).await;
    let ask = |client_id: &str| {
        Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO).with_header(
            &GetConsumerRunningInfoRequestHeader {
                consumer_group: "G".into(),
                client_id: client_id.into(),
                jstack_enable: false,
            },
        )
    };
    let answer = call(&admin, ask("c1")).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let relayed = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("relayed")
        .expect("client alive");
    assert_eq!(
        relayed.request_code(),
        RequestCode::GET_CONSUMER_RUNNING_INFO
    );
    assert_eq!(relayed.ext_fields.get("clientId"), Some("c1"));
    let answer = call(&admin, ask("ghost")).await;
    assert_eq!(answer.response_code(), ResponseCode::SYSTEM_ERROR);
    client.shutdown().await;
}

/// A oneway request is served but never answered; the connection stays usable.
#[tokio::test]
async fn oneway_heartbeat_is_served_without_an_answer() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let broker = cluster.broker("broker-a").expect("a");
    let conn = connect(broker.addr()).await;
    conn.oneway(consumer_heartbeat("c1", "G", "T"), TIMEOUT)
        .await
        .expect("sent");
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while broker.consumer_ids("G").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "never registered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(broker.requests(RequestCode::HEART_BEAT), 1);
    let answer = call(&conn, consumer_list("G")).await;
    let ids = ConsumerListBody::from_json(&answer.body)
        .expect("list")
        .consumer_id_list;
    assert_eq!(ids, ["c1"]);
    assert_eq!(conn.metrics().late_responses, 0, "the oneway was answered");
}

/// CONSUME_MESSAGE_DIRECTLY goes to the named client with the message (found by its offset
/// id) as the body and the broker's name added.
#[tokio::test]
async fn consume_directly_relays_the_stored_message() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr();
    let (client, mut rx) = recording_client();
    client
        .invoke(
            &addr.to_string(),
            consumer_heartbeat("c1", "G", "T"),
            TIMEOUT,
        )
        .await
        .expect("answered");
    next_notify(&mut rx).await;
    let admin = connect(addr).await;
    let sent = call(&admin, common::send_v2("T", 0, "t", b"direct")).await;
    let msg_id = sent.ext_fields.get("msgId").expect("msg id").to_owned();
    let request = Command::request(RequestCode::CONSUME_MESSAGE_DIRECTLY).with_header(
        &ConsumeMessageDirectlyRequestHeader {
            consumer_group: "G".into(),
            client_id: Some("c1".into()),
            msg_id: Some(msg_id),
            broker_name: None,
        },
    );
    let answer = call(&admin, request).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let relayed = tokio::time::timeout(TIMEOUT, rx.recv())
        .await
        .expect("relayed")
        .expect("client alive");
    assert_eq!(
        relayed.request_code(),
        RequestCode::CONSUME_MESSAGE_DIRECTLY
    );
    assert_eq!(relayed.ext_fields.get("brokerName"), Some("broker-a"));
    assert_eq!(&common::messages(&relayed)[0].body[..], b"direct");
    client.shutdown().await;
}
