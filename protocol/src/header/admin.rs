//! Admin requests to brokers: topics, groups, stats, offsets and broker config
//! (UPDATE_AND_CREATE_TOPIC 17, DELETE_TOPIC_IN_BROKER 215, DELETE_SUBSCRIPTIONGROUP 207,
//! GET_TOPIC_STATS_INFO 202, GET_CONSUME_STATS 208, GET_CONSUMER/PRODUCER_CONNECTION_LIST 203/204,
//! QUERY_TOPIC_CONSUME_BY_WHO 300, QUERY_CONSUME_TIME_SPAN 303, CLONE_GROUP_OFFSET 314,
//! VIEW_BROKER_STATS_DATA 315, CLEAN_UNUSED_TOPIC 316, CLEAN_EXPIRED_CONSUMEQUEUE 306,
//! GET_BROKER_CONFIG 26). INVOKE_BROKER_TO_RESET_OFFSET (222) uses
//! [`ResetOffsetRequestHeader`](super::ResetOffsetRequestHeader).

header! {
    /// CreateTopicRequestHeader (17; send to every master).
    CreateTopicRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Template topic, `"TBW102"`.
        default_topic: String = "defaultTopic",
        /// Read queue count.
        read_queue_nums: i32 = "readQueueNums",
        /// Write queue count.
        write_queue_nums: i32 = "writeQueueNums",
        /// PermName bits (6 = read/write).
        perm: i32 = "perm",
        /// `"SINGLE_TAG"` or `"MULTI_TAG"`.
        topic_filter_type: String = "topicFilterType",
        /// Topic sys flag.
        topic_sys_flag: Option<i32> = "topicSysFlag",
        /// Ordered topic.
        order: bool = "order",
        /// 5.x: topic attributes, `"+key=value,..."`.
        attributes: Option<String> = "attributes",
    }
}

header! {
    /// DeleteTopicRequestHeader (215, broker).
    DeleteTopicRequestHeader {
        /// Topic.
        topic: String = "topic",
    }
}

header! {
    /// DeleteSubscriptionGroupRequestHeader (207).
    DeleteSubscriptionGroupRequestHeader {
        /// Group name.
        group_name: String = "groupName",
        /// Also remove the group's stored offsets (4.9.7 `removeOffset`).
        remove_offset: bool = "removeOffset",
    }
}

header! {
    /// GetTopicStatsInfoRequestHeader (202).
    GetTopicStatsInfoRequestHeader {
        /// Topic.
        topic: String = "topic",
    }
}

header! {
    /// GetConsumeStatsRequestHeader (208).
    GetConsumeStatsRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Only this topic.
        topic: Option<String> = "topic",
    }
}

header! {
    /// GetConsumerConnectionListRequestHeader (203).
    GetConsumerConnectionListRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
    }
}

header! {
    /// GetProducerConnectionListRequestHeader (204).
    GetProducerConnectionListRequestHeader {
        /// Producer group.
        producer_group: String = "producerGroup",
    }
}

header! {
    /// QueryTopicConsumeByWhoRequestHeader (300).
    QueryTopicConsumeByWhoRequestHeader {
        /// Topic.
        topic: String = "topic",
    }
}

header! {
    /// QueryConsumeTimeSpanRequestHeader (303).
    QueryConsumeTimeSpanRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Consumer group.
        group: String = "group",
    }
}

header! {
    /// CloneGroupOffsetRequestHeader (314).
    CloneGroupOffsetRequestHeader {
        /// Source group.
        src_group: String = "srcGroup",
        /// Destination group.
        dest_group: String = "destGroup",
        /// Only this topic.
        topic: Option<String> = "topic",
        /// Whether the source group is offline.
        offline: bool = "offline",
    }
}

header! {
    /// ViewBrokerStatsDataRequestHeader (315).
    ViewBrokerStatsDataRequestHeader {
        /// Stats name, e.g. `"TOPIC_PUT_NUMS"`.
        stats_name: String = "statsName",
        /// Stats key, e.g. a topic or `topic@group`.
        stats_key: String = "statsKey",
    }
}

header! {
    /// CLEAN_UNUSED_TOPIC (316): no fields.
    CleanUnusedTopicRequestHeader {}
}

header! {
    /// CLEAN_EXPIRED_CONSUMEQUEUE (306): no fields.
    CleanExpiredConsumeQueueRequestHeader {}
}

header! {
    /// GetBrokerConfigResponseHeader (26); the config itself is the body.
    GetBrokerConfigResponseHeader {
        /// Config data version.
        version: String = "version",
    }
}
