//! The admin API of rmq (Java's `MQAdminExt`); `rmq-admin`, the command-line tool shaped after
//! `mqadmin`, is in the `rmq-tools` package.
//!
//! # Getting started
//! ```no_run
//! use rmq_client_admin::{Admin, Target};
//! use rmq_protocol::body::TopicConfig;
//! # async fn demo() -> rmq_client_admin::Result<()> {
//! let admin = Admin::connect("127.0.0.1:9876").await?;
//! let config = TopicConfig {
//!     topic_name: "Orders".into(),
//!     read_queue_nums: 8,
//!     write_queue_nums: 8,
//!     ..TopicConfig::default()
//! };
//! admin.create_or_update_topic(&Target::Cluster("DefaultCluster".into()), &config).await?;
//! let route = admin.topic_route("Orders").await?;
//! let progress = admin.consume_stats("OrderGroup", Some("Orders")).await?;
//! println!("{} brokers, lag {}", route.broker_datas.len(), progress.total_diff());
//! admin.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # How it works
//! [`Admin`] starts a private [`ClientInstance`](rmq_client_core::ClientInstance) (its own
//! instance name, as mqadmin does) and registers an admin group in it; every operation is one or
//! a few typed RPCs of client-core's `ClientApi`, sent to the name server or to the brokers the
//! topic's route or the cluster table names, with answers merged across brokers. Nothing is
//! cached between calls and nothing runs in the background besides the instance's own tasks.
//! [`Admin::shutdown`] stops them.
//!
//! Layout: `admin` (handle, builder, shared lookups), `cluster`, `broker`, `topic`, `group`,
//! `consumer` (progress, connections, offset reset), `message` (queries, reads, send), `kv`
//! (name-server KV and config); for 5.x clusters `auth` (ACL 2.0), `controller` (controller
//! mode, HA status, epochs), `static_topic`, `config5` (batch creation, group bans, cold-data
//! flow control, RocksDB checks) and `support` (REQUEST_CODE_NOT_SUPPORTED from older
//! servers becomes [`Error::Unsupported`]). The CLI, `rmq-admin`, is in the `rmq-tools` package.
//!
//! Coming from the Java client: `docs/from-java.md` in the repository maps Java's classes,
//! methods (`DefaultMQAdminExt`) and mqadmin's commands to rmq's.
//!
//! # Errors
//! [`Error`] says what failed and where (topic, group, broker or name server address) and keeps
//! client-core's error as its source; [`Error::kind`] gives a stable cause to match on, with the
//! broker's response code when there is one.
//! A server too old for a 5.x operation (it answers REQUEST_CODE_NOT_SUPPORTED) gives
//! [`Error::Unsupported`]: `this broker (<addr>, version <V>) does not support <operation>`.
//!
//! # Feature flags
//! - `tls` (default): TLS to brokers and name servers, forwarded to `rmq-client-core`.
//! - `zlib`, `lz4`, `zstd` (default): the body codecs, forwarded to `rmq-protocol`; a received
//!   body of a type left out fails to decode with `rmq_protocol::Error::CodecNotCompiled`.
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

mod admin;
mod auth;
mod broker;
mod cluster;
mod config5;
mod consumer;
mod controller;
pub mod error;
mod group;
mod kv;
mod message;
mod static_topic;
mod support;
mod topic;
mod topic_create;
mod trace;

pub use admin::{Admin, AdminBuilder, Target, DEFAULT_ADMIN_GROUP, DEFAULT_TIMEOUT};
pub use cluster::BrokerSummary;
pub use config5::GroupConfigOnBroker;
pub use consumer::ResetOutcome;
pub use error::{Error, ErrorKind, Result};
pub use message::{PullBatch, SentMessage, DEFAULT_QUERY_MAX};
pub use static_topic::plan_static_topic;
pub use topic_create::{CreateTopic, DEFAULT_TOPIC_QUEUES};
pub use trace::TraceView;

/// An error with its whole `source()` chain, `: `-separated, each cause once (for logs and the
/// CLI): [`rmq_remoting::Error::chain`], the helper every crate of the workspace uses.
pub fn report(error: &(dyn std::error::Error + 'static)) -> String {
    rmq_remoting::Error::chain(error).to_string()
}
