//! Helpers shared by the admin API and CLI tests: an [`Admin`] on the shared cluster, topics
//! created through it, messages sent and consumed through the client-core API, and a running
//! producer and push consumer sharing one client instance, so brokers have connections to
//! report.

#![allow(dead_code)]

use std::time::Duration;

use rmq_client_admin::{Admin, Target};
use rmq_client_consumer::{ConsumeResult, Filter, PushConsumer, ReceivedMessage};
use rmq_client_core::{ClientConfig, TaskSchedule};
use rmq_client_producer::Producer;
use rmq_protocol::body::{SubscriptionGroupConfig, TopicConfig};
use rmq_protocol::{Message, MessageQueue};
use rmq_tests::names;

pub const TIMEOUT: Duration = Duration::from_secs(5);

/// An admin on the shared cluster.
pub async fn admin() -> Admin {
    Admin::builder()
        .namesrv(rmq_tests::namesrv_addr())
        .timeout(TIMEOUT)
        .build()
        .await
        .expect("admin starts")
}

pub use rmq_tests::eventually;

/// Creates `topic` with `queues` read and write queues on the shared broker and waits until
/// the name server routes it.
pub async fn create_topic(admin: &Admin, topic: &str, queues: i32) {
    let config = TopicConfig {
        topic_name: topic.into(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        ..TopicConfig::default()
    };
    admin
        .create_or_update_topic(&Target::Broker(rmq_tests::broker_addr()), &config)
        .await
        .expect("create topic");
    let routed = eventually(Duration::from_secs(15), || async {
        admin
            .topic_route(topic)
            .await
            .is_ok_and(|r| r.queue_datas.iter().any(|q| q.read_queue_nums == queues))
    })
    .await;
    assert!(
        routed,
        "the name server routes {topic} with {queues} queues"
    );
}

/// Sends `n` messages with keys `<key>-<i>` and tag `TagA`; returns the unique ids.
pub async fn send(admin: &Admin, topic: &str, key: &str, n: usize) -> Vec<String> {
    let before = total_max_offset(admin, topic).await;
    let mut ids = Vec::new();
    for i in 0..n {
        let msg = Message::new(topic, format!("body-{i}").into_bytes())
            .with_tag("TagA")
            .with_keys([format!("{key}-{i}")]);
        ids.push(admin.send_message(msg, None).await.expect("send").msg_id);
    }
    // The broker dispatches stored messages to its consume queues asynchronously: wait until
    // the queues show every message sent here, so the max offsets, consume stats and pulls a
    // test reads next include them.
    let visible = eventually(Duration::from_secs(10), || async {
        total_max_offset(admin, topic).await >= before + n as i64
    })
    .await;
    assert!(
        visible,
        "the consume queues of {topic} show the {n} messages sent"
    );
    ids
}

/// The sum of the max offsets of `topic`'s queues (0 while it has no route).
pub async fn total_max_offset(admin: &Admin, topic: &str) -> i64 {
    let Ok(queues) = admin.topic_queues(topic).await else {
        return 0;
    };
    let mut total = 0;
    for q in queues {
        total += admin.max_offset(&q).await.unwrap_or(0);
    }
    total
}

/// The shared broker's name.
pub async fn broker_name(admin: &Admin) -> String {
    let info = admin.cluster_info().await.expect("cluster info");
    info.broker_addr_table
        .values()
        .find(|b| {
            b.broker_addrs
                .values()
                .any(|a| *a == rmq_tests::broker_addr())
        })
        .map(|b| b.broker_name.clone())
        .expect("the shared broker is in the cluster table")
}

/// Commits `offset` (or each queue's max offset when `None`) for `group` on every queue.
pub async fn commit(admin: &Admin, group: &str, topic: &str, offset: Option<i64>) {
    let broker = rmq_tests::broker_addr();
    // The CI broker refuses offsets of a group it does not know (code 26).
    let config = SubscriptionGroupConfig {
        group_name: group.to_owned(),
        ..SubscriptionGroupConfig::default()
    };
    admin
        .create_or_update_group(&Target::Broker(broker.clone()), &config)
        .await
        .expect("create group");
    for q in admin.topic_queues(topic).await.expect("queues") {
        let at = match offset {
            Some(o) => o,
            None => admin.max_offset(&q).await.expect("max offset"),
        };
        admin
            .instance()
            .api()
            .update_consumer_offset(&broker, group, topic, q.queue_id, at, TIMEOUT)
            .await
            .expect("commit offset");
    }
}

/// Pulls everything from `from` offsets to the end of every queue; returns the count.
pub async fn consume_all(admin: &Admin, topic: &str) -> usize {
    let mut n = 0;
    for q in admin.topic_queues(topic).await.expect("queues") {
        let mut offset = 0;
        loop {
            let batch = admin.pull(&q, offset, 32).await.expect("pull");
            if batch.messages.is_empty() {
                break;
            }
            n += batch.messages.len();
            offset = batch.next_offset;
        }
    }
    n
}

/// A queue of `topic` on the shared broker.
pub fn queue(topic: &str, broker_name: &str, id: i32) -> MessageQueue {
    MessageQueue::new(topic, broker_name, id)
}

/// A producer and a push consumer running in one client instance, so both report the same
/// client id: what [`live_clients`] starts.
pub struct LiveClients {
    /// The producer, of the group given to [`live_clients`].
    pub producer: Producer,
    /// The consumer, subscribed to the topic given to [`live_clients`].
    pub consumer: PushConsumer,
}

impl LiveClients {
    /// The client id both clients heartbeat with.
    pub fn client_id(&self) -> &str {
        self.consumer.client_id()
    }

    /// Stops the consumer, then the producer (the last one stops their instance).
    pub async fn shutdown(&self) {
        self.consumer.shutdown().await;
        self.producer.shutdown().await;
    }
}

/// A producer of `pg` and a push consumer of `cg` subscribed to `topic`, in one started client
/// instance whose heartbeat has reached the brokers (the consumer's start sends it, with both
/// groups, once the topic's route is known).
pub async fn live_clients(topic: &str, pg: &str, cg: &str) -> LiveClients {
    let config = ClientConfig::builder()
        .namesrv(rmq_tests::namesrv_addr())
        .instance_name(names::name("adm", topic))
        .heartbeat_broker_interval(Duration::from_millis(500))
        .schedule(TaskSchedule {
            heartbeat_delay: Duration::from_millis(10),
            ..TaskSchedule::default()
        })
        .build()
        .expect("config");
    let producer = Producer::builder()
        .client_config(config.clone())
        .group(pg)
        .build()
        .await
        .expect("producer");
    let consumer = PushConsumer::builder()
        .client_config(config)
        .group(cg)
        .subscribe(topic, Filter::all())
        .build()
        .await
        .expect("consumer");
    consumer
        .start(|_: Vec<ReceivedMessage>| async { ConsumeResult::Success })
        .await
        .expect("consumer starts");
    assert_eq!(
        producer.instance().client_id(),
        consumer.client_id(),
        "one instance for both"
    );
    LiveClients { producer, consumer }
}
