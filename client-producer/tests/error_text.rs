//! A failed send's text names the innermost cause, as every error of the workspace does: the
//! broker's address, its response code and its remark, without reading `source()`.

use rmq_client_producer::{ErrorKind, Message, Producer};
use rmq_protocol::{RequestCode, ResponseCode};
use rmq_testkit::MockCluster;

#[tokio::test]
async fn a_refused_send_names_broker_code_and_remark() {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    cluster.create_topic("ErrText", 1);
    let broker = cluster.broker("broker-a").expect("broker");
    let producer = Producer::builder()
        .namesrv(cluster.namesrv_addr())
        .group("err_text_pg")
        .build()
        .await
        .expect("producer");
    broker.inject(
        RequestCode::SEND_MESSAGE_V2,
        ResponseCode::MESSAGE_ILLEGAL,
        1,
    );
    let e = producer
        .send(&Message::new("ErrText", "x"))
        .await
        .expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Broker(ResponseCode::MESSAGE_ILLEGAL));
    let text = e.to_string();
    let addr = broker.addr().to_string();
    assert!(
        text.starts_with("send to ErrText failed after 1 attempt(s)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{addr} answered MESSAGE_ILLEGAL(13): ")),
        "address and code: {text}"
    );
    let remark = e.attempts()[0].remark().expect("a remark");
    assert!(
        !remark.is_empty() && text.ends_with(remark),
        "remark: {text}"
    );
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// A route lookup that failed inside the client instance reads the same way through the
/// producer's error (its text is client-core's, whose causes are in it).
#[test]
fn a_nested_client_error_names_its_innermost_cause() {
    let e = rmq_client_producer::Error::Client(rmq_client_core::Error::RouteLookup {
        topic: "T".into(),
        source: std::sync::Arc::new(rmq_client_core::Error::Broker {
            addr: "127.0.0.1:9876".into(),
            code: ResponseCode::TOPIC_NOT_EXIST,
            remark: Some("No topic route info in name server for the topic: T".into()),
        }),
    });
    assert_eq!(
        e.to_string(),
        "route lookup for topic T failed: 127.0.0.1:9876 answered TOPIC_NOT_EXIST(17): \
         No topic route info in name server for the topic: T"
    );
    assert_eq!(
        rmq_remoting::Error::chain(&e).to_string(),
        e.to_string(),
        "the chain helper adds nothing the text already says"
    );
}
