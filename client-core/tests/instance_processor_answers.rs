//! The exact answers of the instance's processor to requests a broker sends, asked by a
//! scripted peer: running info and consumer status bodies, consume-directly, and unknown codes.
//! The flows a broker starts are tested against `rmq-testkit` in `instance_processor.rs`.

mod support;

use std::time::Duration;

use bytes::BytesMut;
use rmq_client_core::ClientInstance;
use rmq_protocol::body::{
    ConsumeDirectlyOutcome, ConsumeMessageDirectlyResult, ConsumerRunningInfo,
    GetConsumerStatusBody, JsonBody, MessageQueue,
};
use rmq_protocol::header::{
    ConsumeMessageDirectlyRequestHeader, GetConsumerRunningInfoRequestHeader,
    GetConsumerStatusRequestHeader,
};
use rmq_protocol::message::{Properties, StoredMessage};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::MockServer;
use support::*;

struct Setup {
    server: MockServer,
    instance: ClientInstance,
}

async fn setup(name: &str) -> Setup {
    let server = scripted_peer().await;
    let instance = ClientInstance::new(config(&server.addr(), name)).expect("instance");
    let producer = fake_producer("PG", &["T"]);
    let consumer = fake_consumer("CG", "T");
    instance.register_producer(producer).expect("producer");
    instance.register_consumer(consumer).expect("consumer");
    // Open the connection the broker will use to call us.
    instance
        .api()
        .remoting()
        .connection(&server.addr())
        .await
        .expect("connect");
    assert!(eventually(Duration::from_secs(2), || server.connections() == 1).await);
    Setup { server, instance }
}

fn stored(props: &[(&str, &str)]) -> bytes::Bytes {
    let mut properties = Properties::default();
    for (k, v) in props {
        properties.insert(*k, *v);
    }
    let msg = StoredMessage {
        topic: "T".into(),
        body: "hi".into(),
        properties,
        ..StoredMessage::default()
    };
    let mut buf = BytesMut::new();
    msg.encode(&mut buf).expect("encode");
    buf.freeze()
}

async fn ask(s: &Setup, req: Command) -> Command {
    s.server
        .request(req, Duration::from_secs(3))
        .await
        .expect("client answered")
}

#[tokio::test]
async fn running_info_is_the_consumers_with_instance_properties() {
    let s = setup("p-running").await;
    let header = GetConsumerRunningInfoRequestHeader {
        consumer_group: "CG".into(),
        client_id: s.instance.client_id().into(),
        jstack_enable: false,
    };
    let resp = ask(
        &s,
        Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO).with_header(&header),
    )
    .await;
    assert_eq!(resp.response_code(), ResponseCode::SUCCESS);
    let info = ConsumerRunningInfo::from_json(&resp.body).expect("running info");
    assert_eq!(info.subscription_set[0].topic, "T");
    assert_eq!(info.properties["PROP_CONSUME_TYPE"], "CONSUME_PASSIVELY");
    assert_eq!(info.properties["PROP_NAMESERVER_ADDR"], s.server.addr());
    assert!(info.status_table.contains_key("T"));

    let unknown = GetConsumerRunningInfoRequestHeader {
        consumer_group: "nope".into(),
        ..header
    };
    let resp = ask(
        &s,
        Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO).with_header(&unknown),
    )
    .await;
    assert_eq!(resp.response_code(), ResponseCode::SYSTEM_ERROR);
    assert!(resp.remark.unwrap_or_default().contains("nope"));
    s.instance.shutdown().await;
}

#[tokio::test]
async fn consumer_status_reports_offsets_with_queue_keys() {
    let s = setup("p-status").await;
    let header = GetConsumerStatusRequestHeader {
        topic: "T".into(),
        group: "CG".into(),
        client_addr: None,
    };
    let resp = ask(
        &s,
        Command::request(RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT).with_header(&header),
    )
    .await;
    assert_eq!(resp.response_code(), ResponseCode::SUCCESS);
    let text = String::from_utf8_lossy(&resp.body).into_owned();
    assert!(
        text.contains("{{\"brokerName\""),
        "fastjson object keys, as Java writes them: {text}"
    );
    let body = GetConsumerStatusBody::from_json(&resp.body).expect("status body");
    assert_eq!(
        body.message_queue_table[&MessageQueue::new("T", "broker-a", 0)],
        42
    );
    s.instance.shutdown().await;
}

#[tokio::test]
async fn consume_directly_returns_the_listener_outcome() {
    let s = setup("p-direct").await;
    let header = ConsumeMessageDirectlyRequestHeader {
        consumer_group: "CG".into(),
        client_id: Some(s.instance.client_id().into()),
        msg_id: Some("X".into()),
        broker_name: Some("broker-a".into()),
    };
    let req = Command::request(RequestCode::CONSUME_MESSAGE_DIRECTLY)
        .with_header(&header)
        .with_body(stored(&[]));
    let resp = ask(&s, req).await;
    assert_eq!(resp.response_code(), ResponseCode::SUCCESS);
    let result = ConsumeMessageDirectlyResult::from_json(&resp.body).expect("result");
    assert_eq!(result.consume_result, Some(ConsumeDirectlyOutcome::Success));
    s.instance.shutdown().await;
}

#[tokio::test]
async fn unknown_request_codes_get_request_code_not_supported() {
    let s = setup("p-unknown").await;
    let resp = ask(&s, Command::request(RequestCode(9999))).await;
    assert_eq!(
        resp.response_code(),
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED
    );
    assert!(resp.remark.unwrap_or_default().contains("9999"));
    s.instance.shutdown().await;
}
