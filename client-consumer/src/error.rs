//! The error type of `rmq-client-consumer`, and [`ErrorKind`] for callers that match on causes.

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a consumer operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client instance failed (transport, broker answer, route...); the text is the
    /// instance's, cause included.
    #[error(transparent)]
    Client(#[from] rmq_client_core::Error),
    /// A builder setting or an argument is invalid.
    #[error("invalid consumer config: {0}")]
    Config(String),
    /// The consumer was already started, or has been shut down.
    #[error("consumer of group {group} is {state}")]
    State {
        /// The consumer group.
        group: String,
        /// `"already started"`, `"shut down"`, `"not started"`.
        state: &'static str,
    },
    /// A queue is not assigned to this consumer (seek, pause...).
    #[error("{queue} is not assigned to this consumer")]
    NotAssigned {
        /// The queue.
        queue: rmq_protocol::MessageQueue,
    },
    /// The local offset file could not be read or written; the text carries the whole cause
    /// chain (a parse error's line and column, not only "invalid JSON").
    #[error("offset file {path}: {}", rmq_remoting::Error::chain(source))]
    OffsetFile {
        /// The file.
        path: std::path::PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A popped message's receipt handle ran out: its invisible time passed, so the broker
    /// may already have handed the message to another consumer (SimpleConsumer ack and
    /// change of invisible duration).
    #[error("receipt handle of message {msg_id} from broker {broker} expired {late_ms} ms ago")]
    HandleExpired {
        /// The message's id.
        msg_id: String,
        /// The broker name that popped it.
        broker: String,
        /// How long ago the handle expired, in ms.
        late_ms: u64,
    },
    /// A message carries no usable receipt handle (it was not received by a pop, or the
    /// handle is malformed).
    #[error("message {msg_id} has no valid receipt handle: {reason}")]
    InvalidHandle {
        /// The message's id.
        msg_id: String,
        /// What is wrong.
        reason: String,
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
    /// A broker answered with this code.
    Broker(rmq_protocol::ResponseCode),
    /// No route for the topic.
    RouteNotFound,
    /// Bad configuration or argument.
    InvalidArgument,
    /// The consumer or its instance is shut down, or in the wrong state.
    Shutdown,
    /// Malformed data on the wire.
    Protocol,
    /// Local I/O.
    Io,
    /// Anything else.
    Other,
}

impl Error {
    /// The cause, for matching.
    pub fn kind(&self) -> ErrorKind {
        use rmq_client_core::ErrorKind as K;
        match self {
            Error::Client(e) => match e.kind() {
                K::Timeout => ErrorKind::Timeout,
                K::Connection => ErrorKind::Connection,
                K::Broker(code) => ErrorKind::Broker(code),
                K::RouteNotFound => ErrorKind::RouteNotFound,
                K::InvalidArgument => ErrorKind::InvalidArgument,
                K::Shutdown => ErrorKind::Shutdown,
                K::Protocol => ErrorKind::Protocol,
                _ => ErrorKind::Other,
            },
            Error::Config(_)
            | Error::NotAssigned { .. }
            | Error::HandleExpired { .. }
            | Error::InvalidHandle { .. } => ErrorKind::InvalidArgument,
            Error::State { .. } => ErrorKind::Shutdown,
            Error::OffsetFile { .. } => ErrorKind::Io,
        }
    }

    /// The broker's response code, when the error is a broker answer.
    pub fn response_code(&self) -> Option<rmq_protocol::ResponseCode> {
        match self {
            Error::Client(e) => e.response_code(),
            _ => None,
        }
    }

    /// Whether trying again later may succeed (timeouts, connections, busy brokers).
    pub fn is_retriable(&self) -> bool {
        use rmq_protocol::ResponseCode as C;
        match self.kind() {
            ErrorKind::Timeout | ErrorKind::Connection | ErrorKind::RouteNotFound => true,
            ErrorKind::Broker(code) => code == C::SYSTEM_BUSY || code == C::SYSTEM_ERROR,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_follows_the_wrapped_client_error() {
        let e = Error::from(rmq_client_core::Error::RouteNotFound {
            topic: "T".into(),
            reason: "none".into(),
        });
        assert_eq!(e.kind(), ErrorKind::RouteNotFound);
        assert!(e.is_retriable());
        assert_eq!(Error::Config("x".into()).kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn display_of_each_kind_names_its_cause() {
        let refused = Error::from(rmq_client_core::Error::Broker {
            addr: "10.0.0.1:10911".into(),
            code: rmq_protocol::ResponseCode::SUBSCRIPTION_NOT_EXIST,
            remark: Some("the consumer's group info not exist".into()),
        });
        assert_eq!(
            refused.to_string(),
            "10.0.0.1:10911 answered SUBSCRIPTION_NOT_EXIST(24): the consumer's group info not exist"
        );
        let file = Error::OffsetFile {
            path: "/tmp/offsets.json".into(),
            source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied"),
        };
        assert_eq!(
            file.to_string(),
            "offset file /tmp/offsets.json: permission denied"
        );
        let state = Error::State {
            group: "g".into(),
            state: "shut down",
        };
        assert_eq!(state.to_string(), "consumer of group g is shut down");
    }
}
