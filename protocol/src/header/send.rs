//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and the push-reply
//! request (326): the V1 header with Java's field names, the V2 header with single letters
//! `a`..`n`, conversion between them, and the send response.

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
