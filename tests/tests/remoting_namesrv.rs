//! The remoting client against the real name server and broker started by `cargo xtask it`:
//! route and cluster queries in both header serializations, and the broker address parsed from
//! the route is the one xtask started.

use std::time::Duration;

use rmq_protocol::body::{from_fastjson, ClusterInfo, TopicRouteData};
use rmq_protocol::header::GetRouteInfoRequestHeader;
use rmq_protocol::{Command, RequestCode, ResponseCode, SerializeType};
use rmq_remoting::{RemotingClient, RemotingConfig};

const TIMEOUT: Duration = Duration::from_secs(5);

fn client(serialize_type: SerializeType) -> RemotingClient {
    let config = RemotingConfig::builder()
        .serialize_type(serialize_type)
        .build()
        .expect("config");
    RemotingClient::builder()
        .config(config)
        .namesrv([rmq_tests::namesrv_addr()])
        .build()
}

/// TBW102 is the auto-create template topic every broker with autoCreateTopicEnable registers.
async fn route(
    serialize_type: SerializeType,
    version: i32,
    standard_only: Option<bool>,
) -> (Command, TopicRouteData) {
    let remoting = client(serialize_type);
    let header = GetRouteInfoRequestHeader {
        topic: "TBW102".into(),
        accept_standard_json_only: standard_only,
    };
    let mut request = Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&header);
    request.version = version;
    let response = remoting
        .invoke_namesrv(request, TIMEOUT)
        .await
        .expect("route query");
    assert_eq!(
        response.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    let route = from_fastjson::<TopicRouteData>(&response.body).expect("route body parses");
    remoting.shutdown().await;
    (response, route)
}

#[tokio::test]
async fn route_query_in_json_names_the_broker_xtask_started() {
    let (response, route) = route(SerializeType::Json, 407, Some(true)).await;
    assert_eq!(response.serialize_type, SerializeType::Json);
    let masters: Vec<_> = route
        .broker_datas
        .iter()
        .filter_map(|b| b.master_addr())
        .collect();
    assert!(
        masters.contains(&rmq_tests::broker_addr().as_str()),
        "{masters:?}"
    );
    assert!(route.queue_datas.iter().all(|q| q.write_queue_nums > 0));
}

#[tokio::test]
async fn route_query_in_rocketmq_binary_headers_names_the_same_broker() {
    let (_, json) = route(SerializeType::Json, 407, Some(true)).await;
    let (_, binary) = route(SerializeType::RocketMq, 407, Some(true)).await;
    assert_eq!(json.broker_datas, binary.broker_datas);
}

/// Name servers >= 4.9.4 answer old clients (version < 401, no acceptStandardJsonOnly) with
/// fastjson's bare integer keys and new ones with quoted keys; both must parse to one route.
#[tokio::test]
async fn route_bodies_for_old_and_new_client_versions_parse_alike() {
    let (legacy_response, legacy) = route(SerializeType::Json, 317, None).await;
    let (_, standard) = route(SerializeType::Json, 407, Some(true)).await;
    assert_eq!(legacy.broker_datas, standard.broker_datas);
    let text = String::from_utf8_lossy(&legacy_response.body);
    assert!(text.contains("brokerAddrs"), "{text}");
}

#[tokio::test]
async fn cluster_info_in_both_serializations_lists_the_broker() {
    for serialize_type in [SerializeType::Json, SerializeType::RocketMq] {
        let remoting = client(serialize_type);
        let request = Command::request(RequestCode::GET_BROKER_CLUSTER_INFO);
        let response = remoting
            .invoke_namesrv(request, TIMEOUT)
            .await
            .expect("cluster info");
        assert_eq!(response.response_code(), ResponseCode::SUCCESS);
        let info = from_fastjson::<ClusterInfo>(&response.body).expect("cluster body parses");
        let brokers = &info.cluster_addr_table[&rmq_tests::cluster_name()];
        let addrs: Vec<_> = brokers
            .iter()
            .filter_map(|name| {
                info.broker_addr_table
                    .get(name)
                    .and_then(|b| b.master_addr())
            })
            .collect();
        assert!(
            addrs.contains(&rmq_tests::broker_addr().as_str()),
            "{serialize_type:?}: {addrs:?}"
        );
        remoting.shutdown().await;
    }
}
