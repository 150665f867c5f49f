//! [`PullConsumer`]: the lite pull consumer (Java's `DefaultLitePullConsumer`). Background tasks
//! pull the owned queues into a bounded buffer; the application takes messages with
//! [`poll`](PullConsumer::poll) or [`stream`](PullConsumer::stream).
//!
//! Offsets: what a poll returned counts as consumed at the next poll (auto commit) or at
//! [`commit`](PullConsumer::commit), never earlier, so a crash between the two redelivers it.
//! [`commit_queue`](PullConsumer::commit_queue) sets one queue's offset explicitly.
//!
//! Names: a consumer whose config has a namespace takes and shows topics and queues without it
//! (`Topic`, as Java's lite pull consumer does); the broker sees `ns%Topic`.
//!
//! Results: [`poll`](PullConsumer::poll) answers `Ok(vec![])` when nothing came within the
//! timeout and [`Error::State`] (kind [`ErrorKind::Shutdown`](crate::ErrorKind::Shutdown))
//! once the consumer is shut down; [`stream`](PullConsumer::stream) ends then.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::Stream;
use rmq_protocol::MessageQueue;
use tokio::sync::mpsc;
use tracing::info;

use super::builder::{PullConsumerBuilder, Settings};
use crate::engine::pull::{self, Registered};
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::message::ReceivedMessage;
use crate::state::core::{Core, LiteBatch, Sink};

/// A lite pull consumer: a cheap `Clone` handle; every method takes `&self`.
///
/// ```no_run
/// use std::time::Duration;
/// use rmq_client_consumer::{Filter, PullConsumer};
/// # async fn demo() -> rmq_client_consumer::Result<()> {
/// let consumer = PullConsumer::builder()
///     .namesrv("127.0.0.1:9876")
///     .group("reports")
///     .subscribe("Orders", Filter::all())
///     .build()
///     .await?;
/// let msgs = consumer.poll(Duration::from_secs(1)).await?;
/// consumer.commit().await;
/// consumer.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PullConsumer {
    core: Arc<Core>,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<LiteBatch>>>,
    /// Polled, not yet committed: resolved at the next poll (auto commit) or commit.
    polled: Arc<Mutex<Vec<LiteBatch>>>,
    stopped: Arc<std::sync::atomic::AtomicBool>,
}

impl PullConsumer {
    /// A builder with Java's defaults.
    pub fn builder() -> PullConsumerBuilder {
        PullConsumerBuilder {
            s: Settings::new(),
            buffer: 64,
        }
    }

    pub(crate) async fn start(core: Arc<Core>, buffer: usize) -> Result<PullConsumer> {
        let (tx, rx) = mpsc::channel(buffer);
        let _ = core.sink.set(Sink::Lite(tx));
        let instance = core.instance.clone();
        instance.register_consumer(Arc::new(Registered(core.clone())))?;
        let c = PullConsumer {
            core,
            rx: Arc::new(tokio::sync::Mutex::new(rx)),
            polled: Arc::new(Mutex::new(Vec::new())),
            stopped: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        };
        for sub in c.core.subscriptions() {
            let _ = instance.update_topic_route(&sub.topic).await;
        }
        instance.send_heartbeat_now().await?;
        instance.check_client_in_broker().await?;
        instance.rebalance_immediately();
        info!(group = %c.core.group(), "lite pull consumer started");
        Ok(c)
    }

    /// The consumer group.
    pub fn group(&self) -> &str {
        self.core.group()
    }

    /// The client instance this consumer runs in (routes, transport metrics, back-pressure
    /// counters).
    pub fn instance(&self) -> &rmq_client_core::ClientInstance {
        &self.core.instance
    }

    /// Subscribes to one more topic (subscribe mode; not after [`assign`](Self::assign)).
    ///
    /// # Errors
    /// [`Error::Config`] in assign mode.
    pub async fn subscribe(&self, topic: &str, filter: Filter) -> Result<()> {
        if self.core.assigned.read().is_ok_and(|a| a.is_some()) {
            return Err(Error::Config("subscribe and assign cannot be mixed".into()));
        }
        let topic = &rmq_protocol::naming::wrap_namespace(self.core.namespace(), topic);
        let sub = filter.to_subscription(topic, super::builder::now_ms());
        if let Ok(mut s) = self.core.subs.write() {
            s.insert(topic.to_owned(), sub);
        }
        let _ = self.core.instance.update_topic_route(topic).await;
        self.core.instance.send_heartbeat_now().await?;
        self.core.instance.rebalance_immediately();
        Ok(())
    }

    /// The readable queues of `topic` (Java's `fetchMessageQueues`).
    ///
    /// # Errors
    /// The route lookup's.
    pub async fn fetch_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let ns = self.core.namespace();
        let topic = &rmq_protocol::naming::wrap_namespace(ns, topic);
        self.core.instance.update_topic_route(topic).await?;
        let route = self.core.instance.routes().get(topic).ok_or_else(|| {
            rmq_client_core::Error::RouteNotFound {
                topic: topic.to_owned(),
                reason: "route vanished".into(),
            }
        })?;
        Ok(rmq_client_core::route::subscribe_queues(topic, &route)
            .iter()
            .map(|q| crate::namespace::unwrap_queue(ns, q))
            .collect())
    }

    /// Consumes exactly these queues, without rebalance (assign mode; not with
    /// subscriptions).
    ///
    /// # Errors
    /// [`Error::Config`] when the consumer has subscriptions.
    pub async fn assign(&self, queues: Vec<MessageQueue>) -> Result<()> {
        if self.core.subs.read().is_ok_and(|s| !s.is_empty()) {
            return Err(Error::Config("subscribe and assign cannot be mixed".into()));
        }
        if let Ok(mut a) = self.core.assigned.write() {
            *a = Some(
                queues
                    .iter()
                    .map(|q| self.core.wire_queue(q))
                    .collect::<BTreeSet<_>>(),
            );
        }
        pull::rebalance(&self.core).await;
        Ok(())
    }

    /// The queues of user topics this consumer currently pulls (never the group's internal
    /// `%RETRY%` queues).
    pub fn assigned_queues(&self) -> Vec<MessageQueue> {
        self.core.user_queues()
    }

    /// The error [`poll`](Self::poll) answers after shutdown.
    fn shut_down(&self) -> Error {
        Error::State {
            group: self.group().to_owned(),
            state: "shut down",
        }
    }

    /// Waits up to `timeout` for messages. Under auto commit, what the previous polls
    /// returned counts as consumed now.
    ///
    /// `Ok` with an empty vector means nothing came within `timeout` (poll again); a
    /// non-empty vector holds the messages of one queue.
    ///
    /// # Errors
    /// [`Error::State`] (kind [`ErrorKind::Shutdown`](crate::ErrorKind::Shutdown)) once the
    /// consumer is shut down, including when shutdown happens during the wait: no message
    /// comes any more.
    pub async fn poll(&self, timeout: Duration) -> Result<Vec<ReceivedMessage>> {
        if self.is_shut_down() {
            return Err(self.shut_down());
        }
        if self.core.opts.auto_commit {
            self.resolve_polled();
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.rx.lock().await;
        loop {
            let batch = tokio::select! {
                () = self.core.pull_token.cancelled() => return Err(self.shut_down()),
                () = tokio::time::sleep_until(deadline) => return Ok(Vec::new()),
                b = rx.recv() => match b { Some(b) => b, None => return Err(self.shut_down()) },
            };
            let pq = &batch.pq;
            if pq.is_dropped() || pq.generation() != batch.generation {
                continue;
            }
            if pq.is_paused() {
                // Java discards what was buffered for a paused queue; it is pulled again.
                pq.seek(
                    batch
                        .msgs
                        .first()
                        .map_or(pq.next_offset(), |m| m.queue_offset()),
                );
                continue;
            }
            let msgs = batch.msgs.clone();
            if let Ok(mut p) = self.polled.lock() {
                p.push(batch);
            }
            return Ok(msgs);
        }
    }

    fn is_shut_down(&self) -> bool {
        self.stopped.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The messages one by one, as [`poll`](Self::poll) returns them; ends at shutdown.
    pub fn stream(&self) -> impl Stream<Item = ReceivedMessage> + '_ {
        futures::stream::unfold(Vec::new().into_iter(), move |mut buf| async move {
            loop {
                if let Some(m) = buf.next() {
                    return Some((m, buf));
                }
                buf = self
                    .poll(Duration::from_millis(500))
                    .await
                    .ok()?
                    .into_iter();
            }
        })
    }

    fn resolve_polled(&self) {
        let batches = match self.polled.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => return,
        };
        for b in batches {
            if b.pq.is_dropped() || b.pq.generation() != b.generation {
                continue;
            }
            let offset =
                b.pq.remove(b.msgs.iter().map(ReceivedMessage::queue_offset));
            self.core.commit_progress(&b.pq, offset);
        }
    }

    /// Marks everything polled so far as consumed and commits the offsets to the broker (or
    /// the local file), waiting for the answers.
    pub async fn commit(&self) {
        self.resolve_polled();
        self.core.persist_all_sync().await;
    }

    /// Commits `offset` as `queue`'s consumed offset (the next message to consume) and
    /// waits for the broker's answer (or writes the local file): Java's
    /// `commit(Map<MessageQueue, Long>, true)` for one queue. Polled messages of `queue` below
    /// `offset` count as consumed; a later [`commit`](Self::commit) (or auto commit) still
    /// settles everything polled, as Java's `commitSync` does after `commit(map)`.
    ///
    /// # Errors
    /// [`Error::NotAssigned`] when the queue is not owned; [`Error::Config`] for a negative
    /// offset.
    pub async fn commit_queue(&self, queue: &MessageQueue, offset: i64) -> Result<()> {
        if offset < 0 {
            return Err(Error::Config(format!(
                "commit offset {offset} of {queue} is negative"
            )));
        }
        let pq = self.pq(queue)?;
        if let Ok(mut polled) = self.polled.lock() {
            for b in polled.iter_mut().filter(|b| b.pq.queue() == pq.queue()) {
                let (done, left): (Vec<_>, Vec<_>) = std::mem::take(&mut b.msgs)
                    .into_iter()
                    .partition(|m| m.queue_offset() < offset);
                if b.generation == b.pq.generation() {
                    b.pq.remove(done.iter().map(ReceivedMessage::queue_offset));
                }
                b.msgs = left;
            }
            polled.retain(|b| !b.msgs.is_empty());
        }
        self.core.store.update(pq.queue(), offset, false);
        self.core.store.persist(pq.queue()).await;
        Ok(())
    }

    /// The committed offset of `queue` in memory.
    pub fn committed(&self, queue: &MessageQueue) -> Option<i64> {
        self.core.store.read_memory(&self.core.wire_queue(queue))
    }

    /// The process queue of `queue` (named with or without the namespace).
    fn pq(&self, queue: &MessageQueue) -> Result<Arc<crate::state::process_queue::ProcessQueue>> {
        self.core
            .table()
            .get(&self.core.wire_queue(queue))
            .cloned()
            .ok_or_else(|| Error::NotAssigned {
                queue: queue.clone(),
            })
    }

    /// Pulls `queue` from `offset` next; cached and buffered messages of it are discarded.
    /// Async like the other seeks, though it asks no broker.
    ///
    /// # Errors
    /// [`Error::NotAssigned`] when the queue is not owned.
    pub async fn seek(&self, queue: &MessageQueue, offset: i64) -> Result<()> {
        self.seek_now(queue, offset)
    }

    fn seek_now(&self, queue: &MessageQueue, offset: i64) -> Result<()> {
        let pq = self.pq(queue)?;
        pq.seek(offset);
        self.core.store.update(pq.queue(), offset, false);
        Ok(())
    }

    /// Seeks to the first message of `queue` stored at or after `at` (Java's
    /// `offsetForTimestamp`, then `seek`).
    ///
    /// # Errors
    /// [`Error::NotAssigned`]; the broker's.
    pub async fn seek_to_time(&self, queue: &MessageQueue, at: SystemTime) -> Result<()> {
        self.pq(queue)?;
        let o = self.offset_for_timestamp(queue, at).await?;
        self.seek_now(queue, o)
    }

    /// Seeks to the queue's first offset.
    ///
    /// # Errors
    /// [`Error::NotAssigned`]; the broker's.
    pub async fn seek_to_begin(&self, queue: &MessageQueue) -> Result<()> {
        let queue = &self.core.wire_queue(queue);
        self.pq(queue)?;
        let addr = self.core.master_of(queue).await?;
        let t = self.core.instance.config().api_timeout();
        let o = self
            .core
            .instance
            .api()
            .min_offset(&addr, &queue.topic, queue.queue_id, t)
            .await?;
        self.seek_now(queue, o)
    }

    /// Seeks to the queue's end (only new messages).
    ///
    /// # Errors
    /// [`Error::NotAssigned`]; the broker's.
    pub async fn seek_to_end(&self, queue: &MessageQueue) -> Result<()> {
        let queue = &self.core.wire_queue(queue);
        self.pq(queue)?;
        let addr = self.core.master_of(queue).await?;
        let t = self.core.instance.config().api_timeout();
        let o = self
            .core
            .instance
            .api()
            .max_offset(&addr, &queue.topic, queue.queue_id, t)
            .await?;
        self.seek_now(queue, o)
    }

    /// The offset of the first message of `queue` stored at or after `at`.
    ///
    /// # Errors
    /// The broker's.
    pub async fn offset_for_timestamp(&self, queue: &MessageQueue, at: SystemTime) -> Result<i64> {
        let queue = &self.core.wire_queue(queue);
        let addr = self.core.master_of(queue).await?;
        let ms = at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let t = self.core.instance.config().api_timeout();
        Ok(self
            .core
            .instance
            .api()
            .search_offset(&addr, &queue.topic, queue.queue_id, ms, t)
            .await?)
    }

    /// Stops pulling these queues until [`resume`](Self::resume).
    pub fn pause(&self, queues: &[MessageQueue]) {
        for q in queues {
            if let Ok(pq) = self.pq(q) {
                pq.set_paused(true);
            }
        }
    }

    /// Resumes pulling these queues.
    pub fn resume(&self, queues: &[MessageQueue]) {
        for q in queues {
            if let Ok(pq) = self.pq(q) {
                pq.set_paused(false);
            }
        }
    }

    /// Stops pulling, commits (auto commit: everything polled; otherwise what was committed),
    /// unregisters the group and shuts the instance down when nothing else uses it.
    /// Idempotent.
    pub async fn shutdown(&self) {
        if self.stopped.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        let core = &self.core;
        core.pull_token.cancel();
        core.tracker.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), core.tracker.wait()).await;
        if core.opts.auto_commit {
            self.resolve_polled();
        }
        for pq in core.process_queues() {
            if let Some(o) = core.store.read_memory(pq.queue()) {
                core.store.update(pq.queue(), o, true);
            }
            core.store.persist(pq.queue()).await;
        }
        core.instance.unregister_consumer(core.group()).await;
        if let Some(traces) = &core.traces {
            traces.shutdown().await;
        }
        core.instance.release_if_idle().await;
        info!(group = %core.group(), "lite pull consumer shut down");
    }
}
