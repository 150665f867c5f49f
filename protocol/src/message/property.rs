//! Names of the well-known message properties (Java `MessageConst`), exact wire strings.
//!
//! Only names live here; typed access is on [`Message`](super::Message) and
//! [`StoredMessage`](super::StoredMessage).

macro_rules! names {
    ($($(#[$doc:meta])* $name:ident = $wire:literal;)*) => {
        $($(#[$doc])* pub const $name: &str = $wire;)*

        /// Every name above: the system properties a user property may not reuse
        /// (Java `MessageConst.STRING_HASH_SET`).
        pub const SYSTEM_NAMES: &[&str] = &[$($wire),*];
    };
}

names! {
    /// Space-separated message keys.
    KEYS = "KEYS";
    /// The message tag.
    TAGS = "TAGS";
    /// Whether the broker should wait for the store before replying (`"true"`/`"false"`).
    WAIT_STORE_MSG_OK = "WAIT";
    /// Delay level, 1..=18.
    DELAY_TIME_LEVEL = "DELAY";
    /// The client-generated unique message id.
    UNIQ_CLIENT_MESSAGE_ID_KEYIDX = "UNIQ_KEY";
    /// `"true"` on a transactional half message.
    TRANSACTION_PREPARED = "TRAN_MSG";
    /// The producer group (required for transactions).
    PRODUCER_GROUP = "PGROUP";
    /// The namespace instance id.
    INSTANCE_ID = "INSTANCE_ID";
    /// Maximum redeliveries before the message goes to the DLQ.
    MAX_RECONSUME_TIMES = "MAX_RECONSUME_TIMES";
    /// How many times the message was redelivered.
    RECONSUME_TIME = "RECONSUME_TIME";
    /// Seconds before the first transaction check.
    CHECK_IMMUNITY_TIME_IN_SECONDS = "CHECK_IMMUNITY_TIME_IN_SECONDS";
    /// Buyer id (legacy).
    BUYER_ID = "BUYER_ID";
    /// Sharding key for ordered messages (5.x Java spelling).
    SHARDING_KEY = "__SHARDINGKEY";
    /// Sharding key as the Go client spells it.
    SHARDING_KEY_GO = "SHARDING_KEY";
    /// Trace context (5.x).
    TRACE_CONTEXT = "TRACE_CONTEXT";
    /// Legacy scheduled delivery time.
    START_DELIVER_TIME = "__STARTDELIVERTIME";
    /// 5.x timer: absolute delivery time in ms since the epoch.
    TIMER_DELIVER_MS = "TIMER_DELIVER_MS";
    /// 5.x timer: delay in seconds.
    TIMER_DELAY_SEC = "TIMER_DELAY_SEC";
    /// 5.x timer: delay in milliseconds.
    TIMER_DELAY_MS = "TIMER_DELAY_MS";
    /// Request/reply: the correlation id.
    CORRELATION_ID = "CORRELATION_ID";
    /// Request/reply: the requesting client's id.
    MESSAGE_REPLY_TO_CLIENT = "REPLY_TO_CLIENT";
    /// Request/reply: time to live in ms.
    MESSAGE_TTL = "TTL";
    /// Request/reply: the message type (`"reply"`).
    MESSAGE_TYPE = "MSG_TYPE";
    /// Request/reply: arrival time.
    ARRIVE_TIME = "ARRIVE_TIME";
    /// Request/reply: reply push time.
    PUSH_REPLY_TIME = "PUSH_REPLY_TIME";
    /// Set by the broker: the cluster name.
    CLUSTER = "CLUSTER";
    /// Set by the broker: the original topic of a retried message.
    RETRY_TOPIC = "RETRY_TOPIC";
    /// Set by the broker: the real topic of a delayed or half message.
    REAL_TOPIC = "REAL_TOPIC";
    /// Set by the broker: the real queue id of a delayed or half message.
    REAL_QUEUE_ID = "REAL_QID";
    /// The original message id of a message sent back for retry.
    ORIGIN_MESSAGE_ID = "ORIGIN_MESSAGE_ID";
    /// Set by the broker: the half message's queue offset.
    TRANSACTION_PREPARED_QUEUE_OFFSET = "TRAN_PREPARED_QUEUE_OFFSET";
    /// Set by the broker: how many times a transaction was checked.
    TRANSACTION_CHECK_TIMES = "TRANSACTION_CHECK_TIMES";
    /// Set by the broker: its region.
    MSG_REGION = "MSG_REGION";
    /// Set by the broker: whether tracing is on.
    TRACE_SWITCH = "TRACE_ON";
    /// Set by the broker: multi-dispatch queues.
    INNER_MULTI_DISPATCH = "INNER_MULTI_DISPATCH";
    /// Set by the broker: multi-dispatch queue offsets.
    INNER_MULTI_QUEUE_OFFSET = "INNER_MULTI_QUEUE_OFFSET";
    /// 5.x: the original topic of a dead-lettered message.
    DLQ_ORIGIN_TOPIC = "DLQ_ORIGIN_TOPIC";
    /// 5.x: the original message id of a dead-lettered message.
    DLQ_ORIGIN_MESSAGE_ID = "DLQ_ORIGIN_MESSAGE_ID";
    /// 5.x: CRC32 of the properties (only with `enabledAppendPropCRC`).
    CRC32 = "__CRC32#";
    /// 5.x: POP checkpoint.
    POP_CK = "POP_CK";
    /// 5.x: first POP time.
    FIRST_POP_TIME = "1ST_POP_TIME";
    /// 5.x: number of messages in an inner batch.
    INNER_NUM = "INNER_NUM";
    /// 5.x: base offset of an inner batch.
    INNER_BASE = "INNER_BASE";
    /// Client-local: the queue's minimum offset at pull time.
    MIN_OFFSET = "MIN_OFFSET";
    /// Client-local: the queue's maximum offset at pull time.
    MAX_OFFSET = "MAX_OFFSET";
    /// Client-local: when consumption started.
    CONSUME_START_TIME = "CONSUME_START_TIME";
    /// Client-local: the transaction id.
    TRANSACTION_ID = "__transactionId__";
    /// Legacy transfer flag.
    TRANSFER_FLAG = "TRANSFER_FLAG";
    /// Legacy correction flag.
    CORRECTION_FLAG = "CORRECTION_FLAG";
    /// Legacy MQ2 flag.
    MQ2_FLAG = "MQ2_FLAG";
}

/// Whether `name` is a system property, which user properties may not use.
pub fn is_system(name: &str) -> bool {
    SYSTEM_NAMES.contains(&name)
}
