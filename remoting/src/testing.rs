//! An in-process, scripted peer for tests (feature `testing`): [`MockServer`] listens on
//! `127.0.0.1:0` and answers each request with what a handler closure returns, including
//! faults (stall, close mid-frame, garbage). It can also send server-initiated requests.
//! It is a test fixture: it favours clarity over throughput.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use rmq_protocol::command::FLAG_RESPONSE;
use rmq_protocol::{Command, ResponseCode};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::codec::RemotingCodec;

/// What the server does with one request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Reply {
    /// Send this response; its opaque and response bit are taken from the request.
    Respond(Command),
    /// Send these commands exactly as given (no opaque or flag fix-up).
    Frames(Vec<Command>),
    /// Send nothing.
    Nothing,
    /// Send the response after a delay, without holding up the connection.
    Delayed(Duration, Command),
    /// Stop reading and writing this connection for a while (a stalled peer), reply nothing.
    Stall(Duration),
    /// Write the first half of a valid response frame, then close the connection.
    CloseMidFrame,
    /// Close the connection without replying.
    Close,
    /// Write these bytes as they are (garbage, hand-made frames).
    Raw(Bytes),
}

impl Reply {
    /// `SUCCESS` with no body.
    pub fn success() -> Reply {
        Reply::Respond(Command::response(ResponseCode::SUCCESS, None))
    }

    /// `SUCCESS` echoing the request's body and ext fields.
    pub fn echo(request: &Command) -> Reply {
        let mut response = Command::response_to(request, ResponseCode::SUCCESS, None);
        response.body = request.body.clone();
        response.ext_fields = request.ext_fields.clone();
        Reply::Respond(response)
    }
}

type Handler = Arc<dyn Fn(&Command) -> Reply + Send + Sync>;

/// A scripted RocketMQ peer on `127.0.0.1`.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use rmq_remoting::testing::{MockServer, Reply};
///
/// let server = MockServer::start(|request| Reply::echo(request)).await?;
/// println!("listening on {}", server.addr());
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub struct MockServer {
    addr: String,
    shared: Arc<Shared>,
    token: CancellationToken,
    tracker: TaskTracker,
}

struct Shared {
    handler: RwLock<Handler>,
    requests: Mutex<Vec<Command>>,
    responses: Mutex<Vec<Command>>,
    conns: Mutex<HashMap<u64, mpsc::UnboundedSender<Out>>>,
    waiters: Mutex<HashMap<i32, oneshot::Sender<Command>>>,
    next_opaque: AtomicI32,
    next_conn: AtomicU64,
    accepted: AtomicUsize,
}

enum Out {
    Frame(Command),
    Raw(Bytes),
    Close,
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .field("connections", &self.connections())
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a plain-TCP server answering with `handler`.
    ///
    /// # Errors
    /// When binding `127.0.0.1:0` fails.
    pub async fn start<F>(handler: F) -> io::Result<MockServer>
    where
        F: Fn(&Command) -> Reply + Send + Sync + 'static,
    {
        MockServer::start_inner(Arc::new(handler), None).await
    }

    /// Starts a TLS server with `config` (feature `tls`).
    ///
    /// # Errors
    /// When binding `127.0.0.1:0` fails.
    #[cfg(feature = "tls")]
    pub async fn start_tls<F>(
        handler: F,
        config: Arc<rustls::ServerConfig>,
    ) -> io::Result<MockServer>
    where
        F: Fn(&Command) -> Reply + Send + Sync + 'static,
    {
        MockServer::start_inner(Arc::new(handler), Some(config)).await
    }

    async fn start_inner(
        handler: Handler,
        #[cfg(feature = "tls")] tls: Option<Arc<rustls::ServerConfig>>,
        #[cfg(not(feature = "tls"))] tls: Option<()>,
    ) -> io::Result<MockServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let shared = Arc::new(Shared {
            handler: RwLock::new(handler),
            requests: Mutex::default(),
            responses: Mutex::default(),
            conns: Mutex::default(),
            waiters: Mutex::default(),
            next_opaque: AtomicI32::new(1),
            next_conn: AtomicU64::new(1),
            accepted: AtomicUsize::new(0),
        });
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        let accept = accept_task(
            listener,
            Arc::clone(&shared),
            token.clone(),
            tracker.clone(),
            tls,
        );
        tracker.spawn(accept);
        Ok(MockServer {
            addr,
            shared,
            token,
            tracker,
        })
    }

    /// `host:port` to dial.
    pub fn addr(&self) -> String {
        self.addr.clone()
    }

    /// Replaces the handler for requests received from now on.
    pub fn set_handler<F>(&self, handler: F)
    where
        F: Fn(&Command) -> Reply + Send + Sync + 'static,
    {
        *self
            .shared
            .handler
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(handler);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Command> {
        lock(&self.shared.requests).clone()
    }

    /// Every response received from clients (to server-initiated requests).
    pub fn responses(&self) -> Vec<Command> {
        lock(&self.shared.responses).clone()
    }

    /// Connections currently open.
    pub fn connections(&self) -> usize {
        lock(&self.shared.conns).len()
    }

    /// Connections accepted since start.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Relaxed)
    }

    /// Sends `request` (a fresh opaque from the server's own counter is assigned) to every
    /// connected client without waiting for answers; returns how many clients got it.
    pub fn send_request(&self, mut request: Command) -> usize {
        request.opaque = self.shared.next_opaque.fetch_add(1, Relaxed);
        let conns = lock(&self.shared.conns);
        conns
            .values()
            .filter(|tx| tx.send(Out::Frame(request.clone())).is_ok())
            .count()
    }

    /// Sends `request` to one connected client and waits up to `timeout` for its response.
    ///
    /// # Errors
    /// `NotConnected` with no client, `TimedOut` when no response arrived.
    pub async fn request(&self, mut request: Command, timeout: Duration) -> io::Result<Command> {
        request.opaque = self.shared.next_opaque.fetch_add(1, Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.waiters).insert(request.opaque, tx);
        let sent = lock(&self.shared.conns)
            .values()
            .next()
            .is_some_and(|conn| conn.send(Out::Frame(request.clone())).is_ok());
        if !sent {
            lock(&self.shared.waiters).remove(&request.opaque);
            return Err(io::ErrorKind::NotConnected.into());
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(response)) => Ok(response),
            _ => {
                lock(&self.shared.waiters).remove(&request.opaque);
                Err(io::ErrorKind::TimedOut.into())
            }
        }
    }

    /// Writes raw bytes to every connected client.
    pub fn send_raw(&self, bytes: Bytes) {
        for conn in lock(&self.shared.conns).values() {
            let _ = conn.send(Out::Raw(bytes.clone()));
        }
    }

    /// Closes every client connection (the listener stays open).
    pub fn disconnect_all(&self) {
        for conn in lock(&self.shared.conns).values() {
            let _ = conn.send(Out::Close);
        }
    }

    /// Stops accepting, closes every connection and waits for the server's tasks.
    pub async fn shutdown(&self) {
        self.token.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

async fn accept_task(
    listener: TcpListener,
    shared: Arc<Shared>,
    token: CancellationToken,
    tracker: TaskTracker,
    #[cfg(feature = "tls")] tls: Option<Arc<rustls::ServerConfig>>,
    #[cfg(not(feature = "tls"))] _tls: Option<()>,
) {
    loop {
        let stream = tokio::select! {
            _ = token.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let _ = stream.set_nodelay(true);
        shared.accepted.fetch_add(1, Relaxed);
        let shared = Arc::clone(&shared);
        let token = token.clone();
        let spawner = tracker.clone();
        #[cfg(feature = "tls")]
        let tls = tls.clone();
        tracker.spawn(async move {
            #[cfg(feature = "tls")]
            if let Some(config) = tls {
                let acceptor = tokio_rustls::TlsAcceptor::from(config);
                // A failed handshake just drops the connection, as a real server would.
                if let Ok(stream) = acceptor.accept(stream).await {
                    serve(Box::new(stream), shared, token, spawner).await;
                }
                return;
            }
            serve(Box::new(stream), shared, token, spawner).await;
        });
    }
}

/// One client connection: reads requests, answers them as the handler says.
async fn serve(
    stream: Box<dyn Io>,
    shared: Arc<Shared>,
    token: CancellationToken,
    tracker: TaskTracker,
) {
    let id = shared.next_conn.fetch_add(1, Relaxed);
    let (tx, mut rx) = mpsc::unbounded_channel();
    lock(&shared.conns).insert(id, tx.clone());
    let mut framed = Framed::new(stream, RemotingCodec::default());
    loop {
        let frame = tokio::select! {
            _ = token.cancelled() => break,
            out = rx.recv() => {
                let Some(out) = out else { break };
                if !write_out(&mut framed, out).await {
                    break;
                }
                continue;
            }
            frame = framed.next() => frame,
        };
        let Some(Ok(cmd)) = frame else { break };
        if cmd.is_response() {
            lock(&shared.responses).push(cmd.clone());
            if let Some(waiter) = lock(&shared.waiters).remove(&cmd.opaque) {
                let _ = waiter.send(cmd);
            }
            continue;
        }
        lock(&shared.requests).push(cmd.clone());
        let handler = Arc::clone(&shared.handler.read().unwrap_or_else(|e| e.into_inner()));
        let keep_going = match handler(&cmd) {
            Reply::Respond(response) => {
                write_out(&mut framed, Out::Frame(fix_up(&cmd, response))).await
            }
            Reply::Frames(frames) => {
                let mut ok = true;
                for frame in frames {
                    ok = ok && write_out(&mut framed, Out::Frame(frame)).await;
                }
                ok
            }
            Reply::Nothing => true,
            Reply::Delayed(delay, response) => {
                let tx = tx.clone();
                let response = fix_up(&cmd, response);
                let token = token.clone();
                tracker.spawn(async move {
                    tokio::select! {
                        _ = token.cancelled() => {}
                        _ = tokio::time::sleep(delay) => { let _ = tx.send(Out::Frame(response)); }
                    }
                });
                true
            }
            Reply::Stall(pause) => {
                tokio::select! {
                    _ = token.cancelled() => false,
                    _ = tokio::time::sleep(pause) => true,
                }
            }
            Reply::CloseMidFrame => {
                let mut buf = BytesMut::new();
                let response = fix_up(&cmd, Command::response(ResponseCode::SUCCESS, None));
                if response.encode(&mut buf).is_ok() {
                    let half = buf.len() / 2;
                    let _ = write_out(&mut framed, Out::Raw(buf.split_to(half).freeze())).await;
                }
                false
            }
            Reply::Close => false,
            Reply::Raw(bytes) => write_out(&mut framed, Out::Raw(bytes)).await,
        };
        if !keep_going {
            break;
        }
    }
    lock(&shared.conns).remove(&id);
    let _ = framed.get_mut().shutdown().await;
}

/// Gives `response` the request's opaque and the response bit.
fn fix_up(request: &Command, mut response: Command) -> Command {
    response.opaque = request.opaque;
    response.flag |= FLAG_RESPONSE;
    response
}

/// Writes one item; `false` when the connection should end.
async fn write_out(framed: &mut Framed<Box<dyn Io>, RemotingCodec>, out: Out) -> bool {
    match out {
        Out::Frame(cmd) => framed.send(cmd).await.is_ok(),
        Out::Raw(bytes) => {
            let io = framed.get_mut();
            io.write_all(&bytes).await.is_ok() && io.flush().await.is_ok()
        }
        Out::Close => false,
    }
}
