//! With the `metrics` feature, a send through the producer records the OpenTelemetry-named
//! instruments with the send's topic and broker (`rmq_client_core::telemetry`).
#![cfg(feature = "metrics")]

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::MetricKind;
use rmq_client_producer::{Message, Producer};
use rmq_testkit::MockCluster;

/// The only test of this binary: it installs the process-wide recorder.
#[tokio::test]
async fn a_send_records_sent_messages_with_topic_and_broker_labels() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("first recorder of this test binary");

    let cluster = MockCluster::builder().start().await.expect("testkit");
    cluster.create_topic("TelemetryT", 4);
    let producer = Producer::builder()
        .namesrv(cluster.namesrv_addr())
        .group("telemetry_test")
        .build()
        .await
        .expect("producer");
    for i in 0..3 {
        producer
            .send(&Message::new("TelemetryT", format!("m{i}")))
            .await
            .expect("send");
    }
    producer.shutdown().await;
    let broker = cluster.brokers()[0].addr().to_string();
    cluster.shutdown().await;

    let metrics = snapshotter.snapshot().into_vec();
    let sent: Vec<_> = metrics
        .iter()
        .filter(|(key, ..)| {
            key.kind() == MetricKind::Counter
                && key.key().name() == "messaging.client.sent.messages"
        })
        .collect();
    assert_eq!(sent.len(), 1, "one label set: {metrics:?}");
    let (key, _, _, value) = sent[0];
    let mut labels: Vec<(String, String)> = key
        .key()
        .labels()
        .map(|l| (l.key().to_owned(), l.value().to_owned()))
        .collect();
    labels.sort();
    let mut want = vec![
        ("messaging.system", "rocketmq"),
        ("messaging.operation.name", "send"),
        ("messaging.operation.type", "send"),
        ("messaging.destination.name", "TelemetryT"),
        ("server.address", broker.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect::<Vec<_>>();
    want.sort();
    assert_eq!(labels, want);
    assert_eq!(value, &DebugValue::Counter(3));
    let durations = metrics.iter().find(|(key, ..)| {
        key.kind() == MetricKind::Histogram
            && key.key().name() == "messaging.client.operation.duration"
    });
    match durations {
        Some((_, _, _, DebugValue::Histogram(samples))) => assert_eq!(samples.len(), 3),
        other => panic!("no send duration histogram: {other:?}"),
    }
}
