//! [`ReceivedMessage`]: a message as a consumer hands it to the application. Cheap to clone (an
//! `Arc`); the retried message's original topic is already restored, as Java's
//! `resetRetryAndNamespace` does, and a namespaced consumer sees its topics without the
//! `ns%` prefix.

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
    /// The record with the broker's names (a retried one's original topic restored).
    stored: StoredMessage,
    /// The queue as the broker names it.
    queue: MessageQueue,
    /// What the user sees when a namespace is stripped: `(topic, queue)`.
    unwrapped: Option<(String, MessageQueue)>,
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
    /// set back to the original one (the `RETRY_TOPIC` property); with a `namespace`, the
    /// topic loses its `ns%` prefix (Java `resetRetryAndNamespace` with
    /// `NamespaceUtil.withoutNamespace`). `group` is the group as sent to the broker (wrapped).
    pub(crate) fn new(
        mut stored: StoredMessage,
        queue: MessageQueue,
        group: &str,
        namespace: Option<&str>,
    ) -> Self {
        if let Some(original) = stored.property(property::RETRY_TOPIC) {
            if stored.topic == naming::retry_topic(group) {
                stored.topic = original.to_owned();
            }
        }
        let unwrapped = namespace.filter(|ns| !ns.is_empty()).map(|_| {
            let topic = naming::without_namespace_in(&stored.topic, namespace);
            (topic, crate::namespace::unwrap_queue(namespace, &queue))
        });
        ReceivedMessage {
            inner: Arc::new(Inner {
                stored,
                queue,
                unwrapped,
            }),
        }
    }

    /// The message's topic: the original topic for a retried message, without the consumer's
    /// namespace.
    pub fn topic(&self) -> &str {
        match &self.inner.unwrapped {
            Some((topic, _)) => topic,
            None => &self.inner.stored.topic,
        }
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

    /// Any property by name, system ones included (`TAGS`, `KEYS`, `UNIQ_KEY`...), as Java's
    /// `getProperty`. For what the producer set, prefer [`user_property`](Self::user_property).
    pub fn property(&self, name: &str) -> Option<&str> {
        self.inner.stored.property(name)
    }

    /// A property the producer set (`Message::put_user_property`). System property names
    /// (Java `MessageConst.STRING_HASH_SET`: `TAGS`, `KEYS`, `MIN_OFFSET`...) are never user
    /// properties, so asking for one gives `None`; use [`property`](Self::property) for them.
    pub fn user_property(&self, name: &str) -> Option<&str> {
        if property::is_system(name) {
            return None;
        }
        self.inner.stored.property(name)
    }

    /// Every user property as `(name, value)`, in the order the producer set them; system
    /// properties are left out (see [`user_property`](Self::user_property)).
    pub fn user_properties(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .stored
            .properties
            .iter()
            .filter(|(name, _)| !property::is_system(name))
    }

    /// The id users see: the producer's unique key, else the broker's offset id.
    pub fn msg_id(&self) -> String {
        self.inner.stored.msg_id()
    }

    /// How many times this message was delivered again after a failure.
    pub fn reconsume_times(&self) -> i32 {
        self.inner.stored.reconsume_times
    }

    /// The queue it was pulled from (for a retried message: a queue of `%RETRY%group`),
    /// without the consumer's namespace.
    pub fn queue(&self) -> &MessageQueue {
        match &self.inner.unwrapped {
            Some((_, queue)) => queue,
            None => &self.inner.queue,
        }
    }

    /// The queue as the broker names it (namespace included).
    pub(crate) fn wire_queue(&self) -> &MessageQueue {
        &self.inner.queue
    }

    /// The offset in [`queue`](Self::queue).
    pub fn queue_offset(&self) -> i64 {
        self.inner.stored.queue_offset
    }

    /// When the producer created it; `None` when the record carries no valid time.
    pub fn born_time(&self) -> Option<SystemTime> {
        self.inner.stored.born_time()
    }

    /// When the broker stored it; `None` when the record carries no valid time.
    pub fn store_time(&self) -> Option<SystemTime> {
        self.inner.stored.store_time()
    }

    /// The record as the broker returned it: a retried message's original topic restored,
    /// the namespace kept (`ns%Topic`; [`topic`](Self::topic) leaves it out).
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
                unwrapped: self.inner.unwrapped.clone(),
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
        let q = MessageQueue::new("%RETRY%g", "b", 0);
        let m = ReceivedMessage::new(stored.clone(), q.clone(), "g", None);
        assert_eq!(m.topic(), "T");
        let other = ReceivedMessage::new(stored, q, "h", None);
        assert_eq!(other.topic(), "%RETRY%g");
    }

    #[test]
    fn namespaced_topics_lose_the_namespace() {
        let q = MessageQueue::new("ns%T", "b", 0);
        let plain = StoredMessage {
            topic: "ns%T".into(),
            ..StoredMessage::default()
        };
        let m = ReceivedMessage::new(plain.clone(), q.clone(), "ns%g", Some("ns"));
        assert_eq!(m.topic(), "T");
        assert_eq!(m.queue(), &MessageQueue::new("T", "b", 0));
        // The broker's names stay for what goes back to it (send-back's origin topic).
        assert_eq!(m.stored().topic, "ns%T");
        assert_eq!(m.wire_queue(), &q);
        // Another namespace's topic is left as it is.
        let m = ReceivedMessage::new(plain.clone(), q.clone(), "other%g", Some("other"));
        assert_eq!(m.topic(), "ns%T");
        // No namespace configured: nothing is stripped.
        assert_eq!(
            ReceivedMessage::new(plain, q.clone(), "g", None).topic(),
            "ns%T"
        );
        // A retried message: the retry topic of the wrapped group restores the wrapped topic.
        let mut retried = StoredMessage {
            topic: "%RETRY%ns%g".into(),
            ..StoredMessage::default()
        };
        retried.properties.insert(property::RETRY_TOPIC, "ns%T");
        let m = ReceivedMessage::new(retried, q.clone(), "ns%g", Some("ns"));
        assert_eq!(m.topic(), "T");
        // A DLQ topic keeps its prefix, loses the namespace (as Java's withoutNamespace).
        let dlq = StoredMessage {
            topic: "%DLQ%ns%g".into(),
            ..StoredMessage::default()
        };
        assert_eq!(
            ReceivedMessage::new(dlq, q, "ns%g", Some("ns")).topic(),
            "%DLQ%g"
        );
    }

    #[test]
    fn user_properties_leave_out_system_ones() {
        let mut stored = StoredMessage::default();
        stored.properties.insert(property::TAGS, "A");
        stored.properties.insert("order", "42");
        stored.properties.insert(property::MIN_OFFSET, "0");
        stored.properties.insert("region", "eu");
        let m = ReceivedMessage::new(stored, MessageQueue::new("T", "b", 0), "g", None);
        assert_eq!(m.user_property("order"), Some("42"));
        assert_eq!(m.user_property(property::TAGS), None);
        assert_eq!(m.property(property::TAGS), Some("A"));
        assert_eq!(m.user_property("missing"), None);
        let all: Vec<_> = m.user_properties().collect();
        assert_eq!(all, vec![("order", "42"), ("region", "eu")]);
    }
}
