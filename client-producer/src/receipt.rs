//! [`SendReceipt`]: what a stored send reports back (Java's `SendResult`), one receipt shape
//! for single messages and batches: ids are [`MessageId`]s, one per message.

use rmq_client_core::api::SendStatus;
use rmq_protocol::MessageQueue;

use crate::id::{MessageId, NO_ID};

/// A message (or batch) the broker stored.
///
/// `status` tells how durable it is already: every [`SendStatus`] means stored; the
/// non-`Ok` ones mean a flush or replication did not confirm in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    pub(crate) status: SendStatus,
    /// One per message, never empty.
    pub(crate) msg_ids: Vec<MessageId>,
    /// The broker's, one per message.
    pub(crate) offset_msg_ids: Vec<MessageId>,
    pub(crate) queue: MessageQueue,
    pub(crate) queue_offset: i64,
    pub(crate) transaction_id: Option<String>,
    pub(crate) region_id: String,
    pub(crate) trace_on: bool,
    pub(crate) recall_handle: Option<String>,
}

impl SendReceipt {
    /// How the broker stored it.
    pub fn status(&self) -> SendStatus {
        self.status
    }

    /// The id users see: the client-made `UNIQ_KEY`. For a batch, the first message's; see
    /// [`msg_ids`](Self::msg_ids).
    pub fn msg_id(&self) -> &MessageId {
        self.msg_ids.first().unwrap_or(&NO_ID)
    }

    /// Every message's id, in send order: one for a single message, one per message of a
    /// batch.
    pub fn msg_ids(&self) -> &[MessageId] {
        &self.msg_ids
    }

    /// Java's `SendResult.msgId`: the ids comma-joined (a single message's id as it is).
    pub fn joined_msg_id(&self) -> String {
        MessageId::join(&self.msg_ids)
    }

    /// The broker's offset message id (store host + commit-log offset). For a batch, the
    /// first message's; see [`offset_msg_ids`](Self::offset_msg_ids).
    pub fn offset_msg_id(&self) -> &MessageId {
        self.offset_msg_ids.first().unwrap_or(&NO_ID)
    }

    /// Every message's offset id as the broker reported them, in send order.
    pub fn offset_msg_ids(&self) -> &[MessageId] {
        &self.offset_msg_ids
    }

    /// The queue it went to; the topic is the user's (without namespace).
    pub fn queue(&self) -> &MessageQueue {
        &self.queue
    }

    /// Its offset in the queue (the first message's, for a batch).
    pub fn queue_offset(&self) -> i64 {
        self.queue_offset
    }

    /// The transaction id: for a half message, its unique key; otherwise what the broker
    /// reported (4.9.7 brokers report none).
    pub fn transaction_id(&self) -> Option<&str> {
        self.transaction_id.as_deref()
    }

    /// The broker's region (`DefaultRegion` unless configured).
    pub fn region_id(&self) -> &str {
        &self.region_id
    }

    /// Whether the broker has message tracing on.
    pub fn trace_on(&self) -> bool {
        self.trace_on
    }

    /// The handle that recalls this message before its delivery time
    /// ([`Producer::recall`](crate::Producer::recall)): only a 5.x broker's answer to a
    /// message with a delivery time carries one.
    pub fn recall_handle(&self) -> Option<&str> {
        self.recall_handle.as_deref()
    }
}
