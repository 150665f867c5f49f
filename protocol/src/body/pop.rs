//! Bodies of POP consumption and broker-side load balancing (5.x): BATCH_ACK_MESSAGE's
//! [`BatchAckMessageRequestBody`], QUERY_ASSIGNMENT's request and answer, and
//! SET_MESSAGE_REQUEST_MODE's [`SetMessageRequestModeRequestBody`].
//!
//! Grouping handles into batch acks is the caller's business; this file only maps the JSON.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::heartbeat::MessageModel;
use super::queue::MessageQueue;

/// Largest acked-offset bit set read from a body, in bytes (Java checkpoints cover at most 32
/// messages per queue; this leaves room for any sane batch and bounds the work).
const MAX_BIT_SET_BYTES: usize = 8 * 1024;

/// One queue's acks in a batch (Java `BatchAck`): the checkpoint it belongs to and which
/// offsets from its start offset are acked.
///
/// Written with the short names Java writes (`c`, `t`, ...); read with either form.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BatchAck {
    /// Acked offsets, as distances from `start_offset` (Java's `BitSet`, written as the base64
    /// of `BitSet#toByteArray`).
    #[serde(rename = "b", alias = "bitSet", default, with = "bit_set")]
    pub acked: Vec<u32>,
    /// Consumer group.
    #[serde(rename = "c", alias = "consumerGroup", default)]
    pub consumer_group: String,
    /// Invisible time of the checkpoint, ms.
    #[serde(rename = "it", alias = "invisibleTime", default)]
    pub invisible_time: i64,
    /// Pop time of the checkpoint, ms since the epoch.
    #[serde(rename = "pt", alias = "popTime", default)]
    pub pop_time: i64,
    /// Queue id.
    #[serde(rename = "q", alias = "queueId", default)]
    pub queue_id: i32,
    /// `"0"` the topic, `"1"` its POP retry topic, `"2"` the V2 retry topic.
    #[serde(rename = "r", alias = "retry", default)]
    pub retry: String,
    /// Revive queue id of the checkpoint.
    #[serde(rename = "rq", alias = "reviveQueueId", default)]
    pub revive_queue_id: i32,
    /// The checkpoint's start offset.
    #[serde(rename = "so", alias = "startOffset", default)]
    pub start_offset: i64,
    /// The subscribed topic (not the retry topic; `retry` says which).
    #[serde(rename = "t", alias = "topic", default)]
    pub topic: String,
}

/// BATCH_ACK_MESSAGE request body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BatchAckMessageRequestBody {
    /// Acks, one per checkpoint.
    #[serde(default)]
    pub acks: Vec<BatchAck>,
    /// The broker the handles came from.
    #[serde(rename = "brokerName", default)]
    pub broker_name: String,
}

/// Java `MessageRequestMode`: how a topic and group fetch messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum MessageRequestMode {
    /// Pull from assigned queues, offsets kept by the client.
    #[default]
    #[serde(rename = "PULL")]
    Pull,
    /// Pop: the broker keeps the offsets, queues may be shared.
    #[serde(rename = "POP")]
    Pop,
}

/// QUERY_ASSIGNMENT request body: which queues of `topic` the client gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryAssignmentRequestBody {
    /// Client id.
    #[serde(rename = "clientId")]
    pub client_id: String,
    /// Consumer group.
    #[serde(rename = "consumerGroup")]
    pub consumer_group: String,
    /// Clustering or broadcasting.
    #[serde(rename = "messageModel")]
    pub message_model: MessageModel,
    /// Allocation strategy name (`AVG`, `AVG_BY_CIRCLE`).
    #[serde(rename = "strategyName")]
    pub strategy_name: String,
    /// Topic.
    pub topic: String,
}

/// One assigned queue (Java `MessageQueueAssignment`); queue id -1 means every queue of the
/// broker (a POP assignment).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MessageQueueAssignment {
    /// Extra attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<BTreeMap<String, String>>,
    /// The queue.
    #[serde(rename = "messageQueue", default)]
    pub message_queue: MessageQueue,
    /// How to fetch from it.
    #[serde(default)]
    pub mode: MessageRequestMode,
}

/// QUERY_ASSIGNMENT response body; no set (Java `null`) means the broker could not allocate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueryAssignmentResponseBody {
    /// The client's queues.
    #[serde(
        rename = "messageQueueAssignments",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message_queue_assignments: Option<Vec<MessageQueueAssignment>>,
}

/// SET_MESSAGE_REQUEST_MODE request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMessageRequestModeRequestBody {
    /// Consumer group.
    #[serde(rename = "consumerGroup")]
    pub consumer_group: String,
    /// PULL or POP.
    #[serde(default)]
    pub mode: MessageRequestMode,
    /// POP: how many other members' queues each client also pops (0: every queue).
    #[serde(rename = "popShareQueueNum", default)]
    pub pop_share_queue_num: i32,
    /// Topic.
    pub topic: String,
}

impl super::JsonBody for BatchAckMessageRequestBody {}
impl super::JsonBody for QueryAssignmentRequestBody {}
impl super::JsonBody for QueryAssignmentResponseBody {}
impl super::JsonBody for SetMessageRequestModeRequestBody {}

/// Java `BitSet` as fastjson writes it: base64 of the little-endian bytes of the set bits.
mod bit_set {
    use super::*;

    pub fn serialize<S: Serializer>(bits: &[u32], serializer: S) -> Result<S::Ok, S::Error> {
        let len = bits.iter().max().map_or(0, |&max| max as usize / 8 + 1);
        let mut bytes = vec![0u8; len];
        for &bit in bits {
            bytes[bit as usize / 8] |= 1 << (bit % 8);
        }
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u32>, D::Error> {
        use serde::de::Error as _;
        let Some(text) = Option::<String>::deserialize(deserializer)? else {
            return Ok(Vec::new());
        };
        if text.len() > MAX_BIT_SET_BYTES * 4 / 3 + 4 {
            return Err(D::Error::custom("bit set longer than 8 KiB"));
        }
        let bytes = STANDARD
            .decode(text.as_bytes())
            .map_err(|e| D::Error::custom(format!("bit set is not base64: {e}")))?;
        let mut bits = Vec::new();
        for (index, byte) in (0u32..).zip(bytes) {
            for bit in 0..8 {
                if byte & (1 << bit) != 0 {
                    bits.push(index * 8 + bit);
                }
            }
        }
        Ok(bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{from_fastjson, JsonBody};

    #[test]
    fn batch_ack_writes_java_short_names_and_bitset_bytes() {
        let body = BatchAckMessageRequestBody {
            broker_name: "b".into(),
            acks: vec![BatchAck {
                consumer_group: "G".into(),
                topic: "T".into(),
                retry: "0".into(),
                start_offset: 10,
                queue_id: 1,
                revive_queue_id: 2,
                pop_time: 1000,
                invisible_time: 30_000,
                acked: vec![0, 2, 9],
            }],
        };
        let json = String::from_utf8(body.to_json().expect("encodes")).expect("utf8");
        // BitSet{0,2,9}.toByteArray() = [0x05, 0x02], base64 "BQI=".
        assert_eq!(
            json,
            r#"{"acks":[{"b":"BQI=","c":"G","it":30000,"pt":1000,"q":1,"r":"0","rq":2,"so":10,"t":"T"}],"brokerName":"b"}"#
        );
        assert_eq!(
            BatchAckMessageRequestBody::from_json(json.as_bytes()).expect("reads"),
            body
        );
    }

    #[test]
    fn batch_ack_reads_the_long_names_too() {
        let json = br#"{"acks":[{"bitSet":"AQ==","consumerGroup":"G","topic":"T","retry":"1","startOffset":4,"queueId":0,"reviveQueueId":0,"popTime":1,"invisibleTime":2}],"brokerName":"b"}"#;
        let body = BatchAckMessageRequestBody::from_json(json).expect("reads");
        assert_eq!(body.acks[0].acked, [0]);
        assert_eq!(body.acks[0].retry, "1");
        assert_eq!(body.acks[0].start_offset, 4);
    }

    #[test]
    fn a_bit_set_that_is_not_base64_is_refused() {
        let json = br#"{"acks":[{"b":"!!"}],"brokerName":"b"}"#;
        assert!(BatchAckMessageRequestBody::from_json(json).is_err());
    }

    #[test]
    fn assignment_bodies_match_java() {
        let request = QueryAssignmentRequestBody {
            client_id: "c1".into(),
            consumer_group: "G".into(),
            message_model: MessageModel::Clustering,
            strategy_name: "AVG".into(),
            topic: "T".into(),
        };
        let json = String::from_utf8(request.to_json().expect("encodes")).expect("utf8");
        assert_eq!(
            json,
            r#"{"clientId":"c1","consumerGroup":"G","messageModel":"CLUSTERING","strategyName":"AVG","topic":"T"}"#
        );
        let answer = br#"{"messageQueueAssignments":[{"messageQueue":{"brokerName":"b","queueId":-1,"topic":"T"},"mode":"POP"}]}"#;
        let body: QueryAssignmentResponseBody = from_fastjson(answer).expect("reads");
        let assignments = body.message_queue_assignments.expect("a set");
        assert_eq!(
            assignments[0].message_queue,
            MessageQueue::new("T", "b", -1)
        );
        assert_eq!(assignments[0].mode, MessageRequestMode::Pop);
        let none: QueryAssignmentResponseBody = from_fastjson(b"{}").expect("reads");
        assert_eq!(none.message_queue_assignments, None);
    }

    #[test]
    fn request_mode_body_matches_java() {
        let body = SetMessageRequestModeRequestBody {
            consumer_group: "G".into(),
            mode: MessageRequestMode::Pop,
            pop_share_queue_num: 1,
            topic: "T".into(),
        };
        let json = String::from_utf8(body.to_json().expect("encodes")).expect("utf8");
        assert_eq!(
            json,
            r#"{"consumerGroup":"G","mode":"POP","popShareQueueNum":1,"topic":"T"}"#
        );
    }
}
