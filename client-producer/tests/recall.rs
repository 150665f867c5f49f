//! RECALL_MESSAGE (370) with the handle of a timer message's send receipt. The request shape is
//! checked on a scripted `MockServer` answering as a 5.3.3 broker; the testkit's refusal (recall
//! is off by default on a Java broker) comes back typed.

mod support;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use rmq_client_producer::{ErrorKind, Message, Producer};
use rmq_protocol::body::JsonBody;
use rmq_protocol::header::RecallMessageResponseHeader;
use rmq_protocol::version::Version;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};
use rmq_testkit::MockCluster;
use support::{broker_a_route, stored_header};

/// base64url("v1 T broker-a 1700000000000 ID1"), as a 5.3.3 broker builds it.
const HANDLE: &str = "djEgVCBicm9rZXItYSAxNzAwMDAwMDAwMDAwIElEMQ==";

/// Name server and 5.3.3 `broker-a` in one: timer sends get [`HANDLE`], recalls answer `ID1`.
async fn broker_5x() -> MockServer {
    let me: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let own = me.clone();
    let server = MockServer::start(move |req: &Command| {
        let ok = Command::response(ResponseCode::SUCCESS, None);
        let mut response = match req.request_code() {
            RequestCode::GET_ROUTEINFO_BY_TOPIC => {
                let body = broker_a_route(own.get().map_or("", String::as_str), 1)
                    .to_json()
                    .expect("route");
                ok.with_body(body)
            }
            RequestCode::SEND_MESSAGE_V2 => {
                let timed = req
                    .ext_fields
                    .get("i")
                    .is_some_and(|p| p.contains("TIMER_DELIVER_MS"));
                let response = ok.with_header(&stored_header());
                if timed {
                    response.with_ext("recallHandle", HANDLE)
                } else {
                    response
                }
            }
            RequestCode::RECALL_MESSAGE => ok.with_header(&RecallMessageResponseHeader {
                msg_id: "ID1".into(),
            }),
            _ => ok,
        };
        response.version = Version::V5_3_3.0;
        Reply::Respond(response)
    })
    .await
    .expect("mock broker");
    let _ = me.set(server.addr());
    server
}

/// A timer message's receipt carries the broker's handle (a plain one's does not), and
/// `recall` sends RECALL_MESSAGE to the handle's broker with group, topic, handle and broker
/// name, returning the recalled id.
#[tokio::test]
async fn recall_sends_the_receipt_handle_to_its_broker_and_returns_the_id() {
    let server = broker_5x().await;
    let producer = Producer::builder()
        .namesrv(server.addr())
        .group("recall_pg")
        .build()
        .await
        .expect("producer");
    let plain = producer
        .send(&Message::new("T", "now"))
        .await
        .expect("sent");
    assert_eq!(plain.recall_handle(), None);
    let at = SystemTime::now() + Duration::from_secs(60);
    let timed = producer
        .send(&Message::new("T", "later").with_delivery_time(at))
        .await
        .expect("sent");
    let handle = timed.recall_handle().expect("a handle").to_owned();
    assert_eq!(handle, HANDLE);
    let id = producer.recall("T", &handle).await.expect("recalled");
    assert_eq!(id, "ID1");
    let recalls: Vec<Command> = server
        .requests()
        .into_iter()
        .filter(|r| r.request_code() == RequestCode::RECALL_MESSAGE)
        .collect();
    assert_eq!(recalls.len(), 1);
    let ext = &recalls[0].ext_fields;
    assert_eq!(ext.get("producerGroup"), Some("recall_pg"));
    assert_eq!(ext.get("topic"), Some("T"));
    assert_eq!(ext.get("recallHandle"), Some(HANDLE));
    assert_eq!(ext.get("bname"), Some("broker-a"));
    producer.shutdown().await;
}

/// A handle that does not decode is refused before any request.
#[tokio::test]
async fn a_malformed_handle_is_refused_before_sending() {
    let server = broker_5x().await;
    let producer = Producer::builder()
        .namesrv(server.addr())
        .group("recall_pg_bad")
        .build()
        .await
        .expect("producer");
    let err = producer
        .recall("T", "not a handle")
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.to_string().contains("recallHandle"), "{err}");
    assert!(!server
        .requests()
        .iter()
        .any(|r| r.request_code() == RequestCode::RECALL_MESSAGE));
    producer.shutdown().await;
}

/// The testkit serves RECALL_MESSAGE as a Java 5.3.3 broker does, with `recallMessageEnable`
/// off by default: the broker's refusal comes back with its code and remark.
#[tokio::test]
async fn a_broker_with_recall_disabled_refuses_it_naming_code_and_remark() {
    let cluster = MockCluster::builder()
        .brokers(1)
        .start()
        .await
        .expect("cluster");
    cluster.create_topic("T", 1);
    let producer = Producer::builder()
        .namesrv(cluster.namesrv_addr())
        .group("recall_pg_testkit")
        .build()
        .await
        .expect("producer");
    let handle = "djEgVCBicm9rZXItYSAxNzAwMDAwMDAwMDAwIElEMQ";
    let err = producer.recall("T", handle).await.expect_err("not served");
    assert_eq!(
        err.kind(),
        ErrorKind::Broker(ResponseCode::NO_PERMISSION),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("recall failed, operation is forbidden"),
        "{err}"
    );
    producer.shutdown().await;
    cluster.shutdown().await;
}
