//! [`PullConsumer`]: the lite pull consumer (Java's `DefaultLitePullConsumer`). Background tasks
//! pull the owned queues into a bounded buffer; the application takes messages with
//! [`poll`](PullConsumer::poll) or [`stream`](PullConsumer::stream).
//!
//! Offsets: what a poll returned counts as consumed at the next poll (auto commit) or at
//! [`commit`](PullConsumer::commit), never earlier, so a crash between the two redelivers it.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::Stream;
use rmq_protocol::MessageQueue;
use tokio::sync::mpsc;
use tracing::info;

use crate::builder::{PullConsumerBuilder, Settings};
use crate::core::{Core, LiteBatch, Registered, Sink};
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::message::ReceivedMessage;

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
/// let msgs = consumer.poll(Duration::from_secs(1)).await;
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

impl std::fmt::Debug for LiteBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiteBatch")
            .field("queue", self.pq.queue())
            .field("msgs", &self.msgs.len())
            .finish()
    }
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
        let sub = filter.to_subscription(topic, crate::builder::now_ms());
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
        self.core.instance.update_topic_route(topic).await?;
        let route = self.core.instance.routes().get(topic).ok_or_else(|| {
            rmq_client_core::Error::RouteNotFound {
                topic: topic.to_owned(),
                reason: "route vanished".into(),
            }
        })?;
        Ok(rmq_client_core::route::subscribe_queues(topic, &route)
            .into_iter()
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
            *a = Some(queues.into_iter().collect::<BTreeSet<_>>());
        }
        crate::rebalance::rebalance(&self.core).await;
        Ok(())
    }

    /// The queues this consumer currently pulls.
    pub fn assigned_queues(&self) -> Vec<MessageQueue> {
        self.core.table().keys().cloned().collect()
    }

    /// Waits up to `timeout` for messages; empty when none came. Under auto commit, what the
    /// previous polls returned counts as consumed now.
    pub async fn poll(&self, timeout: Duration) -> Vec<ReceivedMessage> {
        if self.core.opts.auto_commit {
            self.resolve_polled();
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.rx.lock().await;
        loop {
            let batch = tokio::select! {
                () = tokio::time::sleep_until(deadline) => return Vec::new(),
                b = rx.recv() => match b { Some(b) => b, None => return Vec::new() },
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
            return msgs;
        }
    }

    /// The messages as a stream (each item one poll's worth); ends at shutdown.
    pub fn stream(&self) -> impl Stream<Item = ReceivedMessage> + '_ {
        futures::stream::unfold(Vec::new().into_iter(), move |mut buf| async move {
            loop {
                if let Some(m) = buf.next() {
                    return Some((m, buf));
                }
                if self.stopped.load(std::sync::atomic::Ordering::Acquire) {
                    return None;
                }
                buf = self.poll(Duration::from_millis(500)).await.into_iter();
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

    /// The committed offset of `queue` in memory.
    pub fn committed(&self, queue: &MessageQueue) -> Option<i64> {
        self.core.store.read_memory(queue)
    }

    fn pq(&self, queue: &MessageQueue) -> Result<Arc<crate::process_queue::ProcessQueue>> {
        self.core
            .table()
            .get(queue)
            .cloned()
            .ok_or_else(|| Error::NotAssigned {
                queue: queue.clone(),
            })
    }

    /// Pulls `queue` from `offset` next; cached and buffered messages of it are discarded.
    ///
    /// # Errors
    /// [`Error::NotAssigned`] when the queue is not owned.
    pub fn seek(&self, queue: &MessageQueue, offset: i64) -> Result<()> {
        let pq = self.pq(queue)?;
        pq.seek(offset);
        self.core.store.update(queue, offset, false);
        Ok(())
    }

    /// Seeks to the queue's first offset.
    ///
    /// # Errors
    /// [`Error::NotAssigned`]; the broker's.
    pub async fn seek_to_begin(&self, queue: &MessageQueue) -> Result<()> {
        let addr = self.core.master_of(queue).await?;
        let t = self.core.instance.config().api_timeout();
        let o = self
            .core
            .instance
            .api()
            .min_offset(&addr, &queue.topic, queue.queue_id, t)
            .await?;
        self.seek(queue, o)
    }

    /// Seeks to the queue's end (only new messages).
    ///
    /// # Errors
    /// [`Error::NotAssigned`]; the broker's.
    pub async fn seek_to_end(&self, queue: &MessageQueue) -> Result<()> {
        let addr = self.core.master_of(queue).await?;
        let t = self.core.instance.config().api_timeout();
        let o = self
            .core
            .instance
            .api()
            .max_offset(&addr, &queue.topic, queue.queue_id, t)
            .await?;
        self.seek(queue, o)
    }

    /// The offset of the first message of `queue` stored at or after `at`.
    ///
    /// # Errors
    /// The broker's.
    pub async fn offset_for_timestamp(&self, queue: &MessageQueue, at: SystemTime) -> Result<i64> {
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
        core.instance.release_if_idle().await;
        info!(group = %core.group(), "lite pull consumer shut down");
    }
}
