//! RocketMQ consumers for rmq: a push consumer with async listeners and a lite pull consumer,
//! wire-compatible with Java 4.9.7's `DefaultMQPushConsumer` and `DefaultLitePullConsumer`.
//!
//! # Getting started
//! ```no_run
//! use rmq_client_consumer::{ConsumeResult, Filter, PushConsumer, ReceivedMessage};
//! # async fn demo() -> rmq_client_consumer::Result<()> {
//! let consumer = PushConsumer::builder()
//!     .namesrv("127.0.0.1:9876")
//!     .group("my-group")
//!     .subscribe("TopicTest", Filter::tags(["A", "B"]))
//!     .build()
//!     .await?;
//! consumer
//!     .start(|msgs: Vec<ReceivedMessage>| async move {
//!         for m in &msgs {
//!             println!("{} {:?}", m.msg_id(), m.body());
//!         }
//!         ConsumeResult::Success
//!     })
//!     .await?;
//! tokio::signal::ctrl_c().await.ok();
//! consumer.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # How it works
//! A consumer registers into a shared `ClientInstance` (client-core), whose rebalance service
//! tells it every 20 s, and whenever the group changes, which queues it owns. Each owned queue
//! gets a *process queue* and one long-polling pull task. Pulled messages go to the consume
//! service (push) or to a bounded buffer that [`PullConsumer::poll`] reads (lite pull).
//!
//! Delivery is at least once. The offset committed for a queue is the low-water mark of its
//! unfinished messages: a message leaves the cache only once consumed, handed back for retry
//! (CONSUMER_SEND_MSG_BACK, else a resend to `%RETRY%group`) or dead-lettered. Pulling pauses
//! while a queue (or topic) caches more than its count or byte threshold. A listener that
//! panics or times out fails its batch; it never stops its queue. Shutdown stops pulling,
//! waits for running listeners up to the drain timeout (10 s by default), commits offsets,
//! unlocks orderly queues and unregisters. Every task is tracked and stopped by shutdown.
//!
//! # Layout
//! The crate is in layers; a module uses only its own layer and the layers below it.
//! - the root files, at the bottom: `options`, `message` ([`ReceivedMessage`]), `filter`,
//!   `listener`, [`allocate`], `namespace` (queues as the user and as the broker name them),
//!   `error`;
//! - `state/`: `core` (one consumer's shared state and the sink its messages go to),
//!   `process_queue`, `offset_store`;
//! - `dispatch/`: `deliver` (an engine's one way in), `concurrent`, `orderly`, `retry`
//!   (sending failed messages back);
//! - `engine/`: `pull/` (rebalance, the pull tasks, the face the client instance calls);
//! - `consumer/`: the builders, [`PushConsumer`], [`PullConsumer`] (lite), [`SimpleConsumer`]
//!   (POP: receive, ack, change the invisible duration).
//!
//! Coming from the Java client: `docs/from-java.md` in the repository maps Java's classes,
//! methods and `ClientConfig` fields to rmq's.
//!
//! # Errors
//! [`Error`] wraps the client instance's errors; [`Error::kind`] gives a stable cause.
//!
//! # Feature flags
//! - `tls` (default): TLS to brokers and name servers, forwarded to `rmq-client-core`.
//! - `zlib`, `lz4`, `zstd` (default): the body codecs, forwarded to `rmq-protocol`; a received
//!   body of a type left out fails to decode with `rmq_protocol::Error::CodecNotCompiled`.
//!   The consumer logs such a message and skips it.
//! - `metrics`: pulls and listener calls record OpenTelemetry-named instruments through the
//!   `metrics` facade (`rmq_client_core::telemetry`; off by default). Every listener call
//!   also runs in a `tracing` span named after the same conventions, with or without it.
#![deny(missing_docs, missing_debug_implementations)]

pub mod allocate;
mod consumer;
mod dispatch;
mod engine;
mod error;
mod filter;
mod listener;
mod message;
mod namespace;
mod options;
mod state;

pub use allocate::{
    AllocateStrategy, Averagely, AveragelyByCircle, ByConfig, ByMachineRoom, ConsistentHash,
};
pub use consumer::builder::{PullConsumerBuilder, PushConsumerBuilder};
pub use consumer::lite_pull::PullConsumer;
pub use consumer::push::{CacheStats, PushConsumer};
pub use consumer::simple::SimpleConsumer;
pub use consumer::simple_builder::SimpleConsumerBuilder;
pub use error::{Error, ErrorKind, Result};
pub use filter::Filter;
pub use listener::{ConsumeResult, MessageListener, OrderlyListener, OrderlyResult};
pub use message::ReceivedMessage;
pub use options::ConsumeFrom;
pub use rmq_client_core::ClientConfig;
pub use rmq_protocol::body::MessageModel;
pub use rmq_protocol::MessageQueue;
pub use state::process_queue::ProcessQueue;
