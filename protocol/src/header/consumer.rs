//! Requests a consumer (or any client) sends about its group: UNREGISTER_CLIENT (35),
//! GET_CONSUMER_LIST_BY_GROUP (38), CONSUMER_SEND_MSG_BACK (36); and
//! NOTIFY_CONSUMER_IDS_CHANGED (40), which the broker sends to consumers.

header! {
    /// UnregisterClientRequestHeader (35).
    UnregisterClientRequestHeader {
        /// Client id (the key really is `clientID`).
        client_id: String = "clientID",
        /// Producer group to unregister.
        producer_group: Option<String> = "producerGroup",
        /// Consumer group to unregister.
        consumer_group: Option<String> = "consumerGroup",
    }
}

header! {
    /// GetConsumerListByGroupRequestHeader (38); the ids come back in a JSON body.
    GetConsumerListByGroupRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
    }
}

header! {
    /// ConsumerSendMsgBackRequestHeader (36).
    ConsumerSendMsgBackRequestHeader {
        /// The message's commit-log offset.
        offset: i64 = "offset",
        /// Consumer group.
        group: String = "group",
        /// 0: broker picks 3 + reconsumeTimes; negative: straight to the DLQ.
        delay_level: i32 = "delayLevel",
        /// Original message id.
        origin_msg_id: Option<String> = "originMsgId",
        /// Original topic.
        origin_topic: Option<String> = "originTopic",
        /// Unit mode (always sent).
        unit_mode: bool = "unitMode",
        /// Max reconsume times before the DLQ.
        max_reconsume_times: Option<i32> = "maxReconsumeTimes",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// NotifyConsumerIdsChangedRequestHeader (40, broker to client, oneway).
    NotifyConsumerIdsChangedRequestHeader {
        /// The group whose members changed.
        consumer_group: String = "consumerGroup",
    }
}
