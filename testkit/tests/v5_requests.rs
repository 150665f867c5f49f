//! 5.x requests over TCP, as Java 5.3.3 brokers serve them: heartbeat V2 (fingerprints,
//! `withoutSub`, the `IS_SUPPORT_HEART_BEAT_V2` / `IS_SUB_CHANGE` answer fields),
//! LITE_PULL_MESSAGE, QUERY_ASSIGNMENT and SET_MESSAGE_REQUEST_MODE.

mod common;

use common::{call, connect, messages, pull, send_v2};
use rmq_protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerConnection, ConsumerData, HeartbeatData, JsonBody,
    MessageModel, SubscriptionData,
};
use rmq_protocol::header::GetConsumerConnectionListRequestHeader;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_testkit::MockCluster;
use serde_json::{json, Value};

/// A heartbeat of consumer group `G` subscribed to `topics`, with `fingerprint` (V2 when
/// non-zero) and `without_sub`.
fn heartbeat(topics: &[&str], fingerprint: Option<i32>, without_sub: bool) -> Command {
    heartbeat_of("c1", topics, fingerprint, without_sub)
}

fn heartbeat_of(
    client_id: &str,
    topics: &[&str],
    fingerprint: Option<i32>,
    without_sub: bool,
) -> Command {
    let data = HeartbeatData {
        client_id: client_id.into(),
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

fn query_assignment(client_id: &str, strategy: &str, model: &str) -> Command {
    let body = json!({
        "clientId": client_id,
        "consumerGroup": "G",
        "messageModel": model,
        "strategyName": strategy,
        "topic": "A",
    });
    Command::request(RequestCode::QUERY_ASSIGNMENT).with_body(body.to_string().into_bytes())
}

/// The `(broker, queue id, mode)` of each assignment in a QUERY_ASSIGNMENT answer, sorted;
/// `None` when the answer has no assignment set.
fn assignments(answer: &Command) -> Option<Vec<(String, i64, String)>> {
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    let body: Value = serde_json::from_slice(&answer.body).expect("json body");
    let mut out: Vec<_> = body
        .get("messageQueueAssignments")?
        .as_array()
        .expect("an array")
        .iter()
        .map(|a| {
            let mq = &a["messageQueue"];
            (
                mq["brokerName"].as_str().expect("broker").to_owned(),
                mq["queueId"].as_i64().expect("queue id"),
                a["mode"].as_str().expect("mode").to_owned(),
            )
        })
        .collect();
    out.sort();
    Some(out)
}

fn set_mode(topic: &str, mode: &str) -> Command {
    let body = json!({ "consumerGroup": "G", "mode": mode, "popShareQueueNum": 0, "topic": topic });
    Command::request(RequestCode::SET_MESSAGE_REQUEST_MODE).with_body(body.to_string().into_bytes())
}

/// QUERY_ASSIGNMENT shares a topic's queues on both brokers among the group's live members
/// (AVG: contiguous halves), gives every queue to a broadcasting client, and answers no set
/// for an unknown strategy; after SET_MESSAGE_REQUEST_MODE to POP, members get whole
/// brokers (queue id -1) in POP mode. A retry topic's mode cannot be set.
#[tokio::test]
async fn query_assignment_balances_queues_among_members_and_follows_the_mode() {
    let cluster = MockCluster::builder()
        .brokers(2)
        .start()
        .await
        .expect("starts");
    cluster.create_topic("A", 2);
    let addr = cluster.broker("broker-a").expect("a").addr();
    let (c1, c2) = (connect(addr).await, connect(addr).await);
    call(&c1, heartbeat_of("c1", &["A"], None, false)).await;
    call(&c2, heartbeat_of("c2", &["A"], None, false)).await;

    let pull = |b: &str, q: i64| (b.to_owned(), q, "PULL".to_owned());
    let first = assignments(&call(&c1, query_assignment("c1", "AVG", "CLUSTERING")).await);
    assert_eq!(first, Some(vec![pull("broker-a", 0), pull("broker-a", 1)]));
    let second = assignments(&call(&c2, query_assignment("c2", "AVG", "CLUSTERING")).await);
    assert_eq!(second, Some(vec![pull("broker-b", 0), pull("broker-b", 1)]));
    let circle =
        assignments(&call(&c1, query_assignment("c1", "AVG_BY_CIRCLE", "CLUSTERING")).await);
    assert_eq!(circle, Some(vec![pull("broker-a", 0), pull("broker-b", 0)]));
    let all = assignments(&call(&c1, query_assignment("c1", "AVG", "BROADCASTING")).await);
    assert_eq!(all.map(|a| a.len()), Some(4));
    let unknown = call(&c1, query_assignment("c1", "NO_SUCH", "CLUSTERING")).await;
    assert_eq!(assignments(&unknown), None);

    let answer = call(&c1, set_mode("A", "POP")).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    let pop = assignments(&call(&c1, query_assignment("c1", "AVG", "CLUSTERING")).await);
    let whole = |b: &str| (b.to_owned(), -1, "POP".to_owned());
    assert_eq!(pop, Some(vec![whole("broker-a"), whole("broker-b")]));

    let retry = call(&c1, set_mode("%RETRY%G", "POP")).await;
    assert_eq!(retry.response_code(), ResponseCode::NO_PERMISSION);
    assert_eq!(
        retry.remark.as_deref(),
        Some("retry topic is not allowed to set mode")
    );
    let missing = call(&c1, set_mode("Nope", "POP")).await;
    assert_eq!(missing.response_code(), ResponseCode::TOPIC_NOT_EXIST);
    assert_eq!(missing.remark.as_deref(), Some("topic[Nope] not exist"));
    cluster.shutdown().await;
}
