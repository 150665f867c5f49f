//! How an instance recovers from faults: a broker connected again is heartbeated at once (it
//! may have restarted and forgotten the client's groups), concurrent route lookups share one
//! request, and a failed shared lookup names the topic and its cause.

mod support;

use std::sync::Arc;
use std::time::Duration;

use rmq_client_core::{ClientInstance, Error, ErrorKind};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnected_broker_is_heartbeated_at_once() {
    let server = mock_cluster().await;
    let instance = ClientInstance::new(config(&server.addr(), "reconnect")).expect("instance");
    instance
        .register_producer(Arc::new(FakeProducer {
            group: "PG".into(),
            topics: vec!["T".into()],
            ..Default::default()
        }))
        .expect("producer");
    instance.start().await.expect("start");
    instance.update_topic_route("T").await.expect("route");
    instance.send_heartbeat_now().await.expect("heartbeat");
    let before = received(&server, RequestCode::HEART_BEAT).len();
    // The broker "restarts": every connection drops. The next request reconnects.
    server.disconnect_all();
    let accepted = server.accepted();
    tokio::time::sleep(Duration::from_millis(100)).await;
    instance.update_topic_route("T").await.expect("route again");
    assert!(server.accepted() > accepted, "the client dialed again");
    assert!(
        eventually(Duration::from_secs(3), || received(
            &server,
            RequestCode::HEART_BEAT
        )
        .len()
            > before)
        .await,
        "no heartbeat after the reconnect (the periodic one is 30 s away)"
    );
    instance.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_route_lookups_share_one_request_and_its_failure() {
    let server = MockServer::start(|req: &Command| match req.request_code() {
        RequestCode::GET_ROUTEINFO_BY_TOPIC => Reply::Delayed(
            Duration::from_millis(400),
            Command::response(
                ResponseCode::SYSTEM_ERROR,
                Some("name server on fire".into()),
            ),
        ),
        _ => Reply::success(),
    })
    .await
    .expect("server");
    let instance = ClientInstance::new(config(&server.addr(), "flight")).expect("instance");
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
                "route lookup for topic T failed: {} answered SYSTEM_ERROR(1): name server on fire",
                server.addr()
            )
        );
        assert_eq!(err.kind(), ErrorKind::Broker(ResponseCode::SYSTEM_ERROR));
    }
    assert_eq!(
        received(&server, RequestCode::GET_ROUTEINFO_BY_TOPIC).len(),
        1
    );
    instance.shutdown().await;
    server.shutdown().await;
}
