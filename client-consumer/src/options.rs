//! The knobs shared by the push and the lite pull consumer, with Java's defaults.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rmq_protocol::body::{ConsumeFromWhere, MessageModel};

use crate::allocate::{AllocateStrategy, Averagely};

/// Where a group with no committed offset for a queue starts (Java's `ConsumeFromWhere`).
///
/// It only matters the first time a group consumes a queue: once an offset is committed, the
/// consumer always resumes from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsumeFrom {
    /// The end of the queue: only new messages (default).
    LastOffset,
    /// The beginning of the queue.
    FirstOffset,
    /// The first message stored at or after this time.
    Timestamp(SystemTime),
}

impl ConsumeFrom {
    /// The wire enum for heartbeats.
    pub fn to_wire(self) -> ConsumeFromWhere {
        match self {
            ConsumeFrom::LastOffset => ConsumeFromWhere::ConsumeFromLastOffset,
            ConsumeFrom::FirstOffset => ConsumeFromWhere::ConsumeFromFirstOffset,
            ConsumeFrom::Timestamp(_) => ConsumeFromWhere::ConsumeFromTimestamp,
        }
    }
}

/// Every consumer setting besides the subscriptions.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) group: String,
    pub(crate) model: MessageModel,
    pub(crate) consume_from: ConsumeFrom,
    pub(crate) allocate: Arc<dyn AllocateStrategy>,
    pub(crate) concurrency: usize,
    pub(crate) consume_batch_size: usize,
    pub(crate) pull_batch_size: i32,
    pub(crate) pull_interval: Duration,
    pub(crate) queue_count_limit: usize,
    pub(crate) queue_bytes_limit: u64,
    pub(crate) topic_count_limit: Option<usize>,
    pub(crate) topic_bytes_limit: Option<u64>,
    pub(crate) max_span: i64,
    pub(crate) max_reconsume_times: Option<i32>,
    pub(crate) consume_timeout: Duration,
    pub(crate) suspend_time: Duration,
    pub(crate) broker_suspend: Duration,
    pub(crate) pull_timeout: Duration,
    pub(crate) drain_timeout: Duration,
    pub(crate) offset_dir: Option<PathBuf>,
    pub(crate) auto_commit: bool,
    pub(crate) post_subscription_when_pull: bool,
    /// The trace topic when message trace is on.
    pub(crate) trace_topic: Option<String>,
}

impl Options {
    pub(crate) fn new(group: String) -> Self {
        Options {
            group,
            model: MessageModel::Clustering,
            consume_from: ConsumeFrom::LastOffset,
            allocate: Arc::new(Averagely),
            concurrency: 20,
            consume_batch_size: 1,
            pull_batch_size: 32,
            pull_interval: Duration::ZERO,
            queue_count_limit: 1000,
            queue_bytes_limit: 100 * 1024 * 1024,
            topic_count_limit: None,
            topic_bytes_limit: None,
            max_span: 2000,
            max_reconsume_times: None,
            consume_timeout: Duration::from_secs(15 * 60),
            suspend_time: Duration::from_secs(1),
            broker_suspend: Duration::from_secs(15),
            pull_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(10),
            offset_dir: None,
            auto_commit: true,
            post_subscription_when_pull: false,
            trace_topic: None,
        }
    }

    /// Max reconsume times: the configured value, else 16 (concurrent) or unlimited (orderly),
    /// as Java.
    pub(crate) fn max_reconsume(&self, orderly: bool) -> i32 {
        match self.max_reconsume_times {
            Some(n) => n,
            None if orderly => i32::MAX,
            None => 16,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        rmq_protocol::validate::check_group(&self.group).map_err(|e| e.to_string())?;
        if self.group == rmq_protocol::naming::DEFAULT_CONSUMER_GROUP {
            return Err("the default consumer group cannot be used; set a group".into());
        }
        if !(1..=1024).contains(&self.pull_batch_size) {
            return Err(format!(
                "pull batch size {} not in 1..=1024",
                self.pull_batch_size
            ));
        }
        if !(1..=1024).contains(&self.consume_batch_size) {
            return Err(format!(
                "consume batch size {} not in 1..=1024",
                self.consume_batch_size
            ));
        }
        if !(1..=1000).contains(&self.concurrency) {
            return Err(format!(
                "consume concurrency {} not in 1..=1000",
                self.concurrency
            ));
        }
        if let Some(topic) = &self.trace_topic {
            rmq_protocol::validate::check_topic(topic)
                .map_err(|e| format!("trace topic {topic:?}: {e}"))?;
        }
        if self.pull_timeout <= self.broker_suspend {
            return Err("the pull timeout must exceed the broker suspend time".into());
        }
        Ok(())
    }
}
