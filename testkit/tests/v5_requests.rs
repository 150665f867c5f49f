//! 5.x requests over TCP, as Java 5.3.3 brokers serve them: heartbeat V2 (fingerprints,
//! `withoutSub`, the `IS_SUPPORT_HEART_BEAT_V2` / `IS_SUB_CHANGE` answer fields) and
//! LITE_PULL_MESSAGE.

mod common;

use common::{call, connect, messages, pull, send_v2};
use rmq_protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerConnection, ConsumerData, HeartbeatData, JsonBody,
    MessageModel, SubscriptionData,
};
use rmq_protocol::header::GetConsumerConnectionListRequestHeader;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_testkit::MockCluster;

/// A heartbeat of consumer group `G` subscribed to `topics`, with `fingerprint` (V2 when
/// non-zero) and `without_sub`.
fn heartbeat(topics: &[&str], fingerprint: Option<i32>, without_sub: bool) -> Command {
    let data = HeartbeatData {
        client_id: "c1".into(),
        consumer_data_set: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            consume_type: ConsumeType::Passively,
            group_name: "G".into(),
            message_model: MessageModel::Clustering,
            subscription_data_set: topics
                .iter()
                .map(|t| SubscriptionData::from_tag_expression(*t, "*", 1))
                .collect(),
            unit_mode: false,
        }],
        heartbeat_fingerprint: fingerprint,
        without_sub: Some(without_sub),
        ..HeartbeatData::default()
    };
    Command::request(RequestCode::HEART_BEAT).with_body(data.to_json().expect("encodes"))
}

/// The answer's `IS_SUPPORT_HEART_BEAT_V2` and `IS_SUB_CHANGE` fields.
fn v2_fields(answer: &Command) -> (Option<&str>, Option<&str>) {
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    (
        answer.ext_fields.get("IS_SUPPORT_HEART_BEAT_V2"),
        answer.ext_fields.get("IS_SUB_CHANGE"),
    )
}

/// Every heartbeat answer says V2 is supported; a V1 heartbeat is always a subscription
/// change, a V2 one only when its fingerprint differs from the group's last; a V2 heartbeat
/// `withoutSub` keeps the group's subscriptions.
#[tokio::test]
async fn heartbeat_v2_compares_fingerprints_and_keeps_subscriptions_without_sub() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    let v1 = call(&conn, heartbeat(&["T"], None, false)).await;
    assert_eq!(v2_fields(&v1), (Some("true"), Some("true")));

    let first = call(&conn, heartbeat(&["T", "U"], Some(11), false)).await;
    assert_eq!(
        v2_fields(&first),
        (Some("true"), Some("true")),
        "0 (V1) before"
    );
    let same = call(&conn, heartbeat(&[], Some(11), true)).await;
    assert_eq!(v2_fields(&same), (Some("true"), Some("false")));
    let connections = Command::request(RequestCode::GET_CONSUMER_CONNECTION_LIST).with_header(
        &GetConsumerConnectionListRequestHeader {
            consumer_group: "G".into(),
        },
    );
    let body = ConsumerConnection::from_json(&call(&conn, connections.clone()).await.body)
        .expect("connections");
    let topics: Vec<&str> = body.subscription_table.keys().map(String::as_str).collect();
    assert_eq!(topics, ["T", "U"], "withoutSub keeps the subscriptions");

    let changed = call(&conn, heartbeat(&["T"], Some(12), false)).await;
    assert_eq!(v2_fields(&changed), (Some("true"), Some("true")));
    let body =
        ConsumerConnection::from_json(&call(&conn, connections).await.body).expect("connections");
    assert_eq!(
        body.subscription_table.len(),
        1,
        "a full V2 heartbeat replaces them"
    );
    cluster.shutdown().await;
}

/// LITE_PULL_MESSAGE (361) is served as a pull, as Java 5.x registers the pull processor for
/// it.
#[tokio::test]
async fn lite_pull_message_is_served_as_a_pull() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    let sent = call(&conn, send_v2("L", 0, "A", b"lite")).await;
    assert_eq!(sent.response_code(), ResponseCode::SUCCESS);
    let mut request = pull("G", "L", 0, 0, 0);
    request.code = RequestCode::LITE_PULL_MESSAGE.0;
    let answer = call(&conn, request).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    let got = messages(&answer);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "lite");
    cluster.shutdown().await;
}
