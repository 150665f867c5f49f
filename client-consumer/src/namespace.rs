//! A namespaced consumer's queues as the user names them (`Topic`) and as the broker does
//! (`ns%Topic`): Java's `queueWithNamespace` and `NamespaceUtil.withoutNamespace` applied to a
//! `MessageQueue`. Without a namespace both are the identity.

use rmq_protocol::{naming, MessageQueue};

/// `queue` with its topic wrapped in `namespace` (what the broker and the tables use).
pub(crate) fn wrap_queue(namespace: Option<&str>, queue: &MessageQueue) -> MessageQueue {
    MessageQueue::new(
        naming::wrap_namespace(namespace, &queue.topic),
        queue.broker_name.clone(),
        queue.queue_id,
    )
}

/// `queue` with `namespace` stripped from its topic (what the user sees).
pub(crate) fn unwrap_queue(namespace: Option<&str>, queue: &MessageQueue) -> MessageQueue {
    MessageQueue::new(
        naming::without_namespace_in(&queue.topic, namespace),
        queue.broker_name.clone(),
        queue.queue_id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_wrap_and_unwrap_the_topic_only() {
        let user = MessageQueue::new("T", "b", 3);
        let wire = wrap_queue(Some("ns"), &user);
        assert_eq!(wire, MessageQueue::new("ns%T", "b", 3));
        assert_eq!(unwrap_queue(Some("ns"), &wire), user);
        assert_eq!(wrap_queue(Some("ns"), &wire), wire, "wrapped once");
        assert_eq!(wrap_queue(None, &user), user);
        assert_eq!(unwrap_queue(None, &wire), wire);
        let retry = MessageQueue::new("%RETRY%ns%g", "b", 0);
        assert_eq!(unwrap_queue(Some("ns"), &retry).topic, "%RETRY%g");
    }
}
