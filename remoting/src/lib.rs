//! The RocketMQ remoting transport on tokio: connections that speak the Netty-compatible
//! remoting protocol of Apache RocketMQ 4.x/5.x, pooled per address.
//!
//! # Getting started
//! ```no_run
//! use std::time::Duration;
//! use rmq_protocol::{Command, RequestCode};
//! use rmq_remoting::{RemotingClient, RemotingConfig};
//!
//! # async fn demo() -> Result<(), rmq_remoting::Error> {
//! let client = RemotingClient::builder()
//!     .config(RemotingConfig::builder().connect_timeout(Duration::from_secs(1)).build()?)
//!     .namesrv(["127.0.0.1:9876"])
//!     .build();
//! let request = Command::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_ext("topic", "T");
//! let response = client.invoke_namesrv(request, Duration::from_secs(3)).await?;
//! println!("code {:?}, {} body bytes", response.response_code(), response.body.len());
//! client.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # How it works
//! - [`RemotingClient`] maps addresses to [`Connection`]s. A missing connection is dialed on a
//!   task of its own; concurrent callers for that address share the dial and nobody else
//!   waits for it. A connection leaves the pool the moment it closes and is re-dialed on the
//!   next call; connections idle for [`RemotingConfig::idle_timeout`] close themselves.
//! - Each connection runs two tasks. The writer drains up to
//!   [`RemotingConfig::write_batch`] queued frames and flushes once. The reader routes every
//!   frame by its response bit: responses complete the pending request with the same opaque
//!   (late ones are dropped), server requests go to the [`RequestProcessor`] on bounded,
//!   tracked tasks — the reader never awaits user code, and answers `SYSTEM_BUSY` when the
//!   processor is saturated.
//! - Requests are bounded per connection by count and bytes; a caller waits for capacity
//!   within its own deadline ([`Error::TooManyRequests`] when it passes).
//! - [`RpcHook`]s run before each request and after each response (ACL signing is one).
//! - Dropping the last [`RemotingClient`] handle cancels everything;
//!   [`RemotingClient::shutdown`] also waits until no task is left.
//!
//! # Errors
//! Every operation returns [`Error`]; [`Error::kind`] gives a stable category,
//! [`Error::is_timeout`] and [`Error::is_connection_error`] answer the common questions. A
//! response with a non-success code is not an error here.
//!
//! # Feature flags
//! - `tls` (default): TLS with rustls (`TlsConfig`); the server is verified by default.
//! - `testing`: `testing::MockServer`, a scripted in-process peer.
#![deny(missing_docs)]
#![deny(missing_debug_implementations)]

mod client;
pub mod codec;
mod config;
mod connection;
mod error;
mod hook;
mod inbound;
mod metrics;
mod namesrv;
mod pending;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(feature = "tls")]
mod tls;

pub use client::{RemotingClient, RemotingClientBuilder};
pub use codec::{CodecError, ForeignPeer, RemotingCodec};
pub use config::{RemotingConfig, RemotingConfigBuilder};
pub use connection::Connection;
pub use error::{Error, ErrorKind, Result};
pub use hook::RpcHook;
pub use inbound::{BoxFuture, RequestProcessor};
pub use metrics::MetricsSnapshot;
pub use namesrv::NameServerSelector;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;
