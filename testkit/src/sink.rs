//! [`SinkServer`]: a minimal name server and broker in one listener that acknowledges every
//! send at once, for client benchmarks. It is not a broker: it stores nothing, checks nothing
//! and serves only what a producer needs to send, so what a benchmark times is the client.
//!
//! It answers GET_ROUTEINFO_BY_TOPIC with a route to itself for any topic (`broker-a`, 4
//! queues, read-write), HEART_BEAT and UNREGISTER_CLIENT with SUCCESS, SEND_MESSAGE(_V2) and
//! SEND_BATCH_MESSAGE with SUCCESS and the send-response fields (`msgId`, `queueId`,
//! `queueOffset`, `MSG_REGION`, `TRACE_ON`; nothing for a oneway), and anything else with
//! REQUEST_CODE_NOT_SUPPORTED. The answers to the frames of one read go out in one write.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::{CancellationToken, DropGuard};
use tokio_util::task::TaskTracker;

use crate::error::{Error, Result};

/// Most client connections served at once; further connects are closed at once.
const MAX_CONNECTIONS: usize = 1024;

/// Room kept free in a connection's read buffer before each read.
const READ_CHUNK: usize = 64 * 1024;

/// The queues of every topic the sink routes.
const QUEUES: i32 = 4;

/// The broker name the sink routes to (itself).
const BROKER_NAME: &str = "broker-a";

/// A running sink: a name server and broker on `127.0.0.1` that acknowledges every send at
/// once. Cheap to clone; the sink stops when the last clone is dropped or at
/// [`SinkServer::shutdown`].
///
/// Its tasks run on the runtime that called [`SinkServer::start`]: a benchmark that measures
/// the client's CPU apart from the sink's starts it on a thread and runtime of its own.
///
/// ```no_run
/// # async fn demo() -> rmq_testkit::Result<()> {
/// let sink = rmq_testkit::sink::SinkServer::start().await?;
/// println!("give the producer {} as its name server", sink.addr());
/// // ... send ...
/// println!("{} sends received", sink.sends());
/// sink.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SinkServer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    addr: SocketAddr,
    state: Arc<State>,
    token: CancellationToken,
    tracker: TaskTracker,
    _guard: DropGuard,
}

/// What every connection task shares.
#[derive(Debug)]
struct State {
    route: Bytes,
    msg_id_prefix: String,
    next_offset: AtomicU64,
    sends: AtomicU64,
    connections: AtomicUsize,
}

impl SinkServer {
    /// Listens on a free port of `127.0.0.1` and serves on the current tokio runtime.
    ///
    /// # Errors
    /// [`Error::Bind`] when no port can be bound.
    ///
    /// # Cancel safety
    /// Cancel safe: nothing is served until it returns.
    pub async fn start() -> Result<SinkServer> {
        let requested = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let bind_error = |source| Error::Bind {
            addr: requested,
            source,
        };
        let listener = TcpListener::bind(requested).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let state = Arc::new(State::new(addr));
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        tracker.spawn(accept_task(
            listener,
            state.clone(),
            tracker.clone(),
            token.clone(),
        ));
        let inner = Inner {
            addr,
            state,
            _guard: token.clone().drop_guard(),
            token,
            tracker,
        };
        Ok(SinkServer {
            inner: Arc::new(inner),
        })
    }

    /// Where it listens: the address to give a client as its name server.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// Send requests received so far (single, batch and oneway).
    pub fn sends(&self) -> u64 {
        self.inner.state.sends.load(Relaxed)
    }

    /// Stops listening, closes every connection and waits until no task of the sink is left.
    ///
    /// # Cancel safety
    /// Cancel safe: everything is already told to stop when the wait begins.
    pub async fn shutdown(&self) {
        self.inner.token.cancel();
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
    }
}

/// Accepts connections until cancelled, each served on a task of its own.
async fn accept_task(
    listener: TcpListener,
    state: Arc<State>,
    tracker: TaskTracker,
    token: CancellationToken,
) {
    loop {
        let stream = tokio::select! {
            () = token.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // A failed accept (say, out of descriptors) is the client's problem to retry.
                Err(_) => continue,
            },
        };
        if state.connections.fetch_add(1, Relaxed) >= MAX_CONNECTIONS {
            state.connections.fetch_sub(1, Relaxed);
            continue;
        }
        // Like a broker: answers go out as soon as they are written.
        let _ = stream.set_nodelay(true);
        let (state, token) = (state.clone(), token.clone());
        tracker.spawn(async move {
            tokio::select! {
                () = token.cancelled() => {}
                () = serve(stream, &state) => {}
            }
            state.connections.fetch_sub(1, Relaxed);
        });
    }
}

/// Serves one connection: decodes every whole frame of a read and answers them in one write.
/// A frame over 16 MiB or a malformed one closes the connection.
async fn serve(mut stream: TcpStream, state: &State) {
    let mut input = BytesMut::with_capacity(4 * READ_CHUNK);
    let mut output = BytesMut::with_capacity(READ_CHUNK);
    loop {
        input.reserve(READ_CHUNK);
        match stream.read_buf(&mut input).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            match decode_frame(&mut input, DEFAULT_MAX_FRAME) {
                Ok(Some(request)) => {
                    if state.answer(&request, &mut output).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        if !output.is_empty() {
            if stream.write_all(&output).await.is_err() {
                return;
            }
            output.clear();
        }
    }
}

impl State {
    fn new(addr: SocketAddr) -> State {
        let route = format!(
            concat!(
                r#"{{"brokerDatas":[{{"brokerAddrs":{{"0":"{addr}"}},"brokerName":"{name}","#,
                r#""cluster":"DefaultCluster"}}],"queueDatas":[{{"brokerName":"{name}","perm":6,"#,
                r#""readQueueNums":{queues},"writeQueueNums":{queues},"topicSysFlag":0}}]}}"#
            ),
            addr = addr,
            name = BROKER_NAME,
            queues = QUEUES,
        );
        // An offset message id is ip (8 hex) + port (8 hex) + commit log offset (16 hex); the
        // sink always listens on 127.0.0.1.
        let msg_id_prefix = format!("{:08X}{:08X}", u32::from(Ipv4Addr::LOCALHOST), addr.port());
        State {
            route: Bytes::from(route),
            msg_id_prefix,
            next_offset: AtomicU64::new(0),
            sends: AtomicU64::new(0),
            connections: AtomicUsize::new(0),
        }
    }

    /// Appends the answer to `request`, if it gets one, to `out`.
    ///
    /// # Errors
    /// When the answer cannot be encoded (never for the answers built here).
    fn answer(&self, request: &Command, out: &mut BytesMut) -> rmq_protocol::Result<()> {
        if request.is_response() {
            return Ok(());
        }
        let ok = || Command::response_to(request, ResponseCode::SUCCESS, None);
        let response = match request.request_code() {
            RequestCode::SEND_MESSAGE_V2
            | RequestCode::SEND_MESSAGE
            | RequestCode::SEND_BATCH_MESSAGE => {
                self.sends.fetch_add(1, Relaxed);
                if request.is_oneway() {
                    return Ok(());
                }
                let offset = self.next_offset.fetch_add(1, Relaxed);
                // V2 headers name the queue id `e`, V1 headers `queueId`.
                let queue_id = request
                    .ext_fields
                    .get("e")
                    .or_else(|| request.ext_fields.get("queueId"))
                    .unwrap_or("0")
                    .to_owned();
                ok().with_ext("msgId", format!("{}{offset:016X}", self.msg_id_prefix))
                    .with_ext("queueId", queue_id)
                    .with_ext("queueOffset", offset.to_string())
                    .with_ext("MSG_REGION", "DefaultRegion")
                    .with_ext("TRACE_ON", "true")
            }
            RequestCode::GET_ROUTEINFO_BY_TOPIC => ok().with_body(self.route.clone()),
            RequestCode::HEART_BEAT | RequestCode::UNREGISTER_CLIENT => ok(),
            other => Command::response_to(
                request,
                ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                Some(format!("the sink does not serve request code {}", other.0)),
            ),
        };
        if request.is_oneway() {
            return Ok(());
        }
        response.encode(out)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rmq_protocol::body::{JsonBody, TopicRouteData};
    use rmq_remoting::{Connection, RemotingConfig};

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);

    async fn connect(sink: &SinkServer) -> Connection {
        Connection::connect(&sink.addr().to_string(), &RemotingConfig::default())
            .await
            .expect("connects to the sink")
    }

    #[tokio::test]
    async fn routes_any_topic_to_itself() {
        let sink = SinkServer::start().await.expect("start");
        let conn = connect(&sink).await;
        let request =
            Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_ext("topic", "AnyTopic");
        let answer = conn.request(request, TIMEOUT).await.expect("answered");
        assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
        let route = TopicRouteData::from_json(&answer.body).expect("route body");
        assert_eq!(
            route.broker_datas[0].broker_addrs.get(&0),
            Some(&sink.addr().to_string())
        );
        assert_eq!(route.queue_datas[0].write_queue_nums, QUEUES);
        sink.shutdown().await;
    }

    #[tokio::test]
    async fn acknowledges_sends_with_increasing_offsets_and_counts_oneways() {
        let sink = SinkServer::start().await.expect("start");
        let conn = connect(&sink).await;
        let send = || Command::request(RequestCode::SEND_MESSAGE_V2).with_ext("e", "3");
        let mut offsets = Vec::new();
        for _ in 0..3 {
            let answer = conn.request(send(), TIMEOUT).await.expect("answered");
            assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
            assert_eq!(answer.ext_fields.get("queueId"), Some("3"));
            let msg_id = answer.ext_fields.get("msgId").expect("msgId");
            assert_eq!(msg_id.len(), 32, "{msg_id}");
            offsets.push(answer.ext_fields.get("queueOffset").map(str::to_owned));
        }
        assert_eq!(
            offsets,
            [Some("0".into()), Some("1".into()), Some("2".into())]
        );
        conn.oneway(send(), TIMEOUT).await.expect("oneway written");
        // The oneway has no answer: a request after it is answered first and counts 5 sends.
        conn.request(send(), TIMEOUT).await.expect("answered");
        assert_eq!(sink.sends(), 5);
        sink.shutdown().await;
    }

    #[tokio::test]
    async fn refuses_other_codes_and_closes_on_a_bad_frame() {
        let sink = SinkServer::start().await.expect("start");
        let conn = connect(&sink).await;
        let answer = conn
            .request(Command::request(RequestCode::PULL_MESSAGE), TIMEOUT)
            .await
            .expect("answered");
        assert_eq!(
            answer.response_code(),
            ResponseCode::REQUEST_CODE_NOT_SUPPORTED
        );

        let mut raw = TcpStream::connect(sink.addr()).await.expect("connect");
        // A frame announcing more than 16 MiB.
        raw.write_all(&u32::MAX.to_be_bytes()).await.expect("write");
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(TIMEOUT, raw.read(&mut buf))
            .await
            .expect("closed within the bound");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        sink.shutdown().await;
    }

    #[tokio::test]
    async fn shutdown_closes_connections() {
        let sink = SinkServer::start().await.expect("start");
        let mut raw = TcpStream::connect(sink.addr()).await.expect("connect");
        let clone = sink.clone();
        clone.shutdown().await;
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(TIMEOUT, raw.read(&mut buf))
            .await
            .expect("closed within the bound");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
}
