//! Shared by the consumer tests that run on an embedded `rmq_testkit::MockCluster`: starting a
//! one-broker cluster, a client config with short periods, messages stored through a plain
//! SEND_MESSAGE_V2 (the producer crate is not a dependency of the consumer), and a bounded wait.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use rmq_client_consumer::{
    ClientConfig, ConsumeFrom, Filter, PullConsumer, PullConsumerBuilder, PushConsumer,
    PushConsumerBuilder,
};
use rmq_client_core::api::ClientApi;
use rmq_client_core::{ClientConfigBuilder, TaskSchedule};
use rmq_protocol::header::SendMessageRequestHeader;
use rmq_protocol::{LanguageCode, Properties, RequestCode, SerializeType};
use rmq_remoting::RemotingClient;
use rmq_testkit::{BrokerHandle, MockCluster};

/// The only broker of [`start`]'s cluster.
pub const BROKER: &str = "broker-a";

/// Generous bound for one request, and for a wait on something the client does by itself.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Starts a one-broker cluster and creates `topic` with `queues` queues on it.
pub async fn start(topic: &str, queues: i32) -> MockCluster {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let cluster = MockCluster::builder()
        .brokers(1)
        .start()
        .await
        .expect("the testkit cluster starts");
    cluster.create_topic(topic, queues);
    cluster
}

/// The cluster's broker.
pub fn broker(cluster: &MockCluster) -> BrokerHandle {
    cluster.broker(BROKER).expect("the cluster has broker-a")
}

/// A client config on `cluster` with rebalances and offset commits every few hundred ms. The
/// instance name is `instance` plus the name server's port: instances are shared per client id
/// within a process, and tests of one binary run side by side on clusters of their own.
pub fn config(cluster: &MockCluster, instance: &str) -> ClientConfig {
    config_builder(cluster, instance).build().expect("config")
}

/// [`config`]'s settings as a builder, for a test that adds one (a namespace...).
pub fn config_builder(cluster: &MockCluster, instance: &str) -> ClientConfigBuilder {
    let port = cluster
        .namesrv_addr()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    ClientConfig::builder()
        .namesrv(cluster.namesrv_addr())
        .instance_name(format!("{instance}-{port}"))
        .persist_consumer_offset_interval(Duration::from_millis(300))
        .schedule(TaskSchedule {
            rebalance_period: Duration::from_millis(500),
            persist_offset_delay: Duration::from_millis(300),
            ..TaskSchedule::default()
        })
}

/// A push consumer of `group` on `cluster` (client instance `instance`), subscribed to all of
/// `topic` from its first offset; not built yet, for a test to add its own settings.
pub fn push_from_first(
    cluster: &MockCluster,
    instance: &str,
    group: &str,
    topic: &str,
) -> PushConsumerBuilder {
    PushConsumer::builder()
        .client_config(config(cluster, instance))
        .group(group)
        .subscribe(topic, Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
}

/// As [`push_from_first`], for a lite pull consumer.
pub fn pull_from_first(
    cluster: &MockCluster,
    instance: &str,
    group: &str,
    topic: &str,
) -> PullConsumerBuilder {
    PullConsumer::builder()
        .client_config(config(cluster, instance))
        .group(group)
        .subscribe(topic, Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
}

/// Stores messages on the broker of `cluster`, one SEND_MESSAGE_V2 each.
#[derive(Debug)]
pub struct Sender {
    api: ClientApi,
    addr: String,
}

impl Sender {
    /// A sender to `cluster`'s broker.
    pub fn new(cluster: &MockCluster) -> Sender {
        let remoting = RemotingClient::builder().build();
        Sender {
            api: ClientApi::new(remoting, LanguageCode::RUST, SerializeType::Json),
            addr: broker(cluster).addr().to_string(),
        }
    }

    /// Stores one message with body `body` and user properties `props` on queue `queue_id`
    /// of `topic`; returns its queue offset.
    pub async fn send(
        &self,
        topic: &str,
        queue_id: i32,
        body: &str,
        props: &[(&str, &str)],
    ) -> i64 {
        let mut properties = Properties::new();
        properties.insert("TAGS", "A");
        for (name, value) in props {
            properties.insert(*name, *value);
        }
        let header = SendMessageRequestHeader {
            producer_group: "consumer_tests".into(),
            topic: topic.into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id,
            born_timestamp: 1_700_000_000_000,
            properties: Some(properties.encode()),
            ..SendMessageRequestHeader::default()
        };
        let body = Bytes::from(body.to_owned());
        self.api
            .send_message(
                &self.addr,
                BROKER,
                RequestCode::SEND_MESSAGE_V2,
                header,
                body,
                TIMEOUT,
            )
            .await
            .expect("the broker stores the message")
            .queue_offset
    }

    /// Stores `n` messages with bodies `q<queue>-<i>` on queue `queue_id` of `topic`.
    pub async fn send_n(&self, topic: &str, queue_id: i32, n: usize) {
        for i in 0..n {
            self.send(topic, queue_id, &format!("q{queue_id}-{i}"), &[])
                .await;
        }
    }

    /// The typed API the sender uses (for requests a test sends to the broker itself).
    pub fn api(&self) -> &ClientApi {
        &self.api
    }

    /// The broker's address.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Closes the sender's connections.
    pub async fn shutdown(&self) {
        self.api.remoting().shutdown().await;
    }
}

/// Waits until `f` holds, failing the test with `what` after [`TIMEOUT`].
pub async fn until(what: &str, f: impl Fn() -> bool) {
    until_within(what, TIMEOUT, f).await;
}

/// Waits until `f` holds, failing the test with `what` after `timeout`.
pub async fn until_within(what: &str, timeout: Duration, f: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
