//! The auto-batching producer on the embedded testkit cluster: a lone message goes at once,
//! without waiting for the delay; sends made while a request of the topic is in flight (made
//! slow by a latency fault) gather into one SEND_BATCH_MESSAGE (counted by the broker), sent
//! when that request answers, each caller with its own receipt (id, offset id, consecutive
//! queue offsets) that a pull reads back with its properties; `max_delay` bounds the wait
//! behind a slow request; a refused batch fails every caller with the broker's code, a
//! retriable failure retries the whole batch; messages Java never batches go directly; the
//! total-bytes bound holds batches back; shutdown flushes what is pending.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::future::join_all;
use rmq_client_producer::{AutoBatch, ErrorKind, Message, Producer, SendFuture};
use rmq_protocol::message::{decode_stored, DecodeOptions};
use rmq_protocol::{RequestCode, ResponseCode, StoredMessage};
use rmq_testkit::MockCluster;
use support::read_back_pull;

/// A one-broker cluster with `topic` on a single queue, so offsets of a batch are consecutive.
async fn cluster(topic: &str) -> MockCluster {
    let cluster = MockCluster::builder()
        .brokers(1)
        .start()
        .await
        .expect("cluster");
    cluster.create_topic(topic, 1);
    cluster
}

async fn producer(cluster: &MockCluster, group: &str, batching: AutoBatch) -> Producer {
    Producer::builder()
        .namesrv(cluster.namesrv_addr())
        .group(group)
        .auto_batch(batching)
        .build()
        .await
        .expect("producer")
}

fn requests(cluster: &MockCluster, code: RequestCode) -> u64 {
    cluster.broker("broker-a").expect("broker-a").requests(code)
}

/// Makes plain sends slow by `latency` and puts one of `topic` in flight (with the default of
/// one request in flight per topic), so the sends that follow gather into a batch until it
/// answers. Its receipt resolves once the broker answers.
async fn occupy(
    cluster: &MockCluster,
    producer: &Producer,
    topic: &str,
    latency: Duration,
) -> SendFuture {
    // Learn the route first, so the first send is on the wire as soon as it is admitted.
    producer.publish_queues(topic).await.expect("route");
    let broker = cluster.broker("broker-a").expect("broker-a");
    broker.set_latency(RequestCode::SEND_MESSAGE_V2, latency);
    producer
        .send_async(&Message::new(topic, "first"))
        .await
        .expect("admitted")
}

/// Everything stored in queue 0 of `topic`, from offset 0.
async fn pull_all(cluster: &MockCluster, producer: &Producer, topic: &str) -> Vec<StoredMessage> {
    let addr = cluster.broker("broker-a").expect("broker").addr();
    let header = read_back_pull("auto-batch-reader", topic, 0, 0, 64);
    let pulled = producer
        .instance()
        .api()
        .pull_message(&addr.to_string(), &header, Duration::from_secs(5))
        .await
        .expect("pulled");
    decode_stored(pulled.body, DecodeOptions::new()).expect("decoded")
}

/// Twenty sends made while a slow request of the topic is in flight go out as one batch
/// request once it answers; each caller's receipt names its own message, and a pull finds each
/// one at its receipt's offset with its body, tag, key and user property.
#[tokio::test]
async fn sends_while_a_request_is_in_flight_become_one_batch_with_a_receipt_each() {
    let topic = "auto-batch-merge";
    let cluster = cluster(topic).await;
    let batching = AutoBatch::new().max_delay(Duration::from_secs(5));
    let producer = producer(&cluster, "auto-batch-merge", batching).await;
    let first = occupy(&cluster, &producer, topic, Duration::from_millis(300)).await;
    let sends = (0..20).map(|i| {
        let producer = producer.clone();
        async move {
            let msg = Message::new(topic, format!("body-{i}"))
                .with_tag(format!("tag-{i}"))
                .with_keys([format!("key-{i}")])
                .with_user_property("n", i.to_string());
            producer.send(&msg).await
        }
    });
    let receipts: Vec<_> = join_all(sends)
        .await
        .into_iter()
        .map(|r| r.expect("stored"))
        .collect();
    assert_eq!(first.await.expect("stored").queue_offset(), 0);
    assert_eq!(requests(&cluster, RequestCode::SEND_BATCH_MESSAGE), 1);
    assert_eq!(requests(&cluster, RequestCode::SEND_MESSAGE_V2), 1);

    let ids: HashSet<_> = receipts.iter().map(|r| r.msg_id().clone()).collect();
    assert_eq!(ids.len(), 20, "every receipt has its own id");
    let mut offsets: Vec<i64> = receipts.iter().map(|r| r.queue_offset()).collect();
    offsets.sort_unstable();
    assert_eq!(offsets, (1..=20).collect::<Vec<i64>>(), "one offset each");
    assert!(receipts.iter().all(|r| r.msg_ids().len() == 1));

    let stored = pull_all(&cluster, &producer, topic).await;
    assert_eq!(stored.len(), 21);
    for (i, receipt) in receipts.iter().enumerate() {
        let m = stored
            .iter()
            .find(|m| m.queue_offset == receipt.queue_offset())
            .expect("stored at the receipt's offset");
        assert_eq!(m.msg_id(), receipt.msg_id().as_str(), "#{i}");
        assert_eq!(m.offset_msg_id(), receipt.offset_msg_id().as_str(), "#{i}");
        assert_eq!(m.body.as_ref(), format!("body-{i}").as_bytes());
        assert_eq!(m.tags(), Some(format!("tag-{i}").as_str()));
        assert_eq!(m.keys().collect::<Vec<_>>(), [format!("key-{i}")]);
        assert_eq!(m.property("n"), Some(i.to_string().as_str()));
    }
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// A broker that refuses the batch (MESSAGE_ILLEGAL, not retried) fails every caller with its
/// code, and the text says it was the batch.
#[tokio::test]
async fn a_refused_batch_fails_each_caller_with_the_brokers_code() {
    let topic = "auto-batch-refused";
    let cluster = cluster(topic).await;
    let batching = AutoBatch::new().max_delay(Duration::from_millis(100));
    let producer = producer(&cluster, "auto-batch-refused", batching).await;
    let first = occupy(&cluster, &producer, topic, Duration::from_millis(300)).await;
    let broker = cluster.broker("broker-a").expect("broker-a");
    broker.inject(
        RequestCode::SEND_BATCH_MESSAGE,
        ResponseCode::MESSAGE_ILLEGAL,
        1,
    );
    let sends = (0..5).map(|i| {
        let producer = producer.clone();
        async move { producer.send(&Message::new(topic, format!("m{i}"))).await }
    });
    let results = join_all(sends).await;
    first.await.expect("the plain send is stored");
    assert_eq!(broker.requests(RequestCode::SEND_BATCH_MESSAGE), 1);
    for result in results {
        let e = result.expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::Broker(ResponseCode::MESSAGE_ILLEGAL));
        assert_eq!(e.response_code(), Some(ResponseCode::MESSAGE_ILLEGAL));
        assert_eq!(e.attempts().len(), 1, "{e}");
        let text = e.to_string();
        assert!(text.contains("auto-batch of 5 messages failed"), "{text}");
        assert!(text.contains("MESSAGE_ILLEGAL"), "{text}");
        assert!(text.contains("broker-a"), "{text}");
    }
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// A batch is retried as one request under the producer's retry policy: after a SYSTEM_ERROR
/// (a code Java retries on) the second attempt stores it, and every caller gets its receipt.
#[tokio::test]
async fn a_batch_is_retried_as_a_whole() {
    let topic = "auto-batch-retried";
    let cluster = cluster(topic).await;
    let batching = AutoBatch::new().max_delay(Duration::from_millis(100));
    let producer = producer(&cluster, "auto-batch-retried", batching).await;
    let first = occupy(&cluster, &producer, topic, Duration::from_millis(300)).await;
    let broker = cluster.broker("broker-a").expect("broker-a");
    broker.inject(
        RequestCode::SEND_BATCH_MESSAGE,
        ResponseCode::SYSTEM_ERROR,
        1,
    );
    let sends = (0..4).map(|i| {
        let producer = producer.clone();
        async move { producer.send(&Message::new(topic, format!("m{i}"))).await }
    });
    for result in join_all(sends).await {
        result.expect("stored on the second attempt");
    }
    first.await.expect("the plain send is stored");
    assert_eq!(broker.requests(RequestCode::SEND_BATCH_MESSAGE), 2);
    assert_eq!(pull_all(&cluster, &producer, topic).await.len(), 5);
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// With nothing in flight a message is sent at once, as a plain single send, not after the
/// 5 s delay; so is the next one, once the first has answered.
#[tokio::test]
async fn a_lone_message_is_sent_without_waiting_for_the_delay() {
    let topic = "auto-batch-lone";
    let cluster = cluster(topic).await;
    let batching = AutoBatch::new().max_delay(Duration::from_secs(5));
    let producer = producer(&cluster, "auto-batch-lone", batching).await;
    producer.publish_queues(topic).await.expect("route");
    let started = Instant::now();
    let receipt = producer
        .send(&Message::new(topic, "alone").with_user_property("k", "v"))
        .await
        .expect("stored");
    producer
        .send(&Message::new(topic, "next"))
        .await
        .expect("stored");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited {:?}: the delay is 5 s",
        started.elapsed()
    );
    assert_eq!(requests(&cluster, RequestCode::SEND_MESSAGE_V2), 2);
    assert_eq!(requests(&cluster, RequestCode::SEND_BATCH_MESSAGE), 0);
    let stored = pull_all(&cluster, &producer, topic).await;
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].msg_id(), receipt.msg_id().as_str());
    assert_eq!(stored[0].property("k"), Some("v"));
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// Behind a request slower than `max_delay`, a waiting batch goes when its delay expires
/// rather than when the slow request answers.
#[tokio::test]
async fn max_delay_bounds_the_wait_behind_a_slow_request() {
    let topic = "auto-batch-delay";
    let cluster = cluster(topic).await;
    let batching = AutoBatch::new().max_delay(Duration::from_millis(100));
    let producer = producer(&cluster, "auto-batch-delay", batching).await;
    let first = occupy(&cluster, &producer, topic, Duration::from_secs(2)).await;
    let started = Instant::now();
    let sends = (0..3).map(|i| {
        let producer = producer.clone();
        async move { producer.send(&Message::new(topic, format!("m{i}"))).await }
    });
    for result in join_all(sends).await {
        result.expect("stored");
    }
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "waited {:?} for the 2 s request",
        started.elapsed()
    );
    assert_eq!(requests(&cluster, RequestCode::SEND_BATCH_MESSAGE), 1);
    first.await.expect("stored");
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// Two requests of a topic in flight: the first two sends go at once, alone, and the rest
/// gather into one batch.
#[tokio::test]
async fn max_in_flight_requests_go_at_once_before_messages_gather() {
    let topic = "auto-batch-two";
    let cluster = cluster(topic).await;
    let batching = AutoBatch::new()
        .max_delay(Duration::from_secs(5))
        .max_in_flight(2);
    let producer = producer(&cluster, "auto-batch-two", batching).await;
    producer.publish_queues(topic).await.expect("route");
    let broker = cluster.broker("broker-a").expect("broker-a");
    broker.set_latency(RequestCode::SEND_MESSAGE_V2, Duration::from_millis(200));
    let sends = (0..10).map(|i| {
        let producer = producer.clone();
        async move { producer.send(&Message::new(topic, format!("m{i}"))).await }
    });
    for result in join_all(sends).await {
        result.expect("stored");
    }
    assert_eq!(requests(&cluster, RequestCode::SEND_MESSAGE_V2), 2);
    assert_eq!(requests(&cluster, RequestCode::SEND_BATCH_MESSAGE), 1);
    assert_eq!(pull_all(&cluster, &producer, topic).await.len(), 10);
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// Delayed messages, messages over the batch bound and oneway sends go directly, at once,
/// even with a long batch delay.
#[tokio::test]
async fn messages_java_never_batches_go_directly() {
    let topic = "auto-batch-direct";
    let cluster = cluster(topic).await;
    let batching = AutoBatch::new()
        .max_delay(Duration::from_secs(20))
        .max_batch_bytes(1024);
    let producer = producer(&cluster, "auto-batch-direct", batching).await;
    let direct = [
        Message::new(topic, "later").with_delay_level(1),
        Message::new(topic, vec![b'x'; 2048]),
    ];
    for msg in &direct {
        let sent = tokio::time::timeout(Duration::from_secs(10), producer.send(msg)).await;
        sent.expect("not held for the 20 s delay").expect("stored");
    }
    producer
        .send_oneway(&Message::new(topic, "oneway"))
        .await
        .expect("written");
    let deadline = Instant::now() + Duration::from_secs(10);
    while requests(&cluster, RequestCode::SEND_MESSAGE_V2) < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(requests(&cluster, RequestCode::SEND_MESSAGE_V2), 3);
    assert_eq!(requests(&cluster, RequestCode::SEND_BATCH_MESSAGE), 0);
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// With room for four messages, eight concurrent sends put only four on the wire while the
/// broker holds them (the first alone, the next two as a full batch, the fourth alone when its
/// delay expires); the others wait for room, then go. All eight are stored.
#[tokio::test]
async fn the_total_bytes_bound_holds_batches_back() {
    let topic = "auto-batch-bound";
    let cluster = cluster(topic).await;
    let broker = cluster.broker("broker-a").expect("broker-a");
    // A 400-byte body is about 470 bytes in a batch: two fit in 1000, four in 2000.
    let batching = AutoBatch::new()
        .max_delay(Duration::from_millis(20))
        .max_batch_bytes(1000)
        .max_total_bytes(2000);
    let producer = Producer::builder()
        .namesrv(cluster.namesrv_addr())
        .group("auto-batch-bound")
        .send_timeout(Duration::from_secs(30))
        .auto_batch(batching)
        .build()
        .await
        .expect("producer");
    // Learn the route first, so the held batches are the only thing waiting.
    producer.publish_queues(topic).await.expect("route");
    broker.set_latency(RequestCode::SEND_BATCH_MESSAGE, Duration::from_secs(3));
    broker.set_latency(RequestCode::SEND_MESSAGE_V2, Duration::from_secs(3));
    let on_wire = || {
        broker.requests(RequestCode::SEND_BATCH_MESSAGE)
            + broker.requests(RequestCode::SEND_MESSAGE_V2)
    };
    let sends: Vec<_> = (0..8)
        .map(|_| {
            let producer = producer.clone();
            tokio::spawn(async move { producer.send(&Message::new(topic, vec![b'b'; 400])).await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while on_wire() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        (
            broker.requests(RequestCode::SEND_MESSAGE_V2),
            broker.requests(RequestCode::SEND_BATCH_MESSAGE)
        ),
        (2, 1),
        "four messages hold the whole bound until answered"
    );
    for send in sends {
        send.await.expect("task").expect("stored");
    }
    assert_eq!(pull_all(&cluster, &producer, topic).await.len(), 8);
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// Shutdown sends a pending batch at once instead of waiting out its delay, and every async
/// caller gets its receipt.
#[tokio::test]
async fn shutdown_flushes_pending_batches() {
    let topic = "auto-batch-shutdown";
    let cluster = cluster(topic).await;
    let batching = AutoBatch::new().max_delay(Duration::from_secs(20));
    let producer = producer(&cluster, "auto-batch-shutdown", batching).await;
    let first = occupy(&cluster, &producer, topic, Duration::from_secs(1)).await;
    let mut pending = Vec::new();
    for i in 0..3 {
        let msg = Message::new(topic, format!("m{i}"));
        pending.push(producer.send_async(&msg).await.expect("admitted"));
    }
    let started = Instant::now();
    producer.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not the 20 s delay"
    );
    for receipt in pending {
        receipt.await.expect("stored");
    }
    first.await.expect("stored");
    assert_eq!(requests(&cluster, RequestCode::SEND_BATCH_MESSAGE), 1);
    let e = producer
        .send(&Message::new(topic, "late"))
        .await
        .expect_err("shut down");
    assert_eq!(e.kind(), ErrorKind::Shutdown);
    cluster.shutdown().await;
}

/// Builder validation: zero and oversized bounds are refused by `build()`.
#[tokio::test]
async fn invalid_auto_batch_settings_are_refused_by_build() {
    for batching in [
        AutoBatch::new().max_delay(Duration::ZERO),
        AutoBatch::new().max_batch_bytes(5 * 1024 * 1024),
        AutoBatch::new().max_batch_bytes(4096).max_total_bytes(1024),
    ] {
        let e = Producer::builder()
            .namesrv("127.0.0.1:1")
            .auto_batch(batching)
            .build()
            .await
            .expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert!(e.to_string().contains("auto_batch"), "{e}");
    }
}
