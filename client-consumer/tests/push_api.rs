//! What a push consumer shows its user: the queues it owns (user topics only), and received
//! messages with their user properties and, for a namespaced consumer, topics without the
//! namespace. On the testkit, which creates the group's `%RETRY%` topic at the heartbeat as
//! Java's broker does, so the consumer really owns retry queues.

mod cluster;

use std::sync::{Arc, Mutex};

use cluster::{until, Sender};
use rmq_client_consumer::{
    ConsumeFrom, ConsumeResult, Filter, MessageQueue, PushConsumer, ReceivedMessage,
};

/// `assigned_queues()` lists the subscribed topic's queues and none of the `%RETRY%group`
/// queues the consumer also pulls (running info shows those).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assigned_queues_leave_out_the_retry_queues() {
    const TOPIC: &str = "AssignedTopic";
    let cluster = cluster::start(TOPIC, 2).await;
    let c = PushConsumer::builder()
        .client_config(cluster::config(&cluster, "assigned"))
        .group("assigned_group")
        .subscribe(TOPIC, Filter::all())
        .build()
        .await
        .expect("build");
    c.start(|_: Vec<ReceivedMessage>| async { ConsumeResult::Success })
        .await
        .expect("start");
    until("the retry queue and both topic queues are owned", || {
        let info = c.running_info();
        let owned = info.mq_table.keys();
        let (retry, user): (Vec<_>, Vec<_>) = owned.partition(|q| q.topic.starts_with("%RETRY%"));
        !retry.is_empty() && user.len() == 2
    })
    .await;
    let mut assigned: Vec<(String, i32)> = c
        .assigned_queues()
        .into_iter()
        .map(|q| (q.topic, q.queue_id))
        .collect();
    assigned.sort();
    assert_eq!(assigned, [(TOPIC.to_owned(), 0), (TOPIC.to_owned(), 1)]);
    c.shutdown().await;
    cluster.shutdown().await;
}

/// A consumer configured with namespace `ns` subscribes `NsTopic` as `ns%NsTopic` on the
/// broker, and its listener sees the topic as `NsTopic`; the producer's user property reads
/// back through `user_property`, and `user_properties` lists it without `TAGS`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespaced_consumer_sees_topics_without_the_namespace() {
    const TOPIC: &str = "NsTopic";
    let cluster = cluster::start("ns%NsTopic", 1).await;
    let sender = Sender::new(&cluster);
    sender
        .send("ns%NsTopic", 0, "hello", &[("order", "42")])
        .await;
    let config = cluster::config_builder(&cluster, "namespaced")
        .namespace("ns")
        .build()
        .expect("config");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let c = PushConsumer::builder()
        .client_config(config)
        .group("ns_group")
        .subscribe(TOPIC, Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await
        .expect("build");
    c.start(move |msgs: Vec<ReceivedMessage>| {
        s2.lock().expect("seen").extend(msgs);
        async { ConsumeResult::Success }
    })
    .await
    .expect("start");
    until("the message is consumed", || {
        !seen.lock().expect("seen").is_empty()
    })
    .await;
    let m = seen.lock().expect("seen")[0].clone();
    assert_eq!(m.topic(), TOPIC);
    assert_eq!(m.queue(), &MessageQueue::new(TOPIC, cluster::BROKER, 0));
    assert_eq!(m.stored().topic, "ns%NsTopic", "the broker's name is kept");
    assert_eq!(
        c.assigned_queues(),
        [MessageQueue::new(TOPIC, cluster::BROKER, 0)]
    );
    assert_eq!(m.body().as_ref(), b"hello");
    assert_eq!(m.user_property("order"), Some("42"));
    assert_eq!(m.user_property("TAGS"), None, "a system property");
    assert_eq!(m.property("TAGS"), Some("A"));
    let user: Vec<(&str, &str)> = m.user_properties().collect();
    assert_eq!(user, [("order", "42")]);
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}
