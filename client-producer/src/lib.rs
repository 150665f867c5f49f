//! The RocketMQ producer of rmq: sync, async, oneway, ordered, batch, transactional and
//! request-reply sends, wire-compatible with Java 4.9.7's `DefaultMQProducer`.
//!
//! # Getting started
//! ```no_run
//! use std::time::Duration;
//! use rmq_client_producer::{Message, Producer, SelectByHash};
//! # async fn demo() -> rmq_client_producer::Result<()> {
//! let producer = Producer::builder()
//!     .namesrv("127.0.0.1:9876")
//!     .group("orders")
//!     .build()
//!     .await?;
//! // Sync: waits for the broker, retries other brokers within one 3 s deadline.
//! let receipt = producer.send(&Message::new("Orders", "created").with_keys(["o-1"])).await?;
//! // Ordered: equal sharding keys land in one queue, in order.
//! let msg = Message::new("Orders", "paid").with_sharding_key("o-1");
//! producer.send_ordered(&msg, &SelectByHash).await?;
//! // Async: many in flight from one task. The first await admits the send into the bounded
//! // in-flight window (it waits when the window is full), the second gives the receipt.
//! let pending = producer.send_async(&Message::new("Orders", "shipped")).await?;
//! let receipt = pending.await?;
//! // Request-reply: wait for a responder's `Producer::reply`.
//! let answer = producer.request(&Message::new("Quotes", "EURUSD"), Duration::from_secs(3)).await?;
//! producer.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Name servers come from `.namesrv(..)`, else `.client_config(..)`, else `NAMESRV_ADDR`, as on
//! every builder of the workspace ([`ClientConfig::resolve`]).
//!
//! # How it works
//! `build()` validates the settings, joins the shared [`ClientInstance`] of the client id
//! (starting it), registers the group and sends a first heartbeat; the instance refreshes the
//! routes of every topic the producer sent to, heartbeats, and dispatches broker requests
//! (transaction checks, replies). The producer itself spawns only the tasks of
//! [`Producer::send_async`] and [`Producer::request_async`], tracked and bounded by two
//! semaphores (count and bytes). [`Producer::shutdown`] waits for them, unregisters the group
//! and shuts the instance down when nothing else uses it.
//!
//! A send has one deadline (the send timeout) for its route lookup and every attempt; an
//! attempt that can be retried on another broker gets a share of what is left, so a frozen
//! broker leaves time for the retry. Concurrent sends to a topic without a route share one
//! lookup. Queues are chosen round-robin among the writable ones, avoiding the broker that
//! just failed and brokers whose connect was refused (for a backoff of 1 s doubling to 10 s),
//! or, with [`ProducerBuilder::latency_fault_tolerance`], also avoiding slow and failed brokers
//! in proportion to what they did, for at most 30 s (Java's `MQFaultStrategy` avoided them for
//! up to 10 minutes). Bodies of at least 4 KiB are compressed (never in
//! batches): zlib by default, LZ4 or zstd with [`ProducerBuilder::compression`]. Message ids
//! (`UNIQ_KEY`) are made as Java makes them. A message with a delivery time is refused before
//! sending to a broker whose version predates timer messages (5.0.0); a 5.x broker's receipt
//! carries a handle for [`Producer::recall`].
//!
//! Coming from the Java client: `docs/from-java.md` in the repository maps Java's classes,
//! methods and `ClientConfig` fields to rmq's.
//!
//! # Errors
//! [`Error`]: invalid input is refused before any network call; a failed send lists every
//! attempt (broker, queue, code, remark, elapsed). [`Error::kind`] gives a stable cause.
//!
//! # Feature flags
//! - `tls` (default): TLS to brokers and name servers, forwarded to `rmq-client-core`.
//! - `zlib`, `lz4`, `zstd` (default): the body codecs, forwarded to `rmq-protocol`; a received
//!   body of a type left out fails to decode with `rmq_protocol::Error::CodecNotCompiled`.
//!   A producer refuses to build with an LZ4 or zstd compression left out; without `zlib`,
//!   its default compression, bodies go uncompressed.
//! - `metrics`: sends record OpenTelemetry-named instruments through the `metrics` facade
//!   (`rmq_client_core::telemetry`; off by default). Every send attempt also runs in a
//!   `tracing` span named after the same conventions, with or without it.
#![deny(missing_docs, missing_debug_implementations)]

mod auto_batch;
mod batching;
mod budget;
mod builder;
mod checker;
mod error;
mod fault;
mod id;
mod inner;
mod message;
mod producer;
mod recall;
mod receipt;
mod request;
mod selector;
mod send;
mod settings;
mod shared;
mod timer;
mod trace;
mod trace_record;
mod transaction;

pub use auto_batch::{
    AutoBatch, BATCH_BYTES_LIMIT, BATCH_DELAY_LIMIT, DEFAULT_BATCH_MAX_BYTES,
    DEFAULT_BATCH_MAX_DELAY, DEFAULT_BATCH_MAX_TOTAL_BYTES,
};
pub use builder::{ProducerBuilder, TransactionProducerBuilder};
pub use checker::{TransactionChecker, TransactionState};
pub use error::{Attempt, Error, ErrorKind, Result};
pub use fault::not_available_duration;
pub use id::MessageId;
pub use producer::{Producer, SendFuture};
pub use receipt::SendReceipt;
pub use request::reply_to;
pub use rmq_client_core::api::SendStatus;
pub use rmq_client_core::{ClientConfig, ClientInstance};
pub use rmq_protocol::{Message, MessageQueue, StoredMessage};
pub use selector::{java_string_hash, QueueSelector, SelectByHash, SelectRandom, SelectRoundRobin};
pub use settings::{
    DEFAULT_COMPRESS_LEVEL, DEFAULT_COMPRESS_THRESHOLD, DEFAULT_MAX_INFLIGHT_ASYNC,
    DEFAULT_MAX_INFLIGHT_ASYNC_BYTES, DEFAULT_SEND_TIMEOUT,
};
pub use timer::TIMER_MIN_VERSION;
pub use transaction::{TransactionProducer, TransactionReceipt};
