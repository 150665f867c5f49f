//! [`AutoBatch`]: the settings of the opt-in auto-batching producer (Java 5.x
//! `DefaultMQProducer#setAutoBatch` with `batchMaxDelayMs`, `batchMaxBytes` and
//! `totalBatchMaxBytes`), their defaults and their validation. Plain values at the bottom of the
//! crate, beside `settings.rs`; the accumulator that uses them is `batching/`.

use std::time::Duration;

use crate::error::{Error, Result};

/// Java's default `batchMaxDelayMs`: how long the first message of a batch waits for others.
pub const DEFAULT_BATCH_MAX_DELAY: Duration = Duration::from_millis(10);
/// Java's default `batchMaxBytes` (32 KiB): a batch is sent once it holds this much.
pub const DEFAULT_BATCH_MAX_BYTES: usize = 32 * 1024;
/// Java's default `totalBatchMaxBytes` (32 MiB): the most bytes held in unsent batches.
pub const DEFAULT_BATCH_MAX_TOTAL_BYTES: usize = 32 * 1024 * 1024;
/// The largest batch accepted: the broker's default `maxMessageSize` (4 MiB).
pub const BATCH_BYTES_LIMIT: usize = 4 * 1024 * 1024;
/// The longest delay accepted, as Java (30 s).
pub const BATCH_DELAY_LIMIT: Duration = Duration::from_secs(30);
/// The default number of batch requests of one topic in flight at once (see
/// [`AutoBatch::max_in_flight`]).
pub(crate) const DEFAULT_BATCH_MAX_IN_FLIGHT: usize = 1;
/// The most batch requests of one topic in flight that may be configured.
pub(crate) const BATCH_IN_FLIGHT_LIMIT: usize = 1024;

/// How [`Producer::send`](crate::Producer::send) and
/// [`Producer::send_async`](crate::Producer::send_async) merge concurrent messages of one
/// topic into batch requests; see
/// [`ProducerBuilder::auto_batch`](crate::ProducerBuilder::auto_batch).
///
/// Sizes count a message as it is encoded in a batch (body, properties and 22 bytes of entry
/// header).
///
/// # When a batch is sent
/// Batching is "natural", as a database's group commit: per topic (and `WAIT` flag),
/// - while fewer than [`max_in_flight`](Self::max_in_flight) requests of the topic are
///   unanswered, a message is sent at once (with whatever was waiting; a lone message goes as
///   a plain send), so an idle producer adds no latency;
/// - otherwise arriving messages gather in one batch, sent as soon as a request of the topic
///   answers, or earlier once it holds [`max_batch_bytes`](Self::max_batch_bytes), or once its
///   first message has waited [`max_delay`](Self::max_delay), whatever is in flight;
/// - at shutdown every waiting batch is sent at once.
///
/// The busier the producer, the larger the batches. Java's `ProduceAccumulator` differs: it
/// always holds a batch until `batchMaxDelayMs` expires or the batch is full, so each message
/// waits out the delay even when nothing else is in flight.
///
/// ```
/// use std::time::Duration;
/// use rmq_client_producer::AutoBatch;
///
/// let batching = AutoBatch::new()
///     .max_delay(Duration::from_millis(2))
///     .max_batch_bytes(64 * 1024)
///     .max_total_bytes(16 * 1024 * 1024);
/// assert_eq!(batching.delay(), Duration::from_millis(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoBatch {
    max_delay: Duration,
    max_batch_bytes: usize,
    max_total_bytes: usize,
    max_in_flight: usize,
}

impl Default for AutoBatch {
    fn default() -> Self {
        AutoBatch {
            max_delay: DEFAULT_BATCH_MAX_DELAY,
            max_batch_bytes: DEFAULT_BATCH_MAX_BYTES,
            max_total_bytes: DEFAULT_BATCH_MAX_TOTAL_BYTES,
            max_in_flight: DEFAULT_BATCH_MAX_IN_FLIGHT,
        }
    }
}

impl AutoBatch {
    /// Java's defaults (10 ms, 32 KiB per batch, 32 MiB held in all) and one request of a
    /// topic in flight.
    pub fn new() -> Self {
        AutoBatch::default()
    }

    /// How long a message may wait in a batch, at most: a batch is sent when its first
    /// message has waited this long even while requests of its topic are in flight. Must be
    /// within 1 ms..=30 s. Default 10 ms.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// A batch is sent once adding the next message would take it over this many bytes; a
    /// message larger than this is sent on its own, unbatched. Must be within 1..=4 MiB and
    /// not over the producer's max message size. Default 32 KiB.
    pub fn max_batch_bytes(mut self, bytes: usize) -> Self {
        self.max_batch_bytes = bytes;
        self
    }

    /// The most bytes held in batches not yet answered, over every topic: a send over the
    /// bound waits (within its deadline) for a batch to finish. Must be at least
    /// [`max_batch_bytes`](Self::max_batch_bytes) and at most 4 GiB. Default 32 MiB.
    pub fn max_total_bytes(mut self, bytes: usize) -> Self {
        self.max_total_bytes = bytes;
        self
    }

    /// How many requests of one topic may be in flight before new messages gather into a
    /// batch that waits for one of them to answer. Must be within 1..=1024. Default 1.
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = requests;
        self
    }

    /// The configured [`max_delay`](Self::max_delay).
    pub fn delay(&self) -> Duration {
        self.max_delay
    }

    /// The configured [`max_batch_bytes`](Self::max_batch_bytes).
    pub fn batch_bytes(&self) -> usize {
        self.max_batch_bytes
    }

    /// The configured [`max_total_bytes`](Self::max_total_bytes).
    pub fn total_bytes(&self) -> usize {
        self.max_total_bytes
    }

    /// The configured [`max_in_flight`](Self::max_in_flight).
    pub fn in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// The first invalid value, as [`Error::Config`]; `max_message_size` is the producer's.
    pub(crate) fn validate(&self, max_message_size: usize) -> Result<()> {
        let limit = BATCH_BYTES_LIMIT.min(max_message_size);
        let checks = [
            (
                self.max_delay < Duration::from_millis(1) || self.max_delay > BATCH_DELAY_LIMIT,
                format!(
                    "auto_batch max_delay must be within 1ms..=30s, not {:?}",
                    self.max_delay
                ),
            ),
            (
                self.max_batch_bytes == 0 || self.max_batch_bytes > limit,
                format!(
                    "auto_batch max_batch_bytes must be within 1..={limit} (4 MiB and the max \
                     message size), not {}",
                    self.max_batch_bytes
                ),
            ),
            (
                self.max_total_bytes < self.max_batch_bytes
                    || self.max_total_bytes > u32::MAX as usize,
                format!(
                    "auto_batch max_total_bytes must be within max_batch_bytes ({})..=4 GiB, \
                     not {}",
                    self.max_batch_bytes, self.max_total_bytes
                ),
            ),
            (
                self.max_in_flight == 0 || self.max_in_flight > BATCH_IN_FLIGHT_LIMIT,
                format!(
                    "auto_batch max_in_flight must be within 1..={BATCH_IN_FLIGHT_LIMIT}, not {}",
                    self.max_in_flight
                ),
            ),
        ];
        match checks.into_iter().find(|(bad, _)| *bad) {
            Some((_, why)) => Err(Error::Config(why)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOUR_MIB: usize = 4 * 1024 * 1024;

    #[test]
    fn defaults_are_javas_and_valid() {
        let b = AutoBatch::new();
        assert_eq!(b.delay(), Duration::from_millis(10));
        assert_eq!(b.batch_bytes(), 32 * 1024);
        assert_eq!(b.total_bytes(), 32 * 1024 * 1024);
        assert_eq!(b.in_flight(), 1);
        assert!(b.validate(FOUR_MIB).is_ok());
    }

    #[test]
    fn zero_oversized_and_inverted_bounds_are_refused_with_the_setting_named() {
        let bad = [
            (AutoBatch::new().max_delay(Duration::ZERO), "max_delay"),
            (
                AutoBatch::new().max_delay(Duration::from_secs(31)),
                "max_delay",
            ),
            (AutoBatch::new().max_batch_bytes(0), "max_batch_bytes"),
            (
                AutoBatch::new().max_batch_bytes(FOUR_MIB + 1),
                "max_batch_bytes",
            ),
            (
                AutoBatch::new().max_batch_bytes(1000).max_total_bytes(999),
                "max_total_bytes",
            ),
            (
                AutoBatch::new().max_total_bytes(u32::MAX as usize + 1),
                "max_total_bytes",
            ),
            (AutoBatch::new().max_in_flight(0), "max_in_flight"),
            (AutoBatch::new().max_in_flight(1025), "max_in_flight"),
        ];
        for (b, name) in bad {
            let e = b.validate(FOUR_MIB).expect_err("refused");
            assert!(e.to_string().contains(name), "{e}");
        }
        let over_message_size = AutoBatch::new().max_batch_bytes(2048).validate(1024);
        assert!(
            over_message_size.is_err(),
            "a batch must fit the max message size"
        );
        assert!(AutoBatch::new()
            .max_batch_bytes(FOUR_MIB)
            .max_total_bytes(FOUR_MIB)
            .validate(FOUR_MIB)
            .is_ok());
    }
}
