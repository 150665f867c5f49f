//! An embedded RocketMQ cluster for tests: a name server and brokers running on tokio inside
//! the process, over real TCP on `127.0.0.1` ephemeral ports, speaking the remoting protocol of
//! RocketMQ 4.x (both header serializations) and behaving like Java 4.9.7 brokers where a
//! client can observe it. Modeled after librdkafka's mock cluster.
//!
//! # Getting started
//! ```no_run
//! # async fn demo() -> rmq_testkit::Result<()> {
//! use std::time::Duration;
//! use rmq_protocol::{RequestCode, ResponseCode};
//! use rmq_testkit::MockCluster;
//!
//! let cluster = MockCluster::builder().brokers(2).queues_per_topic(4).start().await?;
//! let namesrv = cluster.namesrv_addr(); // give this to the client under test
//! let broker = cluster.broker("broker-a").expect("two brokers");
//! broker.inject(RequestCode::SEND_MESSAGE_V2, ResponseCode::SYSTEM_BUSY, 1);
//! broker.set_latency(RequestCode::PULL_MESSAGE, Duration::from_millis(50));
//! // ... run the client against `namesrv` ...
//! assert_eq!(cluster.namesrv().requests(RequestCode::GET_ROUTEINFO_BY_TOPIC), 1);
//! cluster.shutdown().await;
//! # let _ = namesrv; Ok(()) }
//! ```
//!
//! # What it serves
//! - Name server: routes (TOPIC_NOT_EXIST with Java's remark; `TBW102` when topics are
//!   auto-created), cluster info, topic lists, KV config, its own config, write permission.
//! - Brokers: send (v1, v2, batch) with the stored-message fields; pull with long polling and
//!   broker-side tag/SQL92 filtering; consumer and queue offsets, search by time; heartbeats,
//!   group membership and NOTIFY_CONSUMER_IDS_CHANGED; queue locks; send-back to `%RETRY%`
//!   with the delay ladder and the DLQ; delay levels and 5.x delivery time; transactions with
//!   check-back; query by key and id; request-reply; reset offset on live consumers; ACL
//!   signatures when accounts are configured ([`MockClusterBuilder::account`]); the broker
//!   permission (`brokerPermission`, as `mqadmin wipeWritePerm` sets it); and the admin
//!   requests of `rmq-admin`.
//! - 5.x: heartbeat V2 (fingerprints, `withoutSub`), LITE_PULL_MESSAGE, and server-side load
//!   balancing (QUERY_ASSIGNMENT, SET_MESSAGE_REQUEST_MODE).
//! - 5.x admin (as Java 5.3.3): ACL 2.0 users and ACLs, batch topic and group creation, single
//!   topic and group configs, consumer topics and subscriptions, group read bans (kept, not
//!   enforced on pulls), HA status, static topics (the mapping in GET_TOPIC_CONFIG and the
//!   route), cold-data flow control, the read-ahead mode and the RocksDB check; with
//!   [`MockClusterBuilder::controller`], a controller on the name server's address and the
//!   brokers' epoch caches (brokers never switch roles).
//! - Optional slaves ([`MockClusterBuilder::slaves`]) share their master's messages.
//! - Any other code is answered REQUEST_CODE_NOT_SUPPORTED, as Java does, never left hanging.
//! - Storage is in memory, bounded per broker ([`MockClusterBuilder::store_budget`]); the
//!   oldest messages go first and queue min offsets advance, like a real commit log.
//!
//! # How it works
//! Each node is a listener with an accept task; each connection has a reader and a writer task,
//! and every request is served on a task of its own (long polls wait there). Each master has a
//! background task (delayed delivery, transaction checks) that idles while the broker is
//! killed. All tasks sit on one `TaskTracker` under one cancellation token: dropping the
//! [`MockCluster`] stops them and frees the ports; [`MockCluster::shutdown`] also waits for
//! them.
//!
//! Faults are per node, set at run time through [`BrokerHandle`] and [`NamesrvHandle`]:
//! freeze/thaw, kill/restart, latency and injected answers per request code, a close in the
//! middle of a frame, a seeded fraction of dropped answers. Every request is counted by code.
//!
//! # Errors
//! Starting and steering return [`Error`]: a port that cannot be bound, an unknown broker
//! name, an unusable setting.
//!
//! # Binary
//! `rmq-testkit --brokers 2 --port 9876` runs a cluster until Ctrl-C or stdin closes; its first
//! stdout line is `namesrv 127.0.0.1:PORT`.
#![deny(missing_docs, missing_debug_implementations)]

mod broker;
mod cluster;
mod error;
mod fault;
mod filter;
mod namesrv;
mod reply;
mod server;
pub mod sink;
mod store;

pub use cluster::{BrokerHandle, MockCluster, MockClusterBuilder, NamesrvHandle};
pub use error::{Error, Result};

/// The version the testkit's nodes put in every response frame and report as `brokerVersion`:
/// 5.3.3, since besides Java 4.9.7's behaviour they serve what 5.x clients use (timer messages,
/// heartbeat v2, lite pull, ACL 2.0, controller mode...). Clients that gate 5.x features on the
/// broker's version (a delivery-time send, for one) therefore use them against the testkit.
pub const SERVER_VERSION: rmq_protocol::Version = rmq_protocol::Version::V5_3_3;
