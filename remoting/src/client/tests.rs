//! Behaviour of the pool: dialing, eviction, server requests, hooks, name servers, shutdown.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::{Command, RequestCode, ResponseCode, SerializeType};
use tokio::sync::Notify;

use super::RemotingClient;
use crate::config::RemotingConfig;
use crate::error::{Error, ErrorKind};
use crate::hook::RpcHook;
use crate::inbound::RequestProcessor;
use crate::testing::{MockServer, Reply};

const LONG: Duration = Duration::from_secs(5);

fn req() -> Command {
    Command::request(RequestCode::HEART_BEAT)
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

/// An address where nothing listens (connection refused).
fn dead_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    drop(listener);
    addr
}

/// Concurrent callers for one address share a single dial.
#[tokio::test]
async fn concurrent_invokes_share_one_dial() {
    let server = MockServer::start(Reply::echo).await.expect("server");
    let client = RemotingClient::new(RemotingConfig::default());
    let addr = server.addr();
    let calls = (0..20).map(|_| client.invoke(&addr, req(), LONG));
    for result in futures::future::join_all(calls).await {
        assert!(result.is_ok(), "{result:?}");
    }
    assert_eq!(server.accepted(), 1);
    assert_eq!(client.connection_count(), 1);
    assert_eq!(client.metrics().connects, 1);
    client.shutdown().await;
}

/// A connection the peer closed is evicted and the next call dials a new one.
#[tokio::test]
async fn closed_connection_is_evicted_and_redialed() {
    let server = MockServer::start(|request| match &request.body[..] {
        b"close" => Reply::CloseMidFrame,
        _ => Reply::echo(request),
    })
    .await
    .expect("server");
    let client = RemotingClient::new(RemotingConfig::default());
    let addr = server.addr();
    let first = client.connection(&addr).await.expect("dial");
    let err = client
        .invoke(&addr, req().with_body(Bytes::from_static(b"close")), LONG)
        .await
        .expect_err("peer closed");
    assert_eq!(err.kind(), ErrorKind::ConnectionClosed);
    eventually(|| client.connection_count() == 0).await;
    let response = client.invoke(&addr, req(), LONG).await.expect("re-dialed");
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
    assert_eq!(server.accepted(), 2);
    let second = client.connection(&addr).await.expect("pooled");
    assert_ne!(first.id(), second.id());
    client.shutdown().await;
}

/// A refused dial is reported to the caller and not cached as a connection, but the address
/// is not dialed again until its backoff (1 s first) ends: calls meanwhile fail at once, with
/// the refusal in their text; after the backoff one dial probes it again.
#[tokio::test]
async fn refused_dial_backs_off_then_probes_again() {
    let client = RemotingClient::new(RemotingConfig::default());
    let addr = dead_addr();
    let err = client
        .invoke(&addr, req(), LONG)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(!client.is_available(&addr));
    let fast = client
        .invoke(&addr, req(), LONG)
        .await
        .expect_err("in backoff");
    assert_eq!(fast.kind(), ErrorKind::Connect);
    let text = fast.to_string();
    assert!(text.contains("marked unavailable"), "{text}");
    assert_eq!(
        client.metrics().connect_failures,
        1,
        "no dial during the backoff"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(client.is_available(&addr));
    client
        .invoke(&addr, req(), LONG)
        .await
        .expect_err("still refused");
    assert_eq!(
        client.metrics().connect_failures,
        2,
        "one probe after the backoff"
    );
    assert_eq!(client.connection_count(), 0);
    client.shutdown().await;
}

/// A dial that hangs (the peer's accept backlog is full) does not delay requests to another
/// address: no lock is held across a dial.
#[tokio::test]
async fn hanging_dial_does_not_block_other_addresses() {
    // A listener with backlog 0 that never accepts: once its queue is full, the kernel drops
    // further SYNs and connects to it hang.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let black_hole = socket.listen(0).expect("listen");
    let hole_addr = black_hole.local_addr().expect("addr").to_string();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        let attempt = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(&hole_addr),
        )
        .await;
        match attempt {
            Ok(Ok(stream)) => fillers.push(stream),
            _ => break,
        }
    }
    let server = MockServer::start(Reply::echo).await.expect("server");
    let config = RemotingConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .build()
        .expect("config");
    let client = RemotingClient::new(config);
    let stuck = tokio::spawn({
        let client = client.clone();
        let hole_addr = hole_addr.clone();
        async move { client.invoke(&hole_addr, req(), LONG).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    let response = client
        .invoke(&server.addr(), req(), LONG)
        .await
        .expect("served");
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert!(
        !stuck.is_finished(),
        "the black-hole dial is still in progress"
    );
    let err = stuck.await.expect("task").expect_err("dial timed out");
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(err.is_timeout(), "{err:?}");
    client.shutdown().await;
    drop(fillers);
}

#[derive(Debug, Default)]
struct Recorder {
    before: AtomicUsize,
    after: AtomicUsize,
}

impl RpcHook for Recorder {
    fn before_request(&self, _addr: &str, request: &mut Command) {
        self.before.fetch_add(1, SeqCst);
        request.ext_fields.insert("Signature", "signed");
    }

    fn after_response(&self, _addr: &str, request: &Command, response: &mut Command) {
        self.after.fetch_add(1, SeqCst);
        assert_eq!(request.ext_fields.get("Signature"), Some("signed"));
        response.remark = Some("seen by hook".into());
    }
}

/// Hooks see every request before it is sent and every response before the caller; requests
/// use the configured serialize type.
#[tokio::test]
async fn hooks_and_serialize_type_apply_to_every_request() {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let hook = Arc::new(Recorder::default());
    let config = RemotingConfig::builder()
        .serialize_type(SerializeType::RocketMq)
        .build()
        .expect("config");
    let client = RemotingClient::builder()
        .config(config)
        .hook(hook.clone())
        .build();
    let response = client
        .invoke(&server.addr(), req(), LONG)
        .await
        .expect("ok");
    assert_eq!(response.remark.as_deref(), Some("seen by hook"));
    client
        .invoke_oneway(&server.addr(), req(), LONG)
        .await
        .expect("oneway");
    eventually(|| server.requests().len() == 2).await;
    for sent in server.requests() {
        assert_eq!(sent.ext_fields.get("Signature"), Some("signed"));
        assert_eq!(sent.serialize_type, SerializeType::RocketMq);
    }
    assert_eq!(hook.before.load(SeqCst), 2);
    assert_eq!(hook.after.load(SeqCst), 1, "oneways have no response");
    client.shutdown().await;
}

/// A server request reaches the processor; its response goes back with the request's opaque
/// and the response bit.
#[tokio::test]
async fn server_request_reaches_processor_and_response_returns() {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let processor: Arc<dyn RequestProcessor> =
        Arc::new(|addr: String, request: Command| async move {
            let body = format!("{} from {addr}", request.code);
            Some(Command::response(ResponseCode::SUCCESS, None).with_body(body))
        });
    let client = RemotingClient::builder().processor(processor).build();
    client
        .invoke(&server.addr(), req(), LONG)
        .await
        .expect("connected");
    let request = Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO);
    let response = server.request(request, LONG).await.expect("answered");
    assert!(response.is_response());
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
    let expected = format!(
        "{} from {}",
        RequestCode::GET_CONSUMER_RUNNING_INFO.0,
        server.addr()
    );
    assert_eq!(response.body, expected.as_bytes());
    let sent_opaque = server.responses()[0].opaque;
    assert_eq!(response.opaque, sent_opaque);
    client.shutdown().await;
}

/// A oneway server request is processed but never answered.
#[tokio::test]
async fn oneway_server_request_gets_no_response() {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let processor: Arc<dyn RequestProcessor> = Arc::new(move |_addr: String, request: Command| {
        seen.fetch_add(1, SeqCst);
        async move { Some(Command::response_to(&request, ResponseCode::SUCCESS, None)) }
    });
    let client = RemotingClient::builder().processor(processor).build();
    client
        .invoke(&server.addr(), req(), LONG)
        .await
        .expect("connected");
    let mut request = Command::request(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
    request.mark_oneway();
    assert_eq!(server.send_request(request), 1);
    eventually(|| calls.load(SeqCst) == 1).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(server.responses().is_empty());
    client.shutdown().await;
}

/// When the processor is saturated, further server requests are answered `SYSTEM_BUSY` by the
/// reader itself.
#[tokio::test]
async fn full_processor_queue_replies_system_busy() {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let release = Arc::new(Notify::new());
    let gate = Arc::clone(&release);
    let processor: Arc<dyn RequestProcessor> = Arc::new(move |_addr: String, request: Command| {
        let gate = Arc::clone(&gate);
        async move {
            gate.notified().await;
            Some(Command::response_to(&request, ResponseCode::SUCCESS, None))
        }
    });
    let config = RemotingConfig::builder()
        .inbound_queue(1)
        .build()
        .expect("config");
    let client = RemotingClient::builder()
        .config(config)
        .processor(processor)
        .build();
    client
        .invoke(&server.addr(), req(), LONG)
        .await
        .expect("connected");
    server.send_request(Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO));
    eventually(|| client.metrics().inbound_requests == 1).await;
    let busy = server
        .request(
            Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO),
            LONG,
        )
        .await
        .expect("answered at once");
    assert_eq!(busy.response_code(), ResponseCode::SYSTEM_BUSY);
    assert_eq!(client.metrics().inbound_rejected, 1);
    release.notify_one();
    eventually(|| server.responses().len() == 2).await;
    assert!(server
        .responses()
        .iter()
        .any(|r| r.response_code() == ResponseCode::SUCCESS));
    client.shutdown().await;
}

/// A panicking processor is answered `SYSTEM_ERROR` and the connection keeps working.
#[tokio::test]
async fn panicking_processor_answers_system_error() {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let processor: Arc<dyn RequestProcessor> =
        Arc::new(|_addr: String, _request: Command| async move {
            if true {
                panic!("listener bug");
            }
            None
        });
    let client = RemotingClient::builder().processor(processor).build();
    client
        .invoke(&server.addr(), req(), LONG)
        .await
        .expect("connected");
    let response = server
        .request(
            Command::request(RequestCode::CONSUME_MESSAGE_DIRECTLY),
            LONG,
        )
        .await
        .expect("answered");
    assert_eq!(response.response_code(), ResponseCode::SYSTEM_ERROR);
    assert!(client.invoke(&server.addr(), req(), LONG).await.is_ok());
    client.shutdown().await;
}

/// Name-server calls stick to one address and move to the next when it fails.
#[tokio::test]
async fn namesrv_rotates_on_connection_failure_and_sticks() {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let dead = dead_addr();
    let client = RemotingClient::builder()
        .namesrv([dead.clone(), server.addr()])
        .build();
    for _ in 0..3 {
        let response = client.invoke_namesrv(req(), LONG).await.expect("served");
        assert_eq!(response.response_code(), ResponseCode::SUCCESS);
    }
    assert_eq!(client.namesrv().current(), Some(server.addr()));
    assert!(
        client.metrics().connect_failures <= 1,
        "sticky after the first failure"
    );
    client.namesrv().update([dead.clone()]);
    let err = client
        .invoke_namesrv(req(), LONG)
        .await
        .expect_err("all dead");
    assert_eq!(err.kind(), ErrorKind::Connect);
    client.namesrv().update(Vec::<String>::new());
    let err = client.invoke_namesrv(req(), LONG).await.expect_err("none");
    assert_eq!(err.kind(), ErrorKind::NoNameServer);
    client.shutdown().await;
}

/// A name server that closes the connection mid-request is left for the next one.
#[tokio::test]
async fn namesrv_closing_connection_moves_to_next() {
    let bad = MockServer::start(|_| Reply::CloseMidFrame)
        .await
        .expect("server");
    let good = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let client = RemotingClient::builder()
        .namesrv([bad.addr(), good.addr()])
        .build();
    for _ in 0..2 {
        client.invoke_namesrv(req(), LONG).await.expect("served");
    }
    assert_eq!(client.namesrv().current(), Some(good.addr()));
    assert!(bad.requests().len() <= 1);
    client.shutdown().await;
}

/// Idle connections close and leave the pool; the next call dials again.
#[tokio::test(start_paused = true)]
async fn idle_connection_leaves_pool() {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let config = RemotingConfig::builder()
        .idle_timeout(Some(Duration::from_secs(120)))
        .build()
        .expect("config");
    let client = RemotingClient::new(config);
    client
        .invoke(&server.addr(), req(), LONG)
        .await
        .expect("ok");
    assert_eq!(client.connection_count(), 1);
    tokio::time::sleep(Duration::from_secs(150)).await;
    assert_eq!(client.connection_count(), 0);
    assert_eq!(client.metrics().connections, 0);
    client
        .invoke(&server.addr(), req(), LONG)
        .await
        .expect("re-dialed");
    assert_eq!(server.accepted(), 2);
    client.shutdown().await;
}

/// `close_connection` closes one address's connection only.
#[tokio::test]
async fn close_connection_closes_only_that_address() {
    let a = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let b = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let client = RemotingClient::new(RemotingConfig::default());
    let conn_a = client.connection(&a.addr()).await.expect("a");
    client.connection(&b.addr()).await.expect("b");
    client.close_connection(&a.addr()).await;
    assert!(conn_a.is_closed());
    assert_eq!(client.connection_count(), 1);
    eventually(|| a.connections() == 0).await;
    assert_eq!(b.connections(), 1);
    client.shutdown().await;
}

/// Shutdown closes every connection, waits for every task and refuses later calls.
#[tokio::test]
async fn shutdown_leaves_no_tasks_or_connections() {
    let a = MockServer::start(|_| Reply::Nothing).await.expect("server");
    let b = MockServer::start(|_| Reply::success())
        .await
        .expect("server");
    let processor: Arc<dyn RequestProcessor> =
        Arc::new(|_addr: String, _request: Command| async move {
            std::future::pending::<()>().await;
            None
        });
    let client = RemotingClient::builder().processor(processor).build();
    client.invoke(&b.addr(), req(), LONG).await.expect("b");
    let waiting = tokio::spawn({
        let client = client.clone();
        let addr = a.addr();
        async move { client.invoke(&addr, req(), LONG).await }
    });
    eventually(|| a.requests().len() == 1).await;
    b.send_request(Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO));
    eventually(|| client.metrics().inbound_requests == 1).await;
    assert!(
        client.task_count() >= 5,
        "two per connection plus the processor"
    );
    client.shutdown().await;
    assert_eq!(client.task_count(), 0);
    assert_eq!(client.connection_count(), 0);
    assert_eq!(client.metrics().connections, 0);
    let err = waiting.await.expect("task").expect_err("closed");
    assert_eq!(err.kind(), ErrorKind::ConnectionClosed);
    let err = client
        .invoke(&b.addr(), req(), LONG)
        .await
        .expect_err("shut down");
    assert!(matches!(err, Error::Shutdown));
    eventually(|| a.connections() == 0 && b.connections() == 0).await;
}

/// The metrics snapshot counts connections, requests, in-flight work and flushes.
#[tokio::test]
async fn metrics_snapshot_counts_traffic() {
    let server = MockServer::start(|request| match &request.body[..] {
        b"hold" => Reply::Nothing,
        _ => Reply::success(),
    })
    .await
    .expect("server");
    let client = RemotingClient::new(RemotingConfig::default());
    client
        .invoke(&server.addr(), req(), LONG)
        .await
        .expect("ok");
    let held = tokio::spawn({
        let client = client.clone();
        let addr = server.addr();
        async move {
            client
                .invoke(&addr, req().with_body(Bytes::from_static(b"hold")), LONG)
                .await
        }
    });
    eventually(|| client.metrics().in_flight_requests == 1).await;
    let metrics = client.metrics();
    assert_eq!(metrics.connections, 1);
    assert_eq!(metrics.requests, 2);
    assert!(metrics.in_flight_bytes > 0);
    assert!(metrics.flushes >= 2 && metrics.frames_written >= 2);
    assert!(metrics.frames_read >= 1);
    held.abort();
    let _ = held.await;
    eventually(|| client.metrics().in_flight_requests == 0).await;
    client.shutdown().await;
}

/// The reconnect listener hears about a connection established again to an address that was
/// connected before, not about the first connection.
#[tokio::test]
async fn reconnect_listener_hears_redials_not_first_dials() {
    let server = MockServer::start(Reply::echo).await.expect("server");
    let client = RemotingClient::new(RemotingConfig::default());
    let heard: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let h = heard.clone();
    client.set_on_reconnect(Some(Arc::new(move |addr: &str| {
        h.lock().expect("heard").push(addr.to_owned());
    })));
    let addr = server.addr();
    client.invoke(&addr, req(), LONG).await.expect("first dial");
    assert!(
        heard.lock().expect("heard").is_empty(),
        "a first dial is no reconnect"
    );
    client.close_connection(&addr).await;
    client
        .invoke(&addr, req(), LONG)
        .await
        .expect("second dial");
    assert_eq!(*heard.lock().expect("heard"), vec![addr.clone()]);
    client.shutdown().await;
    server.shutdown().await;
}

/// The client-wide bound holds across connections: with room for one request, a request to
/// another address waits for it and fails at its deadline with `TooManyRequests`.
#[tokio::test]
async fn the_client_wide_bound_spans_every_connection() {
    let slow = MockServer::start(|_| {
        Reply::Delayed(
            Duration::from_millis(500),
            Command::response(ResponseCode::SUCCESS, None),
        )
    })
    .await
    .expect("slow");
    let other = MockServer::start(|_| Reply::success())
        .await
        .expect("other");
    let client = RemotingClient::builder()
        .max_in_flight_total(1, 1 << 20)
        .build();
    let first = {
        let client = client.clone();
        let addr = slow.addr();
        tokio::spawn(async move { client.invoke(&addr, req(), LONG).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = client
        .invoke(&other.addr(), req(), Duration::from_millis(100))
        .await
        .expect_err("no room");
    assert_eq!(err.kind(), ErrorKind::TooManyRequests);
    first
        .await
        .expect("task")
        .expect("the first request completes");
    client
        .invoke(&other.addr(), req(), LONG)
        .await
        .expect("room again");
    client.shutdown().await;
    slow.shutdown().await;
    other.shutdown().await;
}

/// A connection the peer resets marks the address unavailable, as a refused connect does:
/// the next call fails at once without dialing.
#[tokio::test]
async fn a_reset_connection_marks_the_address_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let peer = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        // Wait for the request, then reset: unread data plus a zero linger sends RST.
        stream.readable().await.expect("readable");
        stream.set_zero_linger().expect("linger");
        drop(stream);
        listener
    });
    let client = RemotingClient::new(RemotingConfig::default());
    let err = client.invoke(&addr, req(), LONG).await.expect_err("reset");
    assert!(err.is_connection_error(), "{err}");
    let _listener = peer.await.expect("peer");
    eventually(|| !client.is_available(&addr)).await;
    let accepted_before = client.metrics().connects;
    let fast = client
        .invoke(&addr, req(), LONG)
        .await
        .expect_err("in backoff");
    assert!(fast.to_string().contains("marked unavailable"), "{fast}");
    assert_eq!(client.metrics().connects, accepted_before, "no dial");
    client.shutdown().await;
}
