//! HEART_BEAT (34) body: [`HeartbeatData`] with its producer, consumer and subscription parts,
//! and Java's `String.hashCode` that subscriptions carry as tag codes.
//!
//! Deciding what to heartbeat (groups, subscription versions) is client-core's job.

use serde::{Deserialize, Serialize};

/// Expression type of a tag subscription.
pub const EXPRESSION_TAG: &str = "TAG";
/// Expression type of an SQL92 subscription.
pub const EXPRESSION_SQL92: &str = "SQL92";
/// The subscription expression matching every message.
pub const SUBSCRIBE_ALL: &str = "*";

/// What a client tells a broker about its groups.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HeartbeatData {
    /// Client id (the key really is `clientID`).
    #[serde(rename = "clientID", default)]
    pub client_id: String,
    /// Consumer groups in this client.
    #[serde(rename = "consumerDataSet", default)]
    pub consumer_data_set: Vec<ConsumerData>,
    /// 5.x heartbeat V2 fingerprint of the data (set on every heartbeat; 4.x brokers ignore it,
    /// a 5.x broker that serves V2 compares it to decide whether `without_sub` data is enough).
    #[serde(
        rename = "heartbeatFingerprint",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub heartbeat_fingerprint: Option<i32>,
    /// Producer groups in this client.
    #[serde(rename = "producerDataSet", default)]
    pub producer_data_set: Vec<ProducerData>,
    /// 5.x heartbeat V2: subscriptions omitted.
    #[serde(
        rename = "withoutSub",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub without_sub: Option<bool>,
}

/// A producer group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProducerData {
    /// Producer group name.
    #[serde(rename = "groupName", default)]
    pub group_name: String,
}

/// A consumer group and its subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerData {
    /// Where a new group starts.
    #[serde(rename = "consumeFromWhere")]
    pub consume_from_where: ConsumeFromWhere,
    /// Pull or push.
    #[serde(rename = "consumeType")]
    pub consume_type: ConsumeType,
    /// Consumer group name.
    #[serde(rename = "groupName")]
    pub group_name: String,
    /// Clustering or broadcasting.
    #[serde(rename = "messageModel")]
    pub message_model: MessageModel,
    /// Subscriptions.
    #[serde(rename = "subscriptionDataSet", default)]
    pub subscription_data_set: Vec<SubscriptionData>,
    /// Unit mode.
    #[serde(rename = "unitMode", default)]
    pub unit_mode: bool,
}

/// Java `ConsumeType`, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConsumeType {
    /// Pull consumer.
    #[serde(rename = "CONSUME_ACTIVELY")]
    Actively,
    /// Push consumer.
    #[serde(rename = "CONSUME_PASSIVELY")]
    Passively,
    /// 5.x POP consumer.
    #[serde(rename = "CONSUME_POP")]
    Pop,
}

/// Java `MessageModel`, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageModel {
    /// Every consumer gets every message.
    #[serde(rename = "BROADCASTING")]
    Broadcasting,
    /// Queues are shared out among the group.
    #[serde(rename = "CLUSTERING")]
    Clustering,
}

/// Java `ConsumeFromWhere`, by name (including the deprecated values older clients send).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsumeFromWhere {
    /// `CONSUME_FROM_LAST_OFFSET`.
    ConsumeFromLastOffset,
    /// Deprecated `CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST`.
    ConsumeFromLastOffsetAndFromMinWhenBootFirst,
    /// Deprecated `CONSUME_FROM_MIN_OFFSET`.
    ConsumeFromMinOffset,
    /// Deprecated `CONSUME_FROM_MAX_OFFSET`.
    ConsumeFromMaxOffset,
    /// `CONSUME_FROM_FIRST_OFFSET`.
    ConsumeFromFirstOffset,
    /// `CONSUME_FROM_TIMESTAMP`.
    ConsumeFromTimestamp,
}

/// One subscription of a consumer group (Java `SubscriptionData`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SubscriptionData {
    /// Legacy class filter; always false.
    #[serde(rename = "classFilterMode", default)]
    pub class_filter_mode: bool,
    /// Java `String.hashCode` of each tag: the broker filters consume-queue tag hashes by it.
    #[serde(rename = "codeSet", default)]
    pub code_set: Vec<i32>,
    /// `"TAG"` or `"SQL92"`.
    #[serde(rename = "expressionType", default = "default_expression_type")]
    pub expression_type: String,
    /// The expression as given (`"*"` for all).
    #[serde(rename = "subString", default)]
    pub sub_string: String,
    /// Subscription version (Java: ms at subscribe time).
    #[serde(rename = "subVersion", default)]
    pub sub_version: i64,
    /// The tags, split on `||`, trimmed, empty ones dropped; empty for `*`.
    #[serde(rename = "tagsSet", default)]
    pub tags_set: Vec<String>,
    /// Topic.
    #[serde(default)]
    pub topic: String,
}

fn default_expression_type() -> String {
    EXPRESSION_TAG.to_owned()
}

impl SubscriptionData {
    /// A tag subscription built like Java's `FilterAPI.buildSubscriptionData`: an empty or `*`
    /// expression subscribes to everything; otherwise tags are split on `||`, trimmed, empties
    /// dropped, duplicates kept once, and each tag's [`java_string_hash`] goes to `code_set`.
    pub fn from_tag_expression(
        topic: impl Into<String>,
        expression: &str,
        sub_version: i64,
    ) -> Self {
        let mut data = SubscriptionData {
            topic: topic.into(),
            sub_version,
            expression_type: EXPRESSION_TAG.to_owned(),
            ..SubscriptionData::default()
        };
        if expression.is_empty() || expression == SUBSCRIBE_ALL {
            data.sub_string = SUBSCRIBE_ALL.to_owned();
            return data;
        }
        data.sub_string = expression.to_owned();
        for tag in expression
            .split("||")
            .map(java_trim)
            .filter(|t| !t.is_empty())
        {
            if !data.tags_set.iter().any(|t| t == tag) {
                data.tags_set.push(tag.to_owned());
            }
            let code = java_string_hash(tag);
            if !data.code_set.contains(&code) {
                data.code_set.push(code);
            }
        }
        data
    }

    /// An SQL92 subscription (the broker evaluates `expression`; no tags or codes).
    pub fn sql92(
        topic: impl Into<String>,
        expression: impl Into<String>,
        sub_version: i64,
    ) -> Self {
        SubscriptionData {
            topic: topic.into(),
            sub_string: expression.into(),
            sub_version,
            expression_type: EXPRESSION_SQL92.to_owned(),
            ..SubscriptionData::default()
        }
    }

    /// Whether this subscription takes every message (`*`).
    pub fn is_subscribe_all(&self) -> bool {
        self.sub_string == SUBSCRIBE_ALL
    }
}

/// Java `String.trim`: strips characters up to U+0020 at both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Java `String.hashCode`: `h = 31 * h + c` over UTF-16 code units, wrapping `i32`.
///
/// ```
/// assert_eq!(rmq_protocol::body::java_string_hash("TagA"), 2598919);
/// ```
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}
