//! Offset requests: consumer offsets (QUERY/UPDATE_CONSUMER_OFFSET 14/15) and queue offsets by
//! position or time (GET_MAX/MIN_OFFSET 30/31, GET_EARLIEST_MSG_STORETIME 32,
//! SEARCH_OFFSET_BY_TIMESTAMP 29), with their responses.

header! {
    /// QueryConsumerOffsetRequestHeader (14).
    QueryConsumerOffsetRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// 5.x: answer 0 instead of QUERY_NOT_FOUND.
        set_zero_if_not_found: Option<bool> = "setZeroIfNotFound",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// QueryConsumerOffsetResponseHeader.
    QueryConsumerOffsetResponseHeader {
        /// The stored offset.
        offset: i64 = "offset",
    }
}

header! {
    /// UpdateConsumerOffsetRequestHeader (15, usually oneway).
    UpdateConsumerOffsetRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// Offset to store.
        commit_offset: i64 = "commitOffset",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// GetMaxOffsetRequestHeader (30).
    GetMaxOffsetRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// 5.x: committed offset only (default true on the broker).
        committed: Option<bool> = "committed",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// GetMaxOffsetResponseHeader.
    GetMaxOffsetResponseHeader {
        /// Max offset.
        offset: i64 = "offset",
    }
}

header! {
    /// GetMinOffsetRequestHeader (31).
    GetMinOffsetRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// GetMinOffsetResponseHeader.
    GetMinOffsetResponseHeader {
        /// Min offset.
        offset: i64 = "offset",
    }
}

header! {
    /// GetEarliestMsgStoretimeRequestHeader (32).
    GetEarliestMsgStoretimeRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// GetEarliestMsgStoretimeResponseHeader.
    GetEarliestMsgStoretimeResponseHeader {
        /// Store time of the earliest message, ms.
        timestamp: i64 = "timestamp",
    }
}

header! {
    /// SearchOffsetRequestHeader (29).
    SearchOffsetRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// Time to search for, ms.
        timestamp: i64 = "timestamp",
        /// 5.x: `"LOWER"` or `"UPPER"`.
        boundary_type: Option<String> = "boundaryType",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// SearchOffsetResponseHeader.
    SearchOffsetResponseHeader {
        /// Offset found.
        offset: i64 = "offset",
    }
}
