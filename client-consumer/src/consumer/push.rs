//! [`PushConsumer`]: pulls in the background and calls an async listener (Java's
//! `DefaultMQPushConsumer`). A topic whose broker serves the group in POP mode (switched with
//! SET_MESSAGE_REQUEST_MODE, `rmq-admin setConsumeMode`) is popped instead (concurrent
//! listeners in clustering mode; see `engine::pop`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmq_protocol::body::{ConsumerRunningInfo, MessageModel};
use rmq_protocol::MessageQueue;
use tracing::{info, warn};

use super::builder::{PushConsumerBuilder, Settings};
use crate::engine::pull::{self, Registered};
use crate::error::{Error, Result};
use crate::listener::{MessageListener, OrderlyListener};
use crate::state::core::{Core, Sink};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Built,
    Running,
    Stopped,
}

/// A push consumer: a cheap `Clone` handle; every method takes `&self`.
///
/// Built with [`PushConsumer::builder`]; consuming starts with [`start`](Self::start) (or
/// [`start_orderly`](Self::start_orderly)) and ends with [`shutdown`](Self::shutdown), which
/// drains running listeners within the drain timeout and commits offsets.
///
/// With a concurrent listener in clustering mode, each rebalance asks a broker of every
/// subscribed topic how it serves the group (QUERY_ASSIGNMENT): in POP mode the consumer pops
/// the queues the broker assigns (at most 96 popped and unsettled messages per queue), acks
/// what the listener consumed and hides a failed message for the retry delay (10 s, 30 s, 1 min
/// ... by reconsume times), after which the broker delivers it again through the group's POP
/// retry topic. Brokers that do not serve QUERY_ASSIGNMENT (4.x) are pulled from as before.
///
/// Dropping the last handle without calling `shutdown` stops the consumer too: pulling stops
/// at once, and the same shutdown (drain, commit, unregister) runs in the background on the
/// current tokio runtime; outside a runtime the listeners are aborted instead and the group
/// stays registered until the client instance shuts down. Call `shutdown` to wait for it.
#[derive(Debug, Clone)]
pub struct PushConsumer {
    core: Arc<Core>,
    phase: Arc<Mutex<Phase>>,
    _stop: Arc<StopOnDrop>,
}

/// Shared by every handle of one consumer: the last one dropped stops it.
#[derive(Debug)]
struct StopOnDrop {
    core: Arc<Core>,
    phase: Arc<Mutex<Phase>>,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let was = {
            let mut p = self.phase.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *p, Phase::Stopped)
        };
        if was == Phase::Stopped {
            return;
        }
        warn!(group = %self.core.group(), "push consumer dropped without shutdown(); stopping it");
        self.core.pull_token.cancel();
        let core = self.core.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { shutdown_core(&core, was).await });
            }
            Err(_) => {
                core.consume_token.cancel();
                core.tracker.close();
            }
        }
    }
}

/// Cached (pulled, unfinished) messages, for flow-control checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Messages.
    pub count: usize,
    /// Body bytes.
    pub bytes: u64,
    /// Largest per-queue message count.
    pub max_queue_count: usize,
    /// Largest per-queue byte count.
    pub max_queue_bytes: u64,
}

impl PushConsumer {
    /// A builder with Java's defaults.
    pub fn builder() -> PushConsumerBuilder {
        PushConsumerBuilder { s: Settings::new() }
    }

    pub(crate) fn from_core(core: Arc<Core>) -> Self {
        let phase = Arc::new(Mutex::new(Phase::Built));
        PushConsumer {
            _stop: Arc::new(StopOnDrop {
                core: core.clone(),
                phase: phase.clone(),
            }),
            core,
            phase,
        }
    }

    /// The consumer group.
    pub fn group(&self) -> &str {
        self.core.group()
    }

    /// The client id this consumer registers with.
    pub fn client_id(&self) -> &str {
        self.core.instance.client_id()
    }

    /// The message model.
    pub fn message_model(&self) -> MessageModel {
        self.core.opts.model
    }

    fn transition(&self, from: Phase, to: Phase) -> Result<()> {
        let mut p = self.phase.lock().unwrap_or_else(|e| e.into_inner());
        if *p != from {
            return Err(Error::State {
                group: self.group().to_owned(),
                state: match *p {
                    Phase::Built => "not started",
                    Phase::Running => "already started",
                    Phase::Stopped => "shut down",
                },
            });
        }
        *p = to;
        Ok(())
    }

    /// Starts consuming with a concurrent listener: registers the group, heartbeats, checks
    /// SQL92 filters with the broker and rebalances at once.
    ///
    /// # Errors
    /// [`Error::State`] when already started or shut down; the broker's refusal of a filter;
    /// [`rmq_client_core::Error::GroupExists`] when the group is already registered in the
    /// same client instance.
    pub async fn start(&self, listener: impl MessageListener) -> Result<()> {
        self.start_with(Sink::Concurrent(Arc::new(listener))).await
    }

    /// Starts consuming with an orderly listener: in clustering mode each queue is locked on
    /// its broker and its messages are consumed one batch at a time, in order.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub async fn start_orderly(&self, listener: impl OrderlyListener) -> Result<()> {
        self.start_with(Sink::Orderly(Arc::new(listener))).await
    }

    async fn start_with(&self, sink: Sink) -> Result<()> {
        self.transition(Phase::Built, Phase::Running)?;
        let core = &self.core;
        if core.sink.set(sink).is_err() {
            return Err(Error::State {
                group: self.group().to_owned(),
                state: "already started",
            });
        }
        let instance = &core.instance;
        instance.register_consumer(Arc::new(Registered(core.clone())))?;
        for sub in core.subscriptions() {
            if let Err(e) = instance.update_topic_route(&sub.topic).await {
                if !rmq_protocol::naming::is_retry_topic(&sub.topic) {
                    warn!(topic = %sub.topic, error = %rmq_remoting::Error::chain(&e), "no route yet; will retry");
                }
            }
        }
        instance.send_heartbeat_now().await?;
        if let Err(e) = instance.check_client_in_broker().await {
            instance.unregister_consumer(core.group()).await;
            stop_tasks(core).await;
            return Err(e.into());
        }
        instance.rebalance_immediately();
        info!(group = %self.group(), client_id = %self.client_id(), "push consumer started");
        Ok(())
    }

    /// The queues of the subscribed topics this consumer currently owns. The group's
    /// `%RETRY%` queues, which a clustering consumer also pulls, are left out, and so are the
    /// queues of topics it pops (the broker keeps their offsets).
    pub fn assigned_queues(&self) -> Vec<MessageQueue> {
        self.core.user_queues()
    }

    /// The message trace counters (records appended, sent, dropped, failed); `None` when
    /// trace is off ([`enable_trace`](crate::PushConsumerBuilder::enable_trace)).
    pub fn trace_stats(&self) -> Option<rmq_client_core::trace::TraceStats> {
        self.core.traces.as_ref().map(|t| t.stats())
    }

    /// Cached messages and bytes over all queues.
    pub fn cache_stats(&self) -> CacheStats {
        let mut s = CacheStats::default();
        for pq in self.core.process_queues() {
            let (c, b) = (pq.count(), pq.bytes());
            s.count += c;
            s.bytes += b;
            s.max_queue_count = s.max_queue_count.max(c);
            s.max_queue_bytes = s.max_queue_bytes.max(b);
        }
        s
    }

    /// The offset recorded in memory for `queue` (what the next persist commits). A
    /// namespaced consumer takes the queue as [`assigned_queues`](Self::assigned_queues)
    /// names it (with or without the namespace).
    pub fn committed_offset(&self, queue: &MessageQueue) -> Option<i64> {
        self.core.store.read_memory(&self.core.wire_queue(queue))
    }

    /// The same running info a broker gets through GET_CONSUMER_RUNNING_INFO.
    pub fn running_info(&self) -> ConsumerRunningInfo {
        self.core.running_info()
    }

    /// Stops pulling, lets running listeners finish within the drain timeout (then aborts
    /// them: their messages are delivered again), commits every queue's offset, unlocks
    /// orderly queues, unregisters the group and shuts the client instance down when nothing
    /// else uses it. Idempotent.
    pub async fn shutdown(&self) {
        let was = {
            let mut p = self.phase.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *p, Phase::Stopped)
        };
        if was == Phase::Stopped {
            return;
        }
        shutdown_core(&self.core, was).await;
    }
}

/// The shutdown of a consumer that was in phase `was`: see [`PushConsumer::shutdown`].
async fn shutdown_core(core: &Arc<Core>, was: Phase) {
    if was == Phase::Running {
        stop_tasks(core).await;
        core.persist_all_sync().await;
        if core.is_orderly() && core.is_clustering() {
            let qs: Vec<MessageQueue> = core.table().keys().cloned().collect();
            pull::unlock(core, &qs, false).await;
        }
        core.instance.unregister_consumer(core.group()).await;
    }
    if let Some(traces) = &core.traces {
        traces.shutdown().await;
    }
    core.instance.release_if_idle().await;
    info!(group = %core.group(), "push consumer shut down");
}

async fn stop_tasks(core: &Core) {
    core.pull_token.cancel();
    core.tracker.close();
    if tokio::time::timeout(core.opts.drain_timeout, core.tracker.wait())
        .await
        .is_err()
    {
        warn!(group = %core.group(), deadline = ?core.opts.drain_timeout, "listeners still running at the drain deadline; aborting them");
        core.consume_token.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(3), core.tracker.wait()).await;
    }
    core.consume_token.cancel();
    for pq in core.process_queues() {
        pq.release_consume();
    }
}
