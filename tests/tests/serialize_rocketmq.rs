//! The ROCKETMQ binary header serialization (`ClientConfigBuilder::serialize_type`, Java's
//! `serializeTypeCurrentRPC`) end to end: a producer and a lite pull consumer configured with it
//! create a topic, send and consume on the shared cluster (the embedded testkit, or the crates.io
//! broker under `cargo xtask it --real`), and a relay in front of the name server sees every
//! request frame carry the ROCKETMQ marker.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_client_consumer::{ConsumeFrom, Filter, PullConsumer};
use rmq_client_core::{ClientConfig, ClientInstance};
use rmq_client_producer::{Message, Producer};
use rmq_protocol::body::TopicConfig;
use rmq_protocol::SerializeType;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const WAIT: Duration = Duration::from_secs(60);

/// Frames the relay saw from clients, by the high byte of their header-length word (Java:
/// `RemotingCommand#markProtocolType`; 0 JSON, 1 ROCKETMQ).
#[derive(Debug, Default)]
struct Markers {
    json: AtomicUsize,
    rocketmq: AtomicUsize,
    other: AtomicUsize,
}

/// A TCP relay to `upstream` on a free 127.0.0.1 port that classifies each client frame. It
/// stops when the test's runtime ends.
async fn relay(upstream: String, markers: Arc<Markers>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
    let addr = listener.local_addr().expect("relay addr").to_string();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&upstream).await else {
                continue;
            };
            let (mut client_r, mut client_w) = client.into_split();
            let (mut server_r, mut server_w) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut server_r, &mut client_w).await;
            });
            let markers = markers.clone();
            tokio::spawn(async move {
                loop {
                    let mut head = [0u8; 8];
                    if client_r.read_exact(&mut head).await.is_err() {
                        return;
                    }
                    let counter = match head[4] {
                        0 => &markers.json,
                        1 => &markers.rocketmq,
                        _ => &markers.other,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
                    let mut rest = vec![0u8; (len as usize).saturating_sub(4)];
                    if client_r.read_exact(&mut rest).await.is_err()
                        || server_w.write_all(&head).await.is_err()
                        || server_w.write_all(&rest).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn rocketmq_config(namesrv: &str, instance: &str) -> ClientConfig {
    ClientConfig::builder()
        .namesrv(namesrv)
        .instance_name(rmq_tests::names::name(instance, "serialize_rocketmq"))
        .serialize_type(SerializeType::RocketMq)
        .build()
        .expect("client config")
}

/// With ROCKETMQ headers a topic is created, 50 messages are sent and all 50 are consumed, and
/// every request the name server got was ROCKETMQ-serialized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rocketmq_headers_send_and_consume() {
    let shared = rmq_tests::shared();
    let markers = Arc::new(Markers::default());
    let namesrv = relay(shared.namesrv.clone(), markers.clone()).await;
    let (topic, group) = (
        rmq_tests::names::topic("ser_rmq"),
        rmq_tests::names::group("ser_rmq"),
    );

    let instance = ClientInstance::new(rocketmq_config(&namesrv, "p")).expect("instance");
    instance.start().await.expect("start");
    let topic_config = TopicConfig {
        topic_name: topic.clone(),
        read_queue_nums: 2,
        write_queue_nums: 2,
        ..TopicConfig::default()
    };
    instance
        .api()
        .create_topic(
            &shared.broker,
            "TBW102",
            &topic_config,
            Duration::from_secs(5),
        )
        .await
        .expect("create topic in ROCKETMQ");
    let routed = rmq_tests::eventually(WAIT, || {
        let instance = instance.clone();
        let topic = topic.clone();
        async move { instance.update_topic_route(&topic).await.is_ok() }
    })
    .await;
    assert!(routed, "no route for {topic}");

    let producer = Producer::builder()
        .instance(instance.clone())
        .group(rmq_tests::names::group("ser_rmq_p"))
        .build()
        .await
        .expect("producer");
    let mut sent = BTreeSet::new();
    for i in 0..50 {
        let body = format!("rocketmq-{i}");
        producer
            .send(&Message::new(&topic, body.clone().into_bytes()))
            .await
            .expect("send in ROCKETMQ");
        sent.insert(body);
    }

    let consumer = PullConsumer::builder()
        .client_config(rocketmq_config(&namesrv, "c"))
        .group(&group)
        .consume_from(ConsumeFrom::FirstOffset)
        .subscribe(&topic, Filter::all())
        .build()
        .await
        .expect("consumer");
    let deadline = Instant::now() + WAIT;
    let mut got = BTreeSet::new();
    let mut polled = 0;
    while !sent.is_subset(&got) {
        assert!(
            Instant::now() < deadline,
            "only {} of 50 consumed",
            got.len()
        );
        for m in consumer
            .poll(Duration::from_millis(500))
            .await
            .expect("poll")
        {
            polled += 1;
            got.insert(String::from_utf8_lossy(m.body()).into_owned());
        }
    }
    assert_eq!(polled, 50, "no duplicates");
    consumer.commit().await;
    consumer.shutdown().await;
    producer.shutdown().await;
    instance.shutdown().await;

    let rocketmq = markers.rocketmq.load(Ordering::Relaxed);
    assert!(rocketmq > 0, "no request reached the name server");
    assert_eq!(markers.json.load(Ordering::Relaxed), 0, "a JSON request");
    assert_eq!(
        markers.other.load(Ordering::Relaxed),
        0,
        "an unknown marker"
    );
}
