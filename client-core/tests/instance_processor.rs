//! Requests a broker sends to the client, started by the embedded broker of `rmq-testkit` the
//! way a Java broker starts them: NOTIFY_CONSUMER_IDS_CHANGED when a consumer joins the group,
//! running info and consumer status relayed for an admin, a reset offset, a transaction
//! check-back of an open half message, and a pushed reply. The instance's processor answers
//! them and dispatches them to the registered producer and consumer. Exact answers are
//! asserted against a scripted peer in `instance_processor_answers.rs`.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmq_client_core::{ClientConfig, ClientInstance, TaskSchedule};
use rmq_protocol::header::SendMessageRequestHeader;
use rmq_protocol::message::{property, sysflag, Properties};
use rmq_protocol::{MessageQueue, RequestCode};
use rmq_testkit::{BrokerHandle, MockCluster};
use support::*;

const TIMEOUT: Duration = Duration::from_secs(5);

struct Setup {
    cluster: MockCluster,
    broker: BrokerHandle,
    /// The instance under test, with producer `PG` and consumer `CG` heartbeated to the broker.
    instance: ClientInstance,
    producer: Arc<FakeProducer>,
    consumer: Arc<FakeConsumer>,
    /// Another client, to send the broker what an admin or a replying consumer would.
    other: ClientInstance,
}

impl Setup {
    fn broker_addr(&self) -> String {
        self.broker.addr().to_string()
    }

    async fn shutdown(self) {
        self.instance.shutdown().await;
        self.other.shutdown().await;
        self.cluster.shutdown().await;
    }
}

/// A config whose periodic rebalance is a minute away, so only the broker can wake it sooner.
fn slow_rebalance_config(namesrv: &str, instance: &str) -> ClientConfig {
    config_with(
        namesrv,
        instance,
        TaskSchedule {
            heartbeat_delay: Duration::from_millis(20),
            rebalance_period: Duration::from_secs(60),
            ..TaskSchedule::default()
        },
    )
}

async fn setup(name: &str) -> Setup {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    cluster.create_topic("T", 4);
    let broker = cluster.broker("broker-a").expect("broker-a");
    let namesrv = cluster.namesrv_addr();
    let instance = ClientInstance::new(slow_rebalance_config(&namesrv, name)).expect("instance");
    let producer = fake_producer("PG", &["T"]);
    let consumer = fake_consumer("CG", "T");
    instance
        .register_producer(producer.clone())
        .expect("producer");
    instance
        .register_consumer(consumer.clone())
        .expect("consumer");
    instance.start().await.expect("start");
    instance.update_topic_route("T").await.expect("route");
    instance.send_heartbeat_now().await.expect("heartbeat");
    let me = [instance.client_id().to_owned()];
    assert_eq!(broker.producer_ids("PG"), me);
    assert_eq!(broker.consumer_ids("CG"), me);
    let other =
        ClientInstance::new(config(&namesrv, &format!("{name}-other"))).expect("other instance");
    Setup {
        cluster,
        broker,
        instance,
        producer,
        consumer,
        other,
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A send header for topic `T`, queue `queue_id`, with `props`.
fn send_header(queue_id: i32, sys_flag: i32, props: &[(&str, &str)]) -> SendMessageRequestHeader {
    let mut properties = Properties::default();
    for (k, v) in props {
        properties.insert(*k, *v);
    }
    SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: "T".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag,
        born_timestamp: now_ms(),
        properties: Some(properties.encode()),
        ..SendMessageRequestHeader::default()
    }
}

#[tokio::test]
async fn a_consumer_joining_the_group_wakes_rebalance_at_once() {
    let s = setup("p-notify").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = s.consumer.rebalances.load(Ordering::SeqCst);
    // A second member of CG heartbeats: the broker tells every member the ids changed.
    s.other
        .register_consumer(fake_consumer("CG", "T"))
        .expect("second consumer");
    s.other.update_topic_route("T").await.expect("route");
    s.other.send_heartbeat_now().await.expect("heartbeat");
    assert_eq!(s.broker.consumer_ids("CG").len(), 2);
    assert!(
        eventually(TIMEOUT, || s.consumer.rebalances.load(Ordering::SeqCst)
            > before)
        .await,
        "rebalanced long before the 60 s period"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn running_info_relayed_by_the_broker_is_the_consumers_with_instance_properties() {
    let s = setup("p-running").await;
    let info = s
        .other
        .api()
        .consumer_running_info(
            &s.broker_addr(),
            "CG",
            s.instance.client_id(),
            false,
            TIMEOUT,
        )
        .await
        .expect("running info");
    assert_eq!(info.subscription_set[0].topic, "T");
    assert_eq!(info.properties["PROP_CONSUME_TYPE"], "CONSUME_PASSIVELY");
    assert_eq!(
        info.properties["PROP_NAMESERVER_ADDR"],
        s.cluster.namesrv_addr()
    );
    assert!(info.status_table.contains_key("T"));
    s.shutdown().await;
}

#[tokio::test]
async fn consumer_status_relayed_by_the_broker_is_the_consumers_offsets() {
    let s = setup("p-status").await;
    let table = s
        .other
        .api()
        .consumer_status_via_broker(&s.broker_addr(), "T", "CG", None, TIMEOUT)
        .await
        .expect("status");
    assert_eq!(table.len(), 1, "{table:?}");
    assert_eq!(
        table[s.instance.client_id()][&MessageQueue::new("T", "broker-a", 0)],
        42
    );
    s.shutdown().await;
}

#[tokio::test]
async fn reset_offset_by_the_broker_reaches_the_consumer() {
    let s = setup("p-reset").await;
    let addr = s.broker_addr();
    let api = s.other.api();
    for _ in 0..3 {
        api.send_message(
            &addr,
            "broker-a",
            RequestCode::SEND_MESSAGE_V2,
            send_header(1, 0, &[]),
            "m".into(),
            TIMEOUT,
        )
        .await
        .expect("send");
    }
    for queue_id in 0..4 {
        api.update_consumer_offset(&addr, "CG", "T", queue_id, 0, TIMEOUT)
            .await
            .expect("commit");
    }
    // -1: every queue to its max offset.
    let table = api
        .reset_offset_via_broker(&addr, "T", "CG", -1, true, TIMEOUT)
        .await
        .expect("reset");
    let queue = MessageQueue::new("T", "broker-a", 1);
    assert_eq!(table[&queue], 3);
    assert!(
        eventually(TIMEOUT, || !s
            .consumer
            .resets
            .lock()
            .expect("lock")
            .is_empty())
        .await,
        "the consumer was told"
    );
    let resets = s.consumer.resets.lock().expect("lock").clone();
    assert_eq!(resets[0].0, "T");
    assert_eq!(resets[0].1[&queue], 3);
    assert_eq!(resets[0].1[&MessageQueue::new("T", "broker-a", 0)], 0);
    s.shutdown().await;
}

#[tokio::test]
async fn an_open_transaction_is_checked_back_with_the_producer_of_its_group() {
    let s = setup("p-check").await;
    let addr = s.broker_addr();
    let api = s.other.api();
    let settings: BTreeMap<String, String> = [
        ("transactionTimeOut".to_owned(), "0".to_owned()),
        ("transactionCheckInterval".to_owned(), "50".to_owned()),
    ]
    .into();
    api.broker_config_update(&addr, &settings, TIMEOUT)
        .await
        .expect("config");
    let props = [
        (property::TRANSACTION_PREPARED, "true"),
        (property::PRODUCER_GROUP, "PG"),
        (property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, "UNIQ1"),
    ];
    api.send_message(
        &addr,
        "broker-a",
        RequestCode::SEND_MESSAGE_V2,
        send_header(0, sysflag::TRANSACTION_PREPARED_TYPE, &props),
        "in doubt".into(),
        TIMEOUT,
    )
    .await
    .expect("half message");
    assert!(
        eventually(TIMEOUT, || !s
            .producer
            .checks
            .lock()
            .expect("lock")
            .is_empty())
        .await,
        "the broker checked back"
    );
    let checks = s.producer.checks.lock().expect("lock").clone();
    assert_eq!(checks[0], (addr, "UNIQ1".to_owned()));
    s.shutdown().await;
}

#[tokio::test]
async fn pushed_reply_reaches_the_waiting_request() {
    let s = setup("p-reply").await;
    let pending = s.instance.replies().register("corr-1");
    let props = [
        (property::CORRELATION_ID, "corr-1"),
        (property::MESSAGE_REPLY_TO_CLIENT, s.instance.client_id()),
    ];
    s.other
        .api()
        .send_message(
            &s.broker_addr(),
            "broker-a",
            RequestCode::SEND_REPLY_MESSAGE_V2,
            send_header(0, 0, &props),
            "pong".into(),
            TIMEOUT,
        )
        .await
        .expect("the broker pushed the reply");
    let reply = tokio::time::timeout(TIMEOUT, pending.wait())
        .await
        .expect("in time")
        .expect("reply");
    assert_eq!(reply.body, "pong");
    assert_eq!(reply.store_host.to_string(), s.broker_addr());
    assert!(s.instance.replies().is_empty());
    s.shutdown().await;
}
