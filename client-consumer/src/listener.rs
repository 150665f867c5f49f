//! Async listeners: [`MessageListener`] (concurrent) and [`OrderlyListener`] (one batch at a
//! time per queue), each implemented for closures `Fn(Vec<ReceivedMessage>) -> impl Future`.
//!
//! A listener that panics, or runs past the consume timeout, fails its batch: the concurrent
//! consumer sends the messages back for retry, the orderly one suspends the queue and retries
//! it. Neither ever stops a queue.

use std::future::Future;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::message::ReceivedMessage;

/// What a concurrent listener decided for a batch (Java's `ConsumeConcurrentlyStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsumeResult {
    /// Consumed; the offset may pass these messages.
    Success,
    /// Deliver the batch again later, after this delay level (1 = 1 s ... 18 = 2 h; 0 lets the
    /// broker choose `3 + reconsume times`, Java's default).
    Later(i32),
}

impl ConsumeResult {
    /// Retry later with the broker's default delay.
    pub const RETRY: ConsumeResult = ConsumeResult::Later(0);
}

/// What an orderly listener decided for a batch (Java's `ConsumeOrderlyStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderlyResult {
    /// Consumed; the queue moves on.
    Success,
    /// Stop this queue for the consumer's suspend time, then deliver the same batch again.
    SuspendCurrentQueue,
    /// As [`OrderlyResult::SuspendCurrentQueue`] with an explicit suspend time.
    SuspendFor(Duration),
}

/// A concurrent listener: batches of one queue may run in parallel with other batches.
///
/// Implemented for closures:
/// ```
/// use rmq_client_consumer::{ConsumeResult, MessageListener, ReceivedMessage};
/// fn check(_: impl MessageListener) {}
/// check(|msgs: Vec<ReceivedMessage>| async move {
///     for m in &msgs { let _ = m.body(); }
///     ConsumeResult::Success
/// });
/// ```
pub trait MessageListener: Send + Sync + 'static {
    /// Consumes one batch (`consume_batch_size` messages at most, 1 by default).
    fn consume(&self, msgs: Vec<ReceivedMessage>) -> BoxFuture<'_, ConsumeResult>;
}

impl<F, Fut> MessageListener for F
where
    F: Fn(Vec<ReceivedMessage>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ConsumeResult> + Send + 'static,
{
    fn consume(&self, msgs: Vec<ReceivedMessage>) -> BoxFuture<'_, ConsumeResult> {
        Box::pin(self(msgs))
    }
}

/// An orderly listener: the batches of one queue are consumed one after the other, in queue
/// order.
pub trait OrderlyListener: Send + Sync + 'static {
    /// Consumes one batch of one queue.
    fn consume(&self, msgs: Vec<ReceivedMessage>) -> BoxFuture<'_, OrderlyResult>;
}

impl<F, Fut> OrderlyListener for F
where
    F: Fn(Vec<ReceivedMessage>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = OrderlyResult> + Send + 'static,
{
    fn consume(&self, msgs: Vec<ReceivedMessage>) -> BoxFuture<'_, OrderlyResult> {
        Box::pin(self(msgs))
    }
}
