//! A client pointed at a port that speaks another protocol (an HTTP server, a TLS-only server)
//! fails with an error that says so, instead of a frame-size complaint.

use std::time::Duration;

use rmq_protocol::{Command, RequestCode};
use rmq_remoting::{Error, ErrorKind, RemotingClient, RemotingConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Starts a one-connection server on 127.0.0.1 that answers the first bytes it reads with
/// `answer` and keeps the socket open until the test drops the handle.
async fn foreign_server(answer: &'static [u8]) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("local addr").to_string();
    let task = tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut buf = [0u8; 512];
        let _ = socket.read(&mut buf).await;
        let _ = socket.write_all(answer).await;
        // Hold the connection open: the client must recognise the bytes, not a close.
        let _ = socket.read(&mut buf).await;
    });
    (addr, task)
}

/// The error for a request to `addr`, and the `NotRocketMq` error inside it.
async fn request_error(addr: &str) -> Error {
    let client = RemotingClient::new(RemotingConfig::default());
    let request = Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_ext("topic", "T");
    let err = client
        .invoke(addr, request, Duration::from_secs(10))
        .await
        .expect_err("a foreign server gives no RocketMQ response");
    client.shutdown().await;
    err
}

fn assert_not_rocketmq(err: &Error, addr: &str, like: &str) {
    let text = Error::chain(err).to_string();
    let expected = format!("{addr} is not a RocketMQ server: it answered like {like}");
    assert!(text.contains(&expected), "{text}");
    assert!(!text.contains("frame of"), "{text}");
    let inner = match err {
        Error::ConnectionClosed {
            cause: Some(cause), ..
        } => cause.as_ref(),
        other => other,
    };
    assert_eq!(inner.kind(), ErrorKind::NotRocketMq, "{text}");
}

#[tokio::test]
async fn http_answer_is_reported_as_not_rocketmq() {
    let (addr, server) =
        foreign_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
    let err = request_error(&addr).await;
    assert_not_rocketmq(&err, &addr, "an HTTP server");
    server.abort();
}

#[tokio::test]
async fn tls_record_on_plain_connection_is_reported_as_not_rocketmq() {
    // A TLS handshake record header, as a TLS-only server may send first.
    let (addr, server) = foreign_server(&[0x16, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]).await;
    let err = request_error(&addr).await;
    assert_not_rocketmq(&err, &addr, "a TLS server");
    server.abort();
}
