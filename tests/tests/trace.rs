//! Message trace end to end on the shared cluster (testkit, or the crates.io broker under
//! `cargo xtask it --real`): a traced producer and a traced push consumer write Pub, SubBefore
//! and SubAfter records to `RMQ_SYS_TRACE_TOPIC`, and `Admin::query_msg_trace_by_id` reads them
//! back for the message id, as `mqadmin queryMsgTraceById` does.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rmq_client_admin::{Admin, Target, TraceView};
use rmq_client_consumer::{
    ConsumeFrom, ConsumeResult, Filter, PullConsumer, PushConsumer, ReceivedMessage,
};
use rmq_client_core::ClientConfig;
use rmq_client_producer::{Producer, TransactionProducer, TransactionState};
use rmq_protocol::naming;
use rmq_protocol::trace::TraceType;
use rmq_protocol::Message;
use rmq_testkit::MockCluster;
use rmq_tests::names;

const WAIT: Duration = Duration::from_secs(60);

fn config() -> ClientConfig {
    ClientConfig::builder()
        .namesrv(rmq_tests::namesrv_addr())
        .build()
        .expect("config")
}

/// An admin on the shared cluster, and a topic named for `case` (4 queues) that it created
/// and the name server routes. The trace topic is not created: a broker refuses to create a
/// system topic by request ("conflict with system topic"); the first trace message creates it
/// from the auto-create template, as with Java's clients.
async fn admin_and_topic(case: &str) -> (Admin, String) {
    let admin = Admin::connect(rmq_tests::namesrv_addr())
        .await
        .expect("admin");
    let topic = names::topic(case);
    admin.create_topic(&topic).queues(4).await.expect("topic");
    let known = rmq_tests::eventually(WAIT, || async { admin.topic_route(&topic).await.is_ok() });
    assert!(known.await, "no route for {topic}");
    (admin, topic)
}

/// Queries the trace of `msg_id` until `done` holds for it (or [`WAIT`] passes); returns
/// whether it did, and the last trace read.
async fn trace_until(
    admin: &Admin,
    msg_id: &str,
    done: impl Fn(&[TraceView]) -> bool,
) -> (bool, Vec<TraceView>) {
    let found = Mutex::new(Vec::new());
    let ok = rmq_tests::eventually(WAIT, || {
        let (found, done) = (&found, &done);
        async move {
            let views = admin
                .query_msg_trace_by_id(msg_id, naming::TRACE_TOPIC)
                .await
                .unwrap_or_default();
            let complete = done(&views);
            *found.lock().expect("lock") = views;
            complete
        }
    })
    .await;
    let views = found.into_inner().expect("lock");
    (ok, views)
}

/// Waits until the trace of `msg_id` holds every kind in `kinds`; returns it.
async fn trace_with(admin: &Admin, msg_id: &str, kinds: &[TraceType]) -> Vec<TraceView> {
    let (ok, views) = trace_until(admin, msg_id, |views| {
        kinds.iter().all(|k| views.iter().any(|v| v.kind == *k))
    })
    .await;
    assert!(ok, "trace of {msg_id} lacks one of {kinds:?}: {views:?}");
    views
}

/// The first row of `kind` in `views`.
fn row(views: &[TraceView], kind: TraceType) -> &TraceView {
    views
        .iter()
        .find(|v| v.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} row: {views:?}"))
}

/// Sends one message to `topic` from a producer with trace off (group named for `case`);
/// returns its message id.
async fn send_untraced(topic: &str, case: &str, body: &'static str) -> String {
    let producer = Producer::builder()
        .client_config(config())
        .group(names::group(case).as_str())
        .build()
        .await
        .expect("producer");
    let receipt = producer
        .send(&Message::new(topic, body))
        .await
        .expect("send");
    producer.shutdown().await;
    receipt.msg_id().to_string()
}

/// A push consumer of `topic` in `group`, with trace on, from the first offset; not started.
async fn traced_push_consumer(topic: &str, group: &str) -> PushConsumer {
    PushConsumer::builder()
        .client_config(config())
        .group(group)
        .subscribe(topic, Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
        .enable_trace(true)
        .build()
        .await
        .expect("consumer")
}

/// A message sent by a producer and consumed by a push consumer, both with trace on, reads back as Pub, SubBefore and SubAfter rows
/// for its id: the producer's group and topic, then the consumer group's success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traced_send_and_consume_read_back_as_pub_sub_before_and_sub_after() {
    let (admin, topic) = admin_and_topic("trace_e2e").await;
    let group = names::group("trace_e2e");
    let producer = Producer::builder()
        .client_config(config())
        .group(names::group("trace_e2e_p").as_str())
        .enable_trace(true)
        .build()
        .await
        .expect("producer");
    let message = Message::new(topic.as_str(), "traced")
        .with_tag("TagT")
        .with_keys(["order-1"]);
    let receipt = producer.send(&message).await.expect("send");
    let msg_id = receipt.msg_id().to_string();
    // Shutting down flushes the producer's trace records.
    producer.shutdown().await;
    let stats = producer.trace_stats().expect("trace on");
    assert_eq!(
        (stats.sent, stats.dropped, stats.failed),
        (1, 0, 0),
        "{stats:?}"
    );

    let consumed = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = consumed.clone();
    let consumer = traced_push_consumer(&topic, &group).await;
    consumer
        .start(move |msgs: Vec<ReceivedMessage>| {
            let seen = seen.clone();
            async move {
                let mut seen = seen.lock().expect("lock");
                seen.extend(msgs.iter().map(ReceivedMessage::msg_id));
                ConsumeResult::Success
            }
        })
        .await
        .expect("start");
    let got = rmq_tests::eventually(WAIT, || async {
        consumed.lock().expect("lock").contains(&msg_id)
    });
    assert!(got.await, "message {msg_id} not consumed");
    // Shutting down flushes the consumer's trace records.
    consumer.shutdown().await;
    let stats = consumer.trace_stats().expect("trace on");
    assert!(
        stats.sent >= 2,
        "SubBefore and SubAfter at least: {stats:?}"
    );
    assert_eq!((stats.dropped, stats.failed), (0, 0), "{stats:?}");

    let views = trace_with(
        &admin,
        &msg_id,
        &[TraceType::Pub, TraceType::SubBefore, TraceType::SubAfter],
    )
    .await;
    let publish = row(&views, TraceType::Pub);
    assert_eq!(publish.topic, topic);
    assert_eq!(publish.tags.as_deref(), Some("TagT"));
    assert_eq!(publish.keys.as_deref(), Some("order-1"));
    assert_eq!(publish.offset_msg_id, receipt.offset_msg_id().to_string());
    assert!(publish.success);
    let after = row(&views, TraceType::SubAfter);
    assert_eq!(after.group, group);
    assert!(after.success);
    let before = row(&views, TraceType::SubBefore);
    assert_eq!(before.group, group);
    // Oldest first: the send happened before the consume.
    let pos = |k: TraceType| views.iter().position(|v| v.kind == k).expect("kind");
    assert!(pos(TraceType::Pub) < pos(TraceType::SubBefore), "{views:?}");
    assert!(
        publish.time.expect("Pub time") <= SystemTime::now(),
        "{views:?}"
    );
    admin.shutdown().await;
}

/// A query for the id of a message sent without trace finds nothing, without error, while
/// the traced message sent next to it is found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untraced_message_has_an_empty_trace() {
    let (admin, topic) = admin_and_topic("trace_none").await;
    let plain = admin
        .send_message(Message::new(topic.as_str(), "plain"), None)
        .await
        .expect("send");
    let (traced, _) = admin
        .send_message_traced(
            Message::new(topic.as_str(), "traced"),
            None,
            naming::TRACE_TOPIC,
        )
        .await
        .expect("traced send");
    trace_with(&admin, &traced.msg_id, &[TraceType::Pub]).await;
    let views = admin
        .query_msg_trace_by_id(&plain.msg_id, naming::TRACE_TOPIC)
        .await
        .expect("query");
    assert!(views.is_empty(), "{views:?}");
    admin.shutdown().await;
}

/// A traced transactional producer writes the half message's Pub record and the
/// EndTransaction record of its commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traced_transaction_reads_back_as_pub_and_end_transaction() {
    let (admin, topic) = admin_and_topic("trace_tx").await;
    let producer = TransactionProducer::builder()
        .client_config(config())
        .group(names::group("trace_tx_p").as_str())
        .enable_trace(true)
        .checker(|_msg| async { TransactionState::Commit })
        .build()
        .await
        .expect("transactional producer");
    let done = producer
        .send_in_transaction(&Message::new(topic.as_str(), "tx"), |_receipt| async {
            TransactionState::Commit
        })
        .await
        .expect("transaction");
    let msg_id = done.receipt().msg_id().to_string();
    producer.shutdown().await;
    let views = trace_with(
        &admin,
        &msg_id,
        &[TraceType::Pub, TraceType::EndTransaction],
    )
    .await;
    let end = row(&views, TraceType::EndTransaction);
    assert_eq!(end.topic, topic);
    assert!(!end.store_host.is_empty(), "{views:?}");
    admin.shutdown().await;
}

/// A listener that asks for a retry leaves a failed SubAfter; the redelivery's SubAfter
/// succeeds: the trace shows both consume attempts of the message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_consume_traces_a_failed_then_a_successful_sub_after() {
    let (admin, topic) = admin_and_topic("trace_retry").await;
    let group = names::group("trace_retry");
    let msg_id = send_untraced(&topic, "trace_retry_p", "again").await;
    let deliveries = Arc::new(Mutex::new(0_u32));
    let count = deliveries.clone();
    let consumer = traced_push_consumer(&topic, &group).await;
    consumer
        .start(move |_msgs: Vec<ReceivedMessage>| {
            let count = count.clone();
            async move {
                let mut n = count.lock().expect("lock");
                *n += 1;
                if *n == 1 {
                    ConsumeResult::Later(1)
                } else {
                    ConsumeResult::Success
                }
            }
        })
        .await
        .expect("start");
    let twice = rmq_tests::eventually(WAIT, || async { *deliveries.lock().expect("lock") >= 2 });
    assert!(twice.await, "not redelivered");
    consumer.shutdown().await;
    let (both, views) = trace_until(&admin, &msg_id, |views| {
        let after: Vec<bool> = views
            .iter()
            .filter(|v| v.kind == TraceType::SubAfter)
            .map(|v| v.success)
            .collect();
        after.contains(&false) && after.contains(&true)
    })
    .await;
    assert!(both, "a failed and a successful SubAfter: {views:?}");
    // Only the consumer traced: the producer had trace off.
    assert!(views.iter().all(|v| v.kind != TraceType::Pub), "{views:?}");
    admin.shutdown().await;
}

/// A transaction left unknown and answered by the checker gets a second EndTransaction
/// record, for the check's answer (Java traces both). Testkit only, on a private cluster: it
/// needs a short check interval (`transactionCheckInterval`), where the crates.io broker
/// checks back after about 14 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checked_back_transaction_traces_the_check_answer_too() {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    cluster.create_topic("TraceChecked", 4);
    let broker = cluster
        .broker("broker-a")
        .expect("broker-a")
        .addr()
        .to_string();
    let admin = Admin::connect(cluster.namesrv_addr()).await.expect("admin");
    for (key, value) in [
        ("transactionTimeOut", "0"),
        ("transactionCheckInterval", "50"),
    ] {
        admin
            .update_broker_config(&Target::Broker(broker.clone()), key, value)
            .await
            .expect("broker config");
    }
    let producer = TransactionProducer::builder()
        .client_config(
            ClientConfig::builder()
                .namesrv(cluster.namesrv_addr())
                .build()
                .expect("config"),
        )
        .group("trace_checked_p")
        .enable_trace(true)
        .checker(|_msg| async { TransactionState::Commit })
        .build()
        .await
        .expect("transactional producer");
    let done = producer
        .send_in_transaction(&Message::new("TraceChecked", "tx"), |_receipt| async {
            TransactionState::Unknown
        })
        .await
        .expect("transaction");
    let msg_id = done.receipt().msg_id().to_string();
    let (both, views) = trace_until(&admin, &msg_id, |views| {
        let ends = views
            .iter()
            .filter(|v| v.kind == TraceType::EndTransaction)
            .count();
        ends >= 2
    })
    .await;
    assert!(both, "a local and a checked EndTransaction: {views:?}");
    producer.shutdown().await;
    admin.shutdown().await;
    cluster.shutdown().await;
}

/// A pull consumer with trace on writes SubBefore and a successful SubAfter for every message
/// it fetched, as Java's lite pull consumer does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traced_pull_consumer_writes_sub_before_and_sub_after_per_polled_message() {
    let (admin, topic) = admin_and_topic("trace_pull").await;
    let group = names::group("trace_pull");
    let msg_id = send_untraced(&topic, "trace_pull_p", "pulled").await;
    let consumer = PullConsumer::builder()
        .client_config(config())
        .group(group.as_str())
        .consume_from(ConsumeFrom::FirstOffset)
        .subscribe(topic.as_str(), Filter::all())
        .enable_trace(true)
        .build()
        .await
        .expect("pull consumer");
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut polled = Vec::new();
    while !polled.contains(&msg_id) && tokio::time::Instant::now() < deadline {
        let batch = consumer.poll(Duration::from_secs(1)).await.expect("poll");
        polled.extend(batch.iter().map(ReceivedMessage::msg_id));
    }
    assert!(polled.contains(&msg_id), "not polled: {polled:?}");
    consumer.shutdown().await;
    let views = trace_with(
        &admin,
        &msg_id,
        &[TraceType::SubBefore, TraceType::SubAfter],
    )
    .await;
    let after = row(&views, TraceType::SubAfter);
    assert!(after.success);
    assert_eq!(after.group, group);
    admin.shutdown().await;
}
