//! POP consumption against the shared cluster (the embedded testkit, or the crates.io broker
//! under `cargo xtask it --real`): a `SimpleConsumer` receives and acks, and refuses an expired
//! handle;
//! SET_MESSAGE_REQUEST_MODE switches a group to POP and QUERY_ASSIGNMENT then hands out
//! whole-broker POP queues.
//!
//! Redelivery after the invisible duration and changing that duration are tested on the
//! testkit only (`client-consumer/tests/simple_consumer.rs`, `testkit/tests/pop.rs`): the
//! crates.io broker 1.0.0 refuses every CHANGE_MESSAGE_INVISIBLETIME with SYSTEM_ERROR
//! "append check point error, status: WheelTimerMsgIllegal", and did not deliver an unacked
//! message again within 200 s (its POP checkpoints apparently never revive).

#[path = "consumer_util.rs"]
mod util;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rmq_client_consumer::{Error, Filter, ReceivedMessage, SimpleConsumer};
use rmq_protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, MessageModel, MessageRequestMode,
    QueryAssignmentRequestBody, SetMessageRequestModeRequestBody, SubscriptionData,
};
use util::{config, create_topic, producer, send};

const RPC: Duration = Duration::from_secs(5);

async fn simple(group: &str, topic: &str) -> SimpleConsumer {
    SimpleConsumer::builder()
        .client_config(config())
        .group(group)
        .subscribe(topic, Filter::all())
        .await_duration(Duration::from_secs(2))
        .build()
        .await
        .expect("build")
}

/// Receives until every id of `want` came (or panics after 60 s); returns everything.
async fn receive_until(
    c: &SimpleConsumer,
    want: &BTreeSet<String>,
    invisible: Duration,
) -> Vec<ReceivedMessage> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got: Vec<ReceivedMessage> = Vec::new();
    loop {
        let ids: BTreeSet<String> = got.iter().map(ReceivedMessage::msg_id).collect();
        if want.is_subset(&ids) {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {} received",
            ids.len(),
            want.len()
        );
        got.extend(c.receive(32, invisible).await.expect("receive"));
    }
}

/// Every message is received once and, acked, never again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simple_consumer_receives_and_acks_every_message_once() {
    let (topic, group) = (
        rmq_tests::names::topic("pop_once"),
        rmq_tests::names::group("pop_once"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 4).await;
    let sent: BTreeSet<String> = send(&p, &topic, "A", 20).await.into_iter().collect();
    let c = simple(&group, &topic).await;
    let got = receive_until(&c, &sent, Duration::from_secs(60)).await;
    assert_eq!(got.len(), 20, "each message once");
    for m in &got {
        assert_eq!(m.topic(), topic);
        c.ack(m).await.expect("ack");
    }
    let rest = c
        .receive(32, Duration::from_secs(60))
        .await
        .expect("receive");
    assert!(rest.is_empty(), "acked messages came again: {rest:?}");
    c.shutdown().await;
    p.shutdown().await;
}

/// A handle whose invisible duration passed is refused as expired, naming the broker, before
/// any request: the broker would accept the ack and do nothing with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_handle_is_refused() {
    let (topic, group) = (
        rmq_tests::names::topic("pop_expired"),
        rmq_tests::names::group("pop_expired"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 2).await;
    let sent: BTreeSet<String> = send(&p, &topic, "A", 1).await.into_iter().collect();
    let c = simple(&group, &topic).await;
    let got = receive_until(&c, &sent, Duration::from_secs(1)).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let e = c.ack(&got[0]).await.expect_err("expired handle");
    assert!(matches!(e, Error::HandleExpired { .. }), "{e:?}");
    assert!(e.to_string().contains(&got[0].queue().broker_name), "{e}");
    let e = c
        .change_invisible_duration(&got[0], Duration::from_secs(10))
        .await
        .expect_err("expired handle");
    assert!(matches!(e, Error::HandleExpired { .. }), "{e:?}");
    c.shutdown().await;
    p.shutdown().await;
}

/// A group switched to POP gets whole-broker queues (queue id -1) in POP mode from
/// QUERY_ASSIGNMENT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_in_pop_mode_is_assigned_whole_brokers() {
    let (topic, group) = (
        rmq_tests::names::topic("pop_mode"),
        rmq_tests::names::group("pop_mode"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 4).await;
    let broker = rmq_tests::broker_addr();
    let client_id = rmq_tests::names::name("cid", "pop_mode");
    let heartbeat = HeartbeatData {
        client_id: client_id.clone(),
        consumer_data_set: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_type: ConsumeType::Pop,
            group_name: group.clone(),
            message_model: MessageModel::Clustering,
            subscription_data_set: vec![SubscriptionData::from_tag_expression(&topic, "*", 1)],
            unit_mode: false,
        }],
        ..HeartbeatData::default()
    };
    p.api()
        .heartbeat(&broker, &heartbeat, RPC)
        .await
        .expect("heartbeat");
    let mode = SetMessageRequestModeRequestBody {
        consumer_group: group.clone(),
        mode: MessageRequestMode::Pop,
        pop_share_queue_num: 0,
        topic: topic.clone(),
    };
    p.api()
        .set_message_request_mode(&broker, &mode, RPC)
        .await
        .expect("mode set");
    let query = QueryAssignmentRequestBody {
        client_id,
        consumer_group: group,
        message_model: MessageModel::Clustering,
        strategy_name: "AVG".into(),
        topic: topic.clone(),
    };
    let assigned = p
        .api()
        .query_assignment(&broker, &query, RPC)
        .await
        .expect("assignment")
        .expect("an allocation");
    assert!(!assigned.is_empty());
    for a in &assigned {
        assert_eq!(a.mode, MessageRequestMode::Pop, "{assigned:?}");
        assert_eq!(a.message_queue.queue_id, -1, "{assigned:?}");
        assert_eq!(a.message_queue.topic, topic);
    }
    p.shutdown().await;
}
