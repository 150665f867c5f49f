//! Heartbeat V2 on the wire: the exact bodies a scripted `MockServer` receives when it answers
//! as a 5.x broker (announcing V2) or as a 4.x broker (announcing nothing), and a round trip
//! with the embedded testkit broker, which serves V2 as Java 5.3.3 does.

use std::time::Duration;

use rmq_protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, JsonBody, MessageModel,
    SubscriptionData,
};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};

use super::{IS_SUB_CHANGE, IS_SUPPORT_HEART_BEAT_V2};
use crate::{ClientConfig, ClientInstance};

const TIMEOUT: Duration = Duration::from_secs(5);

fn data(group: &str, topic: &str) -> HeartbeatData {
    HeartbeatData {
        client_id: "127.0.0.1@hb".into(),
        consumer_data_set: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_type: ConsumeType::Passively,
            group_name: group.into(),
            message_model: MessageModel::Clustering,
            subscription_data_set: vec![SubscriptionData {
                topic: topic.into(),
                sub_string: "*".into(),
                expression_type: "TAG".into(),
                sub_version: 1,
                ..SubscriptionData::default()
            }],
            unit_mode: false,
        }],
        ..HeartbeatData::default()
    }
}

/// A broker answering heartbeats with `ext` fields (none for a 4.x broker).
async fn broker(ext: &'static [(&'static str, &'static str)]) -> MockServer {
    MockServer::start(move |req: &Command| {
        let mut response = Command::response(ResponseCode::SUCCESS, None);
        if req.request_code() == RequestCode::HEART_BEAT {
            for (k, v) in ext {
                response = response.with_ext(*k, *v);
            }
        }
        Reply::Respond(response)
    })
    .await
    .expect("mock broker")
}

fn instance(namesrv: &str) -> ClientInstance {
    let config = ClientConfig::builder()
        .namesrv(namesrv)
        .build()
        .expect("config");
    ClientInstance::new(config).expect("instance")
}

/// The heartbeat bodies the server received, in order.
fn heartbeats(server: &MockServer) -> Vec<HeartbeatData> {
    server
        .requests()
        .iter()
        .filter(|r| r.request_code() == RequestCode::HEART_BEAT)
        .map(|r| HeartbeatData::from_json(&r.body).expect("heartbeat body"))
        .collect()
}

const V2: &[(&str, &str)] = &[(IS_SUPPORT_HEART_BEAT_V2, "true"), (IS_SUB_CHANGE, "false")];

/// First heartbeat full (with the fingerprint), second light (`withoutSub`, no subscriptions),
/// a changed subscription full again with a new fingerprint, then light again.
#[tokio::test]
async fn unchanged_subscriptions_go_light_and_a_change_goes_full() {
    let server = broker(V2).await;
    let client = instance(&server.addr());
    let addr = server.addr();
    let a = data("g", "A");
    client
        .heartbeat_v2(&addr, &a, TIMEOUT)
        .await
        .expect("first");
    assert!(client.broker_supports_heartbeat_v2(&addr));
    client
        .heartbeat_v2(&addr, &a, TIMEOUT)
        .await
        .expect("second");
    let b = data("g", "B");
    client
        .heartbeat_v2(&addr, &b, TIMEOUT)
        .await
        .expect("changed");
    client
        .heartbeat_v2(&addr, &b, TIMEOUT)
        .await
        .expect("light again");
    let sent = heartbeats(&server);
    assert_eq!(sent.len(), 4);
    let subs = |h: &HeartbeatData| h.consumer_data_set[0].subscription_data_set.len();
    assert_eq!((sent[0].without_sub, subs(&sent[0])), (None, 1));
    assert_eq!((sent[1].without_sub, subs(&sent[1])), (Some(true), 0));
    assert_eq!((sent[2].without_sub, subs(&sent[2])), (None, 1));
    assert_eq!(
        sent[2].consumer_data_set[0].subscription_data_set[0].topic,
        "B"
    );
    assert_eq!((sent[3].without_sub, subs(&sent[3])), (Some(true), 0));
    assert_eq!(sent[0].heartbeat_fingerprint, sent[1].heartbeat_fingerprint);
    assert_ne!(sent[1].heartbeat_fingerprint, sent[2].heartbeat_fingerprint);
    assert!(sent
        .iter()
        .all(|h| h.heartbeat_fingerprint.is_some_and(|f| f != 0)));
    assert!(sent
        .iter()
        .all(|h| h.consumer_data_set[0].group_name == "g"));
}

/// A broker that does not announce V2 (4.x) gets the full subscription data every time.
#[tokio::test]
async fn a_broker_without_v2_keeps_getting_full_heartbeats() {
    let server = broker(&[]).await;
    let client = instance(&server.addr());
    let addr = server.addr();
    for _ in 0..3 {
        client
            .heartbeat_v2(&addr, &data("g", "A"), TIMEOUT)
            .await
            .expect("heartbeat");
    }
    assert!(!client.broker_supports_heartbeat_v2(&addr));
    let sent = heartbeats(&server);
    assert_eq!(sent.len(), 3);
    for h in &sent {
        assert_eq!(h.without_sub, None);
        assert_eq!(h.consumer_data_set[0].subscription_data_set.len(), 1);
    }
}

/// `IS_SUB_CHANGE` from the broker (it lost the group, say) makes the next heartbeat full.
#[tokio::test]
async fn the_brokers_sub_change_brings_the_full_heartbeat_back() {
    const CHANGED: &[(&str, &str)] = &[(IS_SUPPORT_HEART_BEAT_V2, "true"), (IS_SUB_CHANGE, "true")];
    let server = broker(CHANGED).await;
    let client = instance(&server.addr());
    let addr = server.addr();
    for _ in 0..2 {
        client
            .heartbeat_v2(&addr, &data("g", "A"), TIMEOUT)
            .await
            .expect("heartbeat");
    }
    let sent = heartbeats(&server);
    assert!(sent.iter().all(|h| h.without_sub.is_none()), "{sent:?}");
}

/// The testkit serves V2: after a full and a light heartbeat the client is still a member of
/// the group, and the broker is recorded as supporting V2.
#[tokio::test]
async fn the_testkit_accepts_a_light_heartbeat_and_keeps_the_member() {
    let cluster = rmq_testkit::MockCluster::builder()
        .brokers(1)
        .start()
        .await
        .expect("cluster");
    let broker = cluster.broker("broker-a").expect("broker");
    let addr = broker.addr().to_string();
    let client = instance(&cluster.namesrv_addr());
    let a = data("hb_v2_group", "A");
    client.heartbeat_v2(&addr, &a, TIMEOUT).await.expect("full");
    client
        .heartbeat_v2(&addr, &a, TIMEOUT)
        .await
        .expect("light");
    assert!(client.broker_supports_heartbeat_v2(&addr));
    assert_eq!(
        broker.consumer_ids("hb_v2_group"),
        vec!["127.0.0.1@hb".to_owned()]
    );
    assert_eq!(broker.requests(RequestCode::HEART_BEAT), 2);
    client.shutdown().await;
    cluster.shutdown().await;
}
