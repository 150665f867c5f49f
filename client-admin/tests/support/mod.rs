//! A scripted 5.x cluster on one [`MockServer`]: it answers as the name server (cluster info,
//! routes), as broker `broker-a` of cluster `c` (runtime info with a chosen version) and, for
//! everything else, with what the test's script says; the admin under test is connected to it.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use rmq_client_admin::Admin;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};

/// The cluster and broker group the fixture serves.
pub const CLUSTER: &str = "c";
/// The broker group name.
pub const BROKER: &str = "broker-a";

/// What the test answers to one request, given the fixture's own address; `None` means
/// `SUCCESS` with no body.
pub type Script = dyn Fn(&Command, &str) -> Option<Reply> + Send + Sync;

/// A running mock cluster and an admin connected to it.
pub struct Fixture {
    /// The scripted peer (name server and broker at once).
    pub server: MockServer,
    /// The admin under test.
    pub admin: Admin,
}

impl Fixture {
    /// The broker's (and name server's) address.
    pub fn addr(&self) -> String {
        self.server.addr()
    }

    /// Every request received with `code`.
    pub fn requests(&self, code: RequestCode) -> Vec<Command> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.code == code.0)
            .collect()
    }

    /// The one request received with `code` (fails the test otherwise).
    pub fn only(&self, code: RequestCode) -> Command {
        let mut all = self.requests(code);
        assert_eq!(
            all.len(),
            1,
            "expected one {code} request, got {}",
            all.len()
        );
        all.remove(0)
    }

    /// The body of the one `code` request as JSON.
    pub fn body_json(&self, code: RequestCode) -> serde_json::Value {
        serde_json::from_slice(&self.only(code).body).expect("request body is JSON")
    }

    /// Stops the admin, then the server.
    pub async fn stop(self) {
        self.admin.shutdown().await;
        self.server.shutdown().await;
    }
}

/// Starts a cluster whose broker reports `version` (`V5_3_3`, `V4_9_7`..., or a bare ordinal
/// such as `399`) and answers the rest with `script`.
pub async fn start(
    version: &'static str,
    script: impl Fn(&Command) -> Option<Reply> + Send + Sync + 'static,
) -> Fixture {
    start_knowing_addr(version, move |req, _| script(req)).await
}

/// As [`start`], for scripts that need the fixture's own address (a controller naming itself
/// leader).
pub async fn start_knowing_addr(
    version: &'static str,
    script: impl Fn(&Command, &str) -> Option<Reply> + Send + Sync + 'static,
) -> Fixture {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("bind 127.0.0.1:0");
    let addr = server.addr();
    let script: Arc<Script> = Arc::new(script);
    server.set_handler(move |req| answer(req, &addr, version, &*script));
    let admin = Admin::builder()
        .namesrv(server.addr())
        .timeout(Duration::from_secs(3))
        .build()
        .await
        .expect("admin starts");
    Fixture { server, admin }
}

/// `SUCCESS` with `body`.
pub fn ok_body(req: &Command, body: impl Into<Vec<u8>>) -> Reply {
    Reply::Respond(Command::response_to(req, ResponseCode::SUCCESS, None).with_body(body.into()))
}

/// What a 4.x broker answers to a code it does not know (Java `NettyRemotingAbstract`).
pub fn not_supported(req: &Command) -> Reply {
    Reply::Respond(Command::response_to(
        req,
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
        Some(format!(" request type {} not supported", req.code)),
    ))
}

fn answer(req: &Command, addr: &str, version: &str, script: &Script) -> Reply {
    let code = RequestCode(req.code);
    if code == RequestCode::GET_BROKER_CLUSTER_INFO {
        return ok_body(
            req,
            format!(
                r#"{{"brokerAddrTable":{{"{BROKER}":{{"brokerAddrs":{{0:"{addr}"}},"brokerName":"{BROKER}","cluster":"{CLUSTER}"}}}},"clusterAddrTable":{{"{CLUSTER}":["{BROKER}"]}}}}"#
            ),
        );
    }
    if code == RequestCode::GET_ROUTEINFO_BY_TOPIC {
        return ok_body(
            req,
            format!(
                r#"{{"brokerDatas":[{{"brokerAddrs":{{0:"{addr}"}},"brokerName":"{BROKER}","cluster":"{CLUSTER}"}}],"queueDatas":[{{"brokerName":"{BROKER}","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}}]}}"#
            ),
        );
    }
    if code == RequestCode::GET_BROKER_RUNTIME_INFO {
        // A version name goes in `brokerVersionDesc`; a bare ordinal alone in `brokerVersion`
        // (what brokers without the description report).
        let table = if version.starts_with('V') {
            format!(r#"{{"brokerVersionDesc":"{version}","brokerVersion":"0"}}"#)
        } else {
            format!(r#"{{"brokerVersion":"{version}"}}"#)
        };
        return ok_body(req, format!(r#"{{"table":{table}}}"#));
    }
    script(req, addr)
        .unwrap_or_else(|| Reply::Respond(Command::response_to(req, ResponseCode::SUCCESS, None)))
}
