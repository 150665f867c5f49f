//! The producer's error type: what failed, every attempt a send made, and [`ErrorKind`] for
//! callers that match on causes. It does not log; reporters print the `source()` chain.

use std::fmt;
use std::time::Duration;

use rmq_protocol::ResponseCode;

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a producer operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A builder setting is invalid (reported by `build()`).
    #[error("invalid producer config: {0}")]
    Config(String),
    /// The message (or batch) was refused before any network call.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// Every attempt of a send failed, or the deadline passed between attempts. The attempts
    /// are listed in order; [`Error::attempts`] gives them to code.
    #[error("send to {topic} failed {}", SendSummary { attempts, elapsed: *elapsed, deadline_passed: *deadline_passed })]
    Send {
        /// The topic, as the user named it.
        topic: String,
        /// Every attempt, in order.
        attempts: Vec<Attempt>,
        /// Time spent in the whole send, route lookup included.
        elapsed: Duration,
        /// Whether the send stopped because its deadline passed.
        deadline_passed: bool,
    },
    /// An auto-batched message's batch failed: every message of the batch gets this, the
    /// batch's error shared as its source. [`Error::kind`], [`Error::response_code`] and
    /// [`Error::attempts`] are the source's.
    #[error("auto-batch of {messages} messages failed: {}", rmq_remoting::Error::chain(&**source))]
    Batch {
        /// How many messages the batch held.
        messages: usize,
        /// Why the batch failed.
        #[source]
        source: std::sync::Arc<Error>,
    },
    /// The deadline passed before the operation could start or finish (route lookup, waiting
    /// for async in-flight capacity, waiting for a reply).
    #[error("{what} did not finish within {after:?}")]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long was waited.
        after: Duration,
    },
    /// The client instance failed (route lookup, registration, start...); the text is the
    /// instance's, cause included.
    #[error(transparent)]
    Client(#[from] rmq_client_core::Error),
    /// The producer was shut down.
    #[error("the producer is shut down")]
    Shutdown,
    /// A message with a delivery time was refused before sending: the broker's version (from
    /// its heartbeat answers) predates timer messages, so it would deliver at once.
    #[error("broker {broker_name} ({addr}) runs {}, older than V5_0_0: it does not support delivery time", version.name().unwrap_or_else(|| version.0.to_string()))]
    DeliveryTimeUnsupported {
        /// The broker name.
        broker_name: String,
        /// The master address the message would have gone to.
        addr: String,
        /// The version the broker reported.
        version: rmq_protocol::version::Version,
    },
}

/// One attempt of a send: which broker and queue, when, how long, and how it failed.
#[derive(Debug)]
#[non_exhaustive]
pub struct Attempt {
    /// The broker name the queue belongs to.
    pub broker_name: String,
    /// The master address used, if one was known.
    pub addr: Option<String>,
    /// The queue id.
    pub queue_id: i32,
    /// When the attempt started, counted from the start of the send.
    pub started: Duration,
    /// How long the attempt took.
    pub elapsed: Duration,
    /// Why it failed.
    pub error: rmq_client_core::Error,
}

impl Attempt {
    /// The broker's response code, when the broker answered with an error.
    pub fn response_code(&self) -> Option<ResponseCode> {
        self.error.response_code()
    }

    /// The broker's remark, when the broker answered with an error.
    pub fn remark(&self) -> Option<&str> {
        match &self.error {
            rmq_client_core::Error::Broker { remark, .. } => remark.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}]@{} after {:?}: {}",
            self.broker_name,
            self.queue_id,
            self.addr.as_deref().unwrap_or("?"),
            self.elapsed,
            rmq_remoting::Error::chain(&self.error)
        )
    }
}

/// The tail of a failed send's text: how many attempts, how long, and each attempt's cause.
/// A send that never reached an attempt says so instead of counting zero attempts.
struct SendSummary<'a> {
    attempts: &'a [Attempt],
    elapsed: Duration,
    deadline_passed: bool,
}

impl fmt::Display for SendSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let deadline = if self.deadline_passed {
            " (deadline passed)"
        } else {
            ""
        };
        if self.attempts.is_empty() {
            return write!(
                f,
                "in {:?}{deadline}: no queue could be tried",
                self.elapsed
            );
        }
        write!(
            f,
            "after {} attempt(s) in {:?}{deadline}: ",
            self.attempts.len(),
            self.elapsed
        )?;
        for (i, a) in self.attempts.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "#{} {a}", i + 1)?;
        }
        Ok(())
    }
}

/// A cause callers can match on, stable across how errors are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A deadline passed.
    Timeout,
    /// A connection closed or could not be made.
    Connection,
    /// A broker answered with this code.
    Broker(ResponseCode),
    /// No route for the topic.
    RouteNotFound,
    /// Bad configuration, message or argument.
    InvalidArgument,
    /// The producer or its client instance is shut down.
    Shutdown,
    /// Malformed data on the wire.
    Protocol,
    /// The broker does not support what was asked (a delivery time on a 4.x broker).
    Unsupported,
    /// Anything else.
    Other,
}

/// The broker codes after which Java 4.9.7 tries again (`DefaultMQProducer.retryResponseCodes`).
pub(crate) fn is_retry_code(code: ResponseCode) -> bool {
    matches!(
        code,
        ResponseCode::TOPIC_NOT_EXIST
            | ResponseCode::SERVICE_NOT_AVAILABLE
            | ResponseCode::SYSTEM_ERROR
            | ResponseCode::NO_PERMISSION
            | ResponseCode::NO_BUYER_ID
            | ResponseCode::NOT_IN_CURRENT_UNIT
    )
}

fn core_kind(e: &rmq_client_core::Error) -> ErrorKind {
    use rmq_client_core::ErrorKind as K;
    match e.kind() {
        K::Timeout => ErrorKind::Timeout,
        K::Connection => ErrorKind::Connection,
        K::Broker(code) => ErrorKind::Broker(code),
        K::RouteNotFound => ErrorKind::RouteNotFound,
        K::InvalidArgument => ErrorKind::InvalidArgument,
        K::Shutdown => ErrorKind::Shutdown,
        K::Protocol => ErrorKind::Protocol,
        _ => ErrorKind::Other,
    }
}

impl Error {
    /// The cause, for matching. For a failed send: [`ErrorKind::Timeout`] when its deadline
    /// passed, otherwise the last attempt's cause.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) | Error::InvalidMessage(_) => ErrorKind::InvalidArgument,
            Error::Send {
                deadline_passed: true,
                ..
            }
            | Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Send { attempts, .. } => attempts
                .last()
                .map_or(ErrorKind::RouteNotFound, |a| core_kind(&a.error)),
            Error::Client(e) => core_kind(e),
            Error::Batch { source, .. } => source.kind(),
            Error::Shutdown => ErrorKind::Shutdown,
            Error::DeliveryTimeUnsupported { .. } => ErrorKind::Unsupported,
        }
    }

    /// The broker's response code, when the (last) failure was a broker answer.
    pub fn response_code(&self) -> Option<ResponseCode> {
        match self {
            Error::Send { attempts, .. } => attempts.last().and_then(Attempt::response_code),
            Error::Client(e) => e.response_code(),
            Error::Batch { source, .. } => source.response_code(),
            _ => None,
        }
    }

    /// Every attempt of a failed send (empty for other errors).
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            Error::Send { attempts, .. } => attempts,
            Error::Batch { source, .. } => source.attempts(),
            _ => &[],
        }
    }

    /// Whether trying the same operation again later may succeed (timeouts, connection
    /// failures, busy or unavailable brokers); false for invalid input and shutdown.
    pub fn is_retriable(&self) -> bool {
        match self.kind() {
            ErrorKind::Timeout | ErrorKind::Connection | ErrorKind::RouteNotFound => true,
            ErrorKind::Broker(code) => is_retry_code(code) || code == ResponseCode::SYSTEM_BUSY,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(code: ResponseCode) -> Attempt {
        Attempt {
            broker_name: "broker-a".into(),
            addr: Some("127.0.0.1:10911".into()),
            queue_id: 3,
            started: Duration::ZERO,
            elapsed: Duration::from_millis(12),
            error: rmq_client_core::Error::Broker {
                addr: "127.0.0.1:10911".into(),
                code,
                remark: Some("busy".into()),
            },
        }
    }

    #[test]
    fn send_error_lists_every_attempt_and_kind_follows_the_last() {
        let e = Error::Send {
            topic: "T".into(),
            attempts: vec![
                attempt(ResponseCode::SYSTEM_ERROR),
                attempt(ResponseCode::NO_PERMISSION),
            ],
            elapsed: Duration::from_millis(30),
            deadline_passed: false,
        };
        let text = e.to_string();
        assert!(text.contains("2 attempt(s)"), "{text}");
        assert!(text.contains("#1 broker-a[3]@127.0.0.1:10911"), "{text}");
        assert!(text.contains("#2"), "{text}");
        assert_eq!(e.kind(), ErrorKind::Broker(ResponseCode::NO_PERMISSION));
        assert_eq!(e.response_code(), Some(ResponseCode::NO_PERMISSION));
        assert_eq!(e.attempts()[0].remark(), Some("busy"));
    }

    #[test]
    fn display_of_each_kind_carries_its_cause() {
        let lookup = Error::Client(rmq_client_core::Error::RouteLookup {
            topic: "T".into(),
            source: std::sync::Arc::new(rmq_client_core::Error::LockTimeout(
                "name server",
                Duration::from_secs(3),
            )),
        });
        assert_eq!(
            lookup.to_string(),
            "route lookup for topic T failed: could not take the name server lock within 3s"
        );
        assert_eq!(lookup.kind(), ErrorKind::Timeout);

        let refused = Attempt {
            error: rmq_client_core::Error::Remoting(rmq_remoting::Error::Connect {
                addr: "127.0.0.1:10911".into(),
                source: std::sync::Arc::new(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "connection refused",
                )),
            }),
            ..attempt(ResponseCode::SUCCESS)
        };
        let send = Error::Send {
            topic: "T".into(),
            attempts: vec![refused, attempt(ResponseCode::SYSTEM_BUSY)],
            elapsed: Duration::from_millis(30),
            deadline_passed: false,
        };
        let text = send.to_string();
        assert!(
            text.starts_with("send to T failed after 2 attempt(s) in 30ms: "),
            "{text}"
        );
        assert!(
            text.contains("#1 broker-a[3]@127.0.0.1:10911 after 12ms: connect to 127.0.0.1:10911 failed: connection refused"),
            "{text}"
        );
        assert!(
            text.contains("#2 broker-a[3]@127.0.0.1:10911 after 12ms: 127.0.0.1:10911 answered SYSTEM_BUSY(2): busy"),
            "{text}"
        );

        let none = Error::Send {
            topic: "T".into(),
            attempts: vec![],
            elapsed: Duration::from_millis(5),
            deadline_passed: true,
        };
        assert_eq!(
            none.to_string(),
            "send to T failed in 5ms (deadline passed): no queue could be tried"
        );
    }

    #[test]
    fn a_send_past_its_deadline_is_a_timeout() {
        let e = Error::Send {
            topic: "T".into(),
            attempts: vec![attempt(ResponseCode::SYSTEM_ERROR)],
            elapsed: Duration::from_secs(3),
            deadline_passed: true,
        };
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(e.is_retriable());
        assert!(!Error::InvalidMessage("x".into()).is_retriable());
    }
}
