//! Admin bodies read from brokers: connections, consume and topic stats, groups, configs,
//! broker stats and consume time spans.
//!
//! Stats maps keyed by [`MessageQueue`] read both the Java broker's object keys (after the
//! fastjson pre-pass) and the CI broker's string keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::heartbeat::{ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData};
use super::queue::{mq_map, MessageQueue};

/// One client connection as a broker sees it (Java `Connection`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Connection {
    /// Remote address, `"ip:port"`.
    #[serde(rename = "clientAddr", default)]
    pub client_addr: String,
    /// Client id.
    #[serde(rename = "clientId", default)]
    pub client_id: String,
    /// Language name, e.g. `"JAVA"`, `"RUST"`.
    #[serde(default)]
    pub language: String,
    /// MQVersion ordinal.
    #[serde(default)]
    pub version: i32,
}

/// GET_CONSUMER_CONNECTION_LIST response body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConsumerConnection {
    /// Connected consumers.
    #[serde(rename = "connectionSet", default)]
    pub connection_set: Vec<Connection>,
    /// Where the group starts.
    #[serde(
        rename = "consumeFromWhere",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub consume_from_where: Option<ConsumeFromWhere>,
    /// Pull or push.
    #[serde(
        rename = "consumeType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub consume_type: Option<ConsumeType>,
    /// Clustering or broadcasting.
    #[serde(
        rename = "messageModel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message_model: Option<MessageModel>,
    /// Topic to subscription.
    #[serde(rename = "subscriptionTable", default)]
    pub subscription_table: BTreeMap<String, SubscriptionData>,
}

/// GET_PRODUCER_CONNECTION_LIST response body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProducerConnection {
    /// Connected producers.
    #[serde(rename = "connectionSet", default)]
    pub connection_set: Vec<Connection>,
}

/// GET_CONSUME_STATS response body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConsumeStats {
    /// Consume rate, messages per second.
    #[serde(rename = "consumeTps", default)]
    pub consume_tps: f64,
    /// Queue to broker/consumer offsets.
    #[serde(rename = "offsetTable", default, with = "mq_map")]
    pub offset_table: BTreeMap<MessageQueue, OffsetWrapper>,
}

impl ConsumeStats {
    /// Total lag: the sum of `broker_offset - consumer_offset` over all queues.
    pub fn total_diff(&self) -> i64 {
        self.offset_table
            .values()
            .map(|o| o.broker_offset.saturating_sub(o.consumer_offset))
            .sum()
    }
}

/// Offsets of one queue for one group (Java `OffsetWrapper`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OffsetWrapper {
    /// Broker max offset.
    pub broker_offset: i64,
    /// Group's committed offset.
    pub consumer_offset: i64,
    /// Store time of the last consumed message, ms.
    pub last_timestamp: i64,
    /// 5.x: pull offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_offset: Option<i64>,
}

/// GET_TOPIC_STATS_INFO response body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TopicStatsTable {
    /// Queue to min/max offsets.
    #[serde(rename = "offsetTable", default, with = "mq_map")]
    pub offset_table: BTreeMap<MessageQueue, TopicOffset>,
}

/// Offsets of one queue (Java `TopicOffset`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicOffset {
    /// Last update time, ms.
    pub last_update_timestamp: i64,
    /// Max offset.
    pub max_offset: i64,
    /// Min offset.
    pub min_offset: i64,
}

/// QUERY_TOPIC_CONSUME_BY_WHO (and similar) response body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GroupList {
    /// Group names.
    #[serde(rename = "groupList", default)]
    pub group_list: Vec<String>,
}

/// A subscription group's config (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupConfig {
    /// Broker id to consume from (0 = master).
    pub broker_id: i64,
    /// Broadcast consumption allowed.
    pub consume_broadcast_enable: bool,
    /// Consumption allowed.
    pub consume_enable: bool,
    /// New groups start from the min offset.
    pub consume_from_min_enable: bool,
    /// Group name.
    pub group_name: String,
    /// Tell consumers when membership changes.
    pub notify_consumer_ids_changed_enable: bool,
    /// Max retries before the DLQ.
    pub retry_max_times: i32,
    /// Retry queue count.
    pub retry_queue_nums: i32,
    /// Broker id to use when consumption is slow.
    pub which_broker_when_consume_slowly: i64,
}

impl Default for SubscriptionGroupConfig {
    /// Java's defaults.
    fn default() -> Self {
        SubscriptionGroupConfig {
            broker_id: 0,
            consume_broadcast_enable: true,
            consume_enable: true,
            consume_from_min_enable: true,
            group_name: String::new(),
            notify_consumer_ids_changed_enable: true,
            retry_max_times: 16,
            retry_queue_nums: 1,
            which_broker_when_consume_slowly: 1,
        }
    }
}

/// A topic's config as brokers serialize it (Java `TopicConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfig {
    /// Ordered topic.
    pub order: bool,
    /// PermName bits.
    pub perm: i32,
    /// Readable queue count.
    pub read_queue_nums: i32,
    /// `"SINGLE_TAG"` or `"MULTI_TAG"`.
    pub topic_filter_type: String,
    /// Topic name.
    pub topic_name: String,
    /// Topic sys flag.
    pub topic_sys_flag: i32,
    /// Writable queue count.
    pub write_queue_nums: i32,
}

impl Default for TopicConfig {
    /// Java's defaults: 16 queues each way, read/write, single tag.
    fn default() -> Self {
        TopicConfig {
            order: false,
            perm: 6,
            read_queue_nums: 16,
            topic_filter_type: "SINGLE_TAG".to_owned(),
            topic_name: String::new(),
            topic_sys_flag: 0,
            write_queue_nums: 16,
        }
    }
}

/// VIEW_BROKER_STATS_DATA response body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerStatsData {
    /// Last day.
    pub stats_day: BrokerStatsItem,
    /// Last hour.
    pub stats_hour: BrokerStatsItem,
    /// Last minute.
    pub stats_minute: BrokerStatsItem,
}

/// One window of broker stats.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BrokerStatsItem {
    /// Average per time unit.
    pub avgpt: f64,
    /// Total.
    pub sum: i64,
    /// Per second.
    pub tps: f64,
}

/// QUERY_CONSUME_TIME_SPAN response body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueryConsumeTimeSpanBody {
    /// One entry per queue.
    #[serde(rename = "consumeTimeSpanSet", default)]
    pub consume_time_span_set: Vec<QueueTimeSpan>,
}

/// Consume time span of one queue.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueTimeSpan {
    /// Store time of the last consumed message, ms.
    pub consume_time_stamp: i64,
    /// Consume delay, ms.
    pub delay_time: i64,
    /// Store time of the newest message, ms.
    pub max_time_stamp: i64,
    /// The queue.
    pub message_queue: MessageQueue,
    /// Store time of the oldest message, ms.
    pub min_time_stamp: i64,
}

/// GET_BROKER_CONSUME_STATS response body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumeStatsList {
    /// Answering broker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_addr: Option<String>,
    /// Per group, its consume stats per topic.
    pub consume_stats_list: Vec<BTreeMap<String, Vec<ConsumeStats>>>,
    /// Total lag.
    pub total_diff: i64,
}
