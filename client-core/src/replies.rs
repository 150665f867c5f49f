//! Pending request-reply calls (Java's `RequestFutureHolder`): a producer registers a
//! correlation id, the processor delivers the broker-pushed reply (PUSH_REPLY_MESSAGE_TO_CLIENT)
//! to it. Entries are removed when delivered or when the waiting side is dropped, so timed-out
//! requests leave nothing behind.

use dashmap::DashMap;
use rmq_protocol::message::StoredMessage;
use tokio::sync::oneshot;

/// Correlation id to the waiting request.
#[derive(Debug, Default)]
pub struct ReplyTable {
    waiting: DashMap<String, oneshot::Sender<StoredMessage>>,
}

/// The waiting side of one request; dropping it forgets the correlation id.
#[derive(Debug)]
pub struct PendingReply<'a> {
    table: &'a ReplyTable,
    correlation_id: String,
    rx: oneshot::Receiver<StoredMessage>,
}

impl ReplyTable {
    /// Waits for the reply carrying `correlation_id`.
    pub fn register(&self, correlation_id: impl Into<String>) -> PendingReply<'_> {
        let correlation_id = correlation_id.into();
        let (tx, rx) = oneshot::channel();
        self.waiting.insert(correlation_id.clone(), tx);
        PendingReply {
            table: self,
            correlation_id,
            rx,
        }
    }

    /// Hands a reply to its waiter; false when nobody waits for it (timed out or unknown).
    pub fn deliver(&self, correlation_id: &str, reply: StoredMessage) -> bool {
        match self.waiting.remove(correlation_id) {
            Some((_, tx)) => tx.send(reply).is_ok(),
            None => false,
        }
    }

    /// Number of waiting requests.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Whether nobody waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Fails every waiter (shutdown).
    pub fn fail_all(&self) {
        self.waiting.clear();
    }
}

impl PendingReply<'_> {
    /// The reply, or `None` when the table was shut down.
    ///
    /// # Cancel safety
    /// Dropping the future (for example on timeout) removes the entry.
    pub async fn wait(mut self) -> Option<StoredMessage> {
        (&mut self.rx).await.ok()
    }
}

impl Drop for PendingReply<'_> {
    fn drop(&mut self) {
        self.table.waiting.remove(&self.correlation_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivered_reply_reaches_its_waiter_and_entry_is_removed() {
        let table = ReplyTable::default();
        let pending = table.register("c1");
        assert!(table.deliver(
            "c1",
            StoredMessage {
                topic: "T".into(),
                ..Default::default()
            }
        ));
        assert_eq!(pending.wait().await.expect("reply").topic, "T");
        assert!(table.is_empty());
        assert!(
            !table.deliver("c1", StoredMessage::default()),
            "late replies are dropped"
        );
    }

    #[tokio::test]
    async fn dropped_waiter_leaves_no_entry() {
        let table = ReplyTable::default();
        let pending = table.register("c2");
        let _ = tokio::time::timeout(std::time::Duration::from_millis(5), pending.wait()).await;
        assert!(table.is_empty());
    }
}
