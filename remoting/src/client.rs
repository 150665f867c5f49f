//! [`RemotingClient`]: the connection pool (address → [`Connection`]) with hooks, the
//! server-request processor and name-server selection. Dials never hold a lock other addresses
//! wait on; closed connections leave the pool as they close and are re-dialed on next use.
//! An address whose dial was refused is not dialed again until its backoff ends (`health.rs`).
//! A connection the server asked to go away (`GO_AWAY`) is replaced by a new one and the
//! request is sent once more on it (`go_away.rs`).

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use futures::future::{BoxFuture, Shared};
use futures::FutureExt;
use rmq_protocol::Command;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

use crate::config::RemotingConfig;
use crate::connection::{Connection, Context};
use crate::error::{Error, Result};
use crate::hook::RpcHook;
use crate::inbound::{Inbound, RequestProcessor};
use crate::metrics::{Counters, MetricsSnapshot};
use crate::namesrv::NameServerSelector;

mod go_away;
mod health;
mod limit;

use health::Health;
use limit::ClientLimit;

type DialResult = std::result::Result<Connection, Arc<io::Error>>;
type ReconnectListener = Arc<dyn Fn(&str) + Send + Sync>;
type SharedDial = Shared<BoxFuture<'static, DialResult>>;

/// A pool of connections, one per address, shared by everything in a client process.
///
/// Cheap to clone; every method takes `&self`. Dropping the last handle cancels every
/// connection; [`shutdown`](RemotingClient::shutdown) also waits for every task to end.
#[derive(Debug, Clone)]
pub struct RemotingClient {
    inner: Arc<Inner>,
}

/// Builds a [`RemotingClient`].
#[derive(Debug, Default)]
pub struct RemotingClientBuilder {
    config: Option<RemotingConfig>,
    hooks: Vec<Arc<dyn RpcHook>>,
    processor: Option<ProcessorSlot>,
    namesrv: Vec<String>,
    limit: Option<(usize, usize)>,
}

struct ProcessorSlot(Arc<dyn RequestProcessor>);

impl std::fmt::Debug for ProcessorSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestProcessor")
    }
}

#[derive(Debug)]
struct Inner {
    config: Arc<RemotingConfig>,
    slots: Mutex<HashMap<String, Slot>>,
    hooks: Vec<Arc<dyn RpcHook>>,
    inbound: Arc<Inbound>,
    namesrv: NameServerSelector,
    counters: Arc<Counters>,
    tracker: TaskTracker,
    token: CancellationToken,
    next_dial: AtomicU64,
    health: Health,
    on_reconnect: std::sync::RwLock<Option<Listener>>,
    limit: ClientLimit,
}

struct Listener(ReconnectListener);

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReconnectListener")
    }
}

enum Slot {
    Ready(Connection),
    Dialing { id: u64, dial: SharedDial },
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Slot::Ready(conn) => f.debug_tuple("Ready").field(&conn.id()).finish(),
            Slot::Dialing { id, .. } => f.debug_struct("Dialing").field("id", id).finish(),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

impl RemotingClientBuilder {
    /// Transport settings. Default: [`RemotingConfig::default`].
    pub fn config(mut self, config: RemotingConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Adds a hook run around every request, in the order added. Default: none.
    pub fn hook(mut self, hook: Arc<dyn RpcHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// The processor for server-initiated requests. Default: none (requests are answered
    /// `REQUEST_CODE_NOT_SUPPORTED`). Can also be set later with
    /// [`RemotingClient::set_processor`].
    pub fn processor(mut self, processor: Arc<dyn RequestProcessor>) -> Self {
        self.processor = Some(ProcessorSlot(processor));
        self
    }

    /// Name server addresses for [`RemotingClient::invoke_namesrv`]. Default: none.
    pub fn namesrv<I, S>(mut self, addrs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.namesrv = addrs.into_iter().map(Into::into).collect();
        self
    }

    /// The client-wide bound on requests in flight over every connection: at most `requests`
    /// requests and `bytes` request body bytes (a body larger than `bytes` takes the whole
    /// budget). A request waits for room until its deadline, then fails with
    /// [`Error::TooManyRequests`]. Default: 65 536 requests and 256 MiB; the per-connection
    /// limits of [`RemotingConfig`] apply as well.
    pub fn max_in_flight_total(mut self, requests: usize, bytes: usize) -> Self {
        self.limit = Some((requests, bytes));
        self
    }

    /// Builds the client. Nothing is spawned yet: the first call that needs a connection
    /// dials it, and that call must run inside a tokio runtime.
    pub fn build(self) -> RemotingClient {
        let config = Arc::new(self.config.unwrap_or_default());
        let tracker = TaskTracker::new();
        let token = CancellationToken::new();
        let inbound = Arc::new(Inbound::new(
            config.inbound_queue,
            tracker.clone(),
            token.clone(),
        ));
        inbound.set_processor(self.processor.map(|p| p.0));
        let (requests, bytes) = self
            .limit
            .unwrap_or((limit::DEFAULT_REQUESTS, limit::DEFAULT_BYTES));
        RemotingClient {
            inner: Arc::new(Inner {
                config,
                slots: Mutex::new(HashMap::new()),
                hooks: self.hooks,
                inbound,
                namesrv: NameServerSelector::new(self.namesrv),
                counters: Arc::new(Counters::default()),
                tracker,
                token,
                next_dial: AtomicU64::new(1),
                health: Health::default(),
                on_reconnect: std::sync::RwLock::new(None),
                limit: ClientLimit::new(requests, bytes),
            }),
        }
    }
}

impl RemotingClient {
    /// A builder with the defaults.
    pub fn builder() -> RemotingClientBuilder {
        RemotingClientBuilder::default()
    }

    /// A client with `config`, no hooks, no processor and no name servers.
    pub fn new(config: RemotingConfig) -> Self {
        RemotingClient::builder().config(config).build()
    }

    /// The transport settings.
    pub fn config(&self) -> &RemotingConfig {
        &self.inner.config
    }

    /// Replaces the processor for server-initiated requests (`None` removes it).
    pub fn set_processor(&self, processor: Option<Arc<dyn RequestProcessor>>) {
        self.inner.inbound.set_processor(processor);
    }

    /// Sets (or with `None` removes) the function called with the address whenever a
    /// connection to an address that was connected before is established again, e.g. to
    /// heartbeat a restarted broker at once. It runs on the dial's task: it must not block.
    pub fn set_on_reconnect(&self, listener: Option<ReconnectListener>) {
        if let Ok(mut slot) = self.inner.on_reconnect.write() {
            *slot = listener.map(Listener);
        }
    }

    /// Whether `addr` may be dialed now: false while it is in the backoff that a refused
    /// connect started (1 s, doubling to 10 s, cleared by a successful connect). Calls to an
    /// address in backoff fail at once with [`Error::Connect`] instead of dialing.
    pub fn is_available(&self, addr: &str) -> bool {
        self.inner.health.is_available(addr, Instant::now())
    }

    /// The name-server selector, e.g. to replace its list with
    /// [`NameServerSelector::update`] after fetching it from an address server.
    pub fn namesrv(&self) -> &NameServerSelector {
        &self.inner.namesrv
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        self.inner.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The open connection to `addr`, dialing it if needed.
    ///
    /// Concurrent callers for the same address share one dial; callers for other addresses
    /// never wait for it. The dial runs on its own task with the connect timeout.
    ///
    /// # Errors
    /// [`Error::Connect`] when the dial fails, or at once while the address is in the
    /// backoff a refused dial started; [`Error::Shutdown`] after shutdown.
    ///
    /// # Cancel safety
    /// Cancel safe: the dial goes on for other callers and the pool.
    pub async fn connection(&self, addr: &str) -> Result<Connection> {
        let dial = {
            let mut slots = self.slots();
            if self.inner.token.is_cancelled() {
                return Err(Error::Shutdown);
            }
            match slots.get(addr) {
                Some(Slot::Ready(conn)) if !conn.is_closed() && !conn.is_draining() => {
                    return Ok(conn.clone())
                }
                Some(Slot::Dialing { dial, .. }) => dial.clone(),
                _ => {
                    if let Some(source) = self.inner.health.check(addr, Instant::now()) {
                        return Err(Error::Connect {
                            addr: addr.to_owned(),
                            source: Arc::new(source),
                        });
                    }
                    let id = self.inner.next_dial.fetch_add(1, Relaxed);
                    let dial = self.spawn_dial(addr, id);
                    slots.insert(
                        addr.to_owned(),
                        Slot::Dialing {
                            id,
                            dial: dial.clone(),
                        },
                    );
                    dial
                }
            }
        };
        dial.await.map_err(|source| Error::Connect {
            addr: addr.to_owned(),
            source,
        })
    }

    /// Starts a dial task; it installs the connection in the pool (or clears the slot).
    fn spawn_dial(&self, addr: &str, id: u64) -> SharedDial {
        let weak = Arc::downgrade(&self.inner);
        let on_close = {
            let weak = Weak::clone(&weak);
            let addr = addr.to_owned();
            move |conn_id: u64| {
                if let Some(inner) = weak.upgrade() {
                    let mut slots = inner.slots.lock().unwrap_or_else(|e| e.into_inner());
                    let cause = match slots.get(&addr) {
                        Some(Slot::Ready(c)) if c.id() == conn_id => Some(c.close_cause()),
                        _ => None,
                    };
                    if let Some(cause) = cause {
                        slots.remove(&addr);
                        debug!(addr, "evicted closed connection");
                        // A reset (the peer process died with data unread, or a middlebox
                        // dropped it) marks the address as a refused connect does.
                        if let Some(Error::Io { source, .. }) = cause.as_deref() {
                            inner.health.failed(&addr, source, Instant::now());
                        }
                    }
                }
            }
        };
        let ctx = Context {
            config: Arc::clone(&self.inner.config),
            tracker: self.inner.tracker.clone(),
            token: self.inner.token.clone(),
            inbound: Arc::clone(&self.inner.inbound),
            counters: Some(Arc::clone(&self.inner.counters)),
            on_close: Some(Box::new(on_close)),
        };
        let token = self.inner.token.clone();
        let addr = addr.to_owned();
        let task = async move {
            let dialed = tokio::select! {
                _ = token.cancelled() => Err(io::Error::other("remoting client shut down")),
                dialed = Connection::dial(&addr, ctx) => dialed,
            };
            let mut reconnected = false;
            if let Some(inner) = weak.upgrade() {
                match &dialed {
                    Ok(_) => reconnected = inner.health.connected(&addr),
                    Err(error) => match inner.health.failed(&addr, error, Instant::now()) {
                        Some(backoff) => {
                            warn!(addr, %error, ?backoff, "connect failed; not dialing again before the backoff ends")
                        }
                        None => warn!(addr, %error, "connect failed"),
                    },
                }
            }
            if let Some(inner) = weak.upgrade() {
                let mut slots = inner.slots.lock().unwrap_or_else(|e| e.into_inner());
                let ours =
                    matches!(slots.get(&addr), Some(Slot::Dialing { id: d, .. }) if *d == id);
                match (&dialed, ours) {
                    (Ok(conn), true) => {
                        slots.insert(addr.clone(), Slot::Ready(conn.clone()));
                    }
                    (Err(_), true) => {
                        slots.remove(&addr);
                    }
                    // The slot was closed or the pool shut down meanwhile: callers still get
                    // the connection, which closes when their handles drop.
                    _ => {}
                }
            }
            if reconnected {
                let listener = weak.upgrade().and_then(|inner| {
                    inner
                        .on_reconnect
                        .read()
                        .ok()?
                        .as_ref()
                        .map(|l| l.0.clone())
                });
                if let Some(listener) = listener {
                    debug!(addr, "reconnected");
                    listener(&addr);
                }
            }
            dialed.map_err(Arc::new)
        };
        let handle = self.inner.tracker.spawn(task);
        async move {
            handle
                .await
                .unwrap_or_else(|e| Err(Arc::new(io::Error::other(e))))
        }
        .boxed()
        .shared()
    }

    /// The connection for `addr`, waiting at most until `deadline` for a dial in progress.
    async fn connection_until(&self, addr: &str, deadline: Instant) -> Result<Connection> {
        match tokio::time::timeout_at(deadline, self.connection(addr)).await {
            Ok(conn) => conn,
            Err(_) => Err(Error::Connect {
                addr: addr.to_owned(),
                source: Arc::new(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connect did not finish within the request deadline",
                )),
            }),
        }
    }

    /// Sends `request` to `addr` and waits up to `timeout` (dial included) for the response.
    ///
    /// Sets the configured serialize type, runs the hooks, and returns the response whatever
    /// its code: broker errors are the caller's to interpret. A `GO_AWAY` answer (or a
    /// connection found draining) sends the request once more on a new connection to `addr`
    /// within the same deadline; a second `GO_AWAY` fails the call with
    /// [`Error::ConnectionClosed`].
    ///
    /// # Errors
    /// [`Error::Connect`], [`Error::Timeout`], [`Error::TooManyRequests`],
    /// [`Error::ConnectionClosed`], [`Error::Codec`], [`Error::Shutdown`].
    ///
    /// # Cancel safety
    /// Cancel safe: a dropped call leaves no pending entry and releases its capacity.
    pub async fn invoke(&self, addr: &str, request: Command, timeout: Duration) -> Result<Command> {
        let started = Instant::now();
        let deadline = started + timeout;
        let mut request = request.with_serialize_type(self.inner.config.serialize_type);
        for hook in &self.inner.hooks {
            hook.before_request(addr, &mut request);
        }
        let sent = (!self.inner.hooks.is_empty()).then(|| request.clone());
        let _room = self
            .inner
            .limit
            .acquire(addr, request.body.len(), started, deadline)
            .await?;
        let mut response = self
            .request_once_more_on_go_away(addr, &mut request, started, deadline)
            .await?;
        if let Some(sent) = sent {
            for hook in &self.inner.hooks {
                hook.after_response(addr, &sent, &mut response);
            }
        }
        Ok(response)
    }

    /// Sends `request` to `addr` as a oneway (flag set, no response awaited). `timeout` bounds
    /// the dial and the wait for in-flight capacity.
    ///
    /// # Errors
    /// As [`invoke`](RemotingClient::invoke), without [`Error::Timeout`].
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn invoke_oneway(
        &self,
        addr: &str,
        request: Command,
        timeout: Duration,
    ) -> Result<()> {
        let started = Instant::now();
        let deadline = started + timeout;
        let mut request = request.with_serialize_type(self.inner.config.serialize_type);
        for hook in &self.inner.hooks {
            hook.before_request(addr, &mut request);
        }
        let _room = self
            .inner
            .limit
            .acquire(addr, request.body.len(), started, deadline)
            .await?;
        // The pool never hands out a draining connection; one that starts draining between
        // here and the write refuses the frame, and the caller's retry takes a new one.
        let conn = self.connection_until(addr, deadline).await?;
        conn.oneway_until(request, started, deadline).await
    }

    /// Sends `request` to the chosen name server, moving to the next one on connection errors
    /// while the deadline allows (Java `invokeSync` with a null address).
    ///
    /// # Errors
    /// [`Error::NoNameServer`] when none is configured; otherwise the last address's error.
    ///
    /// # Cancel safety
    /// Cancel safe.
    pub async fn invoke_namesrv(&self, request: Command, timeout: Duration) -> Result<Command> {
        let deadline = Instant::now() + timeout;
        let attempts = self.inner.namesrv.len();
        let mut last = Error::NoNameServer;
        for _ in 0..attempts {
            let Some(addr) = self.inner.namesrv.current() else {
                break;
            };
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break;
            }
            match self.invoke(&addr, request.clone(), remaining).await {
                Ok(response) => return Ok(response),
                Err(error) if error.is_connection_error() => {
                    debug!(addr, %error, "name server failed, trying the next one");
                    self.inner.namesrv.mark_failed(&addr);
                    last = error;
                }
                Err(error) => {
                    if error.is_timeout() {
                        self.inner.namesrv.mark_failed(&addr);
                    }
                    return Err(error);
                }
            }
        }
        Err(last)
    }

    /// Closes the connection to `addr`, if any, and waits for its tasks to end.
    pub async fn close_connection(&self, addr: &str) {
        let slot = self.slots().remove(addr);
        if let Some(Slot::Ready(conn)) = slot {
            conn.close().await;
        }
    }

    /// Closes every connection and waits until every task this client spawned has ended.
    /// Later calls fail with [`Error::Shutdown`]. Idempotent.
    pub async fn shutdown(&self) {
        self.inner.token.cancel();
        let slots = std::mem::take(&mut *self.slots());
        drop(slots);
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
    }

    /// Whether [`shutdown`](RemotingClient::shutdown) was called.
    pub fn is_shutdown(&self) -> bool {
        self.inner.token.is_cancelled()
    }

    /// Open connections in the pool.
    pub fn connection_count(&self) -> usize {
        self.slots()
            .values()
            .filter(|s| matches!(s, Slot::Ready(c) if !c.is_closed()))
            .count()
    }

    /// Tasks this client has running (two per connection, plus dials and processor work);
    /// zero after [`shutdown`](RemotingClient::shutdown).
    pub fn task_count(&self) -> usize {
        self.inner.tracker.len()
    }

    /// A snapshot of the client's transport metrics.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.counters.snapshot()
    }
}

#[cfg(test)]
mod tests;
