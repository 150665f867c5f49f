//! `GO_AWAY` against a scripted peer: the request is re-sent once on a new connection, what is
//! in flight on the old one is still answered, and the old one then closes.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use rmq_protocol::{Command, RequestCode, ResponseCode};

use crate::config::RemotingConfig;
use crate::connection::Connection;
use crate::error::Error;
use crate::testing::{MockServer, Reply};
use crate::RemotingClient;

const LONG: Duration = Duration::from_secs(5);

fn go_away() -> Reply {
    Reply::Respond(Command::response(
        ResponseCode::GO_AWAY,
        Some("please go away".into()),
    ))
}

fn request(tag: &str) -> Command {
    Command::request(RequestCode::SEND_MESSAGE_V2).with_ext("tag", tag)
}

fn tag(request: &Command) -> Option<&str> {
    request.ext_fields.get("tag")
}

async fn eventually(mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached in time");
}

/// Answers `GO_AWAY` to the first request and serves every later one.
async fn go_away_once_server() -> MockServer {
    let seen = AtomicUsize::new(0);
    MockServer::start(move |request| match seen.fetch_add(1, SeqCst) {
        0 => go_away(),
        _ => Reply::echo(request),
    })
    .await
    .expect("server")
}

/// The caller sees the answer to the re-sent request, which went on a second connection; the
/// first one closes as nothing is left in flight on it.
#[tokio::test]
async fn a_go_away_answer_resends_the_request_once_on_a_new_connection() {
    let server = go_away_once_server().await;
    let client = RemotingClient::new(RemotingConfig::default());
    let response = client
        .invoke(&server.addr(), request("a"), LONG)
        .await
        .expect("answered");
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
    assert_eq!(tag(&response), Some("a"), "the same request was re-sent");
    let sent = server.requests();
    assert_eq!(sent.len(), 2);
    assert_ne!(
        sent[0].opaque, sent[1].opaque,
        "a re-send gets a new opaque"
    );
    assert_eq!(server.accepted(), 2);
    eventually(|| server.connections() == 1).await;
    assert_eq!(client.connection_count(), 1);
    let again = client.invoke(&server.addr(), request("b"), LONG).await;
    assert_eq!(
        again.expect("served").response_code(),
        ResponseCode::SUCCESS
    );
    assert_eq!(server.accepted(), 2, "later calls use the new connection");
    client.shutdown().await;
    server.shutdown().await;
}

/// A request in flight when another one gets `GO_AWAY` keeps its place on the old connection
/// and gets its answer there; only then does the old connection close.
#[tokio::test]
async fn requests_in_flight_on_a_draining_connection_still_get_their_answers() {
    let gone = AtomicUsize::new(0);
    let server = MockServer::start(move |request| match tag(request) {
        Some("slow") => Reply::Delayed(
            Duration::from_millis(400),
            Command::response(ResponseCode::SUCCESS, Some("slow".into())),
        ),
        _ if gone.fetch_add(1, SeqCst) == 0 => go_away(),
        _ => Reply::echo(request),
    })
    .await
    .expect("server");
    let client = RemotingClient::new(RemotingConfig::default());
    let addr = server.addr();
    let slow = tokio::spawn({
        let (client, addr) = (client.clone(), addr.clone());
        async move { client.invoke(&addr, request("slow"), LONG).await }
    });
    eventually(|| server.requests().len() == 1).await;
    let fast = client
        .invoke(&addr, request("fast"), LONG)
        .await
        .expect("answered");
    assert_eq!(tag(&fast), Some("fast"));
    assert_eq!(server.accepted(), 2);
    assert_eq!(
        server.connections(),
        2,
        "the old one waits for the slow answer"
    );
    let slow = slow
        .await
        .expect("joins")
        .expect("answered on the old connection");
    assert_eq!(slow.remark.as_deref(), Some("slow"));
    eventually(|| server.connections() == 1).await;
    client.shutdown().await;
    server.shutdown().await;
}

/// One re-send per request: a second `GO_AWAY` fails the call as a closed connection (a
/// transport error, which callers retry on another broker).
#[tokio::test]
async fn a_second_go_away_fails_the_call_as_a_closed_connection() {
    let server = MockServer::start(|_| go_away()).await.expect("server");
    let client = RemotingClient::new(RemotingConfig::default());
    let outcome = client.invoke(&server.addr(), request("a"), LONG).await;
    assert!(
        matches!(&outcome, Err(Error::ConnectionClosed { addr, .. }) if *addr == server.addr()),
        "{outcome:?}"
    );
    assert_eq!(server.requests().len(), 2, "sent twice, not more");
    assert_eq!(server.accepted(), 2);
    client.shutdown().await;
    server.shutdown().await;
}

/// A standalone connection that got `GO_AWAY` refuses new requests and closes by itself.
#[tokio::test]
async fn a_draining_connection_refuses_new_requests_and_closes() {
    let server = go_away_once_server().await;
    let conn = Connection::connect(&server.addr(), &RemotingConfig::default())
        .await
        .expect("connects");
    let first = conn.request(request("a"), LONG).await.expect("answered");
    assert_eq!(first.response_code(), ResponseCode::GO_AWAY);
    assert!(conn.is_draining());
    let refused = conn.request(request("b"), LONG).await;
    assert!(
        matches!(refused, Err(Error::ConnectionClosed { .. })),
        "{refused:?}"
    );
    tokio::time::timeout(LONG, conn.closed())
        .await
        .expect("closes with nothing in flight");
    assert_eq!(
        server.requests().len(),
        1,
        "the refused request was not sent"
    );
    server.shutdown().await;
}

/// Concurrent callers that all get `GO_AWAY` share one new connection for their re-sends.
#[tokio::test]
async fn concurrent_callers_told_to_go_away_share_one_new_connection() {
    let seen = AtomicUsize::new(0);
    let server = MockServer::start(move |request| {
        if seen.fetch_add(1, SeqCst) < 8 {
            Reply::Delayed(
                Duration::from_millis(100),
                Command::response(ResponseCode::GO_AWAY, None),
            )
        } else {
            Reply::echo(request)
        }
    })
    .await
    .expect("server");
    let client = RemotingClient::new(RemotingConfig::default());
    let addr = server.addr();
    // The first dial is shared, so all eight requests go on the first connection.
    client.connection(&addr).await.expect("dials");
    let calls = (0..8).map(|i| {
        let (client, addr) = (client.clone(), addr.clone());
        async move { client.invoke(&addr, request(&i.to_string()), LONG).await }
    });
    for (i, result) in futures::future::join_all(calls)
        .await
        .into_iter()
        .enumerate()
    {
        let response = result.expect("answered");
        assert_eq!(response.response_code(), ResponseCode::SUCCESS);
        assert_eq!(tag(&response), Some(i.to_string().as_str()));
    }
    assert_eq!(server.requests().len(), 16);
    assert_eq!(server.accepted(), 2);
    eventually(|| server.connections() == 1).await;
    client.shutdown().await;
    server.shutdown().await;
}
