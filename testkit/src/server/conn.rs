//! One client connection on the server side: a reader task that routes frames (requests to the
//! service on tracked tasks, responses to server-initiated requests by opaque) and a writer
//! task that owns the write half. Faults are applied here, per request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use rmq_protocol::command::{FLAG_ONEWAY, FLAG_RESPONSE};
use rmq_protocol::{Command, LanguageCode, ResponseCode, SerializeType};
use rmq_remoting::RemotingCodec;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Service;
use crate::fault::Faults;

/// Frames queued for the writer per connection.
const WRITE_QUEUE: usize = 1024;
/// Requests served at once per connection (long polls included); more are answered
/// `SYSTEM_BUSY`, as Java's thread pools reject when their queues are full (Java's send queue
/// holds 10 000 requests).
const MAX_IN_FLIGHT: usize = 10_000;
/// Server-initiated requests awaiting an answer per connection.
const MAX_PENDING: usize = 256;

/// A handle to one client connection: who it is, and a way to send it requests.
#[derive(Clone)]
pub(crate) struct ClientConn {
    inner: Arc<ConnInner>,
}

struct ConnInner {
    id: u64,
    peer: SocketAddr,
    tx: mpsc::Sender<Out>,
    pending: Mutex<HashMap<i32, oneshot::Sender<Command>>>,
    next_opaque: AtomicI32,
    token: CancellationToken,
    /// The node's faults: a frozen node sends nothing, requests of its own included.
    faults: Arc<Faults>,
}

/// The receiving end of the writer queue, handed to [`spawn`].
pub(crate) struct Parts {
    rx: mpsc::Receiver<Out>,
}

enum Out {
    Frame(Command),
    Raw(Bytes),
    Close,
}

/// Why a server-initiated request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RequestError {
    /// The connection closed (or closes) before the answer came.
    #[error("client connection closed")]
    Closed,
    /// No answer within the timeout.
    #[error("client did not answer within {0:?}")]
    Timeout(Duration),
    /// Too many requests to this client are awaiting answers.
    #[error("too many requests awaiting the client")]
    Busy,
    /// The node is frozen: it sends nothing.
    #[error("the node is frozen")]
    Frozen,
}

/// What the connection tasks need from the server.
pub(crate) struct Deps {
    pub service: Arc<dyn Service>,
    pub faults: Arc<Faults>,
    pub tracker: TaskTracker,
    pub on_close: Box<dyn FnOnce(&ClientConn) + Send>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl std::fmt::Debug for ClientConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConn")
            .field("id", &self.inner.id)
            .field("peer", &self.inner.peer)
            .finish_non_exhaustive()
    }
}

impl ClientConn {
    pub(super) fn new(
        id: u64,
        peer: SocketAddr,
        token: CancellationToken,
        faults: Arc<Faults>,
    ) -> (ClientConn, Parts) {
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let conn = ClientConn {
            inner: Arc::new(ConnInner {
                id,
                peer,
                tx,
                pending: Mutex::new(HashMap::new()),
                next_opaque: AtomicI32::new(1),
                token,
                faults,
            }),
        };
        (conn, Parts { rx })
    }

    /// The connection's id, unique within its node.
    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }

    /// The client's address.
    pub(crate) fn peer(&self) -> SocketAddr {
        self.inner.peer
    }

    /// Whether the connection has closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.inner.token.is_cancelled()
    }

    /// Sends `request` oneway; `false` when the connection is closed, its queue is full, or the
    /// node is frozen.
    pub(crate) fn oneway(&self, mut request: Command) -> bool {
        if self.inner.faults.is_frozen() {
            return false;
        }
        request.flag = FLAG_ONEWAY;
        request.opaque = self.inner.next_opaque.fetch_add(1, Relaxed);
        request.language = LanguageCode::JAVA;
        !self.is_closed() && self.inner.tx.try_send(Out::Frame(request)).is_ok()
    }

    /// Sends `request` and waits up to `timeout` for the client's answer.
    ///
    /// # Errors
    /// [`RequestError`]: closed, timed out, too many requests awaiting answers, or the node is
    /// frozen (nothing is sent).
    ///
    /// # Cancel safety
    /// Cancel safe: the pending entry is removed when the future is dropped.
    pub(crate) async fn request(
        &self,
        mut request: Command,
        timeout: Duration,
    ) -> Result<Command, RequestError> {
        if self.inner.faults.is_frozen() {
            return Err(RequestError::Frozen);
        }
        let opaque = self.inner.next_opaque.fetch_add(1, Relaxed);
        request.flag = 0;
        request.opaque = opaque;
        request.language = LanguageCode::JAVA;
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = lock(&self.inner.pending);
            if pending.len() >= MAX_PENDING {
                return Err(RequestError::Busy);
            }
            pending.insert(opaque, tx);
        }
        let _guard = PendingGuard { conn: self, opaque };
        if self.is_closed() || self.inner.tx.try_send(Out::Frame(request)).is_err() {
            return Err(RequestError::Closed);
        }
        tokio::select! {
            _ = self.inner.token.cancelled() => Err(RequestError::Closed),
            answer = tokio::time::timeout(timeout, rx) => match answer {
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(_)) => Err(RequestError::Closed),
                Err(_) => Err(RequestError::Timeout(timeout)),
            },
        }
    }

    /// Queues `out` for the writer, waiting for room as a full socket buffer makes a server
    /// wait: a response is never dropped (a burst of 10k requests must get 10k answers). A
    /// client that stops reading holds up its own connection only; closing ends the wait.
    async fn send(&self, out: Out) {
        tokio::select! {
            _ = self.inner.token.cancelled() => {}
            _ = self.inner.tx.send(out) => {}
        }
    }
}

/// Removes a server-initiated request's pending entry however its future ends.
struct PendingGuard<'a> {
    conn: &'a ClientConn,
    opaque: i32,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(&self.conn.inner.pending).remove(&self.opaque);
    }
}

/// Starts the reader and writer tasks of a freshly accepted connection.
pub(super) fn spawn(stream: TcpStream, conn: ClientConn, parts: Parts, deps: Deps) {
    let (read, write) = stream.into_split();
    let writer = FramedWrite::new(write, RemotingCodec::default());
    let reader = FramedRead::new(read, RemotingCodec::default());
    deps.tracker
        .spawn(writer_task(writer, parts.rx, conn.inner.token.clone()));
    let tracker = deps.tracker.clone();
    tracker.spawn(reader_task(reader, conn, deps));
}

async fn writer_task(
    mut writer: FramedWrite<tokio::net::tcp::OwnedWriteHalf, RemotingCodec>,
    mut rx: mpsc::Receiver<Out>,
    token: CancellationToken,
) {
    loop {
        let out = tokio::select! {
            _ = token.cancelled() => break,
            out = rx.recv() => out,
        };
        let result = match out {
            Some(Out::Frame(cmd)) => writer.send(cmd).await,
            Some(Out::Raw(bytes)) => writer.send(bytes).await,
            Some(Out::Close) | None => break,
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "write failed, closing the connection");
            break;
        }
    }
    token.cancel();
}

async fn reader_task(
    mut reader: FramedRead<tokio::net::tcp::OwnedReadHalf, RemotingCodec>,
    conn: ClientConn,
    deps: Deps,
) {
    let token = conn.inner.token.clone();
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        let frame = tokio::select! {
            _ = token.cancelled() => break,
            frame = reader.next() => frame,
        };
        let cmd = match frame {
            Some(Ok(cmd)) => cmd,
            Some(Err(e)) => {
                tracing::debug!(peer = %conn.peer(), error = %e, "bad frame, closing");
                break;
            }
            None => break,
        };
        if cmd.is_response() {
            if let Some(waiter) = lock(&conn.inner.pending).remove(&cmd.opaque) {
                let _ = waiter.send(cmd);
            }
            continue;
        }
        let plan = deps.faults.on_request(cmd.code);
        if deps.faults.is_frozen() {
            continue;
        }
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            if cmd.is_oneway() {
                continue;
            }
            // Java: NettyRemotingAbstract on RejectedExecutionException.
            let busy = Command::response(
                ResponseCode::SYSTEM_BUSY,
                Some("[OVERLOAD]system busy, start flow control for a while".into()),
            );
            conn.send(Out::Frame(finish(cmd.opaque, cmd.serialize_type, busy)))
                .await;
            continue;
        };
        let task = serve(
            cmd,
            plan,
            conn.clone(),
            deps.service.clone(),
            deps.faults.clone(),
        );
        let token = token.clone();
        deps.tracker.spawn(async move {
            let _permit = permit;
            tokio::select! {
                _ = token.cancelled() => {}
                _ = task => {}
            }
        });
    }
    token.cancel();
    lock(&conn.inner.pending).clear();
    (deps.on_close)(&conn);
}

/// Serves one request with its fault plan and writes the answer, if any.
async fn serve(
    request: Command,
    plan: crate::fault::Plan,
    conn: ClientConn,
    service: Arc<dyn Service>,
    faults: Arc<Faults>,
) {
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    let oneway = request.is_oneway();
    let (opaque, serialize_type) = (request.opaque, request.serialize_type);
    let response = match plan.inject {
        Some(code) => Some(Command::response(
            code,
            Some(format!("[testkit] injected {code:?}")),
        )),
        None => service.handle(request, conn.clone()).await,
    };
    let Some(response) = response else { return };
    let response = finish(opaque, serialize_type, response);
    if oneway || faults.is_frozen() || faults.drop_response() {
        return;
    }
    if plan.close_mid_frame {
        match RemotingCodec::default().encode_frame(&response) {
            Ok(frame) => conn.send(Out::Raw(frame.slice(..frame.len() / 2))).await,
            Err(e) => tracing::debug!(error = %e, "cannot encode the response"),
        }
        conn.send(Out::Close).await;
        return;
    }
    conn.send(Out::Frame(response)).await;
}

/// Makes `response` answer the request with `opaque` sent in `serialize_type`: same opaque and
/// serialization (Java replies in the request's), response bit set.
fn finish(opaque: i32, serialize_type: SerializeType, mut response: Command) -> Command {
    response.opaque = opaque;
    response.serialize_type = serialize_type;
    response.flag |= FLAG_RESPONSE;
    response.language = LanguageCode::JAVA;
    response.version = crate::SERVER_VERSION.0;
    response
}
