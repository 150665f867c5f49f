//! The crate's error type: what can go wrong starting or steering a mock cluster.

use std::io;
use std::net::SocketAddr;

/// Why a cluster operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A node could not listen on its address.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// No broker has this name.
    #[error("no broker named {0:?}")]
    UnknownBroker(String),
    /// The builder was given an unusable setting.
    #[error("invalid cluster setting: {0}")]
    Config(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
