//! The name server over TCP: routes, the auto-create default topic, cluster info, topic lists,
//! KV config, its own config, routes with a broker removed, and unknown codes.

mod common;

use common::{call, connect};
use rmq_protocol::body::{ClusterInfo, JsonBody, KvTable, TopicList, TopicRouteData};
use rmq_protocol::header::{
    GetKvConfigRequestHeader, GetKvConfigResponseHeader, GetRouteInfoRequestHeader,
    GetTopicsByClusterRequestHeader, PutKvConfigRequestHeader, WipeWritePermOfBrokerRequestHeader,
    WipeWritePermOfBrokerResponseHeader,
};
use rmq_protocol::{perm, Command, RequestCode, ResponseCode, SerializeType};
use rmq_testkit::MockCluster;

fn route_request(topic: &str) -> Command {
    let header = GetRouteInfoRequestHeader {
        topic: topic.into(),
        accept_standard_json_only: None,
    };
    Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&header)
}

/// A created topic is routed to every broker with its queue count.
#[tokio::test]
async fn route_lists_every_broker_with_its_queues() {
    let cluster = MockCluster::builder()
        .brokers(2)
        .start()
        .await
        .expect("starts");
    cluster.create_topic("Orders", 3);
    let conn = connect(cluster.namesrv().addr()).await;
    let answer = call(&conn, route_request("Orders")).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let route = TopicRouteData::from_json(&answer.body).expect("route body");
    let names: Vec<_> = route
        .broker_datas
        .iter()
        .map(|b| b.broker_name.as_str())
        .collect();
    assert_eq!(names, ["broker-a", "broker-b"]);
    let a = cluster.broker("broker-a").expect("broker-a");
    assert_eq!(
        route.broker_datas[0].master_addr(),
        Some(a.addr().to_string().as_str())
    );
    assert!(route
        .queue_datas
        .iter()
        .all(|q| q.write_queue_nums == 3 && q.perm == perm::READ_WRITE));
    assert_eq!(
        cluster
            .namesrv()
            .requests(RequestCode::GET_ROUTEINFO_BY_TOPIC),
        1
    );
}

/// An unknown topic is TOPIC_NOT_EXIST with Java's remark, in either header serialization.
#[tokio::test]
async fn unknown_topic_is_topic_not_exist_in_both_serializations() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.namesrv().addr()).await;
    for serialize_type in [SerializeType::Json, SerializeType::RocketMq] {
        let request = route_request("Nope").with_serialize_type(serialize_type);
        let answer = call(&conn, request).await;
        assert_eq!(answer.response_code(), ResponseCode::TOPIC_NOT_EXIST);
        assert_eq!(answer.serialize_type, serialize_type);
        let remark = answer.remark.unwrap_or_default();
        assert!(
            remark.starts_with("No topic route info in name server for the topic: Nope"),
            "{remark}"
        );
    }
}

/// With auto-create on, `TBW102` has a route a producer can build from; off, it has none.
#[tokio::test]
async fn default_topic_is_routed_only_with_auto_create() {
    let on = MockCluster::builder()
        .queues_per_topic(6)
        .start()
        .await
        .expect("starts");
    let conn = connect(on.namesrv().addr()).await;
    let answer = call(&conn, route_request("TBW102")).await;
    let route = TopicRouteData::from_json(&answer.body).expect("route body");
    assert_eq!(route.queue_datas[0].write_queue_nums, 6);
    assert!(perm::is_inherited(route.queue_datas[0].perm));

    let off = MockCluster::builder()
        .auto_create_topics(false)
        .start()
        .await
        .expect("starts");
    let conn = connect(off.namesrv().addr()).await;
    let answer = call(&conn, route_request("TBW102")).await;
    assert_eq!(answer.response_code(), ResponseCode::TOPIC_NOT_EXIST);
}

/// Cluster info names every broker under the cluster; topic lists follow the topics.
#[tokio::test]
async fn cluster_info_and_topic_lists() {
    let cluster = MockCluster::builder()
        .brokers(3)
        .cluster_name("C1")
        .start()
        .await
        .expect("starts");
    cluster.create_topic("T1", 1);
    let conn = connect(cluster.namesrv().addr()).await;
    let answer = call(
        &conn,
        Command::request(RequestCode::GET_BROKER_CLUSTER_INFO),
    )
    .await;
    let info = ClusterInfo::from_json(&answer.body).expect("cluster body");
    assert_eq!(
        info.cluster_addr_table["C1"],
        ["broker-a", "broker-b", "broker-c"]
    );
    assert_eq!(info.broker_addr_table.len(), 3);

    let all = call(
        &conn,
        Command::request(RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
    )
    .await;
    let all = TopicList::from_json(&all.body).expect("topic list");
    assert!(all.topic_list.contains(&"T1".to_owned()));
    let by_cluster = Command::request(RequestCode::GET_TOPICS_BY_CLUSTER).with_header(
        &GetTopicsByClusterRequestHeader {
            cluster: "C1".into(),
        },
    );
    let listed = TopicList::from_json(&call(&conn, by_cluster).await.body).expect("topic list");
    assert!(listed.topic_list.contains(&"T1".to_owned()));
}

/// A broker removed from routes vanishes from routes and cluster info until restored.
#[tokio::test]
async fn removed_broker_leaves_routes_until_restored() {
    let cluster = MockCluster::builder()
        .brokers(2)
        .start()
        .await
        .expect("starts");
    cluster.create_topic("T", 2);
    let conn = connect(cluster.namesrv().addr()).await;
    cluster
        .remove_from_routes("broker-a")
        .expect("known broker");
    let route =
        TopicRouteData::from_json(&call(&conn, route_request("T")).await.body).expect("route");
    assert_eq!(route.broker_datas.len(), 1);
    assert_eq!(route.broker_datas[0].broker_name, "broker-b");
    cluster.restore_routes("broker-a").expect("known broker");
    let route =
        TopicRouteData::from_json(&call(&conn, route_request("T")).await.body).expect("route");
    assert_eq!(route.broker_datas.len(), 2);
    assert!(cluster.remove_from_routes("broker-z").is_err());
}

/// KV config: put, get, list, delete; a missing key is QUERY_NOT_FOUND.
#[tokio::test]
async fn kv_config_round_trip() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.namesrv().addr()).await;
    let put = PutKvConfigRequestHeader {
        namespace: "NS".into(),
        key: "k".into(),
        value: "v".into(),
    };
    let answer = call(
        &conn,
        Command::request(RequestCode::PUT_KV_CONFIG).with_header(&put),
    )
    .await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let get = GetKvConfigRequestHeader {
        namespace: "NS".into(),
        key: "k".into(),
    };
    let answer = call(
        &conn,
        Command::request(RequestCode::GET_KV_CONFIG).with_header(&get),
    )
    .await;
    let value: GetKvConfigResponseHeader = answer.decode_header().expect("header");
    assert_eq!(value.value.as_deref(), Some("v"));
    let list = Command::request(RequestCode::GET_KVLIST_BY_NAMESPACE).with_ext("namespace", "NS");
    let table = KvTable::from_json(&call(&conn, list).await.body).expect("kv table");
    assert_eq!(table.table["k"], "v");
    let delete = Command::request(RequestCode::DELETE_KV_CONFIG).with_header(&get);
    assert!(call(&conn, delete).await.response_code().is_success());
    let answer = call(
        &conn,
        Command::request(RequestCode::GET_KV_CONFIG).with_header(&get),
    )
    .await;
    assert_eq!(answer.response_code(), ResponseCode::QUERY_NOT_FOUND);
}

/// Name-server config reads back what an update wrote.
#[tokio::test]
async fn namesrv_config_update_then_get() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.namesrv().addr()).await;
    let update = Command::request(RequestCode::UPDATE_NAMESRV_CONFIG)
        .with_body(&b"orderMessageEnable=true\n"[..]);
    assert!(call(&conn, update).await.response_code().is_success());
    let answer = call(&conn, Command::request(RequestCode::GET_NAMESRV_CONFIG)).await;
    let text = String::from_utf8(answer.body.to_vec()).expect("utf-8");
    assert!(text.contains("orderMessageEnable=true"), "{text}");
}

/// Wiping a broker's write permission reports the topics touched and shows in routes.
#[tokio::test]
async fn wipe_write_perm_counts_and_applies() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    cluster.create_topic("W", 1);
    let conn = connect(cluster.namesrv().addr()).await;
    let wipe = Command::request(RequestCode::WIPE_WRITE_PERM_OF_BROKER).with_header(
        &WipeWritePermOfBrokerRequestHeader {
            broker_name: "broker-a".into(),
        },
    );
    let answer = call(&conn, wipe).await;
    let count: WipeWritePermOfBrokerResponseHeader = answer.decode_header().expect("header");
    assert!(count.wipe_topic_count >= 1);
    let route =
        TopicRouteData::from_json(&call(&conn, route_request("W")).await.body).expect("route");
    assert!(!perm::is_writeable(route.queue_datas[0].perm));
}

/// A code the name server does not serve gets Java's REQUEST_CODE_NOT_SUPPORTED answer.
#[tokio::test]
async fn unknown_code_is_not_supported_not_a_hang() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.namesrv().addr()).await;
    let answer = call(&conn, Command::request(RequestCode(4242))).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED
    );
    assert_eq!(
        answer.remark.as_deref(),
        Some(" request type 4242 not supported")
    );
}

/// The name server's config reports the port it really listens on.
#[tokio::test]
async fn namesrv_config_reports_the_bound_port() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.namesrv().addr()).await;
    let answer = call(&conn, Command::request(RequestCode::GET_NAMESRV_CONFIG)).await;
    let text = String::from_utf8(answer.body.to_vec()).expect("utf-8");
    let port = cluster.namesrv().addr().port();
    assert!(text.contains(&format!("listenPort={port}\n")), "{text}");
}
