//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and the push-reply
//! request (326): the V1 header with Java's field names, the V2 header with single letters
//! `a`..`n`, conversion between them, and the send response; and [`SendMessageRequest`], the
//! send header's fields borrowed from the message, which the producer writes per send without
//! an owned copy of any string.

use crate::command::ExtFields;

header! {
    /// SendMessageRequestHeader (V1 field names; code 10, and what V2 expands to).
    SendMessageRequestHeader {
        /// Producer group.
        producer_group: String = "producerGroup",
        /// Target topic (namespace-wrapped if any).
        topic: String = "topic",
        /// Auto-create template topic, `"TBW102"`.
        default_topic: String = "defaultTopic",
        /// Queue count for auto-created topics (Java: 4).
        default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        /// Target queue; negative lets the broker pick.
        queue_id: i32 = "queueId",
        /// Message sys flag (compression, transaction bits).
        sys_flag: i32 = "sysFlag",
        /// Born time, ms since epoch.
        born_timestamp: i64 = "bornTimestamp",
        /// User flag.
        flag: i32 = "flag",
        /// Encoded message properties.
        properties: Option<String> = "properties",
        /// Reconsume times (Java sends 0, or RECONSUME_TIME for retry topics).
        reconsume_times: Option<i32> = "reconsumeTimes",
        /// Producer unit mode (a primitive boolean: always sent).
        unit_mode: bool = "unitMode",
        /// Whether the body is a batch (a primitive boolean: always sent).
        batch: bool = "batch",
        /// Max reconsume times; only for `%RETRY%` topics, never 0 there.
        max_reconsume_times: Option<i32> = "maxReconsumeTimes",
        /// Target broker name (`bname`, inherited from Java's `RpcRequestHeader`).
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// SendMessageRequestHeaderV2: the same fields under single-letter names (codes 310, 320).
    SendMessageRequestHeaderV2 {
        /// `a`: producer group.
        producer_group: String = "a",
        /// `b`: topic.
        topic: String = "b",
        /// `c`: default topic.
        default_topic: String = "c",
        /// `d`: default topic queue count.
        default_topic_queue_nums: i32 = "d",
        /// `e`: queue id.
        queue_id: i32 = "e",
        /// `f`: sys flag.
        sys_flag: i32 = "f",
        /// `g`: born timestamp.
        born_timestamp: i64 = "g",
        /// `h`: user flag.
        flag: i32 = "h",
        /// `i`: properties.
        properties: Option<String> = "i",
        /// `j`: reconsume times.
        reconsume_times: Option<i32> = "j",
        /// `k`: unit mode (always sent).
        unit_mode: bool = "k",
        /// `l`: max reconsume times.
        max_reconsume_times: Option<i32> = "l",
        /// `m`: batch (always sent).
        batch: bool = "m",
        /// `n`: broker name (since 4.9.5).
        broker_name: Option<String> = "n",
    }
}

impl From<SendMessageRequestHeader> for SendMessageRequestHeaderV2 {
    fn from(v1: SendMessageRequestHeader) -> Self {
        SendMessageRequestHeaderV2 {
            producer_group: v1.producer_group,
            topic: v1.topic,
            default_topic: v1.default_topic,
            default_topic_queue_nums: v1.default_topic_queue_nums,
            queue_id: v1.queue_id,
            sys_flag: v1.sys_flag,
            born_timestamp: v1.born_timestamp,
            flag: v1.flag,
            properties: v1.properties,
            reconsume_times: v1.reconsume_times,
            unit_mode: v1.unit_mode,
            max_reconsume_times: v1.max_reconsume_times,
            batch: v1.batch,
            broker_name: v1.broker_name,
        }
    }
}

impl From<SendMessageRequestHeaderV2> for SendMessageRequestHeader {
    fn from(v2: SendMessageRequestHeaderV2) -> Self {
        SendMessageRequestHeader {
            producer_group: v2.producer_group,
            topic: v2.topic,
            default_topic: v2.default_topic,
            default_topic_queue_nums: v2.default_topic_queue_nums,
            queue_id: v2.queue_id,
            sys_flag: v2.sys_flag,
            born_timestamp: v2.born_timestamp,
            flag: v2.flag,
            properties: v2.properties,
            reconsume_times: v2.reconsume_times,
            unit_mode: v2.unit_mode,
            batch: v2.batch,
            max_reconsume_times: v2.max_reconsume_times,
            broker_name: v2.broker_name,
        }
    }
}

header! {
    /// SendMessageResponseHeader, plus the `MSG_REGION`/`TRACE_ON` fields the broker adds.
    SendMessageResponseHeader {
        /// Offset message id(s) (comma-joined for a batch); users see it as `offsetMsgId`.
        msg_id: String = "msgId",
        /// Queue the message was stored in.
        queue_id: i32 = "queueId",
        /// Consume-queue offset (of the first message for a batch).
        queue_offset: i64 = "queueOffset",
        /// Transaction id (4.9.7 brokers do not set it).
        transaction_id: Option<String> = "transactionId",
        /// Broker region, e.g. `"DefaultRegion"`.
        msg_region: Option<String> = "MSG_REGION",
        /// Whether the broker has tracing on.
        trace_on: Option<bool> = "TRACE_ON",
        /// 5.x: unique id of a batch.
        batch_uniq_id: Option<String> = "batchUniqId",
    }
}

header! {
    /// ReplyMessageRequestHeader (PUSH_REPLY_MESSAGE_TO_CLIENT 326, broker to client): the V1
    /// send fields plus where and when the reply was stored.
    ReplyMessageRequestHeader {
        /// Producer group of the replier.
        producer_group: String = "producerGroup",
        /// Reply topic.
        topic: String = "topic",
        /// Default topic.
        default_topic: String = "defaultTopic",
        /// Default topic queue count.
        default_topic_queue_nums: i32 = "defaultTopicQueueNums",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// Sys flag (decompress the body per its bits).
        sys_flag: i32 = "sysFlag",
        /// Born timestamp, ms.
        born_timestamp: i64 = "bornTimestamp",
        /// User flag.
        flag: i32 = "flag",
        /// Encoded properties.
        properties: Option<String> = "properties",
        /// Reconsume times.
        reconsume_times: Option<i32> = "reconsumeTimes",
        /// Unit mode.
        unit_mode: bool = "unitMode",
        /// Born host, `"ip:port"`.
        born_host: String = "bornHost",
        /// Store host, `"ip:port"`.
        store_host: String = "storeHost",
        /// Store timestamp, ms.
        store_timestamp: i64 = "storeTimestamp",
    }
}

/// A send request's header fields borrowed from what is being sent: written into a command's
/// ext fields under the V1 ([`write_v1`](Self::write_v1)) or V2 ([`write_v2`](Self::write_v2))
/// names, in the order and form of [`SendMessageRequestHeader`] and
/// [`SendMessageRequestHeaderV2`], without owning a copy of any string first.
///
/// ```
/// use rmq_protocol::header::{CommandHeader, SendMessageRequestHeaderV2};
/// use rmq_protocol::header::SendMessageRequest;
/// use rmq_protocol::command::ExtFields;
///
/// let request = SendMessageRequest {
///     producer_group: "PG",
///     topic: "T",
///     default_topic: "TBW102",
///     properties: Some("TAGS\u{1}a"),
///     broker_name: Some("broker-a"),
///     ..SendMessageRequest::default()
/// };
/// let mut ext = ExtFields::new();
/// request.write_v2(&mut ext);
/// assert_eq!(ext.get("b"), Some("T"));
/// assert_eq!(SendMessageRequestHeaderV2::read(&ext)?.producer_group, "PG");
/// # Ok::<(), rmq_protocol::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendMessageRequest<'a> {
    /// Producer group.
    pub producer_group: &'a str,
    /// Target topic (namespace-wrapped if any).
    pub topic: &'a str,
    /// Auto-create template topic, `"TBW102"`.
    pub default_topic: &'a str,
    /// Queue count for auto-created topics.
    pub default_topic_queue_nums: i32,
    /// Target queue.
    pub queue_id: i32,
    /// Message sys flag.
    pub sys_flag: i32,
    /// Born time, ms since epoch.
    pub born_timestamp: i64,
    /// User flag.
    pub flag: i32,
    /// Encoded message properties.
    pub properties: Option<&'a str>,
    /// Reconsume times.
    pub reconsume_times: Option<i32>,
    /// Producer unit mode (always sent).
    pub unit_mode: bool,
    /// Max reconsume times.
    pub max_reconsume_times: Option<i32>,
    /// Whether the body is a batch (always sent).
    pub batch: bool,
    /// Target broker name.
    pub broker_name: Option<&'a str>,
}

/// The wire names of [`SendMessageRequest`]'s fields in one serialization, in its write order.
struct SendNames {
    producer_group: &'static str,
    topic: &'static str,
    default_topic: &'static str,
    default_topic_queue_nums: &'static str,
    queue_id: &'static str,
    sys_flag: &'static str,
    born_timestamp: &'static str,
    flag: &'static str,
    properties: &'static str,
    reconsume_times: &'static str,
    unit_mode: &'static str,
    /// The V1 header writes `batch` before `maxReconsumeTimes`, the V2 header after.
    batch_first: bool,
    max_reconsume_times: &'static str,
    batch: &'static str,
    broker_name: &'static str,
}

const V1_NAMES: SendNames = SendNames {
    producer_group: "producerGroup",
    topic: "topic",
    default_topic: "defaultTopic",
    default_topic_queue_nums: "defaultTopicQueueNums",
    queue_id: "queueId",
    sys_flag: "sysFlag",
    born_timestamp: "bornTimestamp",
    flag: "flag",
    properties: "properties",
    reconsume_times: "reconsumeTimes",
    unit_mode: "unitMode",
    batch_first: true,
    max_reconsume_times: "maxReconsumeTimes",
    batch: "batch",
    broker_name: "bname",
};

const V2_NAMES: SendNames = SendNames {
    producer_group: "a",
    topic: "b",
    default_topic: "c",
    default_topic_queue_nums: "d",
    queue_id: "e",
    sys_flag: "f",
    born_timestamp: "g",
    flag: "h",
    properties: "i",
    reconsume_times: "j",
    unit_mode: "k",
    batch_first: false,
    max_reconsume_times: "l",
    batch: "m",
    broker_name: "n",
};

impl<'a> SendMessageRequest<'a> {
    /// Writes the fields under the V1 names (SEND_MESSAGE, SEND_REPLY_MESSAGE), as
    /// [`SendMessageRequestHeader`] would.
    pub fn write_v1(&self, ext: &mut ExtFields) {
        self.write(&V1_NAMES, ext);
    }

    /// Writes the fields under the V2 names (SEND_MESSAGE_V2, SEND_BATCH_MESSAGE,
    /// SEND_REPLY_MESSAGE_V2), as [`SendMessageRequestHeaderV2`] would.
    pub fn write_v2(&self, ext: &mut ExtFields) {
        self.write(&V2_NAMES, ext);
    }

    fn write(&self, names: &SendNames, ext: &mut ExtFields) {
        if !ext.is_empty() {
            // Rare: the map already has fields. Write apart, then insert pair by pair so that
            // existing keys keep their place and take the new value, as the owned headers do.
            let mut own = ExtFields::new();
            self.write(names, &mut own);
            for (key, value) in own.iter() {
                ext.insert_str(key, value);
            }
            return;
        }
        let strings = self.producer_group.len()
            + self.topic.len()
            + self.default_topic.len()
            + self.properties.map_or(0, str::len)
            + self.broker_name.map_or(0, str::len);
        // Names, the strings, and at most 20 bytes for each of the 9 other values.
        ext.reserve(14, 64 + strings + 9 * 20);
        // The map is empty and the names distinct: append, no lookups.
        ext.push_str(names.producer_group, self.producer_group);
        ext.push_str(names.topic, self.topic);
        ext.push_str(names.default_topic, self.default_topic);
        push_int(
            ext,
            names.default_topic_queue_nums,
            self.default_topic_queue_nums,
        );
        push_int(ext, names.queue_id, self.queue_id);
        push_int(ext, names.sys_flag, self.sys_flag);
        push_int(ext, names.born_timestamp, self.born_timestamp);
        push_int(ext, names.flag, self.flag);
        if let Some(properties) = self.properties {
            ext.push_str(names.properties, properties);
        }
        if let Some(times) = self.reconsume_times {
            push_int(ext, names.reconsume_times, times);
        }
        ext.push_str(names.unit_mode, java_bool(self.unit_mode));
        if names.batch_first {
            ext.push_str(names.batch, java_bool(self.batch));
        }
        if let Some(max) = self.max_reconsume_times {
            push_int(ext, names.max_reconsume_times, max);
        }
        if !names.batch_first {
            ext.push_str(names.batch, java_bool(self.batch));
        }
        if let Some(broker_name) = self.broker_name {
            ext.push_str(names.broker_name, broker_name);
        }
    }
}

/// Appends `name` = `value` in decimal, formatted on the stack.
fn push_int(ext: &mut ExtFields, name: &str, value: impl Into<i64>) {
    let mut buf = [0u8; 24];
    let text = crate::encoding::json::format_int(value.into(), &mut buf);
    // Decimal digits are ASCII.
    ext.push_str(name, std::str::from_utf8(text).unwrap_or_default());
}

/// Java's `Boolean.toString`.
fn java_bool(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

impl SendMessageRequestHeader {
    /// The header's fields, borrowed.
    pub fn as_request(&self) -> SendMessageRequest<'_> {
        SendMessageRequest {
            producer_group: &self.producer_group,
            topic: &self.topic,
            default_topic: &self.default_topic,
            default_topic_queue_nums: self.default_topic_queue_nums,
            queue_id: self.queue_id,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            flag: self.flag,
            properties: self.properties.as_deref(),
            reconsume_times: self.reconsume_times,
            unit_mode: self.unit_mode,
            max_reconsume_times: self.max_reconsume_times,
            batch: self.batch,
            broker_name: self.broker_name.as_deref(),
        }
    }
}

#[cfg(test)]
mod borrowed_tests {
    use super::*;
    use crate::header::CommandHeader;

    fn header(optional: bool) -> SendMessageRequestHeader {
        SendMessageRequestHeader {
            producer_group: "PG".into(),
            topic: "T\"quoted\"".into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id: -1,
            sys_flag: 1,
            born_timestamp: 1_700_000_000_000,
            flag: i32::MIN,
            properties: optional.then(|| "KEYS\u{1}k\u{2}TAGS\u{1}t".into()),
            reconsume_times: optional.then_some(3),
            unit_mode: optional,
            batch: !optional,
            max_reconsume_times: optional.then_some(16),
            broker_name: optional.then(|| "broker-a".into()),
        }
    }

    #[test]
    fn borrowed_fields_write_what_the_owned_headers_write_in_the_same_order() {
        for optional in [true, false] {
            let owned = header(optional);
            let mut v1 = ExtFields::new();
            owned.as_request().write_v1(&mut v1);
            let mut v2 = ExtFields::new();
            owned.as_request().write_v2(&mut v2);
            let v1_pairs: Vec<_> = v1.iter().collect();
            let v2_pairs: Vec<_> = v2.iter().collect();
            assert_eq!(v1_pairs, owned.to_ext_fields().iter().collect::<Vec<_>>());
            let owned_v2 = SendMessageRequestHeaderV2::from(owned.clone()).to_ext_fields();
            assert_eq!(v2_pairs, owned_v2.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn borrowed_fields_replace_existing_values_as_the_owned_header_does() {
        let owned = header(true);
        let mut ext = ExtFields::new();
        ext.insert("b", "old");
        ext.insert("x", "kept");
        owned.as_request().write_v2(&mut ext);
        assert_eq!(ext.get("b"), Some("T\"quoted\""));
        assert_eq!(ext.get("x"), Some("kept"));
        assert_eq!(ext.iter().next(), Some(("b", "T\"quoted\"")));
    }
}
