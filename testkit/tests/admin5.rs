//! The 5.x admin requests over TCP, as Java 5.3.3 answers them: a static topic's mapping in
//! GET_TOPIC_CONFIG and in the route, a live consumer's subscription, group configs, the
//! store-maintenance requests' refusals, and ACL 2.0 bodies.

mod common;

use common::{call, connect, consumer_heartbeat};
use rmq_protocol::body::{
    AclInfo, CheckRocksdbCqWriteResult, JsonBody, LogicQueueMappingItem,
    QuerySubscriptionResponseBody, TopicConfigAndQueueMapping, TopicQueueMappingDetail,
    TopicRouteData, UserInfo,
};
use rmq_protocol::header::{
    CheckRocksdbCqWriteProgressRequestHeader, CreateAclRequestHeader,
    CreateStaticTopicRequestHeader, CreateUserRequestHeader, GetAclRequestHeader,
    GetRouteInfoRequestHeader, GetTopicConfigRequestHeader,
    QuerySubscriptionByConsumerRequestHeader, SetCommitLogReadModeRequestHeader,
};
use rmq_protocol::{perm, Command, RequestCode, ResponseCode};
use rmq_testkit::MockCluster;

fn static_topic(topic: &str, bname: &str, epoch: i64, queues: &[i32]) -> Command {
    let detail = TopicQueueMappingDetail {
        topic: topic.into(),
        total_queues: 4,
        bname: bname.into(),
        epoch,
        curr_id_map: queues
            .iter()
            .enumerate()
            .map(|(i, q)| (*q, i as i32))
            .collect(),
        hosted_queues: queues
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let item = LogicQueueMappingItem {
                    queue_id: i as i32,
                    bname: bname.into(),
                    ..LogicQueueMappingItem::default()
                };
                (*q, vec![item])
            })
            .collect(),
        ..TopicQueueMappingDetail::default()
    };
    Command::request(RequestCode::UPDATE_AND_CREATE_STATIC_TOPIC)
        .with_header(&CreateStaticTopicRequestHeader {
            topic: topic.into(),
            default_topic: "TBW102".into(),
            read_queue_nums: queues.len() as i32,
            write_queue_nums: queues.len() as i32,
            perm: perm::READ_WRITE,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: Some(0),
            order: false,
            force: Some(false),
        })
        .with_body(detail.to_json().expect("encodes"))
}

fn topic_config(topic: &str, lo: bool) -> Command {
    Command::request(RequestCode::GET_TOPIC_CONFIG).with_header(&GetTopicConfigRequestHeader {
        topic: topic.into(),
        lo: Some(lo),
    })
}

/// A static topic's mapping: GET_TOPIC_CONFIG carries it with `lo=true` only; the route
/// carries its info (no hosted queues) by broker name; an older epoch is refused as Java
/// refuses it.
#[tokio::test]
async fn static_topic_mapping_in_topic_config_and_route() {
    let cluster = MockCluster::builder()
        .brokers(1)
        .start()
        .await
        .expect("starts");
    let broker = &cluster.brokers()[0];
    let conn = connect(broker.addr()).await;
    let answer = call(&conn, static_topic("S", broker.name(), 10, &[0, 2])).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS, "{answer:?}");

    let answer = call(&conn, topic_config("S", true)).await;
    let config = TopicConfigAndQueueMapping::from_json(&answer.body).expect("decodes");
    assert_eq!(config.config.config.write_queue_nums, 2);
    let mapping = config.mapping_detail.expect("lo=true carries the mapping");
    assert_eq!(mapping.epoch, 10);
    assert_eq!(
        mapping.hosted_queues.keys().copied().collect::<Vec<_>>(),
        [0, 2]
    );
    let answer = call(&conn, topic_config("S", false)).await;
    let config = TopicConfigAndQueueMapping::from_json(&answer.body).expect("decodes");
    assert!(config.mapping_detail.is_none());

    let answer = call(&conn, static_topic("S", broker.name(), 9, &[0, 2])).await;
    assert_eq!(answer.response_code(), ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("Can't accept data with small epoch 9 < 10")
    );

    let ns = connect(cluster.namesrv().addr()).await;
    let answer = call(
        &ns,
        Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(
            &GetRouteInfoRequestHeader {
                topic: "S".into(),
                accept_standard_json_only: None,
            },
        ),
    )
    .await;
    let route = TopicRouteData::from_json(&answer.body).expect("route");
    let infos = route.topic_queue_mapping_by_broker.expect("mapping infos");
    let info = &infos[broker.name()];
    assert_eq!(info["epoch"], 10);
    assert_eq!(info["totalQueues"], 4);
    assert!(info.get("hostedQueues").is_none(), "{info}");
    let answer = call(&conn, topic_config("T-none", true)).await;
    assert_eq!(answer.response_code(), ResponseCode::TOPIC_NOT_EXIST);
    cluster.shutdown().await;
}

/// QUERY_SUBSCRIPTION_BY_CONSUMER answers a live consumer's subscription, and none for a
/// topic it does not subscribe to.
#[tokio::test]
async fn subscription_of_a_live_consumer() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.brokers()[0].addr()).await;
    let answer = call(&conn, consumer_heartbeat("c1", "G", "T")).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let query = |topic: &str| {
        Command::request(RequestCode::QUERY_SUBSCRIPTION_BY_CONSUMER).with_header(
            &QuerySubscriptionByConsumerRequestHeader {
                group: "G".into(),
                topic: Some(topic.into()),
            },
        )
    };
    let answer = call(&conn, query("T")).await;
    let body = QuerySubscriptionResponseBody::from_json(&answer.body).expect("decodes");
    assert_eq!(body.group.as_deref(), Some("G"));
    let data = body.subscription_data.expect("subscribed");
    assert_eq!(data.topic, "T");
    let answer = call(&conn, query("U")).await;
    let body = QuerySubscriptionResponseBody::from_json(&answer.body).expect("decodes");
    assert!(body.subscription_data.is_none());
    cluster.shutdown().await;
}

/// The read-ahead mode accepts 0 and 1 only; the RocksDB check is in progress at once.
#[tokio::test]
async fn store_maintenance_answers() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.brokers()[0].addr()).await;
    let mode = |m: &str| {
        Command::request(RequestCode::SET_COMMITLOG_READ_MODE).with_header(
            &SetCommitLogReadModeRequestHeader {
                read_ahead_mode: m.into(),
            },
        )
    };
    let answer = call(&conn, mode("1")).await;
    assert_eq!(
        answer.remark.as_deref(),
        Some("set commitlog readahead mode success, mode: 1")
    );
    let answer = call(&conn, mode("7")).await;
    assert_eq!(answer.response_code(), ResponseCode::INVALID_PARAMETER);
    let answer = call(
        &conn,
        Command::request(RequestCode::CHECK_ROCKSDB_CQ_WRITE_PROGRESS).with_header(
            &CheckRocksdbCqWriteProgressRequestHeader {
                topic: "T".into(),
                check_store_time: 0,
            },
        ),
    )
    .await;
    let result = CheckRocksdbCqWriteResult::from_json(&answer.body).expect("decodes");
    assert_eq!(result.status_name(), "CHECK_IN_PROGRESS");
    cluster.shutdown().await;
}

/// ACL 2.0: a user's ACL is answered with the policy type and names Java writes (defaults
/// filled, names normalized); an invalid source IP is refused with Java's message.
#[tokio::test]
async fn acl_answers_use_java_names() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.brokers()[0].addr()).await;
    let user = UserInfo {
        username: Some("u".into()),
        password: Some("p".into()),
        ..UserInfo::default()
    };
    let answer = call(
        &conn,
        Command::request(RequestCode::AUTH_CREATE_USER)
            .with_header(&CreateUserRequestHeader {
                username: "u".into(),
            })
            .with_body(user.to_json().expect("encodes")),
    )
    .await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS, "{answer:?}");
    let create = |ip: &str| {
        let acl = AclInfo::of(
            "User:u",
            &["Topic:t".into()],
            &["pub".into()],
            &[ip.into()],
            "allow",
        );
        Command::request(RequestCode::AUTH_CREATE_ACL)
            .with_header(&CreateAclRequestHeader {
                subject: "User:u".into(),
            })
            .with_body(acl.to_json().expect("encodes"))
    };
    let answer = call(&conn, create("10.0.0.0/40")).await;
    assert_eq!(answer.response_code(), ResponseCode::NO_PERMISSION);
    assert_eq!(answer.remark.as_deref(), Some("The source ip is invalid."));
    let answer = call(&conn, create("10.0.0.0/8")).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS, "{answer:?}");
    let answer = call(
        &conn,
        Command::request(RequestCode::AUTH_GET_ACL).with_header(&GetAclRequestHeader {
            subject: "User:u".into(),
        }),
    )
    .await;
    let acl = AclInfo::from_json(&answer.body).expect("decodes");
    let policy = &acl.policies[0];
    assert_eq!(policy.policy_type.as_deref(), Some("Custom"));
    assert_eq!(policy.entries[0].actions, ["Pub"]);
    assert_eq!(policy.entries[0].decision.as_deref(), Some("Allow"));
    cluster.shutdown().await;
}
