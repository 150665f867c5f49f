//! Message lookup: QUERY_MESSAGE (12) by key or unique key, and VIEW_MESSAGE_BY_ID (33) by
//! commit-log offset.

header! {
    /// QueryMessageRequestHeader (12), plus the `_UNIQUE_KEY_QUERY` ext field Java adds.
    QueryMessageRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Message key, or unique key when `unique_key_query`.
        key: String = "key",
        /// Max messages.
        max_num: i32 = "maxNum",
        /// Start time, ms.
        begin_timestamp: i64 = "beginTimestamp",
        /// End time, ms.
        end_timestamp: i64 = "endTimestamp",
        /// Whether `key` is a UNIQ_KEY (extField `_UNIQUE_KEY_QUERY`).
        unique_key_query: Option<bool> = "_UNIQUE_KEY_QUERY",
    }
}

header! {
    /// QueryMessageResponseHeader.
    QueryMessageResponseHeader {
        /// Index file last update time, ms.
        index_last_update_timestamp: i64 = "indexLastUpdateTimestamp",
        /// Index file last update physical offset.
        index_last_update_phyoffset: i64 = "indexLastUpdatePhyoffset",
    }
}

header! {
    /// ViewMessageRequestHeader (33).
    ViewMessageRequestHeader {
        /// Commit-log offset (from the offset msgId).
        offset: i64 = "offset",
        /// 5.x: topic.
        topic: Option<String> = "topic",
    }
}
