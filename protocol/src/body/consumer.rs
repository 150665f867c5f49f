//! Bodies a consumer sends or serves: consumer lists, queue locks, offset resets, consumer status,
//! running info and consume-directly results.
//!
//! Maps keyed by [`MessageQueue`] use [`mq_map`]: read from fastjson's object keys (after the
//! pre-pass) or string keys, written as string keys, which fastjson accepts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::heartbeat::SubscriptionData;
use super::queue::{mq_map, MessageQueue};

/// GET_CONSUMER_LIST_BY_GROUP response body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConsumerListBody {
    /// Client ids of the group's consumers.
    #[serde(rename = "consumerIdList", default)]
    pub consumer_id_list: Vec<String>,
}

/// LOCK_BATCH_MQ request body (and, without `only_this_broker`, UNLOCK_BATCH_MQ's).
///
/// Send `only_this_broker: Some(false)`: the 5.x body, which 4.x brokers accept too (unknown
/// fields ignored) and which some 5.x-style brokers require.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LockBatchRequestBody {
    /// Client id.
    #[serde(rename = "clientId", default)]
    pub client_id: String,
    /// Consumer group.
    #[serde(rename = "consumerGroup", default)]
    pub consumer_group: String,
    /// Queues to lock.
    #[serde(rename = "mqSet", default)]
    pub mq_set: Vec<MessageQueue>,
    /// 5.x: lock only on the receiving broker.
    #[serde(
        rename = "onlyThisBroker",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub only_this_broker: Option<bool>,
}

/// UNLOCK_BATCH_MQ request body.
pub type UnlockBatchRequestBody = LockBatchRequestBody;

/// LOCK_BATCH_MQ response body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LockBatchResponseBody {
    /// The queues now locked by the requester.
    #[serde(rename = "lockOKMQSet", default)]
    pub lock_ok_mq_set: Vec<MessageQueue>,
}

/// RESET_CONSUMER_CLIENT_OFFSET request body (broker to client): the offset per queue.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResetOffsetBody {
    /// Queue to new offset.
    #[serde(rename = "offsetTable", default, with = "mq_map")]
    pub offset_table: BTreeMap<MessageQueue, i64>,
}

/// GET_CONSUMER_STATUS_FROM_CLIENT response body: the client's offset per queue.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GetConsumerStatusBody {
    /// Queue to consumed offset.
    #[serde(rename = "messageQueueTable", default, with = "mq_map")]
    pub message_queue_table: BTreeMap<MessageQueue, i64>,
    /// Client id to its table (admin replies aggregating several clients).
    #[serde(
        rename = "consumerTable",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub consumer_table: BTreeMap<String, serde_json::Value>,
}

/// GET_CONSUMER_RUNNING_INFO response body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConsumerRunningInfo {
    /// Thread dump, when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jstack: Option<String>,
    /// Per-queue processing state.
    #[serde(rename = "mqTable", default, with = "mq_map")]
    pub mq_table: BTreeMap<MessageQueue, ProcessQueueInfo>,
    /// `PROP_*` properties and the consumer's config (Java `Properties`).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Per-topic consume statistics.
    #[serde(rename = "statusTable", default)]
    pub status_table: BTreeMap<String, ConsumeStatus>,
    /// Subscriptions.
    #[serde(rename = "subscriptionSet", default)]
    pub subscription_set: Vec<SubscriptionData>,
}

/// Property keys of [`ConsumerRunningInfo::properties`] (Java `ConsumerRunningInfo.PROP_*`).
pub mod running_info_keys {
    /// Name-server addresses.
    pub const NAMESERVER_ADDR: &str = "PROP_NAMESERVER_ADDR";
    /// Consume thread-pool core size.
    pub const THREADPOOL_CORE_SIZE: &str = "PROP_THREADPOOL_CORE_SIZE";
    /// Whether the listener is orderly.
    pub const CONSUME_ORDERLY: &str = "PROP_CONSUMEORDERLY";
    /// `CONSUME_ACTIVELY` or `CONSUME_PASSIVELY`.
    pub const CONSUME_TYPE: &str = "PROP_CONSUME_TYPE";
    /// Client version name, e.g. `V4_9_7`.
    pub const CLIENT_VERSION: &str = "PROP_CLIENT_VERSION";
    /// Consumer start time, ms.
    pub const CONSUMER_START_TIMESTAMP: &str = "PROP_CONSUMER_START_TIMESTAMP";
}

/// Processing state of one queue (Java `ProcessQueueInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProcessQueueInfo {
    /// Cached message count.
    pub cached_msg_count: i32,
    /// Largest cached offset.
    pub cached_msg_max_offset: i64,
    /// Smallest cached offset.
    pub cached_msg_min_offset: i64,
    /// Cached size in MiB.
    #[serde(rename = "cachedMsgSizeInMiB")]
    pub cached_msg_size_in_mib: i32,
    /// Committed offset.
    pub commit_offset: i64,
    /// Whether the queue was dropped (Java's spelling `droped`).
    #[serde(rename = "droped")]
    pub dropped: bool,
    /// Last consume time, ms.
    pub last_consume_timestamp: i64,
    /// Last lock time, ms.
    pub last_lock_timestamp: i64,
    /// Last pull time, ms.
    pub last_pull_timestamp: i64,
    /// Whether the queue is locked (orderly).
    pub locked: bool,
    /// Transactional message count.
    pub transaction_msg_count: i32,
    /// Largest transactional offset.
    pub transaction_msg_max_offset: i64,
    /// Smallest transactional offset.
    pub transaction_msg_min_offset: i64,
    /// Unlock attempts.
    pub try_unlock_times: i64,
}

/// Per-topic consume statistics (Java `ConsumeStatus`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumeStatus {
    /// Failed messages in the last hour.
    #[serde(rename = "consumeFailedMsgs")]
    pub consume_failed_msgs: i64,
    /// Failed consumes per second.
    #[serde(rename = "consumeFailedTPS")]
    pub consume_failed_tps: f64,
    /// Successful consumes per second.
    #[serde(rename = "consumeOKTPS")]
    pub consume_ok_tps: f64,
    /// Consume response time, ms.
    #[serde(rename = "consumeRT")]
    pub consume_rt: f64,
    /// Pull response time, ms.
    #[serde(rename = "pullRT")]
    pub pull_rt: f64,
    /// Pulls per second.
    #[serde(rename = "pullTPS")]
    pub pull_tps: f64,
}

/// CONSUME_MESSAGE_DIRECTLY response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumeMessageDirectlyResult {
    /// Auto-commit (orderly listeners).
    #[serde(rename = "autoCommit", default)]
    pub auto_commit: bool,
    /// What the listener returned.
    #[serde(
        rename = "consumeResult",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub consume_result: Option<ConsumeDirectlyOutcome>,
    /// Whether an orderly listener consumed it.
    #[serde(default)]
    pub order: bool,
    /// Error text, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Time spent, ms (Java's spelling `spentTimeMills`).
    #[serde(rename = "spentTimeMills", default)]
    pub spent_time_mills: i64,
}

/// Java `CMResult`: the outcome of a consume-directly request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConsumeDirectlyOutcome {
    /// `CR_SUCCESS`.
    #[serde(rename = "CR_SUCCESS")]
    Success,
    /// `CR_LATER`.
    #[serde(rename = "CR_LATER")]
    Later,
    /// `CR_ROLLBACK`.
    #[serde(rename = "CR_ROLLBACK")]
    Rollback,
    /// `CR_COMMIT`.
    #[serde(rename = "CR_COMMIT")]
    Commit,
    /// `CR_THROW_EXCEPTION`.
    #[serde(rename = "CR_THROW_EXCEPTION")]
    ThrowException,
    /// `CR_RETURN_NULL`.
    #[serde(rename = "CR_RETURN_NULL")]
    ReturnNull,
}
