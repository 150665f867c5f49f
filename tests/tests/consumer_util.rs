//! Helpers shared by the consumer integration tests (`#[path]`-included by each of them; as a
//! test target of its own it holds no test).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq_client_consumer::ReceivedMessage;
use rmq_client_core::{ClientConfig, ClientInstance, TaskSchedule};
use rmq_protocol::body::TopicConfig;
use rmq_protocol::message::Message;

/// A client config for the shared cluster with short rebalance and persist periods.
pub fn config() -> ClientConfig {
    let shared = rmq_tests::shared();
    ClientConfig::builder()
        .namesrv(shared.namesrv)
        .persist_consumer_offset_interval(Duration::from_secs(1))
        .schedule(TaskSchedule {
            rebalance_period: Duration::from_secs(2),
            persist_offset_delay: Duration::from_secs(1),
            ..TaskSchedule::default()
        })
        .build()
        .expect("client config")
}

/// A started instance to create topics and send messages with.
pub async fn producer() -> ClientInstance {
    let config = ClientConfig::builder()
        .namesrv(rmq_tests::shared().namesrv)
        .instance_name(rmq_tests::names::name("p", "producer"))
        .build()
        .expect("config");
    let i = ClientInstance::new(config).expect("instance");
    i.start().await.expect("start");
    i
}

/// Creates `topic` with `queues` queues on the shared broker and waits for its route.
pub async fn create_topic(p: &ClientInstance, topic: &str, queues: i32) {
    let config = TopicConfig {
        topic_name: topic.to_owned(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        ..TopicConfig::default()
    };
    p.api()
        .create_topic(
            &rmq_tests::broker_addr(),
            "TBW102",
            &config,
            Duration::from_secs(5),
        )
        .await
        .expect("create topic");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if p.update_topic_route(topic).await.is_ok() {
            return;
        }
        assert!(Instant::now() < deadline, "no route for {topic}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends `n` messages with `tag`; returns their unique ids.
pub async fn send(p: &ClientInstance, topic: &str, tag: &str, n: usize) -> Vec<String> {
    send_sized(p, topic, tag, n, 16).await
}

/// Sends `n` messages of `size` bytes with `tag`; returns their unique ids.
pub async fn send_sized(
    p: &ClientInstance,
    topic: &str,
    tag: &str,
    n: usize,
    size: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = rmq_protocol::ids::unique_id();
        let mut body = format!("{tag}-{i}-").into_bytes();
        body.resize(size.max(body.len()), b'x');
        let msg = Message::new(topic, body)
            .with_tag(tag)
            .with_unique_key(id.clone());
        p.send_inner(&msg, Duration::from_secs(10))
            .await
            .expect("send");
        ids.push(id);
    }
    ids
}

/// Messages a listener received.
#[derive(Debug, Clone, Default)]
pub struct Seen(pub Arc<Mutex<Vec<ReceivedMessage>>>);

impl Seen {
    pub fn push(&self, msgs: &[ReceivedMessage]) {
        self.0.lock().expect("seen").extend(msgs.iter().cloned());
    }

    pub fn all(&self) -> Vec<ReceivedMessage> {
        self.0.lock().expect("seen").clone()
    }

    pub fn ids(&self) -> BTreeSet<String> {
        self.all().iter().map(ReceivedMessage::msg_id).collect()
    }

    pub fn len(&self) -> usize {
        self.0.lock().expect("seen").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until `done` holds for the messages seen, or panics after `timeout`.
    pub async fn wait(
        &self,
        timeout: Duration,
        what: &str,
        done: impl Fn(&[ReceivedMessage]) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.all()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {} messages seen",
                self.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Waits until `f` holds, or panics after `timeout`.
pub async fn until(timeout: Duration, what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
