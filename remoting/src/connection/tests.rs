//! Behaviour of a single connection against the in-process [`MockServer`].

use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::{Command, RequestCode, ResponseCode, SerializeType};

use super::Connection;
use crate::config::RemotingConfig;
use crate::error::Error;
use crate::testing::{MockServer, Reply};

const LONG: Duration = Duration::from_secs(5);

fn req(body: &str) -> Command {
    Command::request(RequestCode::SEND_MESSAGE).with_body(Bytes::copy_from_slice(body.as_bytes()))
}

async fn connect(server: &MockServer) -> Connection {
    connect_with(server, RemotingConfig::default()).await
}

async fn connect_with(server: &MockServer, config: RemotingConfig) -> Connection {
    Connection::connect(&server.addr(), &config)
        .await
        .expect("connects to the mock server")
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

/// A request gets the response the server sent for its opaque.
#[tokio::test]
async fn request_returns_matching_response() {
    let server = MockServer::start(Reply::echo).await.expect("server");
    let conn = connect(&server).await;
    let response = conn.request(req("hello"), LONG).await.expect("response");
    assert!(response.is_response());
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
    assert_eq!(&response.body[..], b"hello");
    let sent = &server.requests()[0];
    assert_eq!(response.opaque, sent.opaque);
    assert_eq!(conn.pending_requests(), 0);
}

/// Out-of-order responses to many concurrent requests each reach their own caller.
#[tokio::test]
async fn concurrent_requests_are_matched_by_opaque() {
    let server = MockServer::start(|request| {
        let n: u64 = std::str::from_utf8(&request.body)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let Reply::Respond(response) = Reply::echo(request) else {
            unreachable!("echo responds")
        };
        // Later requests answer sooner, so responses arrive out of order.
        Reply::Delayed(Duration::from_millis(100 - n), response)
    })
    .await
    .expect("server");
    let conn = connect(&server).await;
    let calls = (0..100u64).map(|n| {
        let conn = conn.clone();
        async move {
            let response = conn.request(req(&n.to_string()), LONG).await?;
            Ok::<_, Error>((n, response))
        }
    });
    for result in futures::future::join_all(calls).await {
        let (n, response) = result.expect("every request answered");
        assert_eq!(response.body, n.to_string().as_bytes());
    }
    assert_eq!(conn.pending_requests(), 0);
}

/// A request without an answer fails with a timeout naming address and code, and leaves
/// nothing in the pending table.
#[tokio::test(start_paused = true)]
async fn timeout_names_code_and_leaves_no_pending_entry() {
    let server = MockServer::start(|_| Reply::Nothing).await.expect("server");
    let conn = connect(&server).await;
    let err = conn
        .request(req("x"), Duration::from_millis(300))
        .await
        .expect_err("no response");
    match &err {
        Error::Timeout { addr, code, after } => {
            assert_eq!(addr, &server.addr());
            assert_eq!(*code, RequestCode::SEND_MESSAGE);
            assert!(*after >= Duration::from_millis(300));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.is_timeout());
    assert_eq!(conn.pending_requests(), 0);
    assert_eq!(conn.metrics().in_flight_requests, 0);
    assert!(!conn.is_closed(), "a timeout does not close the connection");
}

/// A dropped request future removes its pending entry (cancel safety).
#[tokio::test]
async fn dropped_request_leaves_no_pending_entry() {
    let server = MockServer::start(|_| Reply::Nothing).await.expect("server");
    let conn = connect(&server).await;
    let call = conn.request(req("x"), LONG);
    let _ = tokio::time::timeout(Duration::from_millis(50), call).await;
    assert_eq!(conn.pending_requests(), 0);
    assert_eq!(conn.metrics().in_flight_bytes, 0);
}

/// A peer that stalls makes the request time out; once it recovers the same connection
/// serves the next request, and the stalled request's late reply is dropped.
#[tokio::test(start_paused = true)]
async fn stalled_peer_times_out_then_connection_is_usable() {
    let server = MockServer::start(|request| {
        if &request.body[..] == b"stall" {
            Reply::Stall(Duration::from_secs(2))
        } else {
            Reply::echo(request)
        }
    })
    .await
    .expect("server");
    let conn = connect(&server).await;
    let err = conn
        .request(req("stall"), Duration::from_millis(500))
        .await
        .expect_err("stalled");
    assert!(matches!(err, Error::Timeout { .. }));
    let response = conn.request(req("after"), LONG).await.expect("recovered");
    assert_eq!(&response.body[..], b"after");
    assert!(!conn.is_closed());
}

/// A response arriving after its request gave up is counted and dropped.
#[tokio::test]
async fn late_response_is_dropped() {
    let server = MockServer::start(|request| {
        let Reply::Respond(response) = Reply::echo(request) else {
            unreachable!("echo responds")
        };
        Reply::Delayed(Duration::from_millis(150), response)
    })
    .await
    .expect("server");
    let conn = connect(&server).await;
    let err = conn.request(req("x"), Duration::from_millis(20)).await;
    assert!(matches!(err, Err(Error::Timeout { .. })));
    eventually(|| conn.metrics().late_responses == 1).await;
    assert!(conn.request(req("y"), LONG).await.is_ok());
}

/// A peer closing in the middle of a frame fails every pending request at once.
#[tokio::test]
async fn peer_closing_mid_frame_fails_all_pending() {
    let server = MockServer::start(|request| match &request.body[..] {
        b"close" => Reply::CloseMidFrame,
        _ => Reply::Nothing,
    })
    .await
    .expect("server");
    let conn = connect(&server).await;
    let waiting: Vec<_> = (0..5)
        .map(|_| {
            tokio::spawn({
                let conn = conn.clone();
                async move { conn.request(req("wait"), LONG).await }
            })
        })
        .collect();
    eventually(|| server.requests().len() == 5).await;
    let err = conn.request(req("close"), LONG).await.expect_err("closed");
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
    for task in waiting {
        let err = task.await.expect("task").expect_err("closed");
        match err {
            Error::ConnectionClosed { addr, .. } => assert_eq!(addr, server.addr()),
            other => panic!("expected ConnectionClosed, got {other:?}"),
        }
    }
    assert!(conn.is_closed());
    assert!(matches!(
        conn.request(req("again"), LONG).await,
        Err(Error::ConnectionClosed { .. })
    ));
}

/// Bytes that are not a frame close the connection with a codec error as the cause.
#[tokio::test]
async fn garbage_from_peer_closes_with_codec_error() {
    let server = MockServer::start(|_| {
        // Length 8, then a header word with serialize type 0xEE: not a valid frame.
        Reply::Raw(Bytes::from_static(
            b"\x00\x00\x00\x08\xee\x00\x00\x00garbage!",
        ))
    })
    .await
    .expect("server");
    let conn = connect(&server).await;
    let err = conn.request(req("x"), LONG).await.expect_err("garbage");
    let Error::ConnectionClosed {
        cause: Some(cause), ..
    } = &err
    else {
        panic!("expected ConnectionClosed with a cause, got {err:?}");
    };
    assert!(matches!(**cause, Error::Codec { .. }), "{cause:?}");
    assert!(matches!(
        conn.close_cause().as_deref(),
        Some(Error::Codec { .. })
    ));
}

/// A response frame over the configured limit is rejected and closes the connection.
#[tokio::test]
async fn oversized_response_frame_is_rejected() {
    let server = MockServer::start(|request| {
        Reply::Respond(
            Command::response_to(request, ResponseCode::SUCCESS, None).with_body(vec![7u8; 4096]),
        )
    })
    .await
    .expect("server");
    let config = RemotingConfig::builder()
        .max_frame(1024)
        .build()
        .expect("config");
    let conn = connect_with(&server, config).await;
    let err = conn.request(req("x"), LONG).await.expect_err("too large");
    let cause = conn.close_cause().expect("closed with a cause");
    assert!(
        matches!(
            &*cause,
            Error::Codec {
                source: rmq_protocol::Error::FrameTooLarge { .. },
                ..
            }
        ),
        "{err:?} / {cause:?}"
    );
}

/// A request over the frame limit fails before anything is sent; the connection stays open.
#[tokio::test]
async fn oversized_request_is_rejected_before_sending() {
    let server = MockServer::start(Reply::echo).await.expect("server");
    let config = RemotingConfig::builder()
        .max_frame(1024)
        .build()
        .expect("config");
    let conn = connect_with(&server, config).await;
    let big = req("x").with_body(vec![0u8; 2048]);
    let err = conn.request(big, LONG).await.expect_err("too large");
    assert!(matches!(err, Error::Codec { .. }), "{err:?}");
    assert!(!conn.is_closed());
    assert!(conn.request(req("small"), LONG).await.is_ok());
    assert_eq!(server.requests().len(), 1);
}

/// A oneway carries the oneway flag and registers no pending entry.
#[tokio::test]
async fn oneway_sets_flag_and_registers_nothing() {
    let server = MockServer::start(|_| Reply::Nothing).await.expect("server");
    let conn = connect(&server).await;
    conn.oneway(req("fire"), LONG).await.expect("queued");
    assert_eq!(conn.pending_requests(), 0);
    eventually(|| server.requests().len() == 1).await;
    let sent = &server.requests()[0];
    assert!(sent.is_oneway());
    assert!(!sent.is_response());
    eventually(|| conn.metrics().in_flight_requests == 0).await;
}

/// Without a processor, a server request is answered `REQUEST_CODE_NOT_SUPPORTED` with the
/// same opaque and the response bit.
#[tokio::test]
async fn server_request_without_processor_is_not_supported() {
    let server = MockServer::start(|_| Reply::Nothing).await.expect("server");
    let conn = connect(&server).await;
    eventually(|| server.connections() == 1).await;
    let request = Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO);
    let response = server.request(request, LONG).await.expect("answered");
    assert_eq!(
        response.response_code(),
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED
    );
    assert!(response.is_response());
    assert!(response.remark.is_some());
    drop(conn);
}

/// A server request whose opaque equals a pending request's is never taken for its response.
#[tokio::test]
async fn server_request_with_colliding_opaque_is_not_a_response() {
    let server = MockServer::start(|request| {
        let mut echo = Command::request(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED);
        echo.opaque = request.opaque;
        Reply::Frames(vec![echo])
    })
    .await
    .expect("server");
    let conn = connect(&server).await;
    let err = conn.request(req("x"), Duration::from_millis(200)).await;
    assert!(matches!(err, Err(Error::Timeout { .. })), "{err:?}");
    eventually(|| server.responses().len() == 1).await;
    let answer = &server.responses()[0];
    assert_eq!(
        answer.response_code(),
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED
    );
}

/// With the count limit reached, the next request waits and fails when its deadline passes.
#[tokio::test(start_paused = true)]
async fn in_flight_count_limit_applies_back_pressure() {
    let server = MockServer::start(|_| Reply::Nothing).await.expect("server");
    let config = RemotingConfig::builder()
        .max_in_flight(2)
        .build()
        .expect("config");
    let conn = connect_with(&server, config).await;
    let _held: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn({
                let conn = conn.clone();
                async move { conn.request(req("hold"), Duration::from_secs(60)).await }
            })
        })
        .collect();
    eventually(|| conn.pending_requests() == 2).await;
    let err = conn
        .request(req("third"), Duration::from_millis(100))
        .await
        .expect_err("no capacity");
    assert!(matches!(err, Error::TooManyRequests { .. }), "{err:?}");
    assert!(err.is_timeout());
    assert_eq!(
        server.requests().len(),
        2,
        "the third request was never sent"
    );
}

/// With the byte limit reached, the next request waits for capacity rather than failing, and
/// proceeds once the earlier response frees it.
#[tokio::test]
async fn in_flight_byte_limit_waits_for_capacity() {
    let server = MockServer::start(|request| {
        let Reply::Respond(response) = Reply::echo(request) else {
            unreachable!("echo responds")
        };
        Reply::Delayed(Duration::from_millis(100), response)
    })
    .await
    .expect("server");
    let config = RemotingConfig::builder()
        .max_in_flight_bytes(1500)
        .build()
        .expect("config");
    let conn = connect_with(&server, config).await;
    let first = tokio::spawn({
        let conn = conn.clone();
        async move { conn.request(req(&"a".repeat(1000)), LONG).await }
    });
    eventually(|| conn.pending_requests() == 1).await;
    let quick = conn
        .request(req(&"b".repeat(1000)), Duration::from_millis(20))
        .await
        .expect_err("bytes exhausted");
    assert!(matches!(quick, Error::TooManyRequests { .. }), "{quick:?}");
    let second = conn.request(req(&"c".repeat(1000)), LONG).await;
    assert!(second.is_ok(), "waited for capacity: {second:?}");
    assert!(first.await.expect("task").is_ok());
}

/// A connection with no traffic closes after the idle timeout, but not while a request waits.
#[tokio::test(start_paused = true)]
async fn idle_connection_closes_itself() {
    let server = MockServer::start(|_| Reply::Nothing).await.expect("server");
    let config = RemotingConfig::builder()
        .idle_timeout(Some(Duration::from_secs(10)))
        .build()
        .expect("config");
    let conn = connect_with(&server, config).await;
    let waiting = tokio::spawn({
        let conn = conn.clone();
        async move { conn.request(req("long"), Duration::from_secs(30)).await }
    });
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert!(!conn.is_closed(), "a pending request keeps the connection");
    assert!(matches!(
        waiting.await.expect("task"),
        Err(Error::Timeout { .. })
    ));
    tokio::time::timeout(Duration::from_secs(15), conn.closed())
        .await
        .expect("closed once idle");
    assert!(conn.close_cause().is_none(), "idle close is not an error");
}

/// Frames queued together are written with few flushes.
#[tokio::test]
async fn writer_coalesces_queued_frames() {
    let server = MockServer::start(|_| Reply::Nothing).await.expect("server");
    let config = RemotingConfig::builder()
        .write_batch(16)
        .build()
        .expect("config");
    let conn = connect_with(&server, config).await;
    // The writer cannot run while this task queues without yielding (current-thread runtime).
    for n in 0..160 {
        conn.oneway(req(&n.to_string()), LONG)
            .await
            .expect("queued");
    }
    eventually(|| server.requests().len() == 160).await;
    let metrics = conn.metrics();
    assert_eq!(metrics.frames_written, 160);
    assert!(
        metrics.flushes <= 20,
        "{} flushes for 160 frames",
        metrics.flushes
    );
}

/// `close` flushes frames already queued, fails waiters and waits for both tasks.
#[tokio::test]
async fn close_flushes_queued_frames_and_fails_waiters() {
    let server = MockServer::start(|_| Reply::Nothing).await.expect("server");
    let conn = connect(&server).await;
    let waiting = tokio::spawn({
        let conn = conn.clone();
        async move { conn.request(req("wait"), LONG).await }
    });
    eventually(|| conn.pending_requests() == 1).await;
    conn.oneway(req("last words"), LONG).await.expect("queued");
    conn.close().await;
    assert!(conn.is_closed());
    assert!(matches!(
        waiting.await.expect("task"),
        Err(Error::ConnectionClosed { .. })
    ));
    eventually(|| server.requests().len() == 2).await;
    eventually(|| server.connections() == 0).await;
}

/// Dropping every handle closes the connection.
#[tokio::test]
async fn dropping_last_handle_closes_connection() {
    let server = MockServer::start(|_| Reply::Nothing).await.expect("server");
    let conn = connect(&server).await;
    eventually(|| server.connections() == 1).await;
    drop(conn);
    eventually(|| server.connections() == 0).await;
}

/// Dialing a port nobody listens on fails with a connect error.
#[tokio::test]
async fn connect_to_closed_port_fails_with_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    drop(listener);
    let err = Connection::connect(&addr, &RemotingConfig::default())
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::Connect { .. }));
    assert!(err.is_connection_error());
}

/// A request built with ROCKETMQ headers reaches the peer in that serialization, ext fields
/// intact, and its ROCKETMQ response is decoded.
#[tokio::test]
async fn rocketmq_request_arrives_in_rocketmq_serialization() {
    let server = MockServer::start(Reply::echo).await.expect("server");
    let conn = connect(&server).await;
    let request = req("binary")
        .with_ext("topic", "T")
        .with_ext("queueId", "3")
        .with_serialize_type(SerializeType::RocketMq);
    let response = conn.request(request, LONG).await.expect("response");
    let sent = &server.requests()[0];
    assert_eq!(sent.serialize_type, SerializeType::RocketMq);
    assert_eq!(sent.ext_fields.get("topic"), Some("T"));
    assert_eq!(sent.ext_fields.get("queueId"), Some("3"));
    assert_eq!(response.serialize_type, SerializeType::RocketMq);
    assert_eq!(response.ext_fields.get("queueId"), Some("3"));
}

/// The header-length word on the wire carries the serialization in its high byte (Java:
/// `RemotingCommand#markProtocolType`): 1 for ROCKETMQ, 0 for JSON.
#[tokio::test]
async fn serialization_marker_is_the_high_byte_of_the_header_length() {
    use tokio::io::AsyncReadExt;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let peer = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut markers = Vec::new();
        for _ in 0..2 {
            let mut head = [0u8; 8];
            socket.read_exact(&mut head).await.expect("frame head");
            let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
            let mut rest = vec![0u8; len - 4];
            socket.read_exact(&mut rest).await.expect("frame rest");
            markers.push(head[4]);
        }
        markers
    });
    let conn = Connection::connect(&addr, &RemotingConfig::default())
        .await
        .expect("connects");
    for serialize_type in [SerializeType::RocketMq, SerializeType::Json] {
        let request = req("x").with_serialize_type(serialize_type);
        conn.oneway(request, LONG).await.expect("queued");
    }
    let markers = tokio::time::timeout(LONG, peer)
        .await
        .expect("peer read both frames")
        .expect("peer task");
    assert_eq!(markers, [1, 0]);
    conn.close().await;
}

/// A response is decoded whatever serialization the peer chose, independent of the request's.
#[tokio::test]
async fn response_is_decoded_whatever_its_serialization() {
    for (asked, answered) in [
        (SerializeType::RocketMq, SerializeType::Json),
        (SerializeType::Json, SerializeType::RocketMq),
    ] {
        let server = MockServer::start(move |request| {
            let mut response =
                Command::response_to(request, ResponseCode::SUCCESS, Some("answered".to_owned()))
                    .with_ext("msgId", "ABC");
            response.serialize_type = answered;
            Reply::Respond(response)
        })
        .await
        .expect("server");
        let conn = connect(&server).await;
        let request = req("q").with_serialize_type(asked);
        let response = conn.request(request, LONG).await.expect("response");
        assert_eq!(server.requests()[0].serialize_type, asked);
        assert_eq!(response.serialize_type, answered);
        assert_eq!(response.remark.as_deref(), Some("answered"));
        assert_eq!(response.ext_fields.get("msgId"), Some("ABC"));
        server.shutdown().await;
    }
}
