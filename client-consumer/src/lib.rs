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
//! Layout: [`builder`](PushConsumerBuilder), `push`, `pull` (lite), `listener`, `core` (shared
//! state and the `ConsumerInner` face), `rebalance` + [`allocate`], `process_queue`,
//! `pull_loop`, `consume_concurrent`, `consume_orderly`, `retry`, `offset_store`, `filter`,
//! `namespace` (queues as the user and as the broker name them).
//!
//! # Errors
//! [`Error`] wraps the client instance's errors; [`Error::kind`] gives a stable cause.
//!
//! # Feature flags
//! None.
#![deny(missing_docs, missing_debug_implementations)]

pub mod allocate;
mod builder;
mod consume_concurrent;
mod consume_orderly;
mod core;
mod error;
mod filter;
mod listener;
mod message;
mod namespace;
mod offset_store;
mod options;
mod process_queue;
mod pull;
mod pull_loop;
mod push;
mod rebalance;
mod retry;

pub use allocate::{
    AllocateStrategy, Averagely, AveragelyByCircle, ByConfig, ByMachineRoom, ConsistentHash,
};
pub use builder::{PullConsumerBuilder, PushConsumerBuilder};
pub use error::{Error, ErrorKind, Result};
pub use filter::Filter;
pub use listener::{ConsumeResult, MessageListener, OrderlyListener, OrderlyResult};
pub use message::ReceivedMessage;
pub use options::ConsumeFrom;
pub use process_queue::ProcessQueue;
pub use pull::PullConsumer;
pub use push::{CacheStats, PushConsumer};
pub use rmq_client_core::ClientConfig;
pub use rmq_protocol::body::MessageModel;
pub use rmq_protocol::MessageQueue;
