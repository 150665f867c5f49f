//! Message trace (Java's `AsyncTraceDispatcher`): producers and consumers hand
//! [`TraceRecord`]s to a [`TraceDispatcher`], which batches them into messages of the trace
//! topic in Java's text format, so that `mqadmin queryMsgTraceById` and `rmq-admin` find them.
//!
//! The hooks only build records (`records`) and call [`TraceDispatcher::append`], which never
//! waits and never fails the user's operation: when the bounded queue is full the record is
//! dropped and counted. One task per dispatcher, on the instance's task tracker, sends batches
//! by count, bytes or age (`dispatch`), each with its own bounded attempts (`send`).
//!
//! ```no_run
//! use rmq_client_core::trace::{TraceDispatcher, TraceRole};
//! # async fn demo(instance: rmq_client_core::ClientInstance) -> rmq_client_core::Result<()> {
//! let traces = TraceDispatcher::builder(instance, "OrderProducers", TraceRole::Produce).build()?;
//! // ... traces.append(record) from a send hook ...
//! traces.shutdown().await; // sends what is queued, within the flush budget
//! println!("{:?}", traces.stats());
//! # Ok(()) }
//! ```

mod batch;
mod dispatch;
mod records;
mod send;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rmq_protocol::naming;
use rmq_protocol::trace::{TraceRecord, MAX_TRACE_BODY_BYTES, TRACE_PRODUCER_GROUP_PREFIX};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::instance::ClientInstance;

pub use records::{pub_record, sub_after, sub_before, ConsumeOutcome, SentMessageInfo};

/// Java's queue bound (`traceContextQueue`, 2048 records).
pub const DEFAULT_QUEUE_CAPACITY: usize = 2048;
/// Records per trace message (Java `traceMsgBatchNum` default 10, at most 20).
pub const DEFAULT_BATCH_RECORDS: usize = 10;
/// Java's largest batch: 20 records.
pub const MAX_BATCH_RECORDS: usize = 20;
/// How long a record waits for its batch to fill (Java waits up to 5 s; rmq 1 s, so that a
/// query soon after a consume shows it).
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Deadline of one trace message's send, every attempt included (Java 5 s).
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long [`TraceDispatcher::shutdown`] may spend sending what is queued.
pub const DEFAULT_SHUTDOWN_FLUSH: Duration = Duration::from_secs(3);

/// Whose operations a dispatcher traces; part of the trace producer's group name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceRole {
    /// A producer: Pub and EndTransaction records.
    Produce,
    /// A consumer: SubBefore and SubAfter records.
    Consume,
}

impl TraceRole {
    fn as_str(self) -> &'static str {
        match self {
            TraceRole::Produce => "PRODUCE",
            TraceRole::Consume => "CONSUME",
        }
    }
}

/// Counters of a dispatcher, in records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraceStats {
    /// Accepted by [`TraceDispatcher::append`].
    pub appended: u64,
    /// Stored by a broker in the trace topic.
    pub sent: u64,
    /// Refused because the queue was full or the dispatcher stopped, or still queued when the
    /// shutdown flush ran out of time.
    pub dropped: u64,
    /// In a trace message every attempt of which failed.
    pub failed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    appended: AtomicU64,
    sent: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

/// Settings of one dispatcher's task.
#[derive(Debug, Clone)]
struct Settings {
    topic: String,
    producer_group: String,
    batch_records: usize,
    batch_bytes: usize,
    flush_interval: Duration,
    send_timeout: Duration,
    shutdown_flush: Duration,
}

/// Builds a [`TraceDispatcher`]; [`build`](Self::build) validates and starts its task.
#[derive(Debug)]
pub struct TraceDispatcherBuilder {
    instance: ClientInstance,
    group: String,
    role: TraceRole,
    topic: String,
    queue_capacity: usize,
    settings: Settings,
}

impl TraceDispatcherBuilder {
    /// The trace topic. Default [`naming::TRACE_TOPIC`] (`RMQ_SYS_TRACE_TOPIC`).
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = topic.into();
        self
    }

    /// Records waiting to be sent, at most. Default [`DEFAULT_QUEUE_CAPACITY`].
    pub fn queue_capacity(mut self, records: usize) -> Self {
        self.queue_capacity = records;
        self
    }

    /// Records per trace message, 1 to [`MAX_BATCH_RECORDS`]. Default
    /// [`DEFAULT_BATCH_RECORDS`].
    pub fn batch_records(mut self, records: usize) -> Self {
        self.settings.batch_records = records;
        self
    }

    /// How long a record waits for its batch to fill. Default [`DEFAULT_FLUSH_INTERVAL`].
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.settings.flush_interval = interval;
        self
    }

    /// Deadline of one trace message's send, retries included. Default
    /// [`DEFAULT_SEND_TIMEOUT`].
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.settings.send_timeout = timeout;
        self
    }

    /// How long shutting down may spend sending what is queued. Default
    /// [`DEFAULT_SHUTDOWN_FLUSH`].
    pub fn shutdown_flush(mut self, budget: Duration) -> Self {
        self.settings.shutdown_flush = budget;
        self
    }

    /// Validates the settings and spawns the dispatcher's task on the instance's tracker.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty or invalid topic, a zero queue capacity or batch size, a
    /// batch above [`MAX_BATCH_RECORDS`], or a zero flush interval or send timeout.
    pub fn build(self) -> Result<TraceDispatcher> {
        let mut settings = self.settings;
        rmq_protocol::validate::check_topic(&self.topic)
            .map_err(|e| Error::Config(format!("trace topic {:?}: {e}", self.topic)))?;
        if self.queue_capacity == 0 {
            return Err(Error::Config("trace queue capacity must be above 0".into()));
        }
        if !(1..=MAX_BATCH_RECORDS).contains(&settings.batch_records) {
            return Err(Error::Config(format!(
                "trace batch of {} records: must be 1 to {MAX_BATCH_RECORDS}",
                settings.batch_records
            )));
        }
        if settings.flush_interval.is_zero() || settings.send_timeout.is_zero() {
            return Err(Error::Config(
                "trace flush interval and send timeout must be above 0".into(),
            ));
        }
        settings.topic = self.topic;
        settings.producer_group = format!(
            "{TRACE_PRODUCER_GROUP_PREFIX}-{}-{}",
            self.group,
            self.role.as_str()
        );
        let (tx, rx) = mpsc::channel(self.queue_capacity);
        let shared = Arc::new(Shared {
            tx,
            topic: settings.topic.clone(),
            counters: Counters::default(),
            stop: self.instance.inner.token.child_token(),
            done: CancellationToken::new(),
        });
        dispatch::spawn(self.instance, settings, rx, Arc::clone(&shared));
        Ok(TraceDispatcher { shared })
    }
}

/// Sends trace records to the trace topic in batches: a cheap `Clone` handle over one task.
///
/// Dropping every handle, [`shutdown`](Self::shutdown) or the instance's shutdown stops the
/// task after a last flush of what is queued (bounded by the flush budget).
#[derive(Debug, Clone)]
pub struct TraceDispatcher {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    tx: mpsc::Sender<TraceRecord>,
    topic: String,
    counters: Counters,
    /// Asks the task to flush and stop (a child of the instance's token).
    stop: CancellationToken,
    /// Cancelled by the task when it has stopped.
    done: CancellationToken,
}

impl TraceDispatcher {
    /// A builder of a dispatcher tracing `group`'s operations on `instance`.
    pub fn builder(
        instance: ClientInstance,
        group: impl Into<String>,
        role: TraceRole,
    ) -> TraceDispatcherBuilder {
        TraceDispatcherBuilder {
            instance,
            group: group.into(),
            role,
            topic: naming::TRACE_TOPIC.to_owned(),
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            settings: Settings {
                topic: String::new(),
                producer_group: String::new(),
                batch_records: DEFAULT_BATCH_RECORDS,
                batch_bytes: MAX_TRACE_BODY_BYTES,
                flush_interval: DEFAULT_FLUSH_INTERVAL,
                send_timeout: DEFAULT_SEND_TIMEOUT,
                shutdown_flush: DEFAULT_SHUTDOWN_FLUSH,
            },
        }
    }

    /// The trace topic.
    pub fn topic(&self) -> &str {
        &self.shared.topic
    }

    /// Whether `topic` is this dispatcher's trace topic: its own messages are not traced.
    pub fn is_trace_topic(&self, topic: &str) -> bool {
        topic == self.shared.topic
    }

    /// Queues `record` without waiting; `false` (and one more [`TraceStats::dropped`]) when
    /// the queue is full or the dispatcher has stopped.
    pub fn append(&self, record: TraceRecord) -> bool {
        let accepted = !self.shared.stop.is_cancelled() && self.shared.tx.try_send(record).is_ok();
        let counter = if accepted {
            &self.shared.counters.appended
        } else {
            &self.shared.counters.dropped
        };
        Counters::add(counter, 1);
        accepted
    }

    /// The counters so far.
    pub fn stats(&self) -> TraceStats {
        let c = &self.shared.counters;
        TraceStats {
            appended: c.appended.load(Ordering::Relaxed),
            sent: c.sent.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }

    /// Sends what is queued (within the shutdown flush budget, plus one send timeout at most)
    /// and stops the task. Later appends are dropped.
    ///
    /// # Cancel safety
    /// Dropping the future stops waiting; the task still flushes and stops.
    pub async fn shutdown(&self) {
        self.shared.stop.cancel();
        self.shared.done.cancelled().await;
    }
}
