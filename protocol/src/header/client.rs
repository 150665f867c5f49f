//! Requests the broker sends to a client and the client must serve:
//! RESET_CONSUMER_CLIENT_OFFSET (220), GET_CONSUMER_STATUS_FROM_CLIENT (221),
//! GET_CONSUMER_RUNNING_INFO (307), CONSUME_MESSAGE_DIRECTLY (309).
//! (CHECK_TRANSACTION_STATE is in `transaction`, PUSH_REPLY_MESSAGE in `send`.)

header! {
    /// ResetOffsetRequestHeader: RESET_CONSUMER_CLIENT_OFFSET (220, broker to client) and
    /// INVOKE_BROKER_TO_RESET_OFFSET (222, admin to broker) share it.
    ResetOffsetRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Consumer group.
        group: String = "group",
        /// Reset to the offsets at this time, ms.
        timestamp: i64 = "timestamp",
        /// Also move offsets forward (the key really is `isForce`).
        is_force: bool = "isForce",
    }
}

header! {
    /// GetConsumerStatusRequestHeader (221; also INVOKE_BROKER_TO_GET_CONSUMER_STATUS 223).
    GetConsumerStatusRequestHeader {
        /// Topic.
        topic: String = "topic",
        /// Consumer group.
        group: String = "group",
        /// Only this client (admin to broker).
        client_addr: Option<String> = "clientAddr",
    }
}

header! {
    /// GetConsumerRunningInfoRequestHeader (307).
    GetConsumerRunningInfoRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Client id.
        client_id: String = "clientId",
        /// Include a thread dump.
        jstack_enable: bool = "jstackEnable",
    }
}

header! {
    /// ConsumeMessageDirectlyResultRequestHeader (309).
    ConsumeMessageDirectlyRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Client id.
        client_id: Option<String> = "clientId",
        /// Message id.
        msg_id: Option<String> = "msgId",
        /// Broker name.
        broker_name: Option<String> = "brokerName",
    }
}
