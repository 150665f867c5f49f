//! The error type of `rmq-client-admin`, and [`ErrorKind`] for callers that match on causes.
//!
//! Every error names what was attempted and where (broker, name server, topic, group), and its
//! `Display` goes on with the cause chain (`rmq_remoting::Error::causes`, the helper every crate
//! uses); the underlying client-core error stays reachable through `source()`.

use rmq_protocol::ResponseCode;

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An RPC or client-instance operation failed; `what` says which and where, then the
    /// cause chain (broker address, response code and remark, the refused connect...).
    #[error("{what}{}", rmq_remoting::Error::causes(source))]
    Client {
        /// What was attempted, e.g. `get the route of topic T`.
        what: String,
        /// The cause.
        #[source]
        source: rmq_client_core::Error,
    },
    /// A message id, timestamp or other argument is malformed or out of range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A topic, group, broker, cluster or message does not exist.
    #[error("{what} not found{}", where_.as_deref().map(|w| format!(" in {w}")).unwrap_or_default())]
    NotFound {
        /// What was looked for, e.g. `topic T`.
        what: String,
        /// Where it was looked for, when that adds something.
        where_: Option<String>,
    },
    /// The server answered REQUEST_CODE_NOT_SUPPORTED: it predates the operation (a 4.x
    /// broker asked for a 5.x request, a name server without an embedded controller...).
    #[error("this {role} ({addr}, version {version}) does not support {operation}")]
    Unsupported {
        /// `broker` or `controller`.
        role: &'static str,
        /// The server's address.
        addr: String,
        /// Its version (`V4_9_7`...), or `unknown` when it could not be learnt.
        version: String,
        /// The operation, e.g. `AUTH_CREATE_USER (createUser)`.
        operation: String,
    },
    /// Malformed data on the wire (a body or id that does not decode).
    #[error("malformed data: {what}{}", rmq_remoting::Error::causes(source))]
    Protocol {
        /// What was being decoded.
        what: String,
        /// The cause.
        #[source]
        source: rmq_protocol::Error,
    },
}

/// A cause callers can match on, stable across how errors are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A deadline passed.
    Timeout,
    /// The connection closed or could not be made.
    Connection,
    /// A broker or name server answered with this code.
    Broker(ResponseCode),
    /// The topic, group, broker or message does not exist.
    NotFound,
    /// Bad argument or configuration.
    InvalidArgument,
    /// The admin (its client instance) is shut down.
    Shutdown,
    /// Malformed data on the wire.
    Protocol,
    /// The server is too old for the operation (it answered REQUEST_CODE_NOT_SUPPORTED).
    Unsupported,
    /// Anything else.
    Other,
}

impl Error {
    /// The cause, for matching.
    pub fn kind(&self) -> ErrorKind {
        use rmq_client_core::ErrorKind as Core;
        match self {
            Error::Client { source, .. } => match source.kind() {
                Core::Timeout => ErrorKind::Timeout,
                Core::Connection => ErrorKind::Connection,
                Core::Broker(code) => ErrorKind::Broker(code),
                Core::RouteNotFound => ErrorKind::NotFound,
                Core::InvalidArgument => ErrorKind::InvalidArgument,
                Core::Shutdown => ErrorKind::Shutdown,
                Core::Protocol => ErrorKind::Protocol,
                _ => ErrorKind::Other,
            },
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Protocol { .. } => ErrorKind::Protocol,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
        }
    }

    /// The broker's response code, when the error is a broker answer.
    pub fn response_code(&self) -> Option<ResponseCode> {
        match self {
            Error::Client { source, .. } => source.response_code(),
            Error::Unsupported { .. } => Some(ResponseCode::REQUEST_CODE_NOT_SUPPORTED),
            _ => None,
        }
    }

    /// Whether trying again may succeed (timeouts, connection failures, a busy broker).
    pub fn is_retriable(&self) -> bool {
        match self.kind() {
            ErrorKind::Timeout | ErrorKind::Connection => true,
            ErrorKind::Broker(code) => code == ResponseCode::SYSTEM_BUSY,
            _ => false,
        }
    }

    pub(crate) fn not_found(what: impl Into<String>, where_: Option<String>) -> Error {
        Error::NotFound {
            what: what.into(),
            where_,
        }
    }
}

/// Adds "what was attempted" to client-core results.
pub(crate) trait Context<T> {
    /// Wraps the error with `what` (evaluated only on failure).
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for rmq_client_core::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Client {
            what: what(),
            source,
        })
    }
}

impl<T> Context<T> for rmq_protocol::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Protocol {
            what: what(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_errors_keep_their_code_and_say_what_failed() {
        let core = rmq_client_core::Error::Broker {
            addr: "127.0.0.1:10911".into(),
            code: ResponseCode::TOPIC_NOT_EXIST,
            remark: Some("no topic".into()),
        };
        let Err(err) =
            Err::<(), _>(core).context(|| "get the stats of topic T from 127.0.0.1:10911".into())
        else {
            panic!("context keeps the error");
        };
        assert_eq!(err.kind(), ErrorKind::Broker(ResponseCode::TOPIC_NOT_EXIST));
        assert_eq!(err.response_code(), Some(ResponseCode::TOPIC_NOT_EXIST));
        assert!(err.to_string().contains("topic T"));
        assert!(!err.is_retriable());
    }

    /// The text names the innermost cause: who answered, which code, which remark.
    #[test]
    fn display_carries_the_cause_chain_down_to_the_broker_answer() {
        let core = rmq_client_core::Error::RouteLookup {
            topic: "T".into(),
            source: std::sync::Arc::new(rmq_client_core::Error::Broker {
                addr: "127.0.0.1:10911".into(),
                code: ResponseCode::TOPIC_NOT_EXIST,
                remark: Some("No topic route info in name server for the topic: T".into()),
            }),
        };
        let Err(err) = Err::<(), _>(core).context(|| "get the route of topic T".into()) else {
            panic!("context keeps the error");
        };
        assert_eq!(
            err.to_string(),
            "get the route of topic T: route lookup for topic T failed: 127.0.0.1:10911 answered \
             TOPIC_NOT_EXIST(17): No topic route info in name server for the topic: T"
        );
        assert_eq!(crate::report(&err), err.to_string(), "nothing repeated");
        let bad = rmq_protocol::Error::MissingField("topic");
        let Err(err) = Err::<(), _>(bad).context(|| "the route body".into()) else {
            panic!("context keeps the error");
        };
        assert_eq!(
            err.to_string(),
            "malformed data: the route body: missing field `topic`"
        );
    }

    #[test]
    fn not_found_says_where() {
        let err = Error::not_found("topic T", Some("name server 127.0.0.1:9876".into()));
        assert_eq!(
            err.to_string(),
            "topic T not found in name server 127.0.0.1:9876"
        );
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
}
