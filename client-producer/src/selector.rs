//! Choosing the queue for ordered messages (Java's `MessageQueueSelector`): messages that
//! must stay in order go to the same queue. Built-in: by hash of a key (Java's
//! `SelectMessageQueueByHash`), random, round-robin; any closure works too.
//!
//! A selected send is never retried on another queue: that would break the order.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmq_protocol::{Message, MessageQueue};

/// Picks one of a topic's writable queues for a message.
///
/// Closures `Fn(&[MessageQueue], &Message) -> Option<usize>` are selectors:
/// ```
/// use rmq_client_producer::{Message, MessageQueue, QueueSelector};
/// let order_id = 42_usize;
/// let by_order = move |queues: &[MessageQueue], _: &Message| Some(order_id % queues.len());
/// let queues = [MessageQueue::new("T", "broker-a", 0), MessageQueue::new("T", "broker-a", 1)];
/// assert_eq!(by_order.select(&queues, &Message::new("T", "x")), Some(0));
/// ```
pub trait QueueSelector: Send + Sync {
    /// The index into `queues` (never empty) of the queue for `message`, or `None` to refuse
    /// the send. An index out of range is refused too.
    fn select(&self, queues: &[MessageQueue], message: &Message) -> Option<usize>;
}

impl<F> QueueSelector for F
where
    F: Fn(&[MessageQueue], &Message) -> Option<usize> + Send + Sync,
{
    fn select(&self, queues: &[MessageQueue], message: &Message) -> Option<usize> {
        self(queues, message)
    }
}

/// Java's `String.hashCode` (UTF-16 units, `h = 31 * h + c`, wrapping), so that Java and Rust
/// producers send equal keys to the same queue.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Same key, same queue: the queue at `|hash(key) % n|` (Java's `SelectMessageQueueByHash`
/// with a string argument). The key is the message's sharding key
/// ([`Message::with_sharding_key`]), else its first key; a message with neither is refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct SelectByHash;

impl QueueSelector for SelectByHash {
    fn select(&self, queues: &[MessageQueue], message: &Message) -> Option<usize> {
        let key = message.sharding_key().or_else(|| message.keys().next())?;
        let n = i32::try_from(queues.len()).ok()?;
        if n == 0 {
            return None;
        }
        // Java: `int value = arg.hashCode() % mqs.size(); if (value < 0) value = Math.abs(value);`
        Some((java_string_hash(key) % n).unsigned_abs() as usize)
    }
}

/// A random queue (Java's `SelectMessageQueueByRandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SelectRandom;

impl QueueSelector for SelectRandom {
    fn select(&self, queues: &[MessageQueue], _: &Message) -> Option<usize> {
        if queues.is_empty() {
            return None;
        }
        Some(rand::random::<usize>() % queues.len())
    }
}

/// The next queue, in turn.
#[derive(Default)]
pub struct SelectRoundRobin {
    next: AtomicUsize,
}

impl SelectRoundRobin {
    /// A round-robin selector starting at the first queue.
    pub fn new() -> Self {
        Self::default()
    }
}

impl fmt::Debug for SelectRoundRobin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectRoundRobin")
            .field("next", &self.next.load(Ordering::Relaxed))
            .finish()
    }
}

impl QueueSelector for SelectRoundRobin {
    fn select(&self, queues: &[MessageQueue], _: &Message) -> Option<usize> {
        if queues.is_empty() {
            return None;
        }
        Some(self.next.fetch_add(1, Ordering::Relaxed) % queues.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(n: i32) -> Vec<MessageQueue> {
        (0..n)
            .map(|i| MessageQueue::new("T", "broker-a", i))
            .collect()
    }

    #[test]
    fn java_string_hash_matches_java() {
        assert_eq!(java_string_hash("TagA"), 2_598_919);
        assert_eq!(java_string_hash(""), 0);
        // "polygenelubricants".hashCode() == Integer.MIN_VALUE in Java.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn hash_selector_sends_equal_keys_to_one_queue_like_java() {
        let qs = queues(8);
        let m = Message::new("T", "x").with_sharding_key("order-17");
        let first = SelectByHash.select(&qs, &m);
        assert_eq!(first, SelectByHash.select(&qs, &m));
        let expected = (java_string_hash("order-17") % 8).unsigned_abs() as usize;
        assert_eq!(first, Some(expected));
        let min = Message::new("T", "x").with_sharding_key("polygenelubricants");
        assert_eq!(SelectByHash.select(&queues(3), &min), Some(2));
    }

    #[test]
    fn hash_selector_falls_back_to_the_first_key_and_refuses_keyless_messages() {
        let qs = queues(4);
        let keyed = Message::new("T", "x").with_keys(["k1", "k2"]);
        let by_key = Message::new("T", "x").with_sharding_key("k1");
        assert_eq!(
            SelectByHash.select(&qs, &keyed),
            SelectByHash.select(&qs, &by_key)
        );
        assert_eq!(SelectByHash.select(&qs, &Message::new("T", "x")), None);
    }

    #[test]
    fn round_robin_visits_every_queue_in_turn() {
        let qs = queues(3);
        let s = SelectRoundRobin::new();
        let m = Message::new("T", "x");
        let got: Vec<_> = (0..6).filter_map(|_| s.select(&qs, &m)).collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn random_and_closure_selectors_stay_in_range() {
        let qs = queues(5);
        let m = Message::new("T", "x");
        for _ in 0..50 {
            assert!(SelectRandom.select(&qs, &m).is_some_and(|i| i < 5));
        }
        let last = |qs: &[MessageQueue], _: &Message| Some(qs.len() - 1);
        assert_eq!(last.select(&qs, &m), Some(4));
    }
}
