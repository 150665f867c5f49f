//! The client instance of rmq: what every producer, consumer and admin of one client id shares
//! (Java's `MQClientInstance`).
//!
//! # Getting started
//! ```no_run
//! use rmq_client_core::{ClientConfig, ClientInstance};
//! # async fn demo() -> rmq_client_core::Result<()> {
//! let config = ClientConfig::builder().namesrv("127.0.0.1:9876").build()?;
//! let instance = ClientInstance::shared(config)?;
//! instance.start().await?;
//! instance.update_topic_route("TopicTest").await?;
//! let route = instance.routes().get("TopicTest");
//! instance.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # How it works
//! [`ClientInstance::start`] spawns Java's five scheduled tasks on the instance's task tracker:
//! name-server address fetch (only without configured name servers), route refresh, offline
//! broker clean-up plus heartbeat, consumer offset persist, consumer concurrency adjustment; and
//! the rebalance service. Producers, consumers and admins register through [`ProducerInner`],
//! [`ConsumerInner`] and [`AdminInner`]. Requests brokers start (transaction checks, consumer-id
//! changes, running info...) are dispatched to them. [`ClientInstance::shutdown`] stops every
//! task, persists offsets, unregisters from every broker and closes connections within a
//! deadline.
//!
//! Under faults: concurrent route lookups of a topic share one name-server request (and its
//! failure); a broker connected again is heartbeated at once (it may have restarted and
//! forgotten the client's groups); brokers answering busy are counted
//! ([`ClientInstance::back_pressure`]).
//!
//! Coming from the Java client: `docs/from-java.md` in the repository maps Java's classes,
//! methods and `ClientConfig` fields to rmq's.
//!
//! # Errors
//! [`Error`] keeps the broker's response code and remark; [`Error::kind`] gives a stable cause
//! to match on. Every error's `Display` includes its causes (the refused connect, the broker's
//! code and remark); `rmq_remoting::Error::chain` prints any error that way.
//!
//! # Feature flags
//! - `tls` (default): TLS to brokers and name servers (rustls, verifying the server by
//!   default).
//! - `zlib`, `lz4`, `zstd` (default): the body codecs, forwarded to `rmq-protocol`; a received
//!   body of a type left out fails to decode with `rmq_protocol::Error::CodecNotCompiled`.
//! - `metrics`: records [`telemetry`]'s OpenTelemetry-named instruments through the `metrics`
//!   facade (off by default; no exporter is pulled in).
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

pub mod acl;
pub mod api;
pub mod back_pressure;
pub mod broker;
pub mod config;
pub mod error;
pub mod heartbeat;
pub mod heartbeat_v2;
mod heartbeat_v2_state;
pub mod inner;
mod inner_send;
mod instance;
pub mod ip;
mod lifecycle;
pub mod manager;
pub mod nsaddr;
mod processor;
mod rebalance;
mod refresh;
pub mod replies;
pub mod route;
mod single_flight;
pub mod state;
pub mod stats;
pub mod tasks;
pub mod telemetry;
pub mod trace;

pub use api::ClientApi;
pub use back_pressure::BackPressureSnapshot;
pub use config::{ClientConfig, ClientConfigBuilder, Credentials, TaskSchedule};
pub use error::{Error, ErrorKind, Result};
pub use heartbeat::HeartbeatReport;
pub use inner::{AdminInner, ConsumerInner, ProducerInner};
pub use instance::{ClientInstance, LOCK_TIMEOUT};
pub use route::PublishInfo;
pub use state::ServiceState;
