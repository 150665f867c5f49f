//! The trace dispatcher against the embedded cluster: records land in the trace topic in
//! Java's format, indexed by message id; the queue bound drops instead of blocking; failed
//! sends and the shutdown flush budget are counted; the records the hooks build.

mod support;

use std::time::{Duration, Instant, SystemTime};

use rmq_client_core::api::SendStatus;
use rmq_client_core::trace::{
    pub_record, sub_after, sub_before, ConsumeOutcome, SentMessageInfo, TraceDispatcher,
    TraceDispatcherBuilder, TraceRole, TraceStats,
};
use rmq_client_core::{ClientInstance, Error, TaskSchedule};
use rmq_protocol::header::QueryMessageRequestHeader;
use rmq_protocol::message::property;
use rmq_protocol::trace::{decode_all, ContextCode, TraceRecord, TraceType};
use rmq_protocol::{naming, Message, RequestCode, ResponseCode, StoredMessage};
use rmq_testkit::MockCluster;
use support::{config_with, eventually};

/// A started instance named `name` on `cluster`, its tasks on Java's schedule.
async fn started(cluster: &MockCluster, name: &str) -> ClientInstance {
    let config = config_with(&cluster.namesrv_addr(), name, TaskSchedule::default());
    let instance = ClientInstance::new(config).expect("instance");
    instance.start().await.expect("start");
    instance
}

/// A one-broker testkit cluster and a started instance named `name` on it.
async fn cluster_and_instance(name: &str) -> (MockCluster, ClientInstance) {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    let instance = started(&cluster, name).await;
    (cluster, instance)
}

/// Shuts the instance down, then the cluster.
async fn stop(instance: ClientInstance, cluster: MockCluster) {
    instance.shutdown().await;
    cluster.shutdown().await;
}

/// A dispatcher of producer group `PG`'s traces on `instance`, not built yet.
fn producer_traces(instance: &ClientInstance) -> TraceDispatcherBuilder {
    TraceDispatcher::builder(instance.clone(), "PG", TraceRole::Produce)
}

/// Fetches the trace topic's route, so that later injected answers hit the trace sends only.
async fn learn_trace_route(instance: &ClientInstance) {
    instance
        .publish_info(naming::TRACE_TOPIC, 4)
        .await
        .expect("route");
}

fn record(kind: TraceType, msg_id: &str) -> TraceRecord {
    let mut r = TraceRecord::new(kind, SystemTime::now());
    r.region_id = "DefaultRegion".into();
    r.group = "PG".into();
    r.topic = "Orders".into();
    r.msg_id = msg_id.into();
    r.keys = Some(format!("key-{msg_id}"));
    r
}

/// The trace messages of `topic` indexed under `key`, decoded.
async fn traces_by_key(
    instance: &ClientInstance,
    cluster: &MockCluster,
    topic: &str,
    key: &str,
) -> Vec<Vec<TraceRecord>> {
    let header = QueryMessageRequestHeader {
        topic: topic.into(),
        key: key.into(),
        max_num: 32,
        begin_timestamp: 0,
        end_timestamp: i64::MAX,
        unique_key_query: None,
    };
    let mut out = Vec::new();
    for broker in cluster.brokers() {
        let found = instance
            .api()
            .query_message(
                &broker.addr().to_string(),
                &header,
                false,
                Duration::from_secs(3),
            )
            .await
            .expect("query");
        for message in found {
            let body = std::str::from_utf8(&message.body).expect("utf-8 body");
            out.push(decode_all(body).expect("trace body decodes"));
        }
    }
    out
}

#[tokio::test]
async fn records_land_in_the_trace_topic_batched_and_indexed_by_id() {
    let (cluster, instance) = cluster_and_instance("trace-land").await;
    let traces = producer_traces(&instance)
        .batch_records(3)
        .build()
        .expect("dispatcher");
    assert_eq!(traces.topic(), naming::TRACE_TOPIC);
    for id in ["ID1", "ID2", "ID3", "ID4"] {
        assert!(traces.append(record(TraceType::Pub, id)));
    }
    traces.shutdown().await;
    assert_eq!(
        traces.stats(),
        TraceStats {
            appended: 4,
            sent: 4,
            dropped: 0,
            failed: 0
        }
    );
    // The first three went as one message, found by any of their ids or keys.
    let by_id = traces_by_key(&instance, &cluster, naming::TRACE_TOPIC, "ID2").await;
    assert_eq!(by_id.len(), 1, "{by_id:?}");
    let ids: Vec<&str> = by_id[0].iter().map(|r| r.msg_id.as_str()).collect();
    assert_eq!(ids, ["ID1", "ID2", "ID3"]);
    assert_eq!(by_id[0][1], record_like(&by_id[0][1], "ID2"));
    let by_key = traces_by_key(&instance, &cluster, naming::TRACE_TOPIC, "key-ID4").await;
    assert_eq!(by_key.len(), 1);
    assert_eq!(by_key[0][0].msg_id, "ID4");
    stop(instance, cluster).await;
}

/// `decoded` must equal what was appended for `id`, up to the timestamp's sub-ms part.
fn record_like(decoded: &TraceRecord, id: &str) -> TraceRecord {
    let mut expected = record(TraceType::Pub, id);
    expected.timestamp = decoded.timestamp;
    expected
}

#[tokio::test]
async fn a_custom_topic_gets_the_records_and_a_part_batch_goes_after_the_interval() {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    cluster.create_topic("MyTraces", 2);
    let instance = started(&cluster, "trace-custom").await;
    let traces = TraceDispatcher::builder(instance.clone(), "CG", TraceRole::Consume)
        .topic("MyTraces")
        .flush_interval(Duration::from_millis(50))
        .build()
        .expect("dispatcher");
    assert!(traces.is_trace_topic("MyTraces"));
    assert!(traces.append(record(TraceType::SubBefore, "ID9")));
    // Without a shutdown: the age of the batch alone sends it.
    assert!(
        eventually(Duration::from_secs(5), || traces.stats().sent == 1).await,
        "{:?}",
        traces.stats()
    );
    let found = traces_by_key(&instance, &cluster, "MyTraces", "ID9").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0][0].kind, TraceType::SubBefore);
    traces.shutdown().await;
    stop(instance, cluster).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_full_queue_drops_and_counts_without_waiting() {
    let (cluster, instance) = cluster_and_instance("trace-full").await;
    let traces = producer_traces(&instance)
        .queue_capacity(2)
        .build()
        .expect("dispatcher");
    // One thread: the dispatcher cannot run while this loop does, so the queue stays full.
    let accepted = (0..50)
        .filter(|i| traces.append(record(TraceType::Pub, &format!("ID{i}"))))
        .count();
    assert_eq!(accepted, 2);
    let stats = traces.stats();
    assert_eq!((stats.appended, stats.dropped), (2, 48));
    traces.shutdown().await;
    assert_eq!(traces.stats().sent, 2);
    assert!(!traces.append(record(TraceType::Pub, "late")), "stopped");
    stop(instance, cluster).await;
}

#[tokio::test]
async fn a_batch_every_attempt_of_which_fails_is_counted_failed() {
    let (cluster, instance) = cluster_and_instance("trace-fail").await;
    let traces = producer_traces(&instance).build().expect("dispatcher");
    learn_trace_route(&instance).await;
    let broker = cluster.broker("broker-a").expect("broker-a");
    broker.inject(RequestCode::SEND_MESSAGE_V2, ResponseCode::SYSTEM_ERROR, 3);
    assert!(traces.append(record(TraceType::Pub, "ID1")));
    assert!(traces.append(record(TraceType::Pub, "ID2")));
    traces.shutdown().await;
    let stats = traces.stats();
    assert_eq!((stats.sent, stats.failed), (0, 2), "{stats:?}");
    assert_eq!(
        broker.requests(RequestCode::SEND_MESSAGE_V2),
        3,
        "bounded attempts"
    );
    stop(instance, cluster).await;
}

#[tokio::test]
async fn shutdown_gives_up_after_its_flush_budget_when_the_broker_hangs() {
    let (cluster, instance) = cluster_and_instance("trace-hang").await;
    let traces = producer_traces(&instance)
        .shutdown_flush(Duration::from_millis(300))
        .send_timeout(Duration::from_secs(30))
        .build()
        .expect("dispatcher");
    learn_trace_route(&instance).await;
    cluster.broker("broker-a").expect("broker-a").freeze();
    for id in ["ID1", "ID2", "ID3"] {
        assert!(traces.append(record(TraceType::Pub, id)));
    }
    let began = Instant::now();
    traces.shutdown().await;
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "took {:?}",
        began.elapsed()
    );
    let stats = traces.stats();
    assert_eq!((stats.sent, stats.dropped), (0, 3), "{stats:?}");
    cluster.broker("broker-a").expect("broker-a").thaw();
    stop(instance, cluster).await;
}

#[tokio::test]
async fn the_instance_shutdown_stops_the_dispatcher_task() {
    let (cluster, instance) = cluster_and_instance("trace-stop").await;
    let traces = producer_traces(&instance).build().expect("dispatcher");
    assert!(traces.append(record(TraceType::Pub, "ID1")));
    instance.shutdown().await;
    assert_eq!(instance.task_count(), 0);
    assert!(!traces.append(record(TraceType::Pub, "ID2")));
    cluster.shutdown().await;
}

#[tokio::test]
async fn the_builder_refuses_bad_settings() {
    let (cluster, instance) = cluster_and_instance("trace-bad").await;
    let build = |f: fn(TraceDispatcherBuilder) -> TraceDispatcherBuilder| {
        f(producer_traces(&instance)).build()
    };
    for (what, result) in [
        ("empty topic", build(|b| b.topic(""))),
        ("no queue", build(|b| b.queue_capacity(0))),
        ("batch 0", build(|b| b.batch_records(0))),
        ("batch 21", build(|b| b.batch_records(21))),
        ("no interval", build(|b| b.flush_interval(Duration::ZERO))),
    ] {
        match result {
            Err(Error::Config(_)) => {}
            other => panic!("{what}: expected a config error, got {other:?}"),
        }
    }
    stop(instance, cluster).await;
}

fn stored(id: &str, trace_on: Option<&str>) -> StoredMessage {
    let mut m = StoredMessage {
        topic: "ns%Orders".into(),
        reconsume_times: 2,
        ..StoredMessage::default()
    };
    m.properties
        .insert(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, id);
    m.properties.insert(property::KEYS, "k1 k2");
    m.properties.insert(property::MSG_REGION, "R1");
    if let Some(on) = trace_on {
        m.properties.insert(property::TRACE_SWITCH, on);
    }
    m
}

#[test]
fn sub_records_share_a_request_id_and_split_the_cost() {
    let (a, b, off) = (
        stored("A", None),
        stored("B", None),
        stored("C", Some("false")),
    );
    let now = SystemTime::now();
    let before = sub_before("ns%CG", &[&a, &b, &off], now);
    assert_eq!(
        before.len(),
        2,
        "the message with TRACE_ON=false is left out"
    );
    assert_eq!(before[0].request_id, before[1].request_id);
    assert_eq!(before[0].group, "CG");
    assert_eq!(before[0].topic, "Orders");
    assert_eq!(before[0].region_id, "R1");
    assert_eq!(before[1].retry_times, 2);
    assert_eq!(before[1].keys.as_deref(), Some("k1 k2"));
    let after = sub_after(
        &before,
        ConsumeOutcome::Retry,
        Duration::from_millis(40),
        now,
    );
    assert_eq!(after.len(), 2);
    assert_eq!(after[1].kind, TraceType::SubAfter);
    assert_eq!(after[1].request_id, before[1].request_id);
    assert_eq!(after[1].msg_id, "B");
    assert_eq!(after[1].cost, Duration::from_millis(20));
    assert!(!after[1].success);
    assert_eq!(after[1].context_code, ContextCode::FAILED);
}

#[test]
fn pub_record_follows_the_broker_trace_switch_and_the_message_type() {
    let message = Message::new("ns%Orders", "body")
        .with_tag("TagA")
        .with_keys(["k"])
        .with_delay_level(3);
    let info = SentMessageInfo {
        group: "ns%PG",
        topic: message.topic(),
        properties: message.properties(),
        body_length: message.body().len(),
        msg_id: "ID",
        offset_msg_id: "OFF",
        store_host: "127.0.0.1:10911",
        region_id: "DefaultRegion",
        status: SendStatus::Ok,
        trace_on: true,
        started: SystemTime::now(),
        cost: Duration::from_millis(5),
    };
    let r = pub_record(&info).expect("traced");
    assert_eq!(r.msg_type, rmq_protocol::trace::TraceMessageType::DELAY);
    assert_eq!((r.group.as_str(), r.topic.as_str()), ("PG", "Orders"));
    assert_eq!(
        (r.tags.as_deref(), r.keys.as_deref()),
        (Some("TagA"), Some("k"))
    );
    assert_eq!((r.body_length, r.offset_msg_id.as_str()), (4, "OFF"));
    assert!(r.success);
    let flushed = SentMessageInfo {
        status: SendStatus::FlushDiskTimeout,
        ..info
    };
    assert!(!pub_record(&flushed).expect("traced").success);
    let off = SentMessageInfo {
        trace_on: false,
        ..info
    };
    assert!(pub_record(&off).is_none());
}
