//! `ClientInstance` against the real name server and broker: route tables, a topic created
//! after start, heartbeats that make the broker list our producer and consumer (and forget them
//! after shutdown), the broker asking our client for its running info, and offline-broker
//! clean-up when a broker of a private two-broker cluster dies.

use std::sync::Arc;
use std::time::Duration;

use doubles::{FakeConsumer, FakeProducer};
use rmq_client_core::{ClientConfig, ClientInstance, TaskSchedule};
use rmq_protocol::body::TopicConfig;
use rmq_tests::{eventually, names};

const TIMEOUT: Duration = Duration::from_secs(5);

fn config(namesrv: &str, test: &str) -> ClientConfig {
    ClientConfig::builder()
        .namesrv(namesrv)
        .instance_name(names::name("inst", test))
        .poll_name_server_interval(Duration::from_millis(500))
        .heartbeat_broker_interval(Duration::from_millis(500))
        .schedule(TaskSchedule {
            heartbeat_delay: Duration::from_millis(10),
            ..TaskSchedule::default()
        })
        .build()
        .expect("config")
}

async fn create_topic(instance: &ClientInstance, broker: &str, topic: &str) {
    let config = TopicConfig {
        topic_name: topic.into(),
        read_queue_nums: 4,
        write_queue_nums: 4,
        ..TopicConfig::default()
    };
    instance
        .api()
        .create_topic(broker, "TBW102", &config, TIMEOUT)
        .await
        .expect("create topic");
}

#[tokio::test]
async fn route_refresh_fills_tables_and_picks_up_a_topic_created_after_start() {
    let shared = rmq_tests::shared();
    let topic = names::topic("route_refresh");
    let late = names::topic("route_refresh_late");
    let instance = ClientInstance::new(config(&shared.namesrv, "route_refresh")).expect("instance");
    let producer = Arc::new(FakeProducer {
        group: names::group("route_refresh"),
        topics: vec![topic.clone(), late.clone()],
        ..Default::default()
    });
    instance
        .register_producer(producer.clone())
        .expect("register");
    create_topic(&instance, &shared.broker, &topic).await;
    instance.start().await.expect("start");
    assert!(
        eventually(Duration::from_secs(10), || async {
            instance.routes().get(&topic).is_some()
        })
        .await,
        "route of {topic}"
    );
    assert_eq!(
        instance.brokers().master("broker-a").as_deref(),
        Some(shared.broker.as_str())
    );
    let updates = producer.publish_updates.lock().expect("lock").clone();
    assert!(updates.contains(&(topic.clone(), 4)), "{updates:?}");
    assert!(instance.routes().get(&late).is_none());
    create_topic(&instance, &shared.broker, &late).await;
    assert!(
        eventually(Duration::from_secs(5), || async {
            instance.routes().get(&late).is_some()
        })
        .await,
        "a topic created after start is picked up by the periodic refresh"
    );
    instance.shutdown().await;
}

#[tokio::test]
async fn broker_lists_our_groups_after_heartbeat_and_forgets_them_after_shutdown() {
    let shared = rmq_tests::shared();
    let topic = names::topic("connections");
    let (pg, cg) = (names::group("connections_p"), names::group("connections_c"));
    let instance = ClientInstance::new(config(&shared.namesrv, "connections")).expect("instance");
    create_topic(&instance, &shared.broker, &topic).await;
    instance
        .register_producer(Arc::new(FakeProducer {
            group: pg.clone(),
            topics: vec![topic.clone()],
            ..Default::default()
        }))
        .expect("producer");
    instance
        .register_consumer(Arc::new(FakeConsumer {
            group: cg.clone(),
            topic: topic.clone(),
        }))
        .expect("consumer");
    instance.start().await.expect("start");
    instance.update_topic_route(&topic).await.expect("route");
    // Waits for a round already running (the consumer's first rebalance starts one) instead of
    // being skipped by it.
    let report = instance.send_heartbeat_now().await.expect("heartbeat");
    assert!(
        report
            .acknowledged
            .iter()
            .any(|(addr, _)| *addr == shared.broker),
        "{report:?}"
    );

    let api = instance.api().clone();
    let producers = api
        .producer_connection_list(&shared.broker, &pg, TIMEOUT)
        .await
        .expect("producer connections");
    assert!(
        producers
            .connection_set
            .iter()
            .any(|c| c.client_id == instance.client_id()),
        "{producers:?}"
    );
    let consumers = api
        .consumer_connection_list(&shared.broker, &cg, TIMEOUT)
        .await
        .expect("consumer connections");
    assert!(
        consumers
            .connection_set
            .iter()
            .any(|c| c.client_id == instance.client_id()),
        "{consumers:?}"
    );
    assert!(consumers.subscription_table.contains_key(&topic));

    let info = api
        .consumer_running_info(&shared.broker, &cg, instance.client_id(), false, TIMEOUT)
        .await
        .expect("the broker relays GET_CONSUMER_RUNNING_INFO to our client");
    assert_eq!(info.subscription_set[0].topic, topic);
    assert_eq!(info.properties["PROP_CONSUME_TYPE"], "CONSUME_PASSIVELY");

    let client_id = instance.client_id().to_owned();
    instance.shutdown().await;
    let observer =
        ClientInstance::new(config(&shared.namesrv, "connections_observer")).expect("observer");
    let gone = eventually(Duration::from_secs(5), || async {
        match observer
            .api()
            .consumer_connection_list(&shared.broker, &cg, TIMEOUT)
            .await
        {
            Ok(c) => !c.connection_set.iter().any(|c| c.client_id == client_id),
            Err(_) => true, // CONSUMER_NOT_ONLINE: no consumer left in the group
        }
    })
    .await;
    assert!(gone, "the broker forgot our consumer after shutdown");
    observer.shutdown().await;
}

#[tokio::test]
async fn a_stopped_broker_is_removed_from_routes_and_the_broker_table() {
    let mut cluster = tokio::task::spawn_blocking(|| rmq_tests::Cluster::start(2))
        .await
        .expect("join");
    let namesrv = cluster.namesrv_addr();
    let (a, b) = (
        cluster.broker_addr("broker-a"),
        cluster.broker_addr("broker-b"),
    );
    let topic = names::topic("offline_broker");
    let instance = ClientInstance::new(config(&namesrv, "offline_broker")).expect("instance");
    create_topic(&instance, &a, &topic).await;
    create_topic(&instance, &b, &topic).await;
    instance
        .register_producer(Arc::new(FakeProducer {
            group: names::group("offline_broker"),
            topics: vec![topic.clone()],
            ..Default::default()
        }))
        .expect("producer");
    instance.start().await.expect("start");
    let both = eventually(Duration::from_secs(10), || async {
        instance
            .routes()
            .get(&topic)
            .is_some_and(|r| r.broker_datas.len() == 2)
    })
    .await;
    assert!(both, "the route lists both brokers");
    assert_eq!(
        instance.brokers().master("broker-b").as_deref(),
        Some(b.as_str())
    );

    let cluster = tokio::task::spawn_blocking(move || {
        cluster.kill_broker("broker-b");
        cluster
    })
    .await
    .expect("join");
    let cleaned = eventually(Duration::from_secs(60), || async {
        instance
            .routes()
            .get(&topic)
            .is_some_and(|r| r.broker_datas.len() == 1)
            && instance.brokers().master("broker-b").is_none()
    })
    .await;
    assert!(cleaned, "broker-b left the route and the broker table");
    assert_eq!(
        instance.brokers().master("broker-a").as_deref(),
        Some(a.as_str())
    );
    instance.shutdown().await;
    drop(cluster);
}

/// Doubles of client-core's inner producer and consumer traits: the instance is tested alone,
/// without the producer and consumer crates built on it.
mod doubles {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::{Arc, Mutex};

    use rmq_client_core::inner::BoxFuture;
    use rmq_client_core::{ConsumerInner, ProducerInner, PublishInfo};
    use rmq_protocol::body::{
        ConsumeDirectlyOutcome, ConsumeFromWhere, ConsumeMessageDirectlyResult, ConsumeType,
        ConsumerRunningInfo, MessageModel, MessageQueue, SubscriptionData,
    };
    use rmq_protocol::header::CheckTransactionStateRequestHeader;
    use rmq_protocol::message::StoredMessage;

    /// A producer of `topics` that records its publish-info updates (topic, queue count).
    #[derive(Default)]
    pub struct FakeProducer {
        /// The producer group.
        pub group: String,
        /// The topics it publishes to.
        pub topics: Vec<String>,
        /// Every publish-info update: topic and queue count.
        pub publish_updates: Mutex<Vec<(String, usize)>>,
    }

    impl ProducerInner for FakeProducer {
        fn group(&self) -> &str {
            &self.group
        }
        fn publish_topics(&self) -> Vec<String> {
            self.topics.clone()
        }
        fn is_publish_topic_need_update(&self, _topic: &str) -> bool {
            false
        }
        fn update_topic_publish_info(&self, topic: &str, info: Arc<PublishInfo>) {
            self.publish_updates
                .lock()
                .expect("lock")
                .push((topic.to_owned(), info.queues.len()));
        }
        fn check_transaction_state(
            &self,
            _broker_addr: String,
            _message: StoredMessage,
            _header: CheckTransactionStateRequestHeader,
        ) -> BoxFuture<'_, ()> {
            Box::pin(async {})
        }
    }

    /// A passive clustering consumer of every tag of `topic` that does nothing on its own.
    pub struct FakeConsumer {
        /// The consumer group.
        pub group: String,
        /// The topic it subscribes to.
        pub topic: String,
    }

    impl ConsumerInner for FakeConsumer {
        fn group(&self) -> &str {
            &self.group
        }
        fn message_model(&self) -> MessageModel {
            MessageModel::Clustering
        }
        fn consume_type(&self) -> ConsumeType {
            ConsumeType::Passively
        }
        fn consume_from_where(&self) -> ConsumeFromWhere {
            ConsumeFromWhere::ConsumeFromLastOffset
        }
        fn subscriptions(&self) -> Vec<SubscriptionData> {
            vec![SubscriptionData::from_tag_expression(&self.topic, "*", 1)]
        }
        fn update_topic_subscribe_info(&self, _topic: &str, _queues: &BTreeSet<MessageQueue>) {}
        fn is_subscribe_topic_need_update(&self, _topic: &str) -> bool {
            false
        }
        fn do_rebalance(&self) -> BoxFuture<'_, ()> {
            Box::pin(async {})
        }
        fn persist_consumer_offset(&self) -> BoxFuture<'_, ()> {
            Box::pin(async {})
        }
        fn running_info(&self) -> ConsumerRunningInfo {
            ConsumerRunningInfo {
                subscription_set: self.subscriptions(),
                ..Default::default()
            }
        }
        fn reset_offset(
            &self,
            _topic: &str,
            _offsets: BTreeMap<MessageQueue, i64>,
        ) -> BoxFuture<'_, ()> {
            Box::pin(async {})
        }
        fn consumer_status(&self, _topic: &str) -> BTreeMap<MessageQueue, i64> {
            BTreeMap::new()
        }
        fn consume_message_directly(
            &self,
            _message: StoredMessage,
            _broker_name: Option<String>,
        ) -> BoxFuture<'_, ConsumeMessageDirectlyResult> {
            Box::pin(async {
                ConsumeMessageDirectlyResult {
                    auto_commit: true,
                    consume_result: Some(ConsumeDirectlyOutcome::Success),
                    order: false,
                    remark: None,
                    spent_time_mills: 0,
                }
            })
        }
    }
}
