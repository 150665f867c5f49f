//! The server side of the remoting protocol: one listener per node on `127.0.0.1`, an accept
//! loop, and the registry of live client connections. A node can be killed (listener and
//! connections closed) and restarted on the same address.
//!
//! What a request means is the [`Service`]'s business; frames and faults are `conn`'s.

mod conn;

use std::collections::HashMap;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use futures::future::BoxFuture;
use rmq_protocol::Command;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::fault::Faults;

pub(crate) use conn::{ClientConn, RequestError};

/// Most client connections one node keeps; further ones are closed at once.
pub(crate) const MAX_CONNECTIONS: usize = 4096;

/// What a node does with requests (the name server, a broker).
pub(crate) trait Service: Send + Sync + 'static {
    /// Serves one request from `conn`; `None` sends no answer (oneway requests, or requests a
    /// real server would not answer either).
    fn handle(
        self: Arc<Self>,
        request: Command,
        conn: ClientConn,
    ) -> BoxFuture<'static, Option<Command>>;

    /// Called once when a client connection closes, for whatever reason.
    fn connection_closed(&self, _conn: &ClientConn) {}
}

/// One node's listener and connections. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    addr: SocketAddr,
    service: Arc<dyn Service>,
    faults: Arc<Faults>,
    tracker: TaskTracker,
    /// The cluster's token: cancelling it stops every incarnation.
    token: CancellationToken,
    /// The listener and the token of the running incarnation; `None` while killed.
    life: Mutex<Option<Life>>,
    conns: Mutex<HashMap<u64, ClientConn>>,
    next_conn: AtomicU64,
}

struct Life {
    /// Shared with the accept task, which polls it; taking it out closes the socket at once.
    listener: Arc<Mutex<Option<TcpListener>>>,
    token: CancellationToken,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.inner.addr)
            .field("running", &self.is_running())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Server {
    /// Binds `addr` (port 0 picks one), builds the service for the bound address and starts
    /// accepting.
    ///
    /// # Errors
    /// When the bind fails.
    pub(crate) async fn start(
        addr: SocketAddr,
        make_service: impl FnOnce(SocketAddr) -> Arc<dyn Service>,
        faults: Arc<Faults>,
        tracker: TaskTracker,
        token: CancellationToken,
    ) -> io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let service = make_service(addr);
        let server = Server {
            inner: Arc::new(Inner {
                addr,
                service,
                faults,
                tracker,
                token,
                life: Mutex::new(None),
                conns: Mutex::new(HashMap::new()),
                next_conn: AtomicU64::new(1),
            }),
        };
        server.run(listener);
        Ok(server)
    }

    /// The listening address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// The node's faults and counters.
    pub(crate) fn faults(&self) -> &Arc<Faults> {
        &self.inner.faults
    }

    /// Whether the node accepts connections (not killed).
    pub(crate) fn is_running(&self) -> bool {
        lock(&self.inner.life).is_some()
    }

    /// Closes the listener (new connections are refused from now on) and every connection.
    pub(crate) fn kill(&self) {
        let life = lock(&self.inner.life).take();
        if let Some(life) = life {
            drop(lock(&life.listener).take());
            life.token.cancel();
        }
    }

    /// Listens again on the same address after [`Server::kill`]; a no-op while running.
    ///
    /// # Errors
    /// When the address cannot be bound again within a few seconds.
    pub(crate) async fn restart(&self) -> io::Result<()> {
        if self.is_running() {
            return Ok(());
        }
        let mut last = None;
        // A closing connection may briefly hold the port; retry for up to ~5 s.
        for _ in 0..50 {
            match TcpListener::bind(self.inner.addr).await {
                Ok(listener) => {
                    self.run(listener);
                    return Ok(());
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(last.unwrap_or_else(|| io::Error::other("rebind failed")))
    }

    /// Every live client connection.
    pub(crate) fn connections(&self) -> Vec<ClientConn> {
        lock(&self.inner.conns).values().cloned().collect()
    }

    fn run(&self, listener: TcpListener) {
        let life_token = self.inner.token.child_token();
        let listener = Arc::new(Mutex::new(Some(listener)));
        let mut life = lock(&self.inner.life);
        if let Some(old) = life.take() {
            old.token.cancel();
        }
        *life = Some(Life {
            listener: listener.clone(),
            token: life_token.clone(),
        });
        drop(life);
        let inner = self.inner.clone();
        self.inner
            .tracker
            .spawn(accept_task(inner, listener, life_token));
    }
}

/// Accepts until the incarnation ends; each connection gets its own task.
async fn accept_task(
    inner: Arc<Inner>,
    listener: Arc<Mutex<Option<TcpListener>>>,
    token: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = token.cancelled() => break,
            accepted = accept(&listener) => accepted,
        };
        let (stream, peer) = match accepted {
            Some(Ok(pair)) => pair,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            None => break,
        };
        register(&inner, stream, peer, &token);
    }
    // Free the port now, even while handles to the server live on.
    drop(lock(&listener).take());
}

/// Accepts one connection; `None` once the listener was taken away by a kill.
async fn accept(
    listener: &Mutex<Option<TcpListener>>,
) -> Option<io::Result<(TcpStream, SocketAddr)>> {
    poll_fn(|cx| match lock(listener).as_ref() {
        Some(l) => l.poll_accept(cx).map(Some),
        None => Poll::Ready(None),
    })
    .await
}

fn register(inner: &Arc<Inner>, stream: TcpStream, peer: SocketAddr, life: &CancellationToken) {
    let mut conns = lock(&inner.conns);
    if conns.len() >= MAX_CONNECTIONS {
        tracing::warn!(%peer, "too many connections, closing the new one");
        return;
    }
    let _ = stream.set_nodelay(true);
    let id = inner.next_conn.fetch_add(1, Relaxed);
    let (conn, parts) = ClientConn::new(id, peer, life.child_token(), inner.faults.clone());
    conns.insert(id, conn.clone());
    drop(conns);
    let inner2 = inner.clone();
    let on_close = move |conn: &ClientConn| {
        lock(&inner2.conns).remove(&conn.id());
        inner2.service.connection_closed(conn);
    };
    conn::spawn(
        stream,
        conn,
        parts,
        conn::Deps {
            service: inner.service.clone(),
            faults: inner.faults.clone(),
            tracker: inner.tracker.clone(),
            on_close: Box::new(on_close),
        },
    );
}
