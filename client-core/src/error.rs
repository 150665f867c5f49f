//! The error type of `rmq-client-core`, and [`ErrorKind`] for callers that match on causes.

use std::time::Duration;

use rmq_protocol::ResponseCode;

use crate::state::ServiceState;

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a client-instance operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is invalid.
    #[error("invalid client config: {0}")]
    Config(String),
    /// The transport failed (connect, timeout, closed connection...); the text is the
    /// transport's, which names the address and the cause.
    #[error(transparent)]
    Remoting(#[from] rmq_remoting::Error),
    /// A frame, header or body could not be encoded or decoded.
    #[error("protocol error: {}", rmq_remoting::Error::chain(.0))]
    Protocol(#[from] rmq_protocol::Error),
    /// A broker or name server answered with a non-success code.
    #[error("{addr} answered {code}{}", remark.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Broker {
        /// Who answered.
        addr: String,
        /// The response code.
        code: ResponseCode,
        /// The response remark.
        remark: Option<String>,
    },
    /// No route is known for a topic.
    #[error("no route for topic {topic}: {reason}")]
    RouteNotFound {
        /// The topic.
        topic: String,
        /// Why (the name server's answer, or that none was reachable).
        reason: String,
    },
    /// A route lookup shared by concurrent callers failed; `source` is its error, the same
    /// for every caller that waited on it. [`Error::kind`] is the source's.
    #[error("route lookup for topic {topic} failed: {}", rmq_remoting::Error::chain(&**source))]
    RouteLookup {
        /// The topic looked up.
        topic: String,
        /// Why the lookup failed.
        #[source]
        source: std::sync::Arc<Error>,
    },
    /// The error of an operation concurrent callers shared (a heartbeat to one broker); its
    /// text, kind and code are the shared error's.
    #[error(transparent)]
    Shared(std::sync::Arc<Error>),
    /// No address is known for a broker name.
    #[error("no address known for broker {broker_name}")]
    BrokerNotFound {
        /// The broker name.
        broker_name: String,
    },
    /// The address server could not be used.
    #[error("address server {url}: {reason}")]
    AddressServer {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The instance is in the wrong state for the operation.
    #[error("client instance {client_id} is {state:?}: {message}")]
    State {
        /// The instance's client id.
        client_id: String,
        /// Its state.
        state: ServiceState,
        /// What was attempted.
        message: String,
    },
    /// A running instance with the same client id has a conflicting config.
    #[error(
        "client id {client_id} is already used by an instance with a different config: {diff}"
    )]
    Conflict {
        /// The shared client id.
        client_id: String,
        /// The settings that differ.
        diff: String,
    },
    /// A producer, consumer or admin of this group is already registered.
    #[error("{role} group {group} is already registered in client instance {client_id}")]
    GroupExists {
        /// `producer`, `consumer` or `admin`.
        role: &'static str,
        /// The group.
        group: String,
        /// The instance.
        client_id: String,
    },
    /// A lock (route table or heartbeat) was not acquired in time.
    #[error("could not take the {0} lock within {1:?}")]
    LockTimeout(&'static str, Duration),
    /// A body could not be parsed.
    #[error("unexpected answer from {addr}: {reason}")]
    BadAnswer {
        /// Who answered.
        addr: String,
        /// What was wrong.
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
    Broker(ResponseCode),
    /// No route for the topic.
    RouteNotFound,
    /// Bad configuration or argument.
    InvalidArgument,
    /// The instance is shut down or not running.
    Shutdown,
    /// Malformed data on the wire.
    Protocol,
    /// Anything else.
    Other,
}

impl Error {
    /// The cause, for matching.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Remoting(e) if e.is_timeout() => ErrorKind::Timeout,
            Error::Remoting(_) => ErrorKind::Connection,
            Error::Protocol(_) | Error::BadAnswer { .. } => ErrorKind::Protocol,
            Error::Broker { code, .. } => ErrorKind::Broker(*code),
            Error::RouteNotFound { .. } => ErrorKind::RouteNotFound,
            Error::Config(_) | Error::Conflict { .. } | Error::GroupExists { .. } => {
                ErrorKind::InvalidArgument
            }
            Error::State { .. } => ErrorKind::Shutdown,
            Error::LockTimeout(..) => ErrorKind::Timeout,
            Error::RouteLookup { source, .. } | Error::Shared(source) => source.kind(),
            Error::BrokerNotFound { .. } | Error::AddressServer { .. } => ErrorKind::Other,
        }
    }

    /// The broker's response code, when the error is a broker answer.
    pub fn response_code(&self) -> Option<ResponseCode> {
        match self {
            Error::Broker { code, .. } => Some(*code),
            Error::RouteLookup { source, .. } | Error::Shared(source) => source.response_code(),
            _ => None,
        }
    }

    pub(crate) fn broker(addr: &str, cmd: &rmq_protocol::Command) -> Self {
        Error::Broker {
            addr: addr.to_owned(),
            code: cmd.response_code(),
            remark: cmd.remark.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn refused() -> rmq_remoting::Error {
        rmq_remoting::Error::Connect {
            addr: "127.0.0.1:9876".into(),
            source: Arc::new(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "connection refused",
            )),
        }
    }

    #[test]
    fn display_of_each_kind_names_its_cause() {
        let remoting = Error::Remoting(refused());
        assert_eq!(
            remoting.to_string(),
            "connect to 127.0.0.1:9876 failed: connection refused"
        );
        let broker = Error::Broker {
            addr: "10.0.0.1:10911".into(),
            code: ResponseCode::SUBSCRIPTION_NOT_EXIST,
            remark: Some("the consumer's group info not exist".into()),
        };
        assert_eq!(
            broker.to_string(),
            "10.0.0.1:10911 answered SUBSCRIPTION_NOT_EXIST(24): the consumer's group info not exist"
        );
        let lookup = Error::RouteLookup {
            topic: "T".into(),
            source: Arc::new(Error::Remoting(refused())),
        };
        assert_eq!(
            lookup.to_string(),
            "route lookup for topic T failed: connect to 127.0.0.1:9876 failed: connection refused"
        );
        assert_eq!(lookup.kind(), ErrorKind::Connection);
        let shared = Error::Shared(Arc::new(broker));
        assert!(
            shared.to_string().ends_with("group info not exist"),
            "{shared}"
        );
        assert_eq!(
            shared.response_code(),
            Some(ResponseCode::SUBSCRIPTION_NOT_EXIST)
        );
        let lock = Error::LockTimeout("name server", Duration::from_secs(3));
        assert_eq!(
            lock.to_string(),
            "could not take the name server lock within 3s"
        );
        let not_found = Error::RouteNotFound {
            topic: "T".into(),
            reason: "the name server answered TOPIC_NOT_EXIST".into(),
        };
        assert_eq!(
            not_found.to_string(),
            "no route for topic T: the name server answered TOPIC_NOT_EXIST"
        );
        // The chain printer adds nothing: every cause is already in the text.
        assert_eq!(
            rmq_remoting::Error::chain(&lookup).to_string(),
            lookup.to_string()
        );
    }
}
