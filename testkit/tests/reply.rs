//! Request-reply over TCP: SEND_REPLY_MESSAGE(_V2) pushed to the requester with
//! PUSH_REPLY_MESSAGE_TO_CLIENT, and Java's refusals.

mod common;
mod helpers;

use common::recording_client;
use helpers::{call, max_offset, send_request, EVENTUALLY};
use rmq_protocol::body::{HeartbeatData, JsonBody, ProducerData};
use rmq_protocol::header::{
    ReplyMessageRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
};
use rmq_protocol::{Command, Properties, RequestCode, ResponseCode};
use rmq_remoting::{Connection, RemotingConfig};
use rmq_testkit::MockCluster;

const REPLY_TOPIC: &str = "DefaultCluster_REPLY_TOPIC";

/// A SEND_REPLY_MESSAGE_V2 to the reply topic with `props`.
fn reply_request(props: &[(&str, &str)]) -> Command {
    let v1: SendMessageRequestHeader = send_request(REPLY_TOPIC, 0, props, "pong", 0)
        .decode_header()
        .expect("header");
    let v2: SendMessageRequestHeaderV2 = v1.into();
    Command::request(RequestCode::SEND_REPLY_MESSAGE_V2)
        .with_header(&v2)
        .with_body(&b"pong"[..])
}

/// The reply reaches the requesting client with its properties plus PUSH_REPLY_TIME; the
/// replier gets SUCCESS with msg id "0"; the reply is stored too.
#[tokio::test]
async fn reply_is_pushed_to_the_requesting_client() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let (requester, mut pushed) = recording_client();
    let heartbeat = HeartbeatData {
        client_id: "requester-1".into(),
        producer_data_set: vec![ProducerData {
            group_name: "RG".into(),
        }],
        ..HeartbeatData::default()
    };
    requester
        .invoke(
            &addr,
            Command::request(RequestCode::HEART_BEAT).with_body(heartbeat.to_json().expect("json")),
            EVENTUALLY,
        )
        .await
        .expect("heartbeat");

    let replier = Connection::connect(&addr, &RemotingConfig::default())
        .await
        .expect("connects");
    let answer = call(
        &replier,
        reply_request(&[
            ("MSG_TYPE", "reply"),
            ("REPLY_TO_CLIENT", "requester-1"),
            ("CORRELATION_ID", "corr-7"),
        ]),
    )
    .await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    let header: SendMessageResponseHeader = answer.decode_header().expect("header");
    assert_eq!((header.msg_id.as_str(), header.queue_offset), ("0", 0));

    let push = tokio::time::timeout(EVENTUALLY, pushed.recv())
        .await
        .expect("pushed in time")
        .expect("client alive");
    assert_eq!(
        push.request_code(),
        RequestCode::PUSH_REPLY_MESSAGE_TO_CLIENT
    );
    assert_eq!(&push.body[..], b"pong");
    let push_header: ReplyMessageRequestHeader = push.decode_header().expect("push header");
    assert_eq!(push_header.topic, REPLY_TOPIC);
    assert_eq!(push_header.store_host, addr);
    let props = Properties::decode(push_header.properties.as_deref().unwrap_or_default());
    assert_eq!(props.get("CORRELATION_ID"), Some("corr-7"));
    assert!(props.get("PUSH_REPLY_TIME").is_some());
    assert_eq!(max_offset(&replier, REPLY_TOPIC, 0).await, 1);
}

/// A reply for a client that is not connected, or without REPLY_TO_CLIENT, is SYSTEM_ERROR.
#[tokio::test]
async fn reply_without_a_reachable_requester_fails() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr().to_string();
    let replier = Connection::connect(&addr, &RemotingConfig::default())
        .await
        .expect("connects");
    let gone = call(&replier, reply_request(&[("REPLY_TO_CLIENT", "nobody")])).await;
    assert_eq!(gone.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        gone.remark.as_deref(),
        Some("push reply message fail, channel of <nobody> not found.")
    );
    let unnamed = call(&replier, reply_request(&[])).await;
    assert_eq!(
        unnamed.remark.as_deref(),
        Some("reply message properties[REPLY_TO_CLIENT] is null")
    );
}
