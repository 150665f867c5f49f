//! Requests the server starts on our connections (check transaction state, consumer ids
//! changed, running info, ...): handed to a registered [`RequestProcessor`] on tracked tasks,
//! bounded by a semaphore. The reader only ever calls [`Inbound::dispatch`], which never awaits.
//! Answers go back through [`ReplyChannel`], which the connection implements: this module sits
//! below the connection and never names it.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use futures::FutureExt;
use rmq_protocol::{Command, ResponseCode};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, error, Instrument};

use crate::metrics::Counters;

/// A boxed, `Send` future, the return type of [`RequestProcessor::process`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Serves requests that a broker or name server sends to this client.
///
/// The returned command is the response: the transport gives it the request's opaque and the
/// response bit, so a processor can build it with `Command::response(code, remark)`. `None`
/// sends nothing. Responses to oneway requests are never sent. A panic in `process` is caught
/// and answered `SYSTEM_ERROR`.
///
/// Closures `Fn(String, Command) -> impl Future<Output = Option<Command>>` implement it:
///
/// ```
/// use std::sync::Arc;
/// use rmq_protocol::{Command, ResponseCode};
/// use rmq_remoting::RequestProcessor;
///
/// let processor: Arc<dyn RequestProcessor> = Arc::new(|_addr: String, request: Command| async move {
///     Some(Command::response_to(&request, ResponseCode::SUCCESS, None))
/// });
/// ```
pub trait RequestProcessor: Send + Sync + 'static {
    /// Handles `request`, received from `addr`.
    fn process<'a>(&'a self, addr: &'a str, request: Command) -> BoxFuture<'a, Option<Command>>;
}

impl<F, Fut> RequestProcessor for F
where
    F: Fn(String, Command) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Command>> + Send + 'static,
{
    fn process<'a>(&'a self, addr: &'a str, request: Command) -> BoxFuture<'a, Option<Command>> {
        Box::pin(self(addr.to_owned(), request))
    }
}

/// Where the answer to a server request goes: the connection it arrived on.
pub(crate) trait ReplyChannel: Send + Sync + 'static {
    /// The peer's address, given to the processor.
    fn peer(&self) -> &str;
    /// Queues `response` without waiting (dropped when the write queue is full).
    fn try_send_reply(&self, response: Command);
    /// Queues `response`, waiting for room in the write queue.
    fn send_reply(&self, response: Command) -> BoxFuture<'_, ()>;
}

/// The client-wide dispatcher: the registered processor and the bound on concurrent work.
pub(crate) struct Inbound {
    processor: RwLock<Option<Arc<dyn RequestProcessor>>>,
    permits: Arc<Semaphore>,
    tracker: TaskTracker,
    token: CancellationToken,
}

impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbound")
            .field("has_processor", &self.processor().is_some())
            .field("free_permits", &self.permits.available_permits())
            .finish()
    }
}

impl Inbound {
    pub(crate) fn new(capacity: usize, tracker: TaskTracker, token: CancellationToken) -> Self {
        Inbound {
            processor: RwLock::new(None),
            permits: Arc::new(Semaphore::new(capacity)),
            tracker,
            token,
        }
    }

    pub(crate) fn set_processor(&self, processor: Option<Arc<dyn RequestProcessor>>) {
        *self.processor.write().unwrap_or_else(|e| e.into_inner()) = processor;
    }

    fn processor(&self) -> Option<Arc<dyn RequestProcessor>> {
        self.processor
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Routes one server request without awaiting: refuse it, or start a task for it.
    pub(crate) fn dispatch<R: ReplyChannel>(
        &self,
        core: &Arc<R>,
        request: Command,
        counters: &Counters,
    ) {
        counters.incr(|c| &c.inbound_requests);
        let oneway = request.is_oneway();
        let Some(processor) = self.processor() else {
            debug!(code = ?request.request_code(), "no processor for server request");
            if !oneway {
                let remark = format!("request code {} not supported", request.code);
                let reply = Command::response_to(
                    &request,
                    ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                    Some(remark),
                );
                core.try_send_reply(reply);
            }
            return;
        };
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            counters.incr(|c| &c.inbound_rejected);
            debug!(code = ?request.request_code(), "processor queue full, rejecting server request");
            if !oneway {
                let remark = "[REJECTREQUEST]system busy, start flow control for a while";
                let reply =
                    Command::response_to(&request, ResponseCode::SYSTEM_BUSY, Some(remark.into()));
                core.try_send_reply(reply);
            }
            return;
        };
        let core = Arc::clone(core);
        let token = self.token.clone();
        let (opaque, code, ser) = (
            request.opaque,
            request.request_code(),
            request.serialize_type,
        );
        let span = tracing::debug_span!("server_request", code = ?code, opaque);
        let task = async move {
            let _permit = permit;
            let work = AssertUnwindSafe(processor.process(core.peer(), request)).catch_unwind();
            let outcome = tokio::select! {
                _ = token.cancelled() => return,
                outcome = work => outcome,
            };
            let response = match outcome {
                Ok(Some(response)) => response,
                Ok(None) => return,
                Err(_) => {
                    error!(code = ?code, "request processor panicked");
                    let remark = "request processor panicked".to_owned();
                    Command::response(ResponseCode::SYSTEM_ERROR, Some(remark))
                        .with_serialize_type(ser)
                }
            };
            if oneway {
                return;
            }
            let mut response = response;
            response.opaque = opaque;
            response.flag = rmq_protocol::command::FLAG_RESPONSE;
            core.send_reply(response).await;
        };
        self.tracker.spawn(task.instrument(span));
    }
}
