//! [`ReceivedMessage`]: a message as a consumer hands it to the application. Cheap to clone (an
//! `Arc`); the retried message's original topic is already restored, as Java's
//! `resetRetryAndNamespace` does.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use rmq_protocol::message::{property, StoredMessage};
use rmq_protocol::{naming, MessageQueue};

/// A consumed message. Clones share one allocation.
#[derive(Clone)]
pub struct ReceivedMessage {
    inner: Arc<Inner>,
}

struct Inner {
    stored: StoredMessage,
    queue: MessageQueue,
}

impl std::fmt::Debug for ReceivedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceivedMessage")
            .field("msg_id", &self.msg_id())
            .field("topic", &self.topic())
            .field("queue_id", &self.inner.queue.queue_id)
            .field("queue_offset", &self.queue_offset())
            .field("reconsume_times", &self.reconsume_times())
            .field("body_len", &self.body().len())
            .finish()
    }
}

impl ReceivedMessage {
    /// Wraps a pulled record from `queue`. When `group`'s retry topic delivered it, the topic is
    /// set back to the original one (the `RETRY_TOPIC` property).
    pub fn new(mut stored: StoredMessage, queue: MessageQueue, group: &str) -> Self {
        if let Some(original) = stored.property(property::RETRY_TOPIC) {
            if stored.topic == naming::retry_topic(group) {
                stored.topic = original.to_owned();
            }
        }
        ReceivedMessage {
            inner: Arc::new(Inner { stored, queue }),
        }
    }

    /// The message's topic (the original topic for a retried message).
    pub fn topic(&self) -> &str {
        &self.inner.stored.topic
    }

    /// The body (decompressed).
    pub fn body(&self) -> &Bytes {
        &self.inner.stored.body
    }

    /// The tag, if any.
    pub fn tags(&self) -> Option<&str> {
        self.inner.stored.tags()
    }

    /// The keys.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.inner.stored.keys()
    }

    /// Any property.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.inner.stored.property(name)
    }

    /// The id users see: the producer's unique key, else the broker's offset id.
    pub fn msg_id(&self) -> String {
        self.inner.stored.msg_id()
    }

    /// How many times this message was delivered again after a failure.
    pub fn reconsume_times(&self) -> i32 {
        self.inner.stored.reconsume_times
    }

    /// The queue it was pulled from (for a retried message: a queue of `%RETRY%group`).
    pub fn queue(&self) -> &MessageQueue {
        &self.inner.queue
    }

    /// The offset in [`queue`](Self::queue).
    pub fn queue_offset(&self) -> i64 {
        self.inner.stored.queue_offset
    }

    /// When the producer created it.
    pub fn born_time(&self) -> Option<SystemTime> {
        self.inner.stored.born_time()
    }

    /// When the broker stored it.
    pub fn store_time(&self) -> Option<SystemTime> {
        self.inner.stored.store_time()
    }

    /// Born timestamp, ms since the epoch.
    pub fn born_timestamp(&self) -> i64 {
        self.inner.stored.born_timestamp
    }

    /// Store timestamp, ms since the epoch.
    pub fn store_timestamp(&self) -> i64 {
        self.inner.stored.store_timestamp
    }

    /// The record as the broker returned it (topic restored).
    pub fn stored(&self) -> &StoredMessage {
        &self.inner.stored
    }

    /// Bytes the message counts for in flow control (its body).
    pub(crate) fn size(&self) -> u64 {
        self.inner.stored.body.len() as u64
    }

    /// A copy with `reconsume_times` set (local bookkeeping after a failed send-back).
    pub(crate) fn with_reconsume_times(&self, times: i32) -> Self {
        let mut stored = self.inner.stored.clone();
        stored.reconsume_times = times;
        ReceivedMessage {
            inner: Arc::new(Inner {
                stored,
                queue: self.inner.queue.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retried_message_gets_its_original_topic_back() {
        let mut stored = StoredMessage {
            topic: "%RETRY%g".into(),
            ..StoredMessage::default()
        };
        stored.properties.insert(property::RETRY_TOPIC, "T");
        let m = ReceivedMessage::new(stored.clone(), MessageQueue::new("%RETRY%g", "b", 0), "g");
        assert_eq!(m.topic(), "T");
        let other = ReceivedMessage::new(stored, MessageQueue::new("%RETRY%g", "b", 0), "h");
        assert_eq!(other.topic(), "%RETRY%g");
    }
}
