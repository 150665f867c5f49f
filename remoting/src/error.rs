//! The one error type of `rmq-remoting`: what can go wrong while dialing, sending a request or
//! waiting for its response. Broker response codes are not errors at this layer; a response with
//! any code is `Ok`.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use rmq_protocol::RequestCode;

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a remoting operation failed.
///
/// Match on [`Error::kind`] rather than on variants when only the category matters: the kind
/// stays stable when variants gain fields.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The TCP connection (or its TLS handshake) could not be established in time.
    ///
    /// The source is shared because every caller waiting on the same dial receives it.
    #[error("connect to {addr} failed{}", Causes(&**source))]
    Connect {
        /// Address dialed.
        addr: String,
        /// What the dial reported; `ErrorKind::TimedOut` when the connect timeout passed.
        #[source]
        source: Arc<io::Error>,
    },
    /// Reading or writing the socket failed.
    #[error("i/o error on connection to {addr}{}", Causes(source))]
    Io {
        /// Peer address.
        addr: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// No response arrived before the request's deadline.
    #[error("request {code} to {addr} timed out after {after:?}")]
    Timeout {
        /// Peer address.
        addr: String,
        /// The request's code.
        code: RequestCode,
        /// Time spent waiting, from the call to the deadline.
        after: Duration,
    },
    /// The connection closed (or was closed) before the response arrived.
    #[error("connection to {addr} closed{}", OptCauses(cause.as_deref().map(|e| e as &(dyn std::error::Error + 'static))))]
    ConnectionClosed {
        /// Peer address.
        addr: String,
        /// Why the connection closed, when it closed because of an error.
        #[source]
        cause: Option<Arc<Error>>,
    },
    /// A frame could not be encoded, or the peer sent bytes that are not a valid frame.
    #[error("codec error on connection to {addr}{}", Causes(source))]
    Codec {
        /// Peer address.
        addr: String,
        /// The protocol crate's error.
        #[source]
        source: rmq_protocol::Error,
    },
    /// The peer answered in another protocol (HTTP, TLS on a plain connection): the address is
    /// not a RocketMQ name server or broker port, or needs TLS.
    #[error("{addr} is not a RocketMQ server: it answered like {answered}")]
    NotRocketMq {
        /// Peer address.
        addr: String,
        /// What the peer's first bytes looked like.
        answered: crate::codec::ForeignPeer,
    },
    /// The connection's in-flight limit (count or bytes) stayed exhausted until the deadline.
    #[error("too many requests in flight to {addr}: no capacity within {after:?}")]
    TooManyRequests {
        /// Peer address.
        addr: String,
        /// Time spent waiting for capacity.
        after: Duration,
    },
    /// The client was shut down.
    #[error("remoting client is shut down")]
    Shutdown,
    /// The TLS configuration is invalid (certificates, keys, server name).
    #[error("tls configuration: {reason}{}", OptCauses(source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))))]
    Tls {
        /// What is wrong.
        reason: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// No name server address is configured.
    #[error("no name server address configured")]
    NoNameServer,
    /// A configuration value is out of range.
    #[error("invalid remoting configuration: {0}")]
    Config(String),
}

/// The category of an [`Error`], for callers that branch on what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Dialing failed.
    Connect,
    /// Socket I/O failed.
    Io,
    /// A request's deadline passed.
    Timeout,
    /// The connection closed under a request.
    ConnectionClosed,
    /// Encoding or decoding a frame failed.
    Codec,
    /// The peer speaks another protocol than RocketMQ remoting.
    NotRocketMq,
    /// The in-flight limit did not free up in time (back-pressure).
    TooManyRequests,
    /// The client is shut down.
    Shutdown,
    /// TLS configuration.
    Tls,
    /// No name server configured.
    NoNameServer,
    /// Invalid configuration.
    Config,
}

/// Displays an error and its whole `source()` chain as `outer: cause: root cause`, skipping a
/// cause whose text an outer error already printed (every error of this workspace includes its
/// causes in its own `Display`, foreign ones such as `io::Error` may not).
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut printed = self.0.to_string();
        f.write_str(&printed)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            let text = cause.to_string();
            if !text.is_empty() && !printed.contains(&text) {
                write!(f, ": {text}")?;
                printed.push_str(&text);
            }
            next = cause.source();
        }
        Ok(())
    }
}

/// `": "` followed by the chain of a cause: the tail of an outer error's `Display`.
struct Causes<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ": {}", Chain(self.0))
    }
}

/// [`Causes`] of an optional cause; nothing when there is none.
struct OptCauses<'a>(Option<&'a (dyn std::error::Error + 'static)>);

impl fmt::Display for OptCauses<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(cause) => Causes(cause).fmt(f),
            None => Ok(()),
        }
    }
}

impl Error {
    /// Displays `error` followed by every cause in its `source()` chain, `outer: cause: root`,
    /// without repeating a cause an outer error already printed. Every crate of the workspace
    /// uses it to put causes into its errors' `Display` and into logs
    /// (`warn!(error = %rmq_remoting::Error::chain(&e), ..)`).
    pub fn chain<'a>(error: &'a (dyn std::error::Error + 'static)) -> impl fmt::Display + 'a {
        Chain(error)
    }

    /// `": "` followed by [`chain`](Self::chain) of `cause`: the tail an outer error puts after
    /// its own text so that its `Display` names every cause, in every crate of the workspace
    /// (`#[error("{what}{}", rmq_remoting::Error::causes(source))]`).
    pub fn causes<'a>(cause: &'a (dyn std::error::Error + 'static)) -> impl fmt::Display + 'a {
        Causes(cause)
    }

    /// The category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Connect { .. } => ErrorKind::Connect,
            Error::Io { .. } => ErrorKind::Io,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::ConnectionClosed { .. } => ErrorKind::ConnectionClosed,
            Error::Codec { .. } => ErrorKind::Codec,
            Error::NotRocketMq { .. } => ErrorKind::NotRocketMq,
            Error::TooManyRequests { .. } => ErrorKind::TooManyRequests,
            Error::Shutdown => ErrorKind::Shutdown,
            Error::Tls { .. } => ErrorKind::Tls,
            Error::NoNameServer => ErrorKind::NoNameServer,
            Error::Config(_) => ErrorKind::Config,
        }
    }

    /// Whether a deadline passed: a request timeout, a connect timeout, or back-pressure that did
    /// not clear in time.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::TooManyRequests { .. } => true,
            Error::Connect { source, .. } => source.kind() == io::ErrorKind::TimedOut,
            _ => false,
        }
    }

    /// Whether the failure is the transport's (dial, I/O, closed connection): another address,
    /// or the same one re-dialed, may succeed.
    pub fn is_connection_error(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Connect | ErrorKind::Io | ErrorKind::ConnectionClosed
        )
    }

    /// The peer address the error is about, when it names one.
    pub fn addr(&self) -> Option<&str> {
        match self {
            Error::Connect { addr, .. }
            | Error::Io { addr, .. }
            | Error::Timeout { addr, .. }
            | Error::ConnectionClosed { addr, .. }
            | Error::Codec { addr, .. }
            | Error::NotRocketMq { addr, .. }
            | Error::TooManyRequests { addr, .. } => Some(addr),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_timeout_counts_as_timeout_and_connection_error() {
        let err = Error::Connect {
            addr: "127.0.0.1:1".into(),
            source: Arc::new(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
        };
        assert!(err.is_timeout());
        assert!(err.is_connection_error());
        assert_eq!(err.addr(), Some("127.0.0.1:1"));
    }

    #[test]
    fn display_names_addr_code_and_elapsed() {
        let err = Error::Timeout {
            addr: "10.0.0.1:10911".into(),
            code: RequestCode::SEND_MESSAGE,
            after: Duration::from_millis(1500),
        };
        let text = err.to_string();
        assert!(text.contains("10.0.0.1:10911"), "{text}");
        assert!(text.contains("SEND_MESSAGE"), "{text}");
        assert!(text.contains("1.5s"), "{text}");
        assert_eq!(err.kind(), ErrorKind::Timeout);
    }

    #[test]
    fn display_carries_the_cause_chain() {
        let refused = Error::Connect {
            addr: "127.0.0.1:1".into(),
            source: Arc::new(io::Error::new(
                io::ErrorKind::ConnectionRefused,
                "connection refused",
            )),
        };
        assert_eq!(
            refused.to_string(),
            "connect to 127.0.0.1:1 failed: connection refused"
        );
        let closed = Error::ConnectionClosed {
            addr: "127.0.0.1:1".into(),
            cause: Some(Arc::new(Error::Io {
                addr: "127.0.0.1:1".into(),
                source: io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer"),
            })),
        };
        assert_eq!(
            closed.to_string(),
            "connection to 127.0.0.1:1 closed: i/o error on connection to 127.0.0.1:1: reset by peer"
        );
        let quiet = Error::ConnectionClosed {
            addr: "a".into(),
            cause: None,
        };
        assert_eq!(quiet.to_string(), "connection to a closed");
    }

    #[test]
    fn display_of_codec_and_capacity_errors_names_the_cause() {
        let codec = Error::Codec {
            addr: "127.0.0.1:1".into(),
            source: rmq_protocol::Error::FrameTooLarge {
                len: 20 << 20,
                max: 16 << 20,
            },
        };
        assert_eq!(
            codec.to_string(),
            "codec error on connection to 127.0.0.1:1: frame of 20971520 bytes exceeds the limit of 16777216 bytes"
        );
        let busy = Error::TooManyRequests {
            addr: "127.0.0.1:1".into(),
            after: Duration::from_millis(250),
        };
        assert_eq!(
            busy.to_string(),
            "too many requests in flight to 127.0.0.1:1: no capacity within 250ms"
        );
    }

    #[test]
    fn chain_prints_each_cause_once() {
        let closed = Error::ConnectionClosed {
            addr: "a".into(),
            cause: Some(Arc::new(Error::Io {
                addr: "a".into(),
                source: io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer"),
            })),
        };
        // Every cause is already in the outer Display: nothing is repeated.
        assert_eq!(Error::chain(&closed).to_string(), closed.to_string());
        // A foreign error whose Display omits its source gets the source appended.
        #[derive(Debug)]
        struct Outer(io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("outer")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let outer = Outer(io::Error::other("root"));
        assert_eq!(Error::chain(&outer).to_string(), "outer: root");
    }
}
