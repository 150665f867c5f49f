//! [`Connection`]: a cheap, cloneable handle to one TCP (or TLS) connection, with a reader task
//! and a writer task behind it. It matches responses to requests and bounds what is in flight;
//! it does not reconnect (the [`RemotingClient`](crate::RemotingClient) pool does).
//!
//! A server that answers a request `GO_AWAY` (5.x, code 1500: it is shutting down) makes the
//! connection *draining*: it takes no new request, the requests in flight get their answers,
//! and it closes once none is left (Java: `NettyRemotingClient#invokeImpl`).
//!
//! ```text
//! Connection: Clone ─ tx: mpsc::Sender<Outbound> ──► writer_task (FramedWrite, coalesces frames)
//!                   ─ core.pending ◄──────────────── reader_task (FramedRead, routes frames)
//!                   ─ core.token: CancellationToken (child of the client's)
//! ```

mod reader;
mod writer;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::command::FLAG_RESPONSE;
use rmq_protocol::Command;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, Instrument};

use crate::codec::RemotingCodec;
use crate::config::RemotingConfig;
use crate::error::{Error, Result};
use crate::inbound::{BoxFuture, Inbound, ReplyChannel};
use crate::metrics::{Counters, InFlight, MetricsSnapshot};

/// Java uses one JVM-wide counter for opaques; so do we (it makes opaques unique in logs).
static NEXT_OPAQUE: AtomicI32 = AtomicI32::new(1);
static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) type BoxRead = Box<dyn AsyncRead + Send + Unpin>;
pub(crate) type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

/// A handle to one connection. Clones share the connection; dropping the last handle closes it.
///
/// Server-initiated requests on a standalone connection are answered
/// `REQUEST_CODE_NOT_SUPPORTED`; use a [`RemotingClient`](crate::RemotingClient) to serve them.
#[derive(Debug, Clone)]
pub struct Connection {
    handle: Arc<Handle>,
}

/// Owns the sending side: when the last `Handle` drops, the writer sees its queue close.
#[derive(Debug)]
struct Handle {
    tx: mpsc::Sender<Outbound>,
    core: Arc<Core>,
}

/// What both tasks and every handle share.
#[derive(Debug)]
pub(crate) struct Core {
    addr: String,
    id: u64,
    config: Arc<RemotingConfig>,
    codec: RemotingCodec,
    pending: Arc<crate::pending::Pending>,
    token: CancellationToken,
    tasks: TaskTracker,
    count_limit: Arc<Semaphore>,
    byte_limit: Arc<Semaphore>,
    counters: Arc<Counters>,
    epoch: Instant,
    /// Milliseconds since `epoch` of the last read, write or request start.
    last_active: AtomicU64,
    close_cause: OnceLock<Option<Arc<Error>>>,
    /// Set by the first `GO_AWAY` answer; never cleared (the reader closes the connection
    /// once nothing is in flight).
    draining: AtomicBool,
    /// Weak so that the tasks alone never keep the connection open.
    reply_tx: mpsc::WeakSender<Outbound>,
}

/// One encoded frame for the writer, with the in-flight permits a oneway holds until written.
#[derive(Debug)]
pub(crate) struct Outbound {
    frame: Bytes,
    _permits: Option<Permits>,
}

/// A request's share of the in-flight limits; released on drop.
#[derive(Debug)]
struct Permits {
    _count: OwnedSemaphorePermit,
    _bytes: OwnedSemaphorePermit,
    _gauge: InFlight,
}

/// What a new connection needs from whoever owns it (a client, or nobody when standalone).
pub(crate) struct Context {
    pub(crate) config: Arc<RemotingConfig>,
    pub(crate) tracker: TaskTracker,
    pub(crate) token: CancellationToken,
    pub(crate) inbound: Arc<Inbound>,
    pub(crate) counters: Option<Arc<Counters>>,
    pub(crate) on_close: Option<Box<dyn FnOnce(u64) + Send>>,
}

impl Connection {
    /// Connects to `addr` (`host:port`) with `config`, outside any client.
    ///
    /// # Errors
    /// [`Error::Connect`] when the TCP connect (or TLS handshake) fails or exceeds the connect
    /// timeout.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future abandons the dial and leaves nothing running.
    pub async fn connect(addr: &str, config: &RemotingConfig) -> Result<Connection> {
        let config = Arc::new(config.clone());
        let tracker = TaskTracker::new();
        let token = CancellationToken::new();
        let inbound = Arc::new(Inbound::new(
            config.inbound_queue,
            tracker.clone(),
            token.clone(),
        ));
        let ctx = Context {
            config,
            tracker,
            token,
            inbound,
            counters: None,
            on_close: None,
        };
        Connection::dial(addr, ctx)
            .await
            .map_err(|source| Error::Connect {
                addr: addr.to_owned(),
                source: Arc::new(source),
            })
    }

    /// Dials and starts the tasks; `io::Error` so the pool can share it between waiters.
    pub(crate) async fn dial(addr: &str, ctx: Context) -> io::Result<Connection> {
        let timeout = ctx.config.connect_timeout;
        let counters = ctx.counters.clone();
        let dialed = tokio::time::timeout(timeout, async {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            #[cfg(feature = "tls")]
            if let Some(tls) = &ctx.config.tls {
                let stream = tls.connect(addr, stream).await?;
                let (r, w) = tokio::io::split(stream);
                return Ok::<(BoxRead, BoxWrite), io::Error>((Box::new(r), Box::new(w)));
            }
            let (r, w) = stream.into_split();
            Ok::<(BoxRead, BoxWrite), io::Error>((Box::new(r), Box::new(w)))
        })
        .await
        .unwrap_or_else(|_| {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect timed out after {timeout:?}"),
            ))
        });
        let field: fn(&Counters) -> &AtomicU64 = match dialed {
            Ok(_) => |c| &c.connects,
            Err(_) => |c| &c.connect_failures,
        };
        if let Some(counters) = &counters {
            counters.incr(field);
        }
        let (r, w) = dialed?;
        Ok(Connection::spawn(addr, r, w, ctx))
    }

    /// Starts the reader and writer over an established stream.
    pub(crate) fn spawn(addr: &str, r: BoxRead, w: BoxWrite, ctx: Context) -> Connection {
        let config = ctx.config;
        let codec = RemotingCodec::new(config.max_frame);
        let queue = config.max_in_flight.clamp(config.write_batch, 1024);
        let (tx, rx) = mpsc::channel(queue);
        let counters = Arc::new(Counters::child_of(ctx.counters));
        counters.each(|c| {
            c.connections.fetch_add(1, Relaxed);
        });
        let core = Arc::new(Core {
            addr: addr.to_owned(),
            id: NEXT_CONNECTION_ID.fetch_add(1, Relaxed),
            codec,
            pending: Arc::default(),
            token: ctx.token.child_token(),
            tasks: TaskTracker::new(),
            count_limit: Arc::new(Semaphore::new(config.max_in_flight)),
            byte_limit: Arc::new(Semaphore::new(config.max_in_flight_bytes)),
            counters,
            epoch: Instant::now(),
            last_active: AtomicU64::new(0),
            close_cause: OnceLock::new(),
            draining: AtomicBool::new(false),
            reply_tx: tx.downgrade(),
            config,
        });
        let span = tracing::info_span!("connection", addr = %addr, id = core.id);
        let mut sink = FramedWrite::new(w, codec);
        // Frames are small and many; buffer more before `feed` forces a write.
        sink.set_backpressure_boundary(64 * 1024);
        let writer = writer::writer_task(Arc::clone(&core), rx, sink);
        let frames = FramedRead::new(r, codec);
        let reader = reader::reader_task(Arc::clone(&core), frames, ctx.inbound, ctx.on_close);
        ctx.tracker
            .spawn(core.tasks.track_future(writer.instrument(span.clone())));
        ctx.tracker
            .spawn(core.tasks.track_future(reader.instrument(span)));
        core.tasks.close();
        debug!(addr, id = core.id, "connection established");
        Connection {
            handle: Arc::new(Handle { tx, core }),
        }
    }

    /// The address this connection was dialed with.
    pub fn addr(&self) -> &str {
        &self.handle.core.addr
    }

    /// A process-wide unique id for this connection (changes when the pool re-dials).
    pub fn id(&self) -> u64 {
        self.handle.core.id
    }

    /// Sends `request` and waits up to `timeout` for its response.
    ///
    /// The request gets a fresh opaque; its serialize type is kept as given (a
    /// [`RemotingClient`](crate::RemotingClient) sets [`RemotingConfig::serialize_type`] on every
    /// request before it gets here). The response is decoded whatever serialization the peer
    /// chose. Waiting for in-flight capacity counts against the same `timeout`.
    ///
    /// # Errors
    /// - [`Error::Timeout`] when no response arrived in time (the connection stays open);
    /// - [`Error::TooManyRequests`] when in-flight capacity did not free up in time;
    /// - [`Error::ConnectionClosed`] when the connection is or becomes closed, or is
    ///   [draining](Connection::is_draining);
    /// - [`Error::Codec`] when the request cannot be encoded or exceeds the frame limit.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping the future removes the pending entry and releases its capacity; a
    /// response arriving later is dropped.
    pub async fn request(&self, mut request: Command, timeout: Duration) -> Result<Command> {
        let started = Instant::now();
        self.request_until(&mut request, started, started + timeout)
            .await
    }

    /// [`request`](Connection::request) with a deadline; `request` is borrowed so that the
    /// pool can send it again on another connection (it gets a fresh opaque each time).
    pub(crate) async fn request_until(
        &self,
        request: &mut Command,
        started: Instant,
        deadline: Instant,
    ) -> Result<Command> {
        let core = &self.handle.core;
        let code = request.request_code();
        core.ensure_open()?;
        request.opaque = next_opaque();
        request.flag &= !FLAG_RESPONSE;
        let opaque = request.opaque;
        let frame = core.encode(request)?;
        let permits = core.acquire(frame.len(), started, deadline).await?;
        let (guard, rx) = core
            .pending
            .insert(opaque)
            .ok_or_else(|| core.closed_error())?;
        core.counters.incr(|c| &c.requests);
        core.touch();
        let exchange = async {
            let outbound = Outbound {
                frame,
                _permits: None,
            };
            if self.handle.tx.send(outbound).await.is_err() {
                return Err(core.closed_error());
            }
            rx.await.map_err(|_| core.closed_error())
        };
        let span = tracing::debug_span!("request", addr = %core.addr, code = ?code, opaque);
        let outcome = tokio::time::timeout_at(deadline, exchange.instrument(span)).await;
        drop(guard);
        drop(permits);
        outcome.unwrap_or_else(|_| {
            core.counters.incr(|c| &c.timeouts);
            Err(Error::Timeout {
                addr: core.addr.clone(),
                code,
                after: started.elapsed(),
            })
        })
    }

    /// Sends `request` with the oneway flag set; no response is expected or awaited.
    ///
    /// `timeout` bounds the wait for in-flight capacity and a place in the write queue; the
    /// frame holds its capacity until it is written.
    ///
    /// # Errors
    /// [`Error::TooManyRequests`], [`Error::ConnectionClosed`] (also while
    /// [draining](Connection::is_draining)), [`Error::Codec`].
    ///
    /// # Cancel safety
    /// Cancel safe: once queued the frame is written even if the future is dropped; dropped
    /// before that, nothing is sent.
    pub async fn oneway(&self, request: Command, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        self.oneway_until(request, started, started + timeout).await
    }

    pub(crate) async fn oneway_until(
        &self,
        mut request: Command,
        started: Instant,
        deadline: Instant,
    ) -> Result<()> {
        let core = &self.handle.core;
        core.ensure_open()?;
        request.opaque = next_opaque();
        request.flag &= !FLAG_RESPONSE;
        request.mark_oneway();
        let frame = core.encode(&request)?;
        let permits = core.acquire(frame.len(), started, deadline).await?;
        core.counters.incr(|c| &c.requests);
        core.touch();
        let outbound = Outbound {
            frame,
            _permits: Some(permits),
        };
        match tokio::time::timeout_at(deadline, self.handle.tx.send(outbound)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(core.closed_error()),
            Err(_) => {
                core.counters.incr(|c| &c.timeouts);
                Err(Error::TooManyRequests {
                    addr: core.addr.clone(),
                    after: started.elapsed(),
                })
            }
        }
    }

    /// Whether the connection is closed (or closing); a closed connection never reopens.
    pub fn is_closed(&self) -> bool {
        self.handle.core.token.is_cancelled()
    }

    /// Whether the server asked the client to go away (a `GO_AWAY` answer): the connection
    /// refuses new requests and closes once the ones in flight are answered. A
    /// [`RemotingClient`](crate::RemotingClient) dials a new connection to the address instead.
    pub fn is_draining(&self) -> bool {
        self.handle.core.is_draining()
    }

    /// Why the connection closed, when it closed because of an error.
    pub fn close_cause(&self) -> Option<Arc<Error>> {
        self.handle.core.close_cause.get().cloned().flatten()
    }

    /// Waits until the connection is closed.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn closed(&self) {
        self.handle.core.token.cancelled().await;
    }

    /// Closes the connection gracefully and waits for both tasks to finish.
    ///
    /// Frames already queued are flushed (bounded by one second), then the write side is shut
    /// down; requests still waiting fail with [`Error::ConnectionClosed`].
    ///
    /// # Cancel safety
    /// Cancel safe: the close proceeds in the background.
    pub async fn close(&self) {
        let core = &self.handle.core;
        core.close(None);
        core.tasks.wait().await;
    }

    /// Requests awaiting a response on this connection.
    pub fn pending_requests(&self) -> usize {
        self.handle.core.pending.len()
    }

    /// This connection's metrics (`connections` is 1 while it is open).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.handle.core.counters.snapshot()
    }
}

impl Core {
    /// Refuses a new request on a closed or draining connection.
    fn ensure_open(&self) -> Result<()> {
        if self.token.is_cancelled() || self.is_draining() {
            Err(self.closed_error())
        } else {
            Ok(())
        }
    }

    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Relaxed)
    }

    /// Marks the connection draining; `true` the first time.
    pub(crate) fn start_draining(&self) -> bool {
        !self.draining.swap(true, Relaxed)
    }

    pub(crate) fn closed_error(&self) -> Error {
        Error::ConnectionClosed {
            addr: self.addr.clone(),
            cause: self.close_cause.get().cloned().flatten(),
        }
    }

    fn encode(&self, cmd: &Command) -> Result<Bytes> {
        self.codec.encode_frame(cmd).map_err(|source| Error::Codec {
            addr: self.addr.clone(),
            source,
        })
    }

    /// Takes one count permit and `len` byte permits, waiting until `deadline` at most.
    async fn acquire(&self, len: usize, started: Instant, deadline: Instant) -> Result<Permits> {
        // A frame larger than the whole byte budget takes all of it rather than never fitting.
        let bytes = u32::try_from(len.min(self.config.max_in_flight_bytes)).unwrap_or(u32::MAX);
        let count_limit = Arc::clone(&self.count_limit);
        let byte_limit = Arc::clone(&self.byte_limit);
        let fast = count_limit
            .clone()
            .try_acquire_owned()
            .and_then(|c| Ok((c, byte_limit.clone().try_acquire_many_owned(bytes)?)));
        let (count, bytes_permit) = match fast {
            Ok(permits) => permits,
            Err(_) => {
                let wait = async {
                    let count = count_limit.acquire_owned().await?;
                    let bytes = byte_limit.acquire_many_owned(bytes).await?;
                    Ok::<_, tokio::sync::AcquireError>((count, bytes))
                };
                match tokio::time::timeout_at(deadline, wait).await {
                    Ok(Ok(permits)) => permits,
                    // The semaphores close with the connection.
                    Ok(Err(_)) => return Err(self.closed_error()),
                    Err(_) => {
                        self.counters.incr(|c| &c.timeouts);
                        return Err(Error::TooManyRequests {
                            addr: self.addr.clone(),
                            after: started.elapsed(),
                        });
                    }
                }
            }
        };
        Ok(Permits {
            _count: count,
            _bytes: bytes_permit,
            _gauge: InFlight::new(&self.counters, len),
        })
    }

    /// Records activity for the idle timer.
    fn touch(&self) {
        let millis = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_active.fetch_max(millis, Relaxed);
    }

    fn last_active(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last_active.load(Relaxed))
    }

    /// Starts closing: records the first cause, stops both tasks, fails waiters.
    pub(crate) fn close(&self, cause: Option<Error>) {
        let _ = self.close_cause.set(cause.map(Arc::new));
        self.token.cancel();
        self.count_limit.close();
        self.byte_limit.close();
        self.pending.fail_all();
    }

    /// Encodes a response to a server request; `None` (logged) when it cannot be sent.
    fn encode_reply(&self, response: &Command) -> Option<(Outbound, mpsc::Sender<Outbound>)> {
        let tx = self.reply_tx.upgrade()?;
        match self.codec.encode_frame(response) {
            Ok(frame) => Some((
                Outbound {
                    frame,
                    _permits: None,
                },
                tx,
            )),
            Err(error) => {
                tracing::warn!(%error, "cannot encode response to server request");
                None
            }
        }
    }

    /// Queues a response without waiting (used by the reader, which must never block).
    pub(crate) fn try_reply(&self, response: Command) {
        if let Some((outbound, tx)) = self.encode_reply(&response) {
            if tx.try_send(outbound).is_err() {
                debug!(
                    opaque = response.opaque,
                    "write queue full, response dropped"
                );
            }
        }
    }

    /// Queues a response, waiting for room (used by processor tasks).
    pub(crate) async fn reply(&self, response: Command) {
        if let Some((outbound, tx)) = self.encode_reply(&response) {
            tokio::select! {
                _ = self.token.cancelled() => {}
                _ = tx.send(outbound) => {}
            }
        }
    }
}

impl ReplyChannel for Core {
    fn peer(&self) -> &str {
        &self.addr
    }

    fn try_send_reply(&self, response: Command) {
        self.try_reply(response);
    }

    fn send_reply(&self, response: Command) -> BoxFuture<'_, ()> {
        Box::pin(self.reply(response))
    }
}

fn next_opaque() -> i32 {
    NEXT_OPAQUE.fetch_add(1, Relaxed)
}

#[cfg(test)]
mod tests;
