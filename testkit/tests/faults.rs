//! Fault injection over TCP: freeze/thaw, kill/restart (broker and name server), injected
//! answers, latency, a close in the middle of a frame, dropped answers, counters, and dropping
//! the cluster freeing its ports.

mod common;

use std::time::{Duration, Instant};

use common::{call, connect, send_v2, TIMEOUT};
use rmq_protocol::body::{JsonBody, TopicRouteData};
use rmq_protocol::header::GetRouteInfoRequestHeader;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::{Connection, RemotingConfig};
use rmq_testkit::MockCluster;

fn route(topic: &str) -> Command {
    Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&GetRouteInfoRequestHeader {
        topic: topic.into(),
        accept_standard_json_only: None,
    })
}

/// A frozen broker keeps the connection but answers nothing (the request times out, and is
/// counted); thawed, it answers again on the same connection.
#[tokio::test]
async fn freeze_times_out_and_thaw_answers() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let broker = cluster.broker("broker-a").expect("a");
    let conn = connect(broker.addr()).await;
    broker.freeze();
    let err = conn
        .request(send_v2("F", 0, "t", b"x"), Duration::from_millis(300))
        .await
        .expect_err("no answer while frozen");
    assert!(err.is_timeout(), "{err}");
    assert!(!conn.is_closed());
    assert_eq!(broker.requests(RequestCode::SEND_MESSAGE_V2), 1);
    assert_eq!(
        broker.max_offset("F", 0),
        0,
        "a frozen broker stores nothing"
    );
    broker.thaw();
    let answer = call(&conn, send_v2("F", 0, "t", b"x")).await;
    assert!(answer.response_code().is_success());
    assert_eq!(broker.requests(RequestCode::SEND_MESSAGE_V2), 2);
}

/// A killed broker refuses connects and leaves the routes; restarted, it has the same address
/// and messages and is routed again.
#[tokio::test]
async fn kill_refuses_connects_and_restart_keeps_data() {
    let cluster = MockCluster::builder()
        .brokers(2)
        .start()
        .await
        .expect("starts");
    let broker = cluster.broker("broker-a").expect("a");
    let addr = broker.addr();
    let conn = connect(addr).await;
    call(&conn, send_v2("K", 0, "t", b"x")).await;
    broker.kill();
    assert!(!broker.is_running());
    let refused = Connection::connect(&addr.to_string(), &RemotingConfig::default()).await;
    assert!(refused.is_err(), "connect must be refused");
    tokio::time::timeout(TIMEOUT, conn.closed())
        .await
        .expect("existing connection closed");
    let ns = connect(cluster.namesrv().addr()).await;
    let answer = call(&ns, route("K")).await;
    let routed = TopicRouteData::from_json(&answer.body).map(|r| r.broker_datas.len());
    assert!(answer.response_code() == ResponseCode::TOPIC_NOT_EXIST || routed.ok() == Some(0));

    broker.restart().await.expect("restarts");
    assert_eq!(broker.addr(), addr);
    assert_eq!(broker.max_offset("K", 0), 1);
    let conn = connect(addr).await;
    assert!(call(&conn, send_v2("K", 0, "t", b"y"))
        .await
        .response_code()
        .is_success());
    let answer = call(&ns, route("K")).await;
    assert!(answer.response_code().is_success());
}

/// The name server can go down and come back on the same address with its routes.
#[tokio::test]
async fn namesrv_down_and_up() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    cluster.create_topic("N", 1);
    let namesrv = cluster.namesrv();
    namesrv.kill();
    let refused = Connection::connect(&cluster.namesrv_addr(), &RemotingConfig::default()).await;
    assert!(refused.is_err());
    namesrv.restart().await.expect("restarts");
    let conn = connect(namesrv.addr()).await;
    assert!(call(&conn, route("N")).await.response_code().is_success());
}

/// An injected code answers exactly the next N requests of that code, then service resumes.
#[tokio::test]
async fn injected_code_for_next_n_requests() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let broker = cluster.broker("broker-a").expect("a");
    let conn = connect(broker.addr()).await;
    broker.inject(RequestCode::SEND_MESSAGE_V2, ResponseCode::SYSTEM_BUSY, 2);
    for _ in 0..2 {
        let answer = call(&conn, send_v2("I", 0, "t", b"x")).await;
        assert_eq!(answer.response_code(), ResponseCode::SYSTEM_BUSY);
    }
    assert_eq!(
        broker.max_offset("I", 0),
        0,
        "injected answers store nothing"
    );
    let answer = call(&conn, send_v2("I", 0, "t", b"x")).await;
    assert!(answer.response_code().is_success());
    assert_eq!(broker.requests(RequestCode::SEND_MESSAGE_V2), 3);
    broker.reset_requests();
    assert_eq!(broker.total_requests(), 0);
}

/// Latency applies to its code only.
#[tokio::test]
async fn latency_delays_its_code_only() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let namesrv = cluster.namesrv();
    namesrv.set_latency(
        RequestCode::GET_ROUTEINFO_BY_TOPIC,
        Duration::from_millis(300),
    );
    let conn = connect(namesrv.addr()).await;
    let started = Instant::now();
    call(&conn, route("TBW102")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    call(
        &conn,
        Command::request(RequestCode::GET_BROKER_CLUSTER_INFO),
    )
    .await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

/// A close in the middle of the answer frame fails the request and closes the connection.
#[tokio::test]
async fn close_mid_frame_fails_the_request() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let namesrv = cluster.namesrv();
    namesrv.close_mid_frame_next(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    let conn = connect(namesrv.addr()).await;
    let err = conn
        .request(route("TBW102"), TIMEOUT)
        .await
        .expect_err("cut short");
    assert!(err.is_connection_error(), "{err}");
    let conn = connect(namesrv.addr()).await;
    assert!(call(&conn, route("TBW102"))
        .await
        .response_code()
        .is_success());
}

/// Dropping every answer makes requests time out; a fraction of zero stops it.
#[tokio::test]
async fn dropped_responses_time_out() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let namesrv = cluster.namesrv();
    namesrv.drop_responses(1.0, 42);
    let conn = connect(namesrv.addr()).await;
    let err = conn
        .request(route("TBW102"), Duration::from_millis(200))
        .await
        .expect_err("dropped");
    assert!(err.is_timeout());
    namesrv.drop_responses(0.0, 42);
    assert!(call(&conn, route("TBW102"))
        .await
        .response_code()
        .is_success());
}

/// Dropping the cluster stops every node: its ports refuse connects afterwards.
#[tokio::test]
async fn dropping_the_cluster_frees_its_ports() {
    let cluster = MockCluster::builder()
        .brokers(2)
        .start()
        .await
        .expect("starts");
    let addrs: Vec<String> = std::iter::once(cluster.namesrv_addr())
        .chain(cluster.brokers().iter().map(|b| b.addr().to_string()))
        .collect();
    let handle = cluster.broker("broker-b").expect("b");
    drop(cluster);
    for addr in &addrs {
        let mut refused = false;
        for _ in 0..50 {
            if Connection::connect(addr, &RemotingConfig::default())
                .await
                .is_err()
            {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(refused, "{addr} still accepts");
    }
    drop(handle);
}

/// Shutdown waits for every task; a request to a node afterwards fails.
#[tokio::test]
async fn shutdown_stops_connections() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.namesrv().addr()).await;
    cluster.shutdown().await;
    tokio::time::timeout(TIMEOUT, conn.closed())
        .await
        .expect("connection closed by shutdown");
}

/// A frozen broker sends nothing of its own either: a membership change while frozen is not
/// announced; after a thaw, the next change is.
#[tokio::test]
async fn frozen_broker_sends_no_notifications() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let broker = cluster.broker("broker-a").expect("a");
    let addr = broker.addr().to_string();
    let (first, mut first_rx) = common::recording_client();
    let (second, _second_rx) = common::recording_client();
    for (client, id) in [(&first, "c1"), (&second, "c2")] {
        client
            .invoke(&addr, common::consumer_heartbeat(id, "G", "T"), TIMEOUT)
            .await
            .expect("answered");
    }
    // c1 hears of its own join and of c2's.
    for _ in 0..2 {
        tokio::time::timeout(TIMEOUT, first_rx.recv())
            .await
            .expect("notified")
            .expect("client alive");
    }
    broker.freeze();
    second.shutdown().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(first_rx.try_recv().is_err(), "a frozen broker notified");
    assert_eq!(
        broker.consumer_ids("G"),
        ["c1"],
        "the leave itself is recorded"
    );
    broker.thaw();
    let (third, _third_rx) = common::recording_client();
    third
        .invoke(&addr, common::consumer_heartbeat("c3", "G", "T"), TIMEOUT)
        .await
        .expect("answered");
    let notify = tokio::time::timeout(TIMEOUT, first_rx.recv())
        .await
        .expect("notified after thaw")
        .expect("client alive");
    assert_eq!(
        notify.request_code(),
        RequestCode::NOTIFY_CONSUMER_IDS_CHANGED
    );
    first.shutdown().await;
    third.shutdown().await;
}

/// Accounts set through the cluster switch signature checks on: an unsigned request is
/// refused with NO_PERMISSION, a signed one served.
#[tokio::test]
async fn accounts_from_the_cluster_api_enforce_signatures() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    cluster.set_account("AK", "SECRET", false).expect("account");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    let request = || {
        Command::request(RequestCode::GET_MAX_OFFSET)
            .with_ext("topic", "T")
            .with_ext("queueId", "0")
    };
    let answer = call(&conn, request()).await;
    assert_eq!(answer.response_code(), ResponseCode::NO_PERMISSION);
    let mut signed = request();
    rmq_protocol::acl::sign(&mut signed, &rmq_protocol::Credentials::new("AK", "SECRET"));
    assert!(call(&conn, signed).await.response_code().is_success());
}
