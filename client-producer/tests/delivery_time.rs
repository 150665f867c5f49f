//! The delivery-time guard against real answers: a broker whose heartbeat answers carry a 4.x
//! version (a scripted `MockServer` answering as V4_9_7, and the testkit, whose frames carry
//! V4_9_7 too) gets no SEND for a message with a delivery time, and the error names the broker
//! and its version; a broker answering as V5_3_3, or one whose version is not known yet, gets it.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

mod support;

use rmq_client_producer::{Error, ErrorKind, Message, Producer};
use rmq_protocol::body::JsonBody;
use rmq_protocol::version::Version;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};
use rmq_testkit::MockCluster;
use support::{broker_a_route, sends, stored_header};

/// One server that is both the name server and `broker-a`, every answer carrying `version`.
async fn broker_of_version(version: Version) -> MockServer {
    let me: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let own = me.clone();
    let server = MockServer::start(move |req: &Command| {
        let mut response = match req.request_code() {
            RequestCode::GET_ROUTEINFO_BY_TOPIC => {
                let body = broker_a_route(own.get().map_or("", String::as_str), 1)
                    .to_json()
                    .expect("route");
                Command::response(ResponseCode::SUCCESS, None).with_body(body)
            }
            RequestCode::SEND_MESSAGE_V2 => {
                Command::response(ResponseCode::SUCCESS, None).with_header(&stored_header())
            }
            _ => Command::response(ResponseCode::SUCCESS, None),
        };
        response.version = version.0;
        Reply::Respond(response)
    })
    .await
    .expect("mock broker");
    let _ = me.set(server.addr());
    server
}

fn timed(topic: &str) -> Message {
    Message::new(topic, "later").with_delivery_time(SystemTime::now() + Duration::from_secs(60))
}

async fn producer(namesrv: &str, group: &str) -> Producer {
    Producer::builder()
        .namesrv(namesrv)
        .group(group)
        .retries(0)
        .build()
        .await
        .expect("producer")
}

/// A producer of `group` on `server` that has sent one plain message and heartbeated, so that
/// it has recorded the broker's version.
async fn producer_knowing_the_version(server: &MockServer, group: &str) -> Producer {
    let producer = producer(&server.addr(), group).await;
    producer
        .send(&Message::new("T", "now"))
        .await
        .expect("sent");
    producer
        .instance()
        .send_heartbeat_now()
        .await
        .expect("heartbeat");
    producer
}

/// A 4.9.7 broker: once a heartbeat has recorded its version, a timed message is refused
/// before any SEND (sync and oneway), naming broker and version, while plain messages go.
#[tokio::test]
async fn a_timed_message_to_a_4x_broker_fails_before_sending_and_names_it() {
    let server = broker_of_version(Version::V4_9_7).await;
    let producer = producer_knowing_the_version(&server, "timer_pg_old").await;
    let before = sends(&server);
    let err = producer.send(&timed("T")).await.expect_err("refused");
    assert!(
        matches!(err, Error::DeliveryTimeUnsupported { .. }),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let text = err.to_string();
    assert!(
        text.contains("broker-a") && text.contains("V4_9_7"),
        "{text}"
    );
    let oneway = producer
        .send_oneway(&timed("T"))
        .await
        .expect_err("refused");
    assert_eq!(oneway.kind(), ErrorKind::Unsupported);
    assert_eq!(sends(&server), before, "nothing was sent");
    producer
        .send(&Message::new("T", "now"))
        .await
        .expect("plain sends go");
    assert_eq!(sends(&server), before + 1);
    producer.shutdown().await;
}

/// A 5.3.3 broker gets timed messages.
#[tokio::test]
async fn a_timed_message_to_a_5x_broker_is_sent() {
    let server = broker_of_version(Version::V5_3_3).await;
    let producer = producer_knowing_the_version(&server, "timer_pg_new").await;
    let before = sends(&server);
    producer.send(&timed("T")).await.expect("sent");
    assert_eq!(sends(&server), before + 1);
    producer.shutdown().await;
}

/// The testkit reports 5.3.3 (it serves timer messages), so a timed message goes through once
/// its version is known, and the broker holds it until its delivery time.
#[tokio::test]
async fn the_testkit_reports_a_5x_version_and_takes_timed_messages() {
    let cluster = MockCluster::builder()
        .brokers(1)
        .start()
        .await
        .expect("cluster");
    cluster.create_topic("timer-topic", 1);
    let producer = producer(&cluster.namesrv_addr(), "timer_pg_testkit").await;
    producer
        .send(&Message::new("timer-topic", "now"))
        .await
        .expect("sent");
    let report = producer
        .instance()
        .send_heartbeat_now()
        .await
        .expect("heartbeat");
    assert!(
        report
            .acknowledged
            .iter()
            .all(|(_, v)| *v == rmq_testkit::SERVER_VERSION.0),
        "{report:?}"
    );
    assert!(rmq_testkit::SERVER_VERSION >= Version::V5_0_0);
    producer
        .send(&timed("timer-topic"))
        .await
        .expect("a 5.x broker takes a timed message");
    producer.shutdown().await;
    cluster.shutdown().await;
}
