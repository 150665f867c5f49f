//! `Producer::publish_queues` (Java's `fetchPublishMessageQueues`): the queues a selector is
//! given, named as the user names the topic.

use std::sync::{Arc, Mutex};

use rmq_client_core::ClientConfig;
use rmq_client_producer::{Message, MessageQueue, Producer};
use rmq_testkit::MockCluster;

/// Every writable queue of every broker, without the namespace, in the order a selector sees.
#[tokio::test]
async fn publish_queues_lists_what_a_selector_is_given() {
    let cluster = MockCluster::builder()
        .brokers(2)
        .start()
        .await
        .expect("cluster");
    cluster.create_topic("ns1%Orders", 3);
    let config = ClientConfig::builder()
        .namesrv(cluster.namesrv_addr())
        .namespace("ns1")
        .read_env(false)
        .build()
        .expect("config");
    let producer = Producer::builder()
        .client_config(config)
        .group("pq_pg")
        .build()
        .await
        .expect("producer");

    let queues = producer.publish_queues("Orders").await.expect("queues");
    assert_eq!(queues.len(), 6, "{queues:?}");
    assert!(queues.iter().all(|q| q.topic == "Orders"), "{queues:?}");
    for broker in ["broker-a", "broker-b"] {
        let ids: Vec<i32> = queues
            .iter()
            .filter(|q| q.broker_name == broker)
            .map(|q| q.queue_id)
            .collect();
        assert_eq!(ids, [0, 1, 2], "{broker}");
    }

    let seen: Arc<Mutex<Vec<MessageQueue>>> = Arc::default();
    let record = seen.clone();
    let last = move |qs: &[MessageQueue], _: &Message| {
        if let Ok(mut seen) = record.lock() {
            *seen = qs.to_vec();
        }
        Some(qs.len() - 1)
    };
    let receipt = producer
        .send_ordered(&Message::new("Orders", "x"), &last)
        .await
        .expect("sent");
    let given = seen.lock().expect("lock").clone();
    assert_eq!(given, queues, "the selector was given publish_queues' list");
    assert_eq!(receipt.queue(), queues.last().expect("a queue"));

    let e = producer
        .publish_queues("bad topic!")
        .await
        .expect_err("invalid name");
    assert_eq!(e.kind(), rmq_client_producer::ErrorKind::InvalidArgument);
    producer.shutdown().await;
    cluster.shutdown().await;
}
