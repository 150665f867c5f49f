//! [`Producer`]: the cheap `Clone` handle and its send methods, plus [`SendFuture`], the
//! receipt of an async send. The handle's state and lifecycle are in `shared.rs`, the attempt
//! loop in `send.rs`, message preparation in `message.rs`; the builders (`builder.rs`) sit
//! above this file.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rmq_protocol::{Message, MessageQueue};
use tokio::task::JoinHandle;

use crate::batching::{Accumulator, Admit, Queued};
use crate::budget::Budget;
use crate::error::{Error, Result};
use crate::message;
use crate::receipt::SendReceipt;
use crate::selector::QueueSelector;
use crate::send::Route;
use crate::shared::Shared;

/// A RocketMQ producer: a cheap `Clone` handle; every method takes `&self`. Create one per
/// group and share it.
///
/// ```no_run
/// use rmq_client_producer::{Message, Producer};
/// # async fn demo() -> rmq_client_producer::Result<()> {
/// let producer = Producer::builder().namesrv("127.0.0.1:9876").group("orders").build().await?;
/// let receipt = producer.send(&Message::new("Orders", "hello").with_tag("TagA")).await?;
/// println!("{} stored in {:?}", receipt.msg_id(), receipt.queue());
/// producer.shutdown().await;
/// # Ok(()) }
/// ```
///
/// Dropping the last handle without [`shutdown`](Self::shutdown) unregisters the group in the
/// background (when a tokio runtime is still there).
#[derive(Clone)]
pub struct Producer {
    pub(crate) shared: Arc<Shared>,
    /// The auto-batching accumulator, when [`ProducerBuilder::auto_batch`] turned it on.
    ///
    /// [`ProducerBuilder::auto_batch`]: crate::ProducerBuilder::auto_batch
    pub(crate) batcher: Option<Arc<Accumulator>>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("group", &self.shared.settings.group)
            .field("client_id", &self.shared.instance.client_id())
            .field("closed", &self.shared.is_closed())
            .finish_non_exhaustive()
    }
}

/// The outcome of a [`Producer::send_async`]: resolves to the send's receipt. The send goes on
/// when this is dropped.
#[derive(Debug)]
#[must_use = "the send runs anyway; await this to learn its outcome"]
pub struct SendFuture<T = SendReceipt> {
    inner: Pending<T>,
}

/// Where the outcome of an async send comes from.
#[derive(Debug)]
enum Pending<T> {
    /// The send's own task.
    Task(JoinHandle<Result<T>>),
    /// A place in an auto-batch (whose flusher is the task).
    Batched(Queued<T>),
}

impl<T> SendFuture<T> {
    pub(crate) fn new(handle: JoinHandle<Result<T>>) -> Self {
        SendFuture {
            inner: Pending::Task(handle),
        }
    }

    fn batched(queued: Queued<T>) -> Self {
        SendFuture {
            inner: Pending::Batched(queued),
        }
    }
}

impl<T> Future for SendFuture<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.inner {
            Pending::Task(handle) => match Pin::new(handle).poll(cx) {
                Poll::Ready(Ok(result)) => Poll::Ready(result),
                // The task was cancelled by a runtime shutdown (or panicked, which it must not).
                Poll::Ready(Err(_)) => Poll::Ready(Err(Error::Shutdown)),
                Poll::Pending => Poll::Pending,
            },
            Pending::Batched(queued) => Pin::new(queued).poll(cx),
        }
    }
}

impl Producer {
    /// The producer group, as configured (without namespace).
    pub fn group(&self) -> &str {
        &self.shared.settings.group
    }

    /// The message trace counters (records appended, sent, dropped, failed); `None` when
    /// trace is off ([`enable_trace`](crate::ProducerBuilder::enable_trace)).
    pub fn trace_stats(&self) -> Option<rmq_client_core::trace::TraceStats> {
        self.shared.traces.as_ref().map(|t| t.stats())
    }

    /// The client instance this producer is registered in.
    pub fn instance(&self) -> &rmq_client_core::ClientInstance {
        &self.shared.instance
    }

    /// Sends `msg` and waits for the broker to store it, retrying other queues (up to
    /// `retries` times) within the send timeout. With
    /// [`auto_batch`](crate::ProducerBuilder::auto_batch) it goes at once when no request to
    /// the topic is in flight; otherwise it waits for that request's answer (at most the batch
    /// delay) and goes out with the other messages gathered meanwhile in one request.
    ///
    /// # Errors
    /// [`Error::InvalidMessage`] before any network call; [`Error::Timeout`] when the route
    /// lookup outlasts the deadline; [`Error::Send`] listing every attempt; [`Error::Client`]
    /// for a topic without route; [`Error::Shutdown`]; [`Error::Batch`] when the auto-batch it
    /// went in failed.
    ///
    /// # Cancel safety
    /// Dropping the future abandons the send at once; the message may or may not be stored
    /// (an auto-batched one is still sent with its batch).
    pub async fn send(&self, msg: &Message) -> Result<SendReceipt> {
        self.shared.ensure_open()?;
        let budget = Budget::new(self.shared.settings.send_timeout);
        let attempts = self.shared.settings.retries + 1;
        if let Some(batcher) = &self.batcher {
            let req = Admit {
                msg,
                budget,
                attempts,
                hold: Vec::new(),
            };
            if let Some(queued) = batcher.admit(&self.shared, req).await? {
                return queued.await;
            }
        }
        let out = message::prepare(&self.shared.settings, msg)?;
        self.shared
            .send_traced(&out, Route::Any { attempts }, budget)
            .await
    }

    /// Sends `msg` to `queue` (its topic must be the message's), once.
    ///
    /// # Errors
    /// As [`send`](Self::send); a topic mismatch is [`Error::InvalidMessage`].
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn send_to(&self, queue: &MessageQueue, msg: &Message) -> Result<SendReceipt> {
        self.shared.ensure_open()?;
        let budget = Budget::new(self.shared.settings.send_timeout);
        let out = message::prepare(&self.shared.settings, msg)?;
        self.shared
            .send_traced(&out, Route::Queue(queue), budget)
            .await
    }

    /// The queues of `topic` a message can be sent to (Java's `fetchPublishMessageQueues`):
    /// the writable queues of brokers with a master, topic named as the user names it (without
    /// namespace). These are the queues a [`QueueSelector`] is handed, in the same order, so
    /// a selector can be written and tested against them; [`send_to`](Self::send_to) takes
    /// any of them.
    ///
    /// ```no_run
    /// # async fn demo(producer: rmq_client_producer::Producer) -> rmq_client_producer::Result<()> {
    /// let queues = producer.publish_queues("Orders").await?;
    /// for q in &queues {
    ///     println!("{}[{}]", q.broker_name, q.queue_id);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidMessage`] for a malformed topic name; [`Error::Client`] for a topic
    /// without route, or without a writable queue; [`Error::Timeout`] when the name server did
    /// not answer within the send timeout; [`Error::Shutdown`].
    ///
    /// # Cancel safety
    /// Cancel safe: it only reads (a route it fetched is kept for later sends).
    pub async fn publish_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        self.shared.ensure_open()?;
        rmq_protocol::validate::check_topic(topic).map_err(message::invalid)?;
        let budget = Budget::new(self.shared.settings.send_timeout);
        let wire =
            rmq_protocol::naming::wrap_namespace(self.shared.settings.namespace.as_deref(), topic);
        let info = self.shared.publish_info(&wire, &budget).await?;
        Ok(info
            .queues
            .iter()
            .map(|q| MessageQueue::new(topic, &q.broker_name, q.queue_id))
            .collect())
    }

    /// Sends `msg` to the queue `selector` picks among the topic's writable queues, once:
    /// ordered messages with equal keys land in one queue, in send order. The selector sees
    /// the queues [`publish_queues`](Self::publish_queues) lists.
    ///
    /// # Errors
    /// As [`send`](Self::send); a selector that picks nothing is [`Error::InvalidMessage`].
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn send_ordered(
        &self,
        msg: &Message,
        selector: &dyn QueueSelector,
    ) -> Result<SendReceipt> {
        self.shared.ensure_open()?;
        let budget = Budget::new(self.shared.settings.send_timeout);
        let out = message::prepare(&self.shared.settings, msg)?;
        self.shared
            .send_traced(&out, Route::Selected(selector, msg), budget)
            .await
    }

    /// Sends `msgs` (same topic, no delay) as one batch request; never compressed.
    ///
    /// # Errors
    /// As [`send`](Self::send); mixed topics, delays or an encoded size over the max message
    /// size are [`Error::InvalidMessage`].
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn send_batch(&self, msgs: &[Message]) -> Result<SendReceipt> {
        self.shared.ensure_open()?;
        let budget = Budget::new(self.shared.settings.send_timeout);
        let out = message::prepare_batch(&self.shared.settings, msgs)?;
        let attempts = self.shared.settings.retries + 1;
        self.shared
            .send_traced(&out, Route::Any { attempts }, budget)
            .await
    }

    /// Writes `msg` to one broker without waiting for an answer (no retries, as Java).
    ///
    /// # Errors
    /// Validation, route lookup and transport errors (the broker's outcome is never known).
    ///
    /// # Cancel safety
    /// As [`send`](Self::send).
    pub async fn send_oneway(&self, msg: &Message) -> Result<()> {
        self.shared.ensure_open()?;
        let budget = Budget::new(self.shared.settings.send_timeout);
        let out = message::prepare(&self.shared.settings, msg)?;
        self.shared.send_outgoing_oneway(&out, budget).await
    }

    /// Sends `msg` in the background, many in flight from one task: **two awaits**, on
    /// purpose.
    ///
    /// 1. `send_async(&msg).await?` returns once the send is *admitted*: validated and given
    ///    room in this producer's in-flight window ([`max_inflight_async`] sends and
    ///    [`max_inflight_async_bytes`] body bytes). When the window is full this await waits
    ///    for a send to finish: that is the back-pressure that bounds memory however fast a
    ///    loop produces. Nothing is on the wire yet if it fails or is dropped.
    /// 2. Awaiting the returned [`SendFuture`] gives the receipt (or the send's error). The
    ///    send runs whether or not it is awaited; drop it for fire-and-forget.
    ///
    /// Both share one deadline, the send timeout, counted from this call; the send uses
    /// `async_retries`.
    ///
    /// ```no_run
    /// use rmq_client_producer::{Message, Producer};
    /// # async fn demo(producer: Producer) -> rmq_client_producer::Result<()> {
    /// let mut receipts = Vec::new();
    /// for i in 0..1000 {
    ///     // Waits only when the in-flight window is full.
    ///     let admitted = producer.send_async(&Message::new("Orders", format!("#{i}"))).await?;
    ///     receipts.push(admitted);
    /// }
    /// for pending in receipts {
    ///     let receipt = pending.await?; // the broker's answer
    ///     println!("{}", receipt.msg_id());
    /// }
    /// // Or both at once, for a single message:
    /// let receipt = producer.send_async(&Message::new("Orders", "one")).await?.await?;
    /// # Ok(()) }
    /// ```
    ///
    /// [`max_inflight_async`]: crate::ProducerBuilder::max_inflight_async
    /// [`max_inflight_async_bytes`]: crate::ProducerBuilder::max_inflight_async_bytes
    ///
    /// # Errors
    /// [`Error::InvalidMessage`], [`Error::Shutdown`], or [`Error::Timeout`] when no room
    /// freed up before the deadline; the returned future yields the send's own errors.
    ///
    /// # Cancel safety
    /// Cancel safe until it returns: nothing was sent. The send then runs whether or not the
    /// returned future is awaited.
    pub async fn send_async(&self, msg: &Message) -> Result<SendFuture> {
        let shared = self.shared.clone();
        shared.ensure_open()?;
        let budget = Budget::new(shared.settings.send_timeout);
        if let Some(batcher) = self.batcher.as_ref().filter(|b| b.accepts(msg)) {
            // Checked before taking room, as the direct path below does.
            message::check(&shared.settings, msg)?;
            let (count, bytes) = shared.acquire_inflight(msg.body().len(), &budget).await?;
            let req = Admit {
                msg,
                budget,
                attempts: shared.settings.async_retries + 1,
                hold: vec![count, bytes],
            };
            if let Some(queued) = batcher.admit(&shared, req).await? {
                return Ok(SendFuture::batched(queued));
            }
        }
        let out = message::prepare(&shared.settings, msg)?;
        let permits = shared.acquire_inflight(out.size, &budget).await?;
        let task = {
            let shared = shared.clone();
            async move {
                let _permits = permits;
                let attempts = shared.settings.async_retries + 1;
                shared
                    .send_traced(&out, Route::Any { attempts }, budget)
                    .await
            }
        };
        Ok(SendFuture::new(shared.tracker.spawn(task)))
    }

    /// Stops accepting sends, waits (up to the config's shutdown timeout) for async sends in
    /// flight, unregisters the group from the brokers, and shuts the client instance down when
    /// no other producer, consumer or admin uses it. Later calls do nothing; sends fail with
    /// [`Error::Shutdown`].
    pub async fn shutdown(&self) {
        if let Some(batcher) = &self.batcher {
            batcher.close();
        }
        self.shared.close().await;
    }
}
