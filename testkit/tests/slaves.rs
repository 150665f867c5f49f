//! Master/slave pairs over TCP: routes with both addresses, a slave refusing sends but serving
//! the master's messages, suggestWhichBrokerId both ways, and a slave outliving its master.

mod common;

use common::{call, connect, pull, send_v2};
use rmq_protocol::body::{JsonBody, TopicRouteData};
use rmq_protocol::header::{GetRouteInfoRequestHeader, PullMessageResponseHeader};
use rmq_protocol::message::PullSysFlag;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_testkit::MockCluster;

fn route(topic: &str) -> Command {
    Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&GetRouteInfoRequestHeader {
        topic: topic.into(),
        accept_standard_json_only: None,
    })
}

async fn routed(cluster: &MockCluster, topic: &str) -> Command {
    call(&connect(cluster.namesrv().addr()).await, route(topic)).await
}

/// The route lists the master as id 0 and the slave as id 1.
#[tokio::test]
async fn route_lists_master_and_slave() {
    let cluster = MockCluster::builder()
        .slaves(true)
        .start()
        .await
        .expect("starts");
    cluster.create_topic("MS", 2);
    let master = cluster.broker("broker-a").expect("master");
    let slave = cluster.slave("broker-a").expect("slave");
    assert_eq!((master.id(), slave.id()), (0, 1));
    let answer = routed(&cluster, "MS").await;
    let route = TopicRouteData::from_json(&answer.body).expect("route");
    let addrs = &route.broker_datas[0].broker_addrs;
    assert_eq!(addrs.get(&0), Some(&master.addr().to_string()));
    assert_eq!(addrs.get(&1), Some(&slave.addr().to_string()));
}

/// A slave refuses sends with SERVICE_NOT_AVAILABLE, serves the master's messages, tells the
/// consumer to go back to the master, and commits nothing from a pull.
#[tokio::test]
async fn slave_serves_master_messages_and_points_to_the_master() {
    let cluster = MockCluster::builder()
        .slaves(true)
        .start()
        .await
        .expect("starts");
    let master = cluster.broker("broker-a").expect("master");
    let slave = cluster.slave("broker-a").expect("slave");
    let to_slave = connect(slave.addr()).await;
    let answer = call(&to_slave, send_v2("MS", 0, "t", b"x")).await;
    assert_eq!(answer.response_code(), ResponseCode::SERVICE_NOT_AVAILABLE);

    let to_master = connect(master.addr()).await;
    assert!(call(&to_master, send_v2("MS", 0, "t", b"replicated"))
        .await
        .response_code()
        .is_success());
    let mut request = pull("G", "MS", 0, 0, 0);
    let flag = PullSysFlag::new()
        .with_subscription(true)
        .with_commit_offset(true);
    request
        .ext_fields
        .insert("sysFlag", flag.bits().to_string());
    request.ext_fields.insert("commitOffset", "1");
    let answer = call(&to_slave, request).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    assert_eq!(&common::messages(&answer)[0].body[..], b"replicated");
    let header: PullMessageResponseHeader = answer.decode_header().expect("header");
    assert_eq!(header.suggest_which_broker_id, 0);
    assert_eq!(master.committed_offset("G", "MS", 0), None);
}

/// A master suggests its slave when told the consumer lags, and the master again after.
#[tokio::test]
async fn master_suggests_the_slave_on_demand() {
    let cluster = MockCluster::builder()
        .slaves(true)
        .start()
        .await
        .expect("starts");
    let master = cluster.broker("broker-a").expect("master");
    let conn = connect(master.addr()).await;
    call(&conn, send_v2("MS", 0, "t", b"x")).await;
    let suggested = |answer: Command| {
        let header: PullMessageResponseHeader = answer.decode_header().expect("header");
        header.suggest_which_broker_id
    };
    assert_eq!(suggested(call(&conn, pull("G", "MS", 0, 0, 0)).await), 0);
    master.suggest_slave(true);
    assert_eq!(suggested(call(&conn, pull("G", "MS", 0, 0, 0)).await), 1);
    master.suggest_slave(false);
    assert_eq!(suggested(call(&conn, pull("G", "MS", 0, 0, 0)).await), 0);
}

/// With its master killed, a broker stays routed through its slave, which still serves pulls.
#[tokio::test]
async fn slave_outlives_its_master_in_routes() {
    let cluster = MockCluster::builder()
        .slaves(true)
        .start()
        .await
        .expect("starts");
    let master = cluster.broker("broker-a").expect("master");
    let slave = cluster.slave("broker-a").expect("slave");
    call(&connect(master.addr()).await, send_v2("MS", 0, "t", b"x")).await;
    master.kill();
    let answer = routed(&cluster, "MS").await;
    let route = TopicRouteData::from_json(&answer.body).expect("route");
    assert_eq!(route.broker_datas[0].master_addr(), None);
    assert_eq!(
        route.broker_datas[0].broker_addrs.get(&1),
        Some(&slave.addr().to_string())
    );
    let answer = call(&connect(slave.addr()).await, pull("G", "MS", 0, 0, 0)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    master.restart().await.expect("restarts");
    let answer = routed(&cluster, "MS").await;
    let route = TopicRouteData::from_json(&answer.body).expect("route");
    assert_eq!(
        route.broker_datas[0].master_addr(),
        Some(master.addr().to_string().as_str())
    );
}
