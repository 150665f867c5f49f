//! The state one consumer shares between its tasks: subscriptions, the queues of each topic,
//! the process queues, the offset store, the task tracker and the [`Sink`] pulled messages go
//! to. Dispatch and the engines receive it as an `Arc<Core>`; it calls none of them (the face
//! the client instance sees, which rebalances, is the engine's `Registered`).
//!
//! Locks here are `std::sync` ones, never held across an `.await`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rmq_client_core::trace::{TraceDispatcher, TraceRole};
use rmq_client_core::ClientInstance;
use rmq_protocol::body::{
    running_info_keys, ConsumeMessageDirectlyResult, ConsumeType, ConsumerRunningInfo,
    MessageModel, SubscriptionData,
};
use rmq_protocol::{naming, MessageQueue, StoredMessage};
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

use crate::listener::{MessageListener, OrderlyListener};
use crate::message::ReceivedMessage;
use crate::options::{ConsumeFrom, Options};
use crate::state::offset_store::OffsetStore;
use crate::state::process_queue::ProcessQueue;

/// At most this many broker addresses are remembered as not serving QUERY_ASSIGNMENT.
pub(crate) const MAX_NO_ASSIGNMENT: usize = 256;

/// Where pulled messages go.
pub(crate) enum Sink {
    /// The concurrent consume service.
    Concurrent(Arc<dyn MessageListener>),
    /// The orderly consume service.
    Orderly(Arc<dyn OrderlyListener>),
    /// The lite pull consumer's buffer.
    Lite(mpsc::Sender<LiteBatch>),
}

/// Messages of one pull, handed to a lite pull consumer.
pub(crate) struct LiteBatch {
    pub(crate) pq: Arc<ProcessQueue>,
    pub(crate) generation: u64,
    pub(crate) msgs: Vec<ReceivedMessage>,
}

impl std::fmt::Debug for LiteBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiteBatch")
            .field("queue", self.pq.queue())
            .field("msgs", &self.msgs.len())
            .finish()
    }
}

/// One consumer's shared state.
pub(crate) struct Core {
    pub(crate) instance: ClientInstance,
    pub(crate) opts: Options,
    pub(crate) consume_type: ConsumeType,
    pub(crate) subs: RwLock<BTreeMap<String, SubscriptionData>>,
    pub(crate) topic_queues: RwLock<HashMap<String, BTreeSet<MessageQueue>>>,
    pub(crate) table: Mutex<BTreeMap<MessageQueue, Arc<ProcessQueue>>>,
    pub(crate) store: OffsetStore,
    /// Stops pull loops and delayed re-submits.
    pub(crate) pull_token: CancellationToken,
    /// Aborts running listeners once the drain deadline passed.
    pub(crate) consume_token: CancellationToken,
    pub(crate) tracker: TaskTracker,
    pub(crate) sink: OnceLock<Sink>,
    pub(crate) permits: Semaphore,
    pub(crate) started_ms: i64,
    /// Lite pull in assign mode: no rebalance, these queues.
    pub(crate) assigned: RwLock<Option<BTreeSet<MessageQueue>>>,
    /// Message trace, when on (`dispatch::trace` appends to it).
    pub(crate) traces: Option<TraceDispatcher>,
    /// The POP engine's running queue tasks (a queue id of -1 stands for every queue of its
    /// broker), each stopped through its token.
    pub(crate) pop_tasks: Mutex<BTreeMap<MessageQueue, CancellationToken>>,
    /// Broker addresses that answered QUERY_ASSIGNMENT with REQUEST_CODE_NOT_SUPPORTED (4.x):
    /// not asked again, their topics are pulled.
    pub(crate) no_assignment: Mutex<BTreeSet<String>>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("group", &self.opts.group)
            .field("client_id", &self.instance.client_id())
            .finish_non_exhaustive()
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Core {
    pub(crate) fn new(
        instance: ClientInstance,
        opts: Options,
        consume_type: ConsumeType,
        store: OffsetStore,
    ) -> Self {
        let traces = opts.trace_topic.as_ref().and_then(|topic| {
            let group = naming::without_namespace(&opts.group);
            TraceDispatcher::builder(instance.clone(), group, TraceRole::Consume)
                .topic(topic.clone())
                .build()
                .map_err(|e| warn!(error = %e, "message trace off: its settings are invalid"))
                .ok()
        });
        Core {
            traces,
            permits: Semaphore::new(opts.concurrency),
            instance,
            opts,
            consume_type,
            subs: RwLock::new(BTreeMap::new()),
            topic_queues: RwLock::new(HashMap::new()),
            table: Mutex::new(BTreeMap::new()),
            store,
            pull_token: CancellationToken::new(),
            consume_token: CancellationToken::new(),
            tracker: TaskTracker::new(),
            sink: OnceLock::new(),
            started_ms: now_ms(),
            assigned: RwLock::new(None),
            pop_tasks: Mutex::new(BTreeMap::new()),
            no_assignment: Mutex::new(BTreeSet::new()),
        }
    }

    pub(crate) fn group(&self) -> &str {
        &self.opts.group
    }

    pub(crate) fn is_clustering(&self) -> bool {
        self.opts.model == MessageModel::Clustering
    }

    pub(crate) fn is_orderly(&self) -> bool {
        matches!(self.sink.get(), Some(Sink::Orderly(_)))
    }

    /// The owned queues of user topics as the user names them: the table without the
    /// group's `%RETRY%` queues, topics without the namespace.
    pub(crate) fn user_queues(&self) -> Vec<MessageQueue> {
        let ns = self.namespace();
        self.table()
            .keys()
            .filter(|q| !naming::is_retry_topic(&q.topic))
            .map(|q| crate::namespace::unwrap_queue(ns, q))
            .collect()
    }

    /// The namespace of the client config, if any.
    pub(crate) fn namespace(&self) -> Option<&str> {
        self.instance.config().namespace()
    }

    /// `queue` as the broker names it (the namespace wrapped around its topic).
    pub(crate) fn wire_queue(&self, queue: &MessageQueue) -> MessageQueue {
        crate::namespace::wrap_queue(self.namespace(), queue)
    }

    pub(crate) fn table(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<MessageQueue, Arc<ProcessQueue>>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the broker at `addr` answered QUERY_ASSIGNMENT with REQUEST_CODE_NOT_SUPPORTED.
    pub(crate) fn no_assignment_at(&self, addr: &str) -> bool {
        self.no_assignment
            .lock()
            .is_ok_and(|set| set.contains(addr))
    }

    /// Remembers that the broker at `addr` does not serve QUERY_ASSIGNMENT (bounded: at most
    /// [`MAX_NO_ASSIGNMENT`] addresses; one is forgotten to make room).
    pub(crate) fn mark_no_assignment(&self, addr: String) {
        let mut set = self.no_assignment.lock().unwrap_or_else(|p| p.into_inner());
        if set.len() >= MAX_NO_ASSIGNMENT {
            set.pop_first();
        }
        set.insert(addr);
    }

    pub(crate) fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.subs.read().ok()?.get(topic).cloned()
    }

    pub(crate) fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.subs
            .read()
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn queues_of(&self, topic: &str) -> Option<BTreeSet<MessageQueue>> {
        self.topic_queues.read().ok()?.get(topic).cloned()
    }

    /// The process queues, copied out of the lock.
    pub(crate) fn process_queues(&self) -> Vec<Arc<ProcessQueue>> {
        self.table().values().cloned().collect()
    }

    /// Cached messages and bytes of every queue of `topic`.
    pub(crate) fn topic_cache(&self, topic: &str) -> (usize, u64) {
        self.table()
            .iter()
            .filter(|(q, _)| q.topic == topic)
            .fold((0, 0), |(c, b), (_, pq)| (c + pq.count(), b + pq.bytes()))
    }

    /// Records a finished part of `pq` in the offset store (never for a dropped queue: its new
    /// owner is in charge now).
    pub(crate) fn commit_progress(&self, pq: &ProcessQueue, offset: Option<i64>) {
        if let Some(o) = offset {
            if o >= 0 && !pq.is_dropped() {
                self.store.update(pq.queue(), o, true);
            }
        }
    }

    /// The master of `queue`'s broker.
    pub(crate) async fn master_of(&self, queue: &MessageQueue) -> crate::Result<String> {
        crate::state::offset_store::remote::master(&self.instance, queue)
            .await
            .ok_or_else(|| {
                rmq_client_core::Error::BrokerNotFound {
                    broker_name: queue.broker_name.clone(),
                }
                .into()
            })
    }

    /// Where a new process queue starts (Java's `computePullFromWhere`): the committed offset,
    /// else the `ConsumeFrom` policy (only for a group without one). `None`: try again later.
    pub(crate) async fn initial_offset(&self, queue: &MessageQueue) -> Option<i64> {
        match self.store.read_store(queue).await {
            Ok(Some(o)) if o >= 0 => return Some(o),
            Ok(_) => {}
            Err(e) => {
                warn!(%queue, error = %rmq_remoting::Error::chain(&e), "cannot read the committed offset; queue skipped");
                return None;
            }
        }
        let retry = naming::is_retry_topic(&queue.topic);
        let timeout = self.instance.config().api_timeout();
        let api = self.instance.api();
        let r = match self.opts.consume_from {
            ConsumeFrom::FirstOffset => return Some(0),
            ConsumeFrom::LastOffset if retry => return Some(0),
            ConsumeFrom::LastOffset => match self.master_of(queue).await {
                Ok(addr) => api
                    .max_offset(&addr, &queue.topic, queue.queue_id, timeout)
                    .await
                    .map_err(Into::into),
                Err(e) => Err(e),
            },
            ConsumeFrom::Timestamp(at) => match self.master_of(queue).await {
                Ok(addr) if retry => api
                    .max_offset(&addr, &queue.topic, queue.queue_id, timeout)
                    .await
                    .map_err(Into::into),
                Ok(addr) => {
                    let ms = at
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as i64);
                    api.search_offset(&addr, &queue.topic, queue.queue_id, ms, timeout)
                        .await
                        .map_err(Into::into)
                }
                Err(e) => Err(e),
            },
        };
        match r {
            Ok(o) => Some(o),
            Err(e) => {
                let e: crate::Error = e;
                warn!(%queue, error = %rmq_remoting::Error::chain(&e), "cannot compute where to start; queue skipped");
                None
            }
        }
    }

    /// Persists every process queue's offset and waits for the answers.
    pub(crate) async fn persist_all_sync(&self) {
        for pq in self.process_queues() {
            self.commit_progress(&pq, pq.commit_offset());
            self.store.persist(pq.queue()).await;
        }
    }

    /// Running info for GET_CONSUMER_RUNNING_INFO.
    pub(crate) fn running_info(&self) -> ConsumerRunningInfo {
        let mut info = ConsumerRunningInfo {
            subscription_set: self.subscriptions(),
            ..ConsumerRunningInfo::default()
        };
        for pq in self.process_queues() {
            let committed = self.store.read_memory(pq.queue()).unwrap_or(-1);
            info.mq_table.insert(pq.queue().clone(), pq.info(committed));
        }
        let p = &mut info.properties;
        p.insert(
            running_info_keys::CONSUME_ORDERLY.into(),
            self.is_orderly().to_string(),
        );
        p.insert(
            running_info_keys::THREADPOOL_CORE_SIZE.into(),
            self.opts.concurrency.to_string(),
        );
        p.insert(
            running_info_keys::CONSUMER_START_TIMESTAMP.into(),
            self.started_ms.to_string(),
        );
        p.insert("consumerGroup".into(), self.opts.group.clone());
        p.insert(
            "messageModel".into(),
            format!("{:?}", self.opts.model).to_uppercase(),
        );
        p.insert(
            "pullBatchSize".into(),
            self.opts.pull_batch_size.to_string(),
        );
        p.insert(
            "consumeMessageBatchMaxSize".into(),
            self.opts.consume_batch_size.to_string(),
        );
        p.insert(
            "pullThresholdForQueue".into(),
            self.opts.queue_count_limit.to_string(),
        );
        p.insert(
            "maxReconsumeTimes".into(),
            self.opts.max_reconsume(self.is_orderly()).to_string(),
        );
        p.insert(
            "allocateMessageQueueStrategy".into(),
            self.opts.allocate.name().to_owned(),
        );
        info
    }

    /// CONSUME_MESSAGE_DIRECTLY: runs the listener on one message, outside of any queue.
    pub(crate) async fn consume_directly(
        &self,
        stored: StoredMessage,
        broker_name: Option<String>,
    ) -> ConsumeMessageDirectlyResult {
        use futures::FutureExt;
        use rmq_protocol::body::ConsumeDirectlyOutcome as O;
        let queue = MessageQueue::new(
            stored.topic.clone(),
            broker_name.unwrap_or_default(),
            stored.queue_id,
        );
        let msg = ReceivedMessage::new(stored, queue, self.group(), self.namespace());
        let started = Instant::now();
        let mut result = ConsumeMessageDirectlyResult {
            auto_commit: true,
            consume_result: None,
            order: false,
            remark: None,
            spent_time_mills: 0,
        };
        let outcome = match self.sink.get() {
            Some(Sink::Concurrent(l)) => {
                let l = l.clone();
                std::panic::AssertUnwindSafe(l.consume(vec![msg]))
                    .catch_unwind()
                    .await
                    .map(|r| match r {
                        crate::ConsumeResult::Success => O::Success,
                        _ => O::Later,
                    })
            }
            Some(Sink::Orderly(l)) => {
                result.order = true;
                let l = l.clone();
                std::panic::AssertUnwindSafe(l.consume(vec![msg]))
                    .catch_unwind()
                    .await
                    .map(|r| match r {
                        crate::OrderlyResult::Success => O::Success,
                        _ => O::Later,
                    })
            }
            _ => {
                result.remark = Some("this consumer has no listener".into());
                Ok(O::ReturnNull)
            }
        };
        result.consume_result = Some(outcome.unwrap_or_else(|_| {
            result.remark = Some("the listener panicked".into());
            O::ThrowException
        }));
        result.spent_time_mills = started.elapsed().as_millis() as i64;
        result
    }

    /// RESET_CONSUMER_CLIENT_OFFSET: drops `topic`'s process queues named in `offsets`, writes
    /// the new offsets through to the broker, and rebalances so the queues come back from them.
    pub(crate) async fn reset_offset(&self, topic: &str, offsets: BTreeMap<MessageQueue, i64>) {
        let dropped: Vec<Arc<ProcessQueue>> = {
            let mut t = self.table();
            let qs: Vec<MessageQueue> = t
                .keys()
                .filter(|q| q.topic == topic && offsets.contains_key(*q))
                .cloned()
                .collect();
            qs.iter().filter_map(|q| t.remove(q)).collect()
        };
        for pq in &dropped {
            pq.set_dropped();
            pq.clear();
        }
        for (q, o) in &offsets {
            if q.topic != topic {
                continue;
            }
            self.store.update(q, *o, false);
            self.store.persist(q).await;
            self.store.remove(q);
        }
        tracing::info!(group = %self.group(), %topic, queues = offsets.len(), "offsets reset");
        self.instance.rebalance_immediately();
    }
}
