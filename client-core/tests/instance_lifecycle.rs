//! The instance's lifecycle, sharing, route refresh, heartbeats and unregistration, against the
//! embedded cluster of `rmq-testkit` (the exact heartbeat body against a scripted peer). The
//! same behaviour against the real servers is covered in `tests/tests/client_core.rs`.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rmq_client_core::{manager, ClientConfig, ClientInstance, Error, ServiceState};
use rmq_protocol::body::{HeartbeatData, JsonBody};
use rmq_protocol::RequestCode;
use rmq_testkit::MockCluster;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test]
async fn start_is_idempotent_and_shutdown_is_final() {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    let instance =
        ClientInstance::new(config(&cluster.namesrv_addr(), "lifecycle")).expect("instance");
    assert_eq!(instance.state(), ServiceState::CreateJust);
    instance.start().await.expect("start");
    assert_eq!(instance.state(), ServiceState::Running);
    let tasks = instance.task_count();
    instance.start().await.expect("second start is a no-op");
    assert_eq!(instance.task_count(), tasks, "no task started twice");
    instance.shutdown().await;
    assert_eq!(instance.state(), ServiceState::ShutdownAlready);
    let err = instance.start().await.expect_err("start after shutdown");
    assert!(
        matches!(
            err,
            Error::State {
                state: ServiceState::ShutdownAlready,
                ..
            }
        ),
        "{err}"
    );
    instance.shutdown().await;
    cluster.shutdown().await;
}

/// A minimal HTTP address server whose answer the test can change.
async fn address_server(answer: Arc<std::sync::Mutex<(u16, String)>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (status, body) = answer.lock().expect("lock").clone();
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            let text = format!(
                "HTTP/1.0 {status} X\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(text.as_bytes()).await;
        }
    });
    format!("http://{addr}/rocketmq/nsaddr")
}

#[tokio::test]
async fn failed_start_is_remembered_and_refused_again() {
    let answer = Arc::new(std::sync::Mutex::new((404, String::new())));
    let url = address_server(answer).await;
    // The caller's NAMESRV_ADDR would win over the address server.
    let config = ClientConfig::builder()
        .read_env(false)
        .address_server(&url)
        .client_ip("127.0.0.1")
        .build()
        .expect("config");
    let instance = ClientInstance::new(config).expect("instance");
    let err = instance.start().await.expect_err("no name server anywhere");
    assert!(matches!(err, Error::AddressServer { .. }), "{err}");
    assert_eq!(instance.state(), ServiceState::StartFailed);
    let err = instance.start().await.expect_err("second start");
    assert!(
        err.to_string().contains("created before, and failed"),
        "{err}"
    );
    instance.shutdown().await;
}

#[tokio::test]
async fn address_server_answers_are_used_and_followed() {
    let answer = Arc::new(std::sync::Mutex::new((
        200,
        "127.0.0.1:1111;127.0.0.1:2222\n".to_owned(),
    )));
    let url = address_server(answer.clone()).await;
    // The caller's NAMESRV_ADDR would win over the address server.
    let config = ClientConfig::builder()
        .read_env(false)
        .address_server(&url)
        .client_ip("127.0.0.1")
        .build()
        .expect("config");
    let instance = ClientInstance::new(config).expect("instance");
    instance.start().await.expect("start");
    assert_eq!(
        instance.api().remoting().namesrv().addrs(),
        ["127.0.0.1:1111", "127.0.0.1:2222"]
    );
    *answer.lock().expect("lock") = (200, "127.0.0.1:3333".to_owned());
    instance.fetch_namesrv_addr().await.expect("fetch");
    assert_eq!(
        instance.api().remoting().namesrv().addrs(),
        ["127.0.0.1:3333"]
    );
    instance.shutdown().await;
}

#[tokio::test]
async fn manager_shares_one_instance_per_client_id_and_refuses_conflicts() {
    let a = ClientInstance::shared(config("127.0.0.1:9", "shared-id")).expect("first");
    let b = ClientInstance::shared(config("127.0.0.1:9", "shared-id")).expect("same config");
    assert_eq!(a.index(), b.index(), "the same instance is handed out");
    let err = ClientInstance::shared(config("127.0.0.1:10", "shared-id")).expect_err("conflict");
    match &err {
        Error::Conflict { client_id, diff } => {
            assert_eq!(client_id, "127.0.0.1@shared-id");
            assert!(diff.contains("namesrv_addrs"), "{diff}");
        }
        other => panic!("expected a conflict, got {other}"),
    }
    let other = ClientInstance::shared(config("127.0.0.1:9", "other-id")).expect("other id");
    assert_ne!(other.index(), a.index());
    a.shutdown().await;
    other.shutdown().await;
    let fresh = ClientInstance::shared(config("127.0.0.1:10", "shared-id"))
        .expect("after shutdown the id is free");
    assert_ne!(fresh.index(), a.index());
    fresh.shutdown().await;
}

/// A cluster of `brokers` brokers, topics created on demand or not, with `topics` on every
/// broker (4 queues each).
async fn cluster(brokers: usize, auto_create: bool, topics: &[&str]) -> MockCluster {
    let cluster = MockCluster::builder()
        .brokers(brokers)
        .auto_create_topics(auto_create)
        .start()
        .await
        .expect("cluster");
    for topic in topics {
        cluster.create_topic(topic, 4);
    }
    cluster
}

#[tokio::test]
async fn route_refresh_fills_route_broker_and_publish_tables() {
    let cluster = cluster(1, false, &["T1", "T2"]).await;
    let broker = cluster.broker("broker-a").expect("broker-a");
    let instance =
        ClientInstance::new(config(&cluster.namesrv_addr(), "routes")).expect("instance");
    let producer = fake_producer("PG", &["T1"]);
    let consumer = fake_consumer("CG", "T2");
    instance
        .register_producer(producer.clone())
        .expect("register producer");
    instance
        .register_consumer(consumer.clone())
        .expect("register consumer");
    let err = instance
        .register_producer(producer.clone())
        .expect_err("same group twice");
    assert!(
        matches!(
            err,
            Error::GroupExists {
                role: "producer",
                ..
            }
        ),
        "{err}"
    );
    instance.update_all_topic_routes().await;
    assert!(instance.routes().get("T1").is_some() && instance.routes().get("T2").is_some());
    assert_eq!(
        instance.brokers().master("broker-a"),
        Some(broker.addr().to_string())
    );
    assert_eq!(
        producer.publish_updates.lock().expect("lock").as_slice(),
        [("T1".to_owned(), 4), ("T2".to_owned(), 4)]
    );
    assert_eq!(consumer.queues.lock().expect("lock")["T2"].len(), 4);
    let updates = producer.publish_updates.lock().expect("lock").len();
    let lookups = cluster
        .namesrv()
        .requests(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    instance.update_all_topic_routes().await;
    assert!(
        cluster
            .namesrv()
            .requests(RequestCode::GET_ROUTEINFO_BY_TOPIC)
            > lookups,
        "the routes were asked for again"
    );
    assert_eq!(
        producer.publish_updates.lock().expect("lock").len(),
        updates,
        "unchanged routes are not re-applied"
    );
    let err = instance
        .update_topic_route("missing")
        .await
        .expect_err("unknown topic");
    assert!(matches!(err, Error::RouteNotFound { .. }), "{err}");
    instance.shutdown().await;
    cluster.shutdown().await;
}

#[tokio::test]
async fn heartbeats_carry_groups_and_shutdown_persists_then_unregisters() {
    let cluster = cluster(1, true, &["T"]).await;
    let broker = cluster.broker("broker-a").expect("broker-a");
    let instance =
        ClientInstance::new(config(&cluster.namesrv_addr(), "heartbeat")).expect("instance");
    let consumer = fake_consumer("CG", "T");
    instance
        .register_producer(fake_producer("PG", &["T"]))
        .expect("producer");
    instance
        .register_consumer(consumer.clone())
        .expect("consumer");
    instance.start().await.expect("start");
    let me = [instance.client_id().to_owned()];
    assert!(
        eventually(Duration::from_secs(5), || broker.producer_ids("PG") == me
            && broker.consumer_ids("CG") == me)
        .await,
        "the scheduled heartbeat made the broker list both groups"
    );
    assert!(
        eventually(Duration::from_secs(5), || consumer
            .rebalances
            .load(Ordering::SeqCst)
            >= 2)
        .await,
        "rebalance runs periodically"
    );
    // `send_heartbeat_now` waits for a round the rebalance may have started instead of
    // skipping (`send_heartbeat_to_all_brokers` reports `skipped` then, as Java's tryLock does).
    let report = instance.send_heartbeat_now().await.expect("heartbeat");
    assert_eq!(report.acknowledged.len(), 1, "{report:?}");
    let persisted = consumer.persists.load(Ordering::SeqCst);
    instance.shutdown().await;
    assert!(
        consumer.persists.load(Ordering::SeqCst) > persisted,
        "offsets persisted at shutdown"
    );
    assert!(
        broker.requests(RequestCode::UNREGISTER_CLIENT) >= 2,
        "one unregister per group"
    );
    assert!(broker.producer_ids("PG").is_empty() && broker.consumer_ids("CG").is_empty());
    cluster.shutdown().await;
}

#[tokio::test]
async fn heartbeat_body_names_the_client_its_groups_and_tag_codes() {
    let server = scripted_peer().await;
    let instance = ClientInstance::new(config(&server.addr(), "beat-body")).expect("instance");
    instance
        .register_producer(fake_producer("PG", &["T"]))
        .expect("producer");
    instance
        .register_consumer(fake_consumer("CG", "T"))
        .expect("consumer");
    instance.start().await.expect("start");
    assert!(
        eventually(Duration::from_secs(5), || !received(
            &server,
            RequestCode::HEART_BEAT
        )
        .is_empty())
        .await,
        "the scheduled heartbeat ran"
    );
    let beat = &received(&server, RequestCode::HEART_BEAT)[0];
    let data = HeartbeatData::from_json(&beat.body).expect("heartbeat body");
    assert_eq!(data.client_id, instance.client_id());
    assert_eq!(data.producer_data_set[0].group_name, "PG");
    assert_eq!(data.consumer_data_set[0].group_name, "CG");
    assert_eq!(
        data.consumer_data_set[0].subscription_data_set[0].code_set,
        [2598919, 2598920]
    );
    instance.shutdown().await;
    let unregisters = received(&server, RequestCode::UNREGISTER_CLIENT);
    let groups: Vec<_> = unregisters
        .iter()
        .map(|c| {
            (
                c.ext_fields.get("producerGroup").map(str::to_owned),
                c.ext_fields.get("consumerGroup").map(str::to_owned),
            )
        })
        .collect();
    assert!(
        groups.contains(&(Some("PG".into()), None)) && groups.contains(&(None, Some("CG".into()))),
        "{groups:?}"
    );
    assert!(unregisters
        .iter()
        .all(|c| c.ext_fields.get("clientID") == Some(instance.client_id())));
    server.shutdown().await;
}

#[tokio::test]
async fn unregistering_a_group_tells_every_broker() {
    let cluster = cluster(2, true, &["T"]).await;
    let brokers = cluster.brokers();
    assert_eq!(brokers.len(), 2);
    let instance =
        ClientInstance::new(config(&cluster.namesrv_addr(), "unregister")).expect("instance");
    instance
        .register_producer(fake_producer("PG", &["T"]))
        .expect("producer");
    instance.update_topic_route("T").await.expect("route");
    let report = instance.send_heartbeat_now().await.expect("heartbeat");
    assert_eq!(report.acknowledged.len(), 2, "{report:?}");
    let me = [instance.client_id().to_owned()];
    for broker in &brokers {
        assert_eq!(broker.producer_ids("PG"), me, "{}", broker.name());
    }
    instance.unregister_producer("PG").await;
    assert!(instance.is_idle());
    for broker in &brokers {
        assert_eq!(
            broker.requests(RequestCode::UNREGISTER_CLIENT),
            1,
            "{}",
            broker.name()
        );
        // The connection is still open: only the unregister can have emptied the group.
        assert!(broker.producer_ids("PG").is_empty(), "{}", broker.name());
    }
    instance.shutdown().await;
    cluster.shutdown().await;
}

#[tokio::test]
async fn many_instances_started_and_stopped_leave_no_tasks_or_connections() {
    let cluster = cluster(1, true, &["T"]).await;
    let broker = cluster.broker("broker-a").expect("broker-a");
    let before = manager::instance_count();
    for round in 0..20 {
        let instance =
            ClientInstance::shared(config(&cluster.namesrv_addr(), &format!("loop-{round}")))
                .expect("instance");
        instance
            .register_producer(fake_producer("PG", &["T"]))
            .expect("producer");
        instance.start().await.expect("start");
        instance.update_topic_route("T").await.expect("route");
        instance
            .send_heartbeat_to_all_brokers()
            .await
            .expect("heartbeat");
        assert!(instance.api().remoting().connection_count() >= 1);
        instance.shutdown().await;
        assert_eq!(
            instance.task_count(),
            0,
            "round {round}: instance tasks left"
        );
        assert_eq!(
            instance.api().remoting().task_count(),
            0,
            "round {round}: transport tasks left"
        );
        assert_eq!(
            instance.api().remoting().connection_count(),
            0,
            "round {round}: connections left"
        );
    }
    assert_eq!(
        manager::instance_count(),
        before,
        "the manager forgot every stopped instance"
    );
    assert!(
        eventually(Duration::from_secs(5), || broker.connection_count() == 0
            && cluster.namesrv().connection_count() == 0)
        .await,
        "the broker and the name server saw every connection close"
    );
    assert!(broker.producer_ids("PG").is_empty());
    cluster.shutdown().await;
}

#[tokio::test]
async fn release_if_idle_keeps_a_used_instance_and_refuses_registrations_after() {
    let cluster = cluster(1, true, &[]).await;
    let instance =
        ClientInstance::new(config(&cluster.namesrv_addr(), "release")).expect("instance");
    instance.start().await.expect("start");
    instance
        .register_producer(fake_producer("PG", &[]))
        .expect("producer");
    assert!(
        !instance.release_if_idle().await,
        "a registered group keeps it running"
    );
    assert_eq!(instance.state(), ServiceState::Running);
    instance.unregister_producer("PG").await;
    assert!(instance.release_if_idle().await);
    assert_eq!(instance.state(), ServiceState::ShutdownAlready);
    let err = instance
        .register_producer(fake_producer("late", &[]))
        .expect_err("registering into a shut-down instance");
    assert!(matches!(err, Error::State { .. }), "{err}");
    cluster.shutdown().await;
}

#[tokio::test]
async fn heartbeat_now_waits_for_a_running_round_instead_of_skipping() {
    let cluster = cluster(1, true, &["T"]).await;
    let broker = cluster.broker("broker-a").expect("broker-a");
    broker.set_latency(RequestCode::HEART_BEAT, Duration::from_millis(300));
    let instance =
        ClientInstance::new(config(&cluster.namesrv_addr(), "beat-now")).expect("instance");
    instance
        .register_producer(fake_producer("PG", &[]))
        .expect("producer");
    instance.update_topic_route("T").await.expect("route");
    let slow = instance.clone();
    let running = tokio::spawn(async move { slow.send_heartbeat_to_all_brokers().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let skipped = instance
        .send_heartbeat_to_all_brokers()
        .await
        .expect("skip");
    assert!(
        skipped.skipped,
        "the periodic form skips while a round runs"
    );
    let now = instance.send_heartbeat_now().await.expect("waited");
    assert!(!now.skipped && now.acknowledged.len() == 1, "{now:?}");
    assert_eq!(
        running
            .await
            .expect("join")
            .expect("round")
            .acknowledged
            .len(),
        1
    );
    assert_eq!(broker.requests(RequestCode::HEART_BEAT), 2);
    instance.shutdown().await;
    cluster.shutdown().await;
}
