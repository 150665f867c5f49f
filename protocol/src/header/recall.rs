//! RECALL_MESSAGE (370, 5.x): the request and response headers, and the recall handle a 5.x
//! broker returns in the send response of a timer message (Java `RecallMessageHandle`). Which
//! broker to ask is the client's business.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use crate::error::{Error, Result};

header! {
    /// RecallMessageRequestHeader (370, 5.x).
    RecallMessageRequestHeader {
        /// Producer group.
        producer_group: Option<String> = "producerGroup",
        /// Topic of the message to recall.
        topic: String = "topic",
        /// The handle from the send response, as received.
        recall_handle: String = "recallHandle",
        /// Target broker name (the handle's).
        broker_name: Option<String> = "bname",
    }
}

header! {
    /// RecallMessageResponseHeader (370, 5.x).
    RecallMessageResponseHeader {
        /// The recalled message's unique id (`UNIQ_KEY`).
        msg_id: String = "msgId",
    }
}

/// The send response ext field that carries a timer message's recall handle (5.x).
pub const RECALL_HANDLE_FIELD: &str = "recallHandle";

/// Largest handle accepted for decoding: a topic and broker name of at most 127 bytes each, a
/// timestamp and a message id fit well inside.
const MAX_HANDLE_LEN: usize = 1024;

/// A decoded recall handle (Java `RecallMessageHandle.HandleV1`): base64url of
/// `"v1 <topic> <brokerName> <timestamp> <messageId>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallHandle {
    /// The topic the message was sent to.
    pub topic: String,
    /// The broker that stored it: where the recall goes.
    pub broker_name: String,
    /// The delivery timestamp, as the broker wrote it.
    pub timestamp: String,
    /// The message's unique id.
    pub message_id: String,
}

impl RecallHandle {
    /// Decodes a handle; padding is optional, as Java's URL decoder allows.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `recallHandle` for a handle that is too long, not
    /// base64url, not UTF-8, not five space-separated parts, or not version `v1`.
    pub fn decode(handle: &str) -> Result<RecallHandle> {
        let invalid = |why: &str| Error::invalid(format!("recallHandle is invalid: {why}"));
        if handle.len() > MAX_HANDLE_LEN {
            return Err(invalid("longer than 1024 bytes"));
        }
        let engine = GeneralPurpose::new(
            &alphabet::URL_SAFE,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let bytes = engine
            .decode(handle)
            .map_err(|_| invalid("not base64url"))?;
        let text = String::from_utf8(bytes).map_err(|_| invalid("not UTF-8"))?;
        let parts: Vec<&str> = text.split(' ').collect();
        match parts.as_slice() {
            ["v1", topic, broker, timestamp, id] => Ok(RecallHandle {
                topic: (*topic).to_owned(),
                broker_name: (*broker).to_owned(),
                timestamp: (*timestamp).to_owned(),
                message_id: (*id).to_owned(),
            }),
            _ => Err(invalid("not a v1 handle of five parts")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_handles_decode_with_or_without_padding() {
        // base64url("v1 T broker-a 1700000000000 ID1"), as Java's getUrlEncoder writes it.
        let padded = "djEgVCBicm9rZXItYSAxNzAwMDAwMDAwMDAwIElEMQ==";
        let want = RecallHandle {
            topic: "T".into(),
            broker_name: "broker-a".into(),
            timestamp: "1700000000000".into(),
            message_id: "ID1".into(),
        };
        assert_eq!(RecallHandle::decode(padded).expect("padded"), want);
        let bare = padded.trim_end_matches('=');
        assert_eq!(RecallHandle::decode(bare).expect("unpadded"), want);
    }

    #[test]
    fn malformed_recall_handles_are_refused_naming_the_field() {
        for bad in ["", "!!!", "djIgVCBi", &"A".repeat(2000)] {
            let e = RecallHandle::decode(bad).expect_err("refused");
            assert!(e.to_string().contains("recallHandle"), "{e}");
        }
    }
}
