//! [`Producer`]: the cheap `Clone` handle, its lifecycle (start in `build()`, `shutdown()`), and
//! the send methods. The attempt loop is in `send.rs`, message preparation in `message.rs`.
//!
//! Async sends run on tasks this producer tracks; their number and bytes are bounded by two
//! semaphores that callers wait on within their send deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use rmq_client_core::{ClientInstance, PublishInfo};
use rmq_protocol::body::TopicRouteData;
use rmq_protocol::{naming, Message, MessageQueue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;
use tracing::{debug, info};

use crate::builder::{ProducerBuilder, Settings};
use crate::error::{Error, Result};
use crate::fault::FaultStrategy;
use crate::inner::Registered;
use crate::message;
use crate::receipt::SendReceipt;
use crate::selector::QueueSelector;
use crate::send::{Budget, Route};
use crate::transaction::TransactionChecker;

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
}

pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) instance: ClientInstance,
    pub(crate) registered: Arc<Registered>,
    pub(crate) fault: FaultStrategy,
    inflight: Arc<Semaphore>,
    inflight_bytes: Arc<Semaphore>,
    pub(crate) tracker: TaskTracker,
    closed: AtomicBool,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("group", &self.shared.settings.group)
            .field("client_id", &self.shared.instance.client_id())
            .field("closed", &self.shared.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn ensure_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(Error::Shutdown)
        } else {
            Ok(())
        }
    }

    pub(crate) fn registered_group(&self) -> &str {
        rmq_client_core::ProducerInner::group(&*self.registered)
    }

    /// Waits (within `budget`) for room for one async send of `size` bytes.
    pub(crate) async fn acquire_inflight(
        &self,
        size: usize,
        budget: &Budget,
    ) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
        // A message larger than the byte bound takes the whole bound rather than never fitting.
        let bytes = size.clamp(1, self.settings.max_inflight_async_bytes) as u32;
        let wait = async {
            let count = self.inflight.clone().acquire_owned().await;
            let bytes = self.inflight_bytes.clone().acquire_many_owned(bytes).await;
            (count, bytes)
        };
        match tokio::time::timeout_at(budget.tokio_deadline(), wait).await {
            Ok((Ok(count), Ok(bytes))) => Ok((count, bytes)),
            Ok(_) => Err(Error::Shutdown),
            Err(_) => Err(Error::Timeout {
                what: "waiting for async in-flight capacity".into(),
                after: budget.elapsed(),
            }),
        }
    }

    async fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.inflight.close();
        self.inflight_bytes.close();
        self.tracker.close();
        let deadline = self.instance.config().shutdown_timeout();
        if tokio::time::timeout(deadline, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(group = %self.settings.group, "async sends did not finish before shutdown");
        }
        self.instance
            .unregister_producer(self.registered_group())
            .await;
        self.instance.release_if_idle().await;
        info!(group = %self.settings.group, "producer shut down");
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let instance = self.instance.clone();
        let group = self.registered_group().to_owned();
        handle.spawn(async move {
            instance.unregister_producer(&group).await;
            instance.release_if_idle().await;
        });
    }
}

/// The outcome of a [`Producer::send_async`]: resolves to the send's receipt. The send goes on
/// when this is dropped.
#[derive(Debug)]
#[must_use = "the send runs anyway; await this to learn its outcome"]
pub struct SendFuture<T = SendReceipt> {
    handle: JoinHandle<Result<T>>,
}

impl<T> SendFuture<T> {
    pub(crate) fn new(handle: JoinHandle<Result<T>>) -> Self {
        SendFuture { handle }
    }
}

impl<T> Future for SendFuture<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.handle).poll(cx) {
            Poll::Ready(Ok(result)) => Poll::Ready(result),
            // The task was cancelled by a runtime shutdown (or panicked, which it must not).
            Poll::Ready(Err(_)) => Poll::Ready(Err(Error::Shutdown)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Producer {
    /// A builder with Java's defaults.
    pub fn builder() -> ProducerBuilder {
        ProducerBuilder::default()
    }

    /// A producer of group `DEFAULT_PRODUCER` with default settings: the one-call shortcut.
    ///
    /// # Errors
    /// As [`ProducerBuilder::build`].
    pub async fn connect(namesrv: impl Into<String>) -> Result<Producer> {
        Producer::builder().namesrv(namesrv).build().await
    }

    pub(crate) async fn start(
        settings: Settings,
        instance: ClientInstance,
        checker: Option<Arc<dyn TransactionChecker>>,
    ) -> Result<Producer> {
        instance.start().await?;
        let registered = Arc::new(Registered::new(
            settings.wire_group(),
            settings.namespace.clone(),
            checker,
            instance.api().clone(),
            settings.send_timeout,
        ));
        // Java keeps the auto-create topic in the publish table, so its route (and with it
        // every broker) is known and heartbeated even before the first send.
        let tbw = naming::AUTO_CREATE_TOPIC_KEY_TOPIC;
        let empty = PublishInfo::from_route(tbw, Arc::new(TopicRouteData::default()), false);
        registered.insert_publish_info(tbw, Arc::new(empty));
        if let Err(e) = instance.register_producer(registered.clone()) {
            instance.release_if_idle().await;
            return Err(e.into());
        }
        if let Err(e) = instance.update_topic_route(tbw).await {
            debug!(error = %rmq_remoting::Error::chain(&e), "no route for the auto-create topic yet");
        }
        if let Err(e) = instance.send_heartbeat_now().await {
            debug!(error = %rmq_remoting::Error::chain(&e), "first heartbeat failed; the periodic one retries");
        }
        let shared = Shared {
            inflight: Arc::new(Semaphore::new(settings.max_inflight_async)),
            inflight_bytes: Arc::new(Semaphore::new(settings.max_inflight_async_bytes)),
            fault: FaultStrategy::new(settings.latency_fault_tolerance),
            settings,
            instance,
            registered,
            tracker: TaskTracker::new(),
            closed: AtomicBool::new(false),
        };
        info!(group = %shared.settings.group, client_id = %shared.instance.client_id(), "producer started");
        Ok(Producer {
            shared: Arc::new(shared),
        })
    }

    /// The producer group, as configured (without namespace).
    pub fn group(&self) -> &str {
        &self.shared.settings.group
    }

    /// The client instance this producer is registered in.
    pub fn instance(&self) -> &ClientInstance {
        &self.shared.instance
    }

    /// Sends `msg` and waits for the broker to store it, retrying other queues (up to
    /// `retries` times) within the send timeout.
    ///
    /// # Errors
    /// [`Error::InvalidMessage`] before any network call; [`Error::Timeout`] when the route
    /// lookup outlasts the deadline; [`Error::Send`] listing every attempt; [`Error::Client`]
    /// for a topic without route; [`Error::Shutdown`].
    ///
    /// # Cancel safety
    /// Dropping the future abandons the send at once; the message may or may not be stored.
    pub async fn send(&self, msg: &Message) -> Result<SendReceipt> {
        self.shared.ensure_open()?;
        let budget = Budget::new(self.shared.settings.send_timeout);
        let out = message::prepare(&self.shared.settings, msg)?;
        let attempts = self.shared.settings.retries + 1;
        self.shared
            .send_outgoing(&out, Route::Any { attempts }, budget)
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
            .send_outgoing(&out, Route::Queue(queue), budget)
            .await
    }

    /// Sends `msg` to the queue `selector` picks among the topic's writable queues, once:
    /// ordered messages with equal keys land in one queue, in send order.
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
            .send_outgoing(&out, Route::Selected(selector, msg), budget)
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
            .send_outgoing(&out, Route::Any { attempts }, budget)
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

    /// Starts sending `msg` on a task of this producer and returns a future of its receipt.
    /// Awaiting this call waits for in-flight room (count and bytes, see the builder); the
    /// send itself uses `async_retries` and the same deadline, counted from this call.
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
        let out = message::prepare(&shared.settings, msg)?;
        let permits = shared.acquire_inflight(out.size, &budget).await?;
        let task = {
            let shared = shared.clone();
            async move {
                let _permits = permits;
                let attempts = shared.settings.async_retries + 1;
                shared
                    .send_outgoing(&out, Route::Any { attempts }, budget)
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
        self.shared.close().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn shared(count: usize, bytes: usize) -> Shared {
        let config = rmq_client_core::ClientConfig::builder()
            .namesrv("127.0.0.1:1")
            .build()
            .expect("config");
        let instance = ClientInstance::new(config).expect("instance");
        let settings = ProducerBuilder::default()
            .max_inflight_async(count)
            .max_inflight_async_bytes(bytes)
            .settings_for_tests();
        let registered = Arc::new(Registered::new(
            "g".into(),
            None,
            None,
            instance.api().clone(),
            Duration::from_secs(1),
        ));
        Shared {
            inflight: Arc::new(Semaphore::new(count)),
            inflight_bytes: Arc::new(Semaphore::new(bytes)),
            fault: FaultStrategy::new(false),
            settings,
            instance,
            registered,
            tracker: TaskTracker::new(),
            closed: AtomicBool::new(false),
        }
    }

    #[tokio::test]
    async fn async_sends_wait_for_room_within_their_deadline() {
        let s = shared(1, 1024);
        let held = s
            .acquire_inflight(10, &Budget::new(Duration::from_millis(50)))
            .await
            .expect("room");
        let e = s
            .acquire_inflight(10, &Budget::new(Duration::from_millis(50)))
            .await
            .expect_err("no room in time");
        assert_eq!(e.kind(), crate::ErrorKind::Timeout, "{e}");
        drop(held);
        let _again = s
            .acquire_inflight(10, &Budget::new(Duration::from_millis(50)))
            .await
            .expect("room again once released");
    }

    #[tokio::test]
    async fn in_flight_bytes_are_bounded_and_huge_bodies_take_the_whole_bound() {
        let s = shared(10, 100);
        let a = s
            .acquire_inflight(60, &Budget::new(Duration::from_millis(50)))
            .await
            .expect("60 of 100 bytes");
        assert!(s
            .acquire_inflight(60, &Budget::new(Duration::from_millis(30)))
            .await
            .is_err());
        drop(a);
        let whole = s
            .acquire_inflight(5_000, &Budget::new(Duration::from_millis(50)))
            .await
            .expect("a body over the bound takes all of it");
        assert_eq!(s.inflight_bytes.available_permits(), 0);
        drop(whole);
        assert_eq!(s.inflight_bytes.available_permits(), 100);
    }

    #[tokio::test]
    async fn a_closed_producer_refuses_new_sends() {
        let s = shared(1, 10);
        assert!(s.ensure_open().is_ok());
        s.closed.store(true, Ordering::Release);
        assert_eq!(
            s.ensure_open().expect_err("closed").kind(),
            crate::ErrorKind::Shutdown
        );
    }
}
