//! Shared fixture of the `api_*` tests: a scripted [`MockServer`] on 127.0.0.1 acting as name
//! server and broker, a [`ClientApi`] pointed at it, and helpers to build replies and compare
//! what was sent.
#![allow(dead_code)] // Each test binary uses a different subset.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rmq_client_core::api::ClientApi;
use rmq_protocol::{
    Command, LanguageCode, RequestCode, ResponseCode, SerializeType, StoredMessage,
};
use rmq_remoting::testing::{MockServer, Reply};
use rmq_remoting::RemotingClient;

/// Timeout for every call in these tests.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// A mock peer and an API whose only name server is that peer.
pub struct Fixture {
    /// The scripted peer.
    pub server: MockServer,
    /// The API under test.
    pub api: ClientApi,
    /// The peer's address.
    pub addr: String,
}

impl Fixture {
    /// Starts a peer answering with `handler`.
    pub async fn start<F>(handler: F) -> Fixture
    where
        F: Fn(&Command) -> Reply + Send + Sync + 'static,
    {
        let server = MockServer::start(handler).await.expect("bind 127.0.0.1");
        let addr = server.addr();
        let remoting = RemotingClient::builder().namesrv([addr.clone()]).build();
        let api = ClientApi::new(remoting, LanguageCode::JAVA, SerializeType::Json);
        Fixture { server, api, addr }
    }

    /// Starts a peer answering every request with `response`.
    pub async fn answering(response: Command) -> Fixture {
        Fixture::start(move |_| Reply::Respond(response.clone())).await
    }

    /// From now on, answers every request with `response`.
    pub fn answer_with(&self, response: Command) {
        self.server
            .set_handler(move |_| Reply::Respond(response.clone()));
    }

    /// The only request received so far.
    pub fn request(&self) -> Command {
        let requests = self.server.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request: {requests:?}"
        );
        requests.into_iter().next().expect("one request")
    }

    /// The codes of the requests received so far, in order.
    pub fn codes(&self) -> Vec<RequestCode> {
        self.server
            .requests()
            .iter()
            .map(Command::request_code)
            .collect()
    }

    /// Waits until `n` requests arrived (oneway requests get no answer to wait for).
    pub async fn wait_requests(&self, n: usize) -> Vec<Command> {
        for _ in 0..200 {
            let requests = self.server.requests();
            if requests.len() >= n {
                return requests;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("only {} requests arrived", self.server.requests().len());
    }
}

/// A response with `code` and `remark`.
pub fn respond(code: ResponseCode, remark: Option<&str>) -> Command {
    Command::response(code, remark.map(str::to_owned))
}

/// `SUCCESS` with `body`.
pub fn ok_with_body(body: &str) -> Command {
    respond(ResponseCode::SUCCESS, None).with_body(Bytes::copy_from_slice(body.as_bytes()))
}

/// `SUCCESS` with `ext` fields.
pub fn ok_with_ext(ext: &[(&str, &str)]) -> Command {
    let mut cmd = respond(ResponseCode::SUCCESS, None);
    for (k, v) in ext {
        cmd.ext_fields.insert(*k, *v);
    }
    cmd
}

/// The ext fields of `cmd` as a sorted map.
pub fn ext(cmd: &Command) -> BTreeMap<String, String> {
    cmd.ext_fields
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Asserts that `request` has `code` and exactly the ext fields `pairs`.
pub fn assert_request(request: &Command, code: RequestCode, pairs: &[(&str, &str)]) {
    assert_eq!(request.request_code(), code, "{request:?}");
    assert_eq!(ext(request), fields(pairs), "the fields of {code:?}");
}

/// `pairs` as a sorted map.
pub fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// `records` in the store's format, one after the other, as a pull, pop or query answer
/// carries them.
pub fn encode_records(records: &[StoredMessage]) -> Bytes {
    let mut buf = BytesMut::new();
    for r in records {
        r.encode(&mut buf).expect("encode record");
    }
    buf.freeze()
}

/// The request body as JSON.
pub fn json(cmd: &Command) -> serde_json::Value {
    serde_json::from_slice(&cmd.body).expect("request body is standard JSON")
}
