//! POP consumption (5.x): POP_MESSAGE (200050), ACK_MESSAGE (200051) and
//! CHANGE_MESSAGE_INVISIBLETIME (200053) headers, the response codes a pop answers with, and the
//! names of the POP retry topics. BATCH_ACK_MESSAGE carries a body instead
//! ([`crate::body::BatchAckMessageRequestBody`]); the receipt handle is [`super::PopHandle`].

use crate::code::ResponseCode;
use crate::naming::RETRY_GROUP_TOPIC_PREFIX;

header! {
    /// PopMessageRequestHeader (200050): pop up to `max_msg_nums` messages, invisible to other
    /// pops for `invisible_time` ms unless acked.
    PopMessageRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// Topic (never the retry topic: the broker adds it).
        topic: String = "topic",
        /// Queue id, or -1 for every queue of the topic on this broker.
        queue_id: i32 = "queueId",
        /// At most 32 (the broker answers INVALID_PARAMETER above).
        max_msg_nums: i32 = "maxMsgNums",
        /// How long, in ms, popped messages stay invisible.
        invisible_time: i64 = "invisibleTime",
        /// Long-poll hold time in ms when nothing is found.
        poll_time: i64 = "pollTime",
        /// Client time of sending, ms since the epoch (the broker refuses a poll that has
        /// already waited too long).
        born_time: i64 = "bornTime",
        /// Where a group without an offset starts: [`INIT_MODE_MIN`] or [`INIT_MODE_MAX`].
        init_mode: i32 = "initMode",
        /// `"TAG"` or `"SQL92"`.
        exp_type: Option<String> = "expType",
        /// Filter expression; absent means every message.
        exp: Option<String> = "exp",
        /// FIFO pop: one queue's messages in order, the next only after an ack.
        order: Option<bool> = "order",
        /// Order pop: the attempt id that makes a retried pop return the same messages.
        attempt_id: Option<String> = "attemptId",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// PopMessageResponseHeader: when the messages were popped and what the client needs to
    /// build each message's [`super::PopHandle`].
    PopMessageResponseHeader {
        /// Broker time of the pop, ms since the epoch.
        pop_time: i64 = "popTime",
        /// The invisible time granted, ms.
        invisible_time: i64 = "invisibleTime",
        /// Revive queue of the checkpoint; [`ORDER_REVIVE_QUEUE`] for an order pop.
        revive_qid: i32 = "reviveQid",
        /// Messages left behind in the queues read.
        rest_num: i64 = "restNum",
        /// `retry queueId startOffset` per queue read, `;`-separated.
        start_offset_info: Option<String> = "startOffsetInfo",
        /// `retry queueId offset,offset,..` per queue read, `;`-separated.
        msg_offset_info: Option<String> = "msgOffsetInfo",
        /// Order pop: `retry key count` per queue or message, `;`-separated.
        order_count_info: Option<String> = "orderCountInfo",
    }
}

header! {
    /// AckMessageRequestHeader (200051): one popped message is consumed.
    AckMessageRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// The topic the message was read from: the POP retry topic for a retried message.
        topic: String = "topic",
        /// Queue id (the handle's).
        queue_id: i32 = "queueId",
        /// The message's receipt handle as received.
        extra_info: String = "extraInfo",
        /// The message's queue offset (the handle's).
        offset: i64 = "offset",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// ChangeInvisibleTimeRequestHeader (200053): a popped message stays invisible for
    /// `invisible_time` ms from now; the answer carries the values of its new handle.
    ChangeInvisibleTimeRequestHeader {
        /// Consumer group.
        consumer_group: String = "consumerGroup",
        /// The topic the message was read from: the POP retry topic for a retried message.
        topic: String = "topic",
        /// Queue id (the handle's).
        queue_id: i32 = "queueId",
        /// The message's receipt handle as received.
        extra_info: String = "extraInfo",
        /// The message's queue offset (the handle's).
        offset: i64 = "offset",
        /// New invisible time, ms from now.
        invisible_time: i64 = "invisibleTime",
        /// Target broker name.
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// ChangeInvisibleTimeResponseHeader: the new checkpoint's pop time, invisible time and
    /// revive queue.
    ChangeInvisibleTimeResponseHeader {
        /// Broker time of the change, ms since the epoch: the new handle's pop time.
        pop_time: i64 = "popTime",
        /// The invisible time granted, ms.
        invisible_time: i64 = "invisibleTime",
        /// Revive queue of the new checkpoint.
        revive_qid: i32 = "reviveQid",
    }
}

/// Java `ConsumeInitMode.MIN`: a group without an offset starts at the queue's first message.
pub const INIT_MODE_MIN: i32 = 0;
/// Java `ConsumeInitMode.MAX`: a group without an offset starts at the queue's last message.
pub const INIT_MODE_MAX: i32 = 1;
/// The revive queue id that marks an order (FIFO) pop (Java `KeyBuilder.POP_ORDER_REVIVE_QUEUE`).
pub const ORDER_REVIVE_QUEUE: i32 = 999;
/// Most messages one pop may ask for.
pub const MAX_POP_MESSAGES: i32 = 32;

impl ResponseCode {
    /// 5.x `POLLING_FULL` (209): the broker's long-poll queue is full; pop again later.
    ///
    /// The same number is 4.x's `UPDATE_AND_CREATE_ACL_CONFIG_FAILED`, the name `Debug` prints.
    pub const POLLING_FULL: ResponseCode = ResponseCode(209);
    /// 5.x `POLLING_TIMEOUT` (210): a pop found nothing within its poll time.
    ///
    /// The same number is 4.x's `DELETE_ACL_CONFIG_FAILED`, the name `Debug` prints.
    pub const POLLING_TIMEOUT: ResponseCode = ResponseCode(210);
}

/// The POP retry topic of `topic` for `group` (Java `KeyBuilder.buildPopRetryTopicV1`):
/// `%RETRY%{group}_{topic}`, where unacked messages go back after their invisible time.
pub fn pop_retry_topic(topic: &str, group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}_{topic}")
}

/// The V2 POP retry topic (`enableRetryTopicV2`): `%RETRY%{group}+{topic}`.
pub fn pop_retry_topic_v2(topic: &str, group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}+{topic}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::CommandHeader;

    #[test]
    fn pop_request_uses_java_field_names() {
        let header = PopMessageRequestHeader {
            consumer_group: "G".into(),
            topic: "T".into(),
            queue_id: -1,
            max_msg_nums: 16,
            invisible_time: 60_000,
            poll_time: 15_000,
            born_time: 1_700_000_000_000,
            init_mode: INIT_MODE_MAX,
            exp_type: Some("TAG".into()),
            exp: Some("*".into()),
            order: Some(false),
            attempt_id: None,
            broker_name: Some("broker-a".into()),
        };
        let ext = header.to_ext_fields();
        for (name, value) in [
            ("consumerGroup", "G"),
            ("topic", "T"),
            ("queueId", "-1"),
            ("maxMsgNums", "16"),
            ("invisibleTime", "60000"),
            ("pollTime", "15000"),
            ("bornTime", "1700000000000"),
            ("initMode", "1"),
            ("expType", "TAG"),
            ("exp", "*"),
            ("order", "false"),
            ("bname", "broker-a"),
        ] {
            assert_eq!(ext.get(name), Some(value), "{name}");
        }
        assert_eq!(ext.get("attemptId"), None);
        assert_eq!(
            PopMessageRequestHeader::read(&ext).expect("reads back"),
            header
        );
    }

    #[test]
    fn pop_response_reads_what_a_5x_broker_writes() {
        let ext = [
            ("popTime", "1700000000000"),
            ("invisibleTime", "30000"),
            ("reviveQid", "3"),
            ("restNum", "7"),
            ("startOffsetInfo", "0 1 10;1 0 4"),
            ("msgOffsetInfo", "0 1 10,11;1 0 4"),
        ]
        .into_iter()
        .collect();
        let header = PopMessageResponseHeader::read(&ext).expect("decodes");
        assert_eq!(header.pop_time, 1_700_000_000_000);
        assert_eq!(header.revive_qid, 3);
        assert_eq!(header.rest_num, 7);
        assert_eq!(header.order_count_info, None);
        assert_eq!(header.msg_offset_info.as_deref(), Some("0 1 10,11;1 0 4"));
    }

    #[test]
    fn pop_response_without_pop_time_is_refused_naming_it() {
        let ext = [("invisibleTime", "1"), ("reviveQid", "0"), ("restNum", "0")]
            .into_iter()
            .collect();
        let e = PopMessageResponseHeader::read(&ext).expect_err("refused");
        assert!(e.to_string().contains("popTime"), "{e}");
    }

    #[test]
    fn ack_and_change_invisible_round_trip() {
        let ack = AckMessageRequestHeader {
            consumer_group: "G".into(),
            topic: "%RETRY%G_T".into(),
            queue_id: 0,
            extra_info: "5 1 2 0 1 b 0 5".into(),
            offset: 5,
            broker_name: Some("b".into()),
        };
        let ext = ack.to_ext_fields();
        assert_eq!(ext.get("extraInfo"), Some("5 1 2 0 1 b 0 5"));
        assert_eq!(AckMessageRequestHeader::read(&ext).expect("ack"), ack);

        let change = ChangeInvisibleTimeRequestHeader {
            consumer_group: "G".into(),
            topic: "T".into(),
            queue_id: 2,
            extra_info: "5 1 2 0 0 b 2 5".into(),
            offset: 5,
            invisible_time: 10_000,
            broker_name: None,
        };
        let ext = change.to_ext_fields();
        assert_eq!(ext.get("invisibleTime"), Some("10000"));
        assert_eq!(
            ChangeInvisibleTimeRequestHeader::read(&ext).expect("change"),
            change
        );
        let answer = ChangeInvisibleTimeResponseHeader {
            pop_time: 9,
            invisible_time: 10_000,
            revive_qid: 1,
        };
        let ext = answer.to_ext_fields();
        assert_eq!(ext.get("reviveQid"), Some("1"));
        assert_eq!(
            ChangeInvisibleTimeResponseHeader::read(&ext).expect("answer"),
            answer
        );
    }

    #[test]
    fn retry_topics_follow_key_builder() {
        assert_eq!(pop_retry_topic("T", "G"), "%RETRY%G_T");
        assert_eq!(pop_retry_topic_v2("T", "G"), "%RETRY%G+T");
        assert_eq!(ResponseCode::POLLING_FULL.0, 209);
        assert_eq!(ResponseCode::POLLING_TIMEOUT.0, 210);
    }
}
