//! How an instance recovers from faults, against the embedded cluster of `rmq-testkit`: a
//! broker connected again is heartbeated at once (it restarted and forgot the client's groups),
//! concurrent route lookups share one request, and a failed shared lookup names the topic and
//! its cause.

mod support;

use std::time::Duration;

use rmq_client_core::{ClientInstance, Error, ErrorKind};
use rmq_protocol::{RequestCode, ResponseCode};
use rmq_testkit::MockCluster;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnected_broker_is_heartbeated_at_once() {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    cluster.create_topic("T", 4);
    let broker = cluster.broker("broker-a").expect("broker-a");
    let addr = broker.addr().to_string();
    let instance =
        ClientInstance::new(config(&cluster.namesrv_addr(), "reconnect")).expect("instance");
    instance
        .register_producer(fake_producer("PG", &["T"]))
        .expect("producer");
    instance.start().await.expect("start");
    instance.update_topic_route("T").await.expect("route");
    instance.send_heartbeat_now().await.expect("heartbeat");
    assert_eq!(broker.producer_ids("PG"), [instance.client_id()]);
    // The broker restarts: every connection drops and it forgets its clients.
    broker.restart().await.expect("restart");
    assert!(
        broker.producer_ids("PG").is_empty(),
        "the restart forgot PG"
    );
    let before = broker.requests(RequestCode::HEART_BEAT);
    // Left: the name server's connection only.
    assert!(
        eventually(Duration::from_secs(3), || instance
            .api()
            .remoting()
            .connection_count()
            == 1)
        .await,
        "the client saw the broker's connection close"
    );
    // The next request to the broker dials again.
    instance
        .api()
        .remoting()
        .connection(&addr)
        .await
        .expect("reconnect");
    assert!(
        eventually(Duration::from_secs(3), || broker.connection_count() == 1).await,
        "the client dialed again"
    );
    assert!(
        eventually(Duration::from_secs(3), || broker
            .requests(RequestCode::HEART_BEAT)
            > before
            && broker.producer_ids("PG") == [instance.client_id()])
        .await,
        "no heartbeat after the reconnect (the periodic one is 30 s away)"
    );
    instance.shutdown().await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_route_lookups_share_one_request_and_its_failure() {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    cluster.create_topic("T", 4);
    let namesrv = cluster.namesrv();
    namesrv.set_latency(
        RequestCode::GET_ROUTEINFO_BY_TOPIC,
        Duration::from_millis(400),
    );
    namesrv.inject(
        RequestCode::GET_ROUTEINFO_BY_TOPIC,
        ResponseCode::SYSTEM_ERROR,
        1,
    );
    let instance =
        ClientInstance::new(config(&cluster.namesrv_addr(), "flight")).expect("instance");
    let lookups = (0..50).map(|_| {
        let instance = instance.clone();
        tokio::spawn(async move { instance.update_topic_route("T").await })
    });
    for result in futures::future::join_all(lookups).await {
        let err = result.expect("task").expect_err("the name server fails");
        assert!(matches!(err, Error::RouteLookup { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "route lookup for topic T failed: {} answered SYSTEM_ERROR(1): [testkit] injected {:?}",
                cluster.namesrv_addr(),
                ResponseCode::SYSTEM_ERROR
            )
        );
        assert_eq!(err.kind(), ErrorKind::Broker(ResponseCode::SYSTEM_ERROR));
    }
    assert_eq!(namesrv.requests(RequestCode::GET_ROUTEINFO_BY_TOPIC), 1);
    // The failure was not remembered: the next lookup asks again and succeeds.
    namesrv.set_latency(RequestCode::GET_ROUTEINFO_BY_TOPIC, Duration::ZERO);
    instance
        .update_topic_route("T")
        .await
        .expect("route after the fault");
    assert_eq!(namesrv.requests(RequestCode::GET_ROUTEINFO_BY_TOPIC), 2);
    instance.shutdown().await;
    cluster.shutdown().await;
}
