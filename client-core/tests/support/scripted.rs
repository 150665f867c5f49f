//! A scripted peer, name server and broker at once, for the tests that assert the exact
//! requests an instance sends (the heartbeat body) or answer it byte for byte; behaviour a
//! broker can show is tested against `rmq-testkit` instead.

use rmq_protocol::body::{BrokerData, JsonBody, QueueData, TopicRouteData};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};

/// The route the scripted peer serves for every topic: one broker `broker-a` at `addr`.
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

/// A scripted peer that is both the name server (a route to itself for every topic) and the
/// broker `broker-a` (every request answered SUCCESS), recording what it receives.
pub async fn scripted_peer() -> MockServer {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("mock server");
    let addr = server.addr();
    server.set_handler(move |req: &Command| match req.request_code() {
        RequestCode::GET_ROUTEINFO_BY_TOPIC => {
            let body = route_to(&addr).to_json().expect("route json");
            Reply::Respond(Command::response(ResponseCode::SUCCESS, None).with_body(body))
        }
        _ => Reply::success(),
    });
    server
}

/// Requests the peer received with `code`.
pub fn received(server: &MockServer, code: RequestCode) -> Vec<Command> {
    server
        .requests()
        .into_iter()
        .filter(|c| c.request_code() == code)
        .collect()
}
