//! PULL_MESSAGE (11): the pull request header and the response header the broker answers with.

header! {
    /// PullMessageRequestHeader.
    PullMessageRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Topic.
        topic: String = "topic",
        /// Queue id.
        queue_id: i32 = "queueId",
        /// Next offset to read.
        queue_offset: i64 = "queueOffset",
        /// Max messages to return (Java: 32).
        max_msg_nums: i32 = "maxMsgNums",
        /// PullSysFlag bits: 0x1 commit offset, 0x2 suspend, 0x4 subscription, 0x8 class filter.
        sys_flag: i32 = "sysFlag",
        /// Piggy-backed consumed offset, or 0.
        commit_offset: i64 = "commitOffset",
        /// Long-poll hold time in ms (Java: 15000).
        suspend_timeout_millis: i64 = "suspendTimeoutMillis",
        /// Tag expression or SQL92, used with the subscription bit.
        subscription: Option<String> = "subscription",
        /// Subscription version; never above the one last heart-beaten.
        sub_version: i64 = "subVersion",
        /// `"TAG"` or `"SQL92"`.
        expression_type: Option<String> = "expressionType",
        /// 5.x: byte cap of the returned messages.
        max_msg_bytes: Option<i32> = "maxMsgBytes",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// PullMessageResponseHeader.
    PullMessageResponseHeader {
        /// Broker id to pull from next time.
        suggest_which_broker_id: i64 = "suggestWhichBrokerId",
        /// Offset to pull from next.
        next_begin_offset: i64 = "nextBeginOffset",
        /// Queue min offset.
        min_offset: i64 = "minOffset",
        /// Queue max offset.
        max_offset: i64 = "maxOffset",
        /// 5.x: offset delta.
        offset_delta: Option<i64> = "offsetDelta",
        /// 5.x: topic sys flag.
        topic_sys_flag: Option<i32> = "topicSysFlag",
        /// 5.x: group sys flag.
        group_sys_flag: Option<i32> = "groupSysFlag",
        /// 5.x: forbidden type.
        forbidden_type: Option<i32> = "forbiddenType",
    }
}
