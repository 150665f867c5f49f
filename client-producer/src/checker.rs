//! What a transaction decides ([`TransactionState`]) and who answers a broker's check of a half
//! message ([`TransactionChecker`]). Below the producer and its builders, which both use them;
//! the check itself is answered in `inner.rs`.

use std::future::Future;

use rmq_client_core::inner::BoxFuture;
use rmq_protocol::StoredMessage;

/// The outcome of a local transaction (Java's `LocalTransactionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionState {
    /// Deliver the message.
    Commit,
    /// Drop the message.
    Rollback,
    /// Not decided yet: the broker checks back later (about every minute on Java brokers, up
    /// to 15 times).
    Unknown,
}

impl TransactionState {
    /// The `commitOrRollback` value of END_TRANSACTION.
    pub(crate) fn wire_code(self) -> i32 {
        use rmq_protocol::header::{TRANSACTION_COMMIT, TRANSACTION_ROLLBACK, TRANSACTION_UNKNOWN};
        match self {
            TransactionState::Commit => TRANSACTION_COMMIT,
            TransactionState::Rollback => TRANSACTION_ROLLBACK,
            TransactionState::Unknown => TRANSACTION_UNKNOWN,
        }
    }
}

/// Answers a broker's question about a half message whose outcome it does not know.
///
/// A closure is the usual checker; give it to
/// [`TransactionProducerBuilder::checker`](crate::TransactionProducerBuilder::checker), which
/// needs no type annotation. Implement this trait for a checker type of your own and give it
/// to [`checker_object`](crate::TransactionProducerBuilder::checker_object):
/// ```
/// use rmq_client_producer::{StoredMessage, TransactionChecker, TransactionState};
/// use rmq_client_core::inner::BoxFuture;
///
/// struct Paid;
/// impl TransactionChecker for Paid {
///     fn check(&self, msg: StoredMessage) -> BoxFuture<'_, TransactionState> {
///         let paid = msg.keys().any(|k| k == "paid");
///         Box::pin(async move {
///             if paid { TransactionState::Commit } else { TransactionState::Unknown }
///         })
///     }
/// }
/// ```
pub trait TransactionChecker: Send + Sync + 'static {
    /// The state of the local transaction of `message` (its topic without namespace).
    fn check(&self, message: StoredMessage) -> BoxFuture<'_, TransactionState>;
}

impl<F, Fut> TransactionChecker for F
where
    F: Fn(StoredMessage) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = TransactionState> + Send + 'static,
{
    fn check(&self, message: StoredMessage) -> BoxFuture<'_, TransactionState> {
        Box::pin(self(message))
    }
}
