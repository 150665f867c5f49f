//! Fakes for client-core's instance tests: a producer and a consumer that record what the
//! instance asks of them, and a scripted peer acting as name server and broker at once.
#![allow(dead_code)]

mod fakes;
pub use fakes::*;

use std::time::Duration;

use rmq_client_core::{ClientConfig, TaskSchedule};
use rmq_protocol::body::{BrokerData, JsonBody, QueueData, TopicRouteData};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};

/// The route `MockCluster` serves for every topic: one broker `broker-a` at its own address.
pub fn route_to(addr: &str) -> TopicRouteData {
    TopicRouteData {
        broker_datas: vec![BrokerData {
            broker_addrs: [(0, addr.to_owned())].into(),
            broker_name: "broker-a".into(),
            cluster: "c".into(),
            ..Default::default()
        }],
        queue_datas: vec![QueueData {
            broker_name: "broker-a".into(),
            perm: 6,
            read_queue_nums: 4,
            write_queue_nums: 4,
            topic_sys_flag: 0,
        }],
        ..Default::default()
    }
}

/// A scripted peer that is both the name server (routes for every topic but `missing`) and
/// the broker `broker-a` (heartbeat and unregister answer SUCCESS with version 407).
pub async fn mock_cluster() -> MockServer {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("mock server");
    let addr = server.addr();
    server.set_handler(move |req: &Command| match req.request_code() {
        RequestCode::GET_ROUTEINFO_BY_TOPIC => {
            if req.ext_fields.get("topic") == Some("missing") {
                return Reply::Respond(Command::response(
                    ResponseCode::TOPIC_NOT_EXIST,
                    Some("no route".into()),
                ));
            }
            let body = route_to(&addr).to_json().expect("route json");
            Reply::Respond(Command::response(ResponseCode::SUCCESS, None).with_body(body))
        }
        _ => Reply::success(),
    });
    server
}

/// A config for `namesrv` with short task periods.
pub fn config(namesrv: &str, instance: &str) -> ClientConfig {
    ClientConfig::builder()
        .namesrv(namesrv)
        .client_ip("127.0.0.1")
        .instance_name(instance)
        .shutdown_timeout(Duration::from_secs(3))
        .schedule(TaskSchedule {
            heartbeat_delay: Duration::from_millis(20),
            rebalance_period: Duration::from_millis(200),
            ..TaskSchedule::default()
        })
        .build()
        .expect("config")
}

/// Requests the peer received with `code`.
pub fn received(server: &MockServer, code: RequestCode) -> Vec<Command> {
    server
        .requests()
        .into_iter()
        .filter(|c| c.request_code() == code)
        .collect()
}

/// Polls `cond` every 10 ms for up to `within`.
pub async fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}
