//! `ClientApi` name-server RPCs against a scripted name server: what is sent (code, ext fields,
//! version, language) and how answers map to results and errors.

mod api_support;

use std::collections::BTreeMap;

use api_support::*;
use rmq_client_core::error::{Error, ErrorKind};
use rmq_protocol::{LanguageCode, RequestCode, ResponseCode};

/// fastjson's default form, as a < 4.9.4 name server writes it (captured from 4.9.7, v399).
const ROUTE_FASTJSON: &str = r#"{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;
/// The standard form a 4.9.7 name server sends to a version-407 client.
const ROUTE_STANDARD: &str = r#"{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;
/// GET_BROKER_CLUSTER_INFO as captured from a 4.9.7 name server.
const CLUSTER_FASTJSON: &str = r#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#;

#[tokio::test]
async fn topic_route_sends_version_407_and_asks_for_standard_json() {
    let fx = Fixture::answering(ok_with_body(ROUTE_STANDARD)).await;
    let route = fx
        .api
        .topic_route("TopicTest", TIMEOUT)
        .await
        .expect("route");
    let route = route.expect("topic exists");
    assert_eq!(route.broker_datas[0].master_addr(), Some("127.0.0.1:10911"));
    assert_eq!(route.queue_datas[0].write_queue_nums, 4);

    let request = fx.request();
    assert_eq!(request.request_code(), RequestCode::GET_ROUTEINFO_BY_TOPIC);
    assert_eq!(request.version, 407);
    assert_eq!(request.language, LanguageCode::JAVA);
    assert_eq!(
        ext(&request),
        fields(&[("topic", "TopicTest"), ("acceptStandardJsonOnly", "true")])
    );
}

#[tokio::test]
async fn topic_route_reads_the_fastjson_form_of_old_name_servers() {
    let standard = Fixture::answering(ok_with_body(ROUTE_STANDARD)).await;
    let fastjson = Fixture::answering(ok_with_body(ROUTE_FASTJSON)).await;
    let a = standard
        .api
        .topic_route("T", TIMEOUT)
        .await
        .expect("standard");
    let b = fastjson
        .api
        .topic_route("T", TIMEOUT)
        .await
        .expect("fastjson");
    assert!(a.is_some());
    assert_eq!(a, b);
}

#[tokio::test]
async fn topic_route_of_an_unknown_topic_is_none() {
    let fx = Fixture::answering(respond(
        ResponseCode::TOPIC_NOT_EXIST,
        Some("No topic route info in name server for the topic: T"),
    ))
    .await;
    assert_eq!(
        fx.api.topic_route("T", TIMEOUT).await.expect("no error"),
        None
    );
}

#[tokio::test]
async fn topic_route_failure_keeps_code_and_remark() {
    let fx = Fixture::answering(respond(
        ResponseCode::SYSTEM_ERROR,
        Some("name server not ready"),
    ))
    .await;
    let err = fx
        .api
        .topic_route("T", TIMEOUT)
        .await
        .expect_err("system error");
    assert_eq!(err.kind(), ErrorKind::Broker(ResponseCode::SYSTEM_ERROR));
    match err {
        Error::Broker { addr, code, remark } => {
            assert_eq!(addr, fx.addr);
            assert_eq!(code, ResponseCode::SYSTEM_ERROR);
            assert_eq!(remark.as_deref(), Some("name server not ready"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn topic_route_success_without_body_is_a_bad_answer() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    let err = fx.api.topic_route("T", TIMEOUT).await.expect_err("no body");
    assert!(matches!(err, Error::BadAnswer { .. }), "{err:?}");
}

#[tokio::test]
async fn cluster_info_reads_bare_integer_keys() {
    let fx = Fixture::answering(ok_with_body(CLUSTER_FASTJSON)).await;
    let info = fx.api.cluster_info(TIMEOUT).await.expect("cluster info");
    assert_eq!(info.cluster_addr_table["DefaultCluster"], ["broker-a"]);
    assert_eq!(
        info.broker_addr_table["broker-a"].master_addr(),
        Some("127.0.0.1:10911")
    );
    let request = fx.request();
    assert_eq!(request.request_code(), RequestCode::GET_BROKER_CLUSTER_INFO);
    assert!(request.ext_fields.is_empty());
}

#[tokio::test]
async fn topic_lists_come_from_the_topic_list_body() {
    let fx = Fixture::answering(ok_with_body(r#"{"topicList":["TopicTest","TBW102"]}"#)).await;
    assert_eq!(
        fx.api.all_topics(TIMEOUT).await.expect("all"),
        ["TopicTest", "TBW102"]
    );
    assert_eq!(
        fx.api
            .topics_by_cluster("DefaultCluster", TIMEOUT)
            .await
            .expect("by cluster"),
        ["TopicTest", "TBW102"]
    );
    let requests = fx.server.requests();
    assert_eq!(
        requests[0].request_code(),
        RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER
    );
    assert_eq!(
        requests[1].request_code(),
        RequestCode::GET_TOPICS_BY_CLUSTER
    );
    assert_eq!(ext(&requests[1]), fields(&[("cluster", "DefaultCluster")]));
}

#[tokio::test]
async fn kv_config_get_reads_the_value_field_and_maps_not_found_to_none() {
    let fx = Fixture::answering(ok_with_ext(&[("value", "broker-a:4")])).await;
    let value = fx
        .api
        .kv_config_get("ORDER_TOPIC_CONFIG", "T", TIMEOUT)
        .await
        .expect("get");
    assert_eq!(value.as_deref(), Some("broker-a:4"));
    assert_request(
        &fx.request(),
        RequestCode::GET_KV_CONFIG,
        &[("namespace", "ORDER_TOPIC_CONFIG"), ("key", "T")],
    );

    fx.answer_with(respond(
        ResponseCode::QUERY_NOT_FOUND,
        Some("No config item"),
    ));
    assert_eq!(
        fx.api
            .kv_config_get("ns", "missing", TIMEOUT)
            .await
            .expect("absent"),
        None
    );
}

#[tokio::test]
async fn kv_config_put_and_delete_go_to_every_name_server() {
    let first = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    let second = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    first
        .api
        .remoting()
        .namesrv()
        .update([first.addr.clone(), second.addr.clone()]);

    first
        .api
        .kv_config_put("ns", "k", "v", TIMEOUT)
        .await
        .expect("put");
    first
        .api
        .kv_config_delete("ns", "k", TIMEOUT)
        .await
        .expect("delete");
    for server in [&first.server, &second.server] {
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].request_code(), RequestCode::PUT_KV_CONFIG);
        assert_eq!(
            ext(&requests[0]),
            fields(&[("namespace", "ns"), ("key", "k"), ("value", "v")])
        );
        assert_eq!(requests[1].request_code(), RequestCode::DELETE_KV_CONFIG);
        assert_eq!(
            ext(&requests[1]),
            fields(&[("namespace", "ns"), ("key", "k")])
        );
    }
}

#[tokio::test]
async fn a_write_refused_by_one_name_server_still_reaches_the_others() {
    let refusing = Fixture::answering(respond(ResponseCode::SYSTEM_ERROR, Some("disk full"))).await;
    let accepting = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    refusing
        .api
        .remoting()
        .namesrv()
        .update([refusing.addr.clone(), accepting.addr.clone()]);
    let err = refusing
        .api
        .delete_topic_in_namesrv("T", Some("c1"), TIMEOUT)
        .await
        .expect_err("one refused");
    assert_eq!(err.response_code(), Some(ResponseCode::SYSTEM_ERROR));
    assert_request(
        &accepting.request(),
        RequestCode::DELETE_TOPIC_IN_NAMESRV,
        &[("topic", "T"), ("clusterName", "c1")],
    );
}

#[tokio::test]
async fn kv_list_reads_the_table_and_treats_not_found_as_empty() {
    let fx = Fixture::answering(ok_with_body(r#"{"table":{"k1":"v1","键":"值"}}"#)).await;
    let table = fx
        .api
        .kv_list_by_namespace("ns", TIMEOUT)
        .await
        .expect("list");
    assert_eq!(table["键"], "值");
    assert_eq!(ext(&fx.request()), fields(&[("namespace", "ns")]));
    fx.answer_with(respond(ResponseCode::QUERY_NOT_FOUND, None));
    assert!(fx
        .api
        .kv_list_by_namespace("ns", TIMEOUT)
        .await
        .expect("empty")
        .is_empty());
}

#[tokio::test]
async fn write_perm_changes_return_the_affected_topic_count() {
    let fx = Fixture::start(|request| {
        let field = if request.request_code() == RequestCode::WIPE_WRITE_PERM_OF_BROKER {
            "wipeTopicCount"
        } else {
            "addTopicCount"
        };
        rmq_remoting::testing::Reply::Respond(ok_with_ext(&[(field, "7")]))
    })
    .await;
    assert_eq!(
        fx.api
            .wipe_write_perm(&fx.addr, "broker-a", TIMEOUT)
            .await
            .expect("wipe"),
        7
    );
    assert_eq!(
        fx.api
            .add_write_perm(&fx.addr, "broker-a", TIMEOUT)
            .await
            .expect("add"),
        7
    );
    let requests = fx.server.requests();
    assert_eq!(
        requests[0].request_code(),
        RequestCode::WIPE_WRITE_PERM_OF_BROKER
    );
    assert_eq!(
        requests[1].request_code(),
        RequestCode::ADD_WRITE_PERM_OF_BROKER
    );
    for request in &requests {
        assert_eq!(ext(request), fields(&[("brokerName", "broker-a")]));
    }
}

#[tokio::test]
async fn namesrv_config_travels_as_properties_text() {
    let fx = Fixture::answering(ok_with_body("rocketmqHome=/opt/rmq\nlistenPort=9876\n")).await;
    let config = fx
        .api
        .namesrv_config_get(&fx.addr, TIMEOUT)
        .await
        .expect("get");
    assert_eq!(config["listenPort"], "9876");
    let update = BTreeMap::from([("orderMessageEnable".to_owned(), "true".to_owned())]);
    fx.api
        .namesrv_config_update(&fx.addr, &update, TIMEOUT)
        .await
        .expect("update");
    let requests = fx.server.requests();
    assert_eq!(requests[0].request_code(), RequestCode::GET_NAMESRV_CONFIG);
    assert_eq!(
        requests[1].request_code(),
        RequestCode::UPDATE_NAMESRV_CONFIG
    );
    assert_eq!(&requests[1].body[..], b"orderMessageEnable=true\n");
}
