//! Spans and metrics named after OpenTelemetry's messaging semantic conventions, so that a
//! send or a consume reads the same in a trace and on a dashboard. This module names and
//! records; it installs no subscriber and no exporter (the application picks those).
//!
//! Names follow the semantic conventions for messaging spans and metrics (status
//! "development"), <https://opentelemetry.io/docs/specs/semconv/messaging/messaging-metrics/>:
//!
//! | instrument | kind, unit | recorded |
//! |---|---|---|
//! | `messaging.client.operation.duration` | histogram, s | per send attempt to a broker (`send`; a retry is another) and per pull (`receive`) |
//! | `messaging.client.sent.messages` | counter, `{message}` | per message an attempt carried, failed ones too |
//! | `messaging.client.consumed.messages` | counter, `{message}` | per message a pull brought |
//! | `messaging.process.duration` | histogram, s | per listener call (`process`) |
//!
//! Attributes, on the instruments and on the spans alike: `messaging.system` = `rocketmq`,
//! `messaging.operation.name` and `messaging.operation.type` (`send`, `receive`, `process`),
//! `messaging.destination.name` (the topic), `messaging.consumer.group.name` (consumers; the
//! producer group is not a semconv attribute and is left out), `server.address` when the broker
//! is known, and `error.type` on failure only.
//!
//! Metrics are recorded through the [`metrics`](https://docs.rs/metrics) facade with the
//! `metrics` feature (off by default); without it the `record_*` functions do nothing. Call
//! `describe_metrics` once after installing a recorder to give it units and help texts. Spans
//! are plain `tracing` spans; `otel.name` and `otel.kind` are the fields
//! `tracing-opentelemetry` maps to the span's name and kind.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use tracing::instrument::Instrumented;
use tracing::{Instrument, Span};

use crate::ErrorKind;

/// The `messaging.system` of every span and instrument.
pub const SYSTEM: &str = "rocketmq";

/// The bucket boundaries, in seconds, the semantic conventions advise for the duration
/// histograms; give them to an exporter that needs explicit buckets.
pub const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Instrument names.
pub mod instrument {
    /// Histogram, seconds: one send or one pull, as the client saw it.
    pub const OPERATION_DURATION: &str = "messaging.client.operation.duration";
    /// Counter: messages a producer tried to send.
    pub const SENT_MESSAGES: &str = "messaging.client.sent.messages";
    /// Counter: messages delivered to the application.
    pub const CONSUMED_MESSAGES: &str = "messaging.client.consumed.messages";
    /// Histogram, seconds: one listener call.
    pub const PROCESS_DURATION: &str = "messaging.process.duration";
}

/// Attribute names, on spans and instruments.
pub mod attribute {
    /// Always `rocketmq`.
    pub const SYSTEM: &str = "messaging.system";
    /// `send`, `receive` or `process`.
    pub const OPERATION_NAME: &str = "messaging.operation.name";
    /// `send`, `receive` or `process`.
    pub const OPERATION_TYPE: &str = "messaging.operation.type";
    /// The topic.
    pub const DESTINATION_NAME: &str = "messaging.destination.name";
    /// The consumer group.
    pub const CONSUMER_GROUP_NAME: &str = "messaging.consumer.group.name";
    /// The broker's `host:port`.
    pub const SERVER_ADDRESS: &str = "server.address";
    /// A low-cardinality cause, on failure only (see [`error_type`](super::error_type)).
    pub const ERROR_TYPE: &str = "error.type";
}

/// What an operation does, as `messaging.operation.type` (and `.name`) say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// A producer sends.
    Send,
    /// A consumer pulls from a broker.
    Receive,
    /// A listener handles delivered messages.
    Process,
}

impl Operation {
    /// The semconv value: `send`, `receive` or `process`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Send => "send",
            Operation::Receive => "receive",
            Operation::Process => "process",
        }
    }
}

/// The span of one send to `topic` (OTel span kind producer, named `send <topic>`).
/// `server.address` and `error.type` start empty; record them once known with
/// [`Span::record`].
///
/// ```
/// let span = rmq_client_core::telemetry::send_span("TopicTest");
/// span.record("server.address", "127.0.0.1:10911");
/// ```
pub fn send_span(topic: &str) -> Span {
    tracing::info_span!(
        "send",
        otel.name = %format_args!("send {topic}"),
        otel.kind = "producer",
        messaging.system = SYSTEM,
        messaging.operation.name = "send",
        messaging.operation.type = "send",
        messaging.destination.name = %topic,
        server.address = tracing::field::Empty,
        error.type = tracing::field::Empty,
    )
}

/// The span of one listener call of `group` over messages of `topic` (OTel span kind
/// consumer, named `process <topic>`), with the same attribute names as [`send_span`] plus
/// `messaging.consumer.group.name` and `messaging.batch.message_count`.
pub fn process_span(group: &str, topic: &str, messages: usize) -> Span {
    tracing::info_span!(
        "process",
        otel.name = %format_args!("process {topic}"),
        otel.kind = "consumer",
        messaging.system = SYSTEM,
        messaging.operation.name = "process",
        messaging.operation.type = "process",
        messaging.destination.name = %topic,
        messaging.consumer.group.name = %group,
        messaging.batch.message_count = messages,
        server.address = tracing::field::Empty,
        error.type = tracing::field::Empty,
    )
}

/// The `error.type` of a failure of this kind: `timeout`, `connection`, `route_not_found`,
/// `invalid_argument`, `shutdown`, `protocol`, the broker's response code name (`SYSTEM_BUSY`,
/// or its number when unnamed), or `_OTHER` (semconv's fallback).
///
/// ```
/// use rmq_client_core::{telemetry::error_type, ErrorKind};
/// use rmq_protocol::ResponseCode;
///
/// assert_eq!(error_type(ErrorKind::Timeout), "timeout");
/// assert_eq!(error_type(ErrorKind::Broker(ResponseCode::SYSTEM_BUSY)), "SYSTEM_BUSY");
/// ```
pub fn error_type(kind: ErrorKind) -> Cow<'static, str> {
    match kind {
        ErrorKind::Timeout => "timeout".into(),
        ErrorKind::Connection => "connection".into(),
        ErrorKind::Broker(code) => code
            .name()
            .map_or_else(|| code.0.to_string().into(), Cow::Borrowed),
        ErrorKind::RouteNotFound => "route_not_found".into(),
        ErrorKind::InvalidArgument => "invalid_argument".into(),
        ErrorKind::Shutdown => "shutdown".into(),
        ErrorKind::Protocol => "protocol".into(),
        _ => "_OTHER".into(),
    }
}

/// Gives the installed `metrics` recorder the unit and help text of each instrument; call it
/// once after installing one (an exporter shows them as `# HELP` and `# TYPE` lines).
#[cfg(feature = "metrics")]
pub fn describe_metrics() {
    imp::describe_metrics();
}

/// Runs `request`, one send of `messages` messages of `topic` to the broker at `server`, inside
/// a [`send_span`], then records its duration and messages with [`record_send`] (and its
/// [`error_type`] on the span and the instruments when it fails). The producer's send attempts
/// go through here.
///
/// ```
/// # async fn demo() {
/// use rmq_client_core::telemetry::observe_send;
///
/// let answer = observe_send("TopicTest", "127.0.0.1:10911", 1, async { Ok(42) }).await;
/// assert_eq!(answer.ok(), Some(42));
/// # }
/// ```
///
/// # Cancel safety
/// As `request`; a send dropped before it finished records nothing.
///
/// The returned future holds `request` in place (an `async fn` here would hold it twice: as
/// its argument and as the awaited future, which doubled the size of every send task).
pub fn observe_send<'a, T, F>(
    topic: &'a str,
    server: &'a str,
    messages: usize,
    request: F,
) -> ObserveSend<'a, F>
where
    F: Future<Output = crate::Result<T>>,
{
    let span = send_span(topic);
    span.record(attribute::SERVER_ADDRESS, server);
    ObserveSend {
        request: request.instrument(span),
        topic,
        server,
        messages,
        started: Instant::now(),
    }
}

pin_project_lite::pin_project! {
    /// The future [`observe_send`] returns: the request inside its span, recorded when it
    /// finishes.
    #[must_use = "futures do nothing unless polled"]
    pub struct ObserveSend<'a, F> {
        #[pin]
        request: Instrumented<F>,
        topic: &'a str,
        server: &'a str,
        messages: usize,
        started: Instant,
    }
}

impl<T, F> Future for ObserveSend<'_, F>
where
    F: Future<Output = crate::Result<T>>,
{
    type Output = crate::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let answer = ready!(this.request.as_mut().poll(cx));
        let error = answer.as_ref().err().map(|e| error_type(e.kind()));
        if let Some(error) = &error {
            let span = this.request.as_ref().get_ref().span();
            span.record(attribute::ERROR_TYPE, error.as_ref());
        }
        let messages = u64::try_from(*this.messages).unwrap_or(u64::MAX);
        record_send(
            this.topic,
            Some(this.server),
            messages,
            this.started.elapsed(),
            error.as_deref(),
        );
        Poll::Ready(answer)
    }
}

/// One finished send of `messages` messages to `topic` that took `elapsed`: records
/// `messaging.client.operation.duration` and adds to `messaging.client.sent.messages`.
/// `server` is the broker's address when one was chosen; `error` the
/// [`error_type`] of a failure.
pub fn record_send(
    topic: &str,
    server: Option<&str>,
    messages: u64,
    elapsed: Duration,
    error: Option<&str>,
) {
    #[cfg(feature = "metrics")]
    imp::record_send(topic, server, messages, elapsed, error);
    #[cfg(not(feature = "metrics"))]
    let _ = (topic, server, messages, elapsed, error);
}

/// One pull of `group` from `topic` that took `elapsed` and delivered `messages`: records
/// `messaging.client.operation.duration` (`receive`) and adds to
/// `messaging.client.consumed.messages`.
pub fn record_receive(group: &str, topic: &str, messages: u64, elapsed: Duration) {
    #[cfg(feature = "metrics")]
    imp::record_receive(group, topic, messages, elapsed);
    #[cfg(not(feature = "metrics"))]
    let _ = (group, topic, messages, elapsed);
}

/// One listener call of `group` on `topic` that took `elapsed`: records
/// `messaging.process.duration`, with `error.type` = `failed` when the listener asked for a
/// retry of `failed` messages.
pub fn record_process(group: &str, topic: &str, failed: u64, elapsed: Duration) {
    #[cfg(feature = "metrics")]
    imp::record_process(group, topic, failed, elapsed);
    #[cfg(not(feature = "metrics"))]
    let _ = (group, topic, failed, elapsed);
}

#[cfg(feature = "metrics")]
mod imp {
    //! The `metrics` calls behind the `record_*` functions.

    use std::time::Duration;

    use metrics::{Label, Unit};

    use super::{attribute, instrument, Operation, SYSTEM};

    pub(super) fn describe_metrics() {
        metrics::describe_histogram!(
            instrument::OPERATION_DURATION,
            Unit::Seconds,
            "Duration of a messaging operation initiated by a producer or consumer client."
        );
        metrics::describe_counter!(
            instrument::SENT_MESSAGES,
            "Number of messages the producer attempted to send to the broker."
        );
        metrics::describe_counter!(
            instrument::CONSUMED_MESSAGES,
            "Number of messages that were delivered to the application."
        );
        metrics::describe_histogram!(
            instrument::PROCESS_DURATION,
            Unit::Seconds,
            "Duration of processing operation."
        );
    }

    /// The labels every instrument carries, with room for the two a caller may add (so that
    /// adding them does not reallocate).
    fn labels(op: Operation, topic: &str) -> Vec<Label> {
        let mut labels = Vec::with_capacity(6);
        labels.extend([
            Label::from_static_parts(attribute::SYSTEM, SYSTEM),
            Label::from_static_parts(attribute::OPERATION_NAME, op.as_str()),
            Label::from_static_parts(attribute::OPERATION_TYPE, op.as_str()),
            Label::new(attribute::DESTINATION_NAME, topic.to_owned()),
        ]);
        labels
    }

    pub(super) fn record_send(
        topic: &str,
        server: Option<&str>,
        messages: u64,
        elapsed: Duration,
        error: Option<&str>,
    ) {
        let mut labels = labels(Operation::Send, topic);
        if let Some(server) = server {
            labels.push(Label::new(attribute::SERVER_ADDRESS, server.to_owned()));
        }
        if let Some(error) = error {
            labels.push(Label::new(attribute::ERROR_TYPE, error.to_owned()));
        }
        metrics::histogram!(instrument::OPERATION_DURATION, labels.clone())
            .record(elapsed.as_secs_f64());
        metrics::counter!(instrument::SENT_MESSAGES, labels).increment(messages);
    }

    pub(super) fn record_receive(group: &str, topic: &str, messages: u64, elapsed: Duration) {
        let mut labels = labels(Operation::Receive, topic);
        labels.push(Label::new(attribute::CONSUMER_GROUP_NAME, group.to_owned()));
        metrics::histogram!(instrument::OPERATION_DURATION, labels.clone())
            .record(elapsed.as_secs_f64());
        if messages > 0 {
            metrics::counter!(instrument::CONSUMED_MESSAGES, labels).increment(messages);
        }
    }

    pub(super) fn record_process(group: &str, topic: &str, failed: u64, elapsed: Duration) {
        let mut labels = labels(Operation::Process, topic);
        labels.push(Label::new(attribute::CONSUMER_GROUP_NAME, group.to_owned()));
        if failed > 0 {
            labels.push(Label::from_static_parts(attribute::ERROR_TYPE, "failed"));
        }
        metrics::histogram!(instrument::PROCESS_DURATION, labels).record(elapsed.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_protocol::ResponseCode;

    #[test]
    fn error_types_are_low_cardinality_names() {
        assert_eq!(error_type(ErrorKind::Connection), "connection");
        assert_eq!(error_type(ErrorKind::RouteNotFound), "route_not_found");
        assert_eq!(
            error_type(ErrorKind::Broker(ResponseCode::SYSTEM_BUSY)),
            "SYSTEM_BUSY"
        );
        assert_eq!(error_type(ErrorKind::Broker(ResponseCode(-4242))), "-4242");
        assert_eq!(error_type(ErrorKind::Other), "_OTHER");
    }

    /// Enables every span so that spans keep their metadata; records nothing.
    struct EnableAll;

    impl tracing::Subscriber for EnableAll {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, _: &tracing::Event<'_>) {}
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn send_and_process_spans_share_attribute_names() {
        let fields = |span: Span| -> Vec<String> {
            let meta = span.metadata().expect("an enabled span has metadata");
            meta.fields().iter().map(|f| f.name().to_owned()).collect()
        };
        let (send, process) = tracing::subscriber::with_default(EnableAll, || {
            (fields(send_span("T")), fields(process_span("G", "T", 1)))
        });
        for name in [
            attribute::SYSTEM,
            attribute::OPERATION_NAME,
            attribute::OPERATION_TYPE,
            attribute::DESTINATION_NAME,
            attribute::SERVER_ADDRESS,
            attribute::ERROR_TYPE,
        ] {
            assert!(
                send.iter().any(|f| f == name),
                "send span lacks {name}: {send:?}"
            );
            assert!(
                process.iter().any(|f| f == name),
                "process span lacks {name}"
            );
        }
        assert!(process.iter().any(|f| f == attribute::CONSUMER_GROUP_NAME));
    }

    #[test]
    fn operations_use_semconv_values() {
        let values: Vec<_> = [Operation::Send, Operation::Receive, Operation::Process]
            .iter()
            .map(|op| op.as_str())
            .collect();
        assert_eq!(values, ["send", "receive", "process"]);
    }

    #[cfg(feature = "metrics")]
    mod metrics {
        use std::time::Duration;

        use metrics_util::debugging::{DebugValue, DebuggingRecorder};
        use metrics_util::MetricKind;

        use super::super::*;

        /// One recorded metric: kind, name, sorted labels, value.
        type Recorded = (MetricKind, String, Vec<(String, String)>, DebugValue);

        /// Every metric recorded by `f`, sorted by name.
        fn recorded(f: impl FnOnce()) -> Vec<Recorded> {
            let recorder = DebuggingRecorder::new();
            let snapshotter = recorder.snapshotter();
            ::metrics::with_local_recorder(&recorder, f);
            let mut out: Vec<_> = snapshotter
                .snapshot()
                .into_vec()
                .into_iter()
                .map(|(key, _, _, value)| {
                    let (kind, key) = key.into_parts();
                    let mut labels: Vec<_> = key
                        .labels()
                        .map(|l| (l.key().to_owned(), l.value().to_owned()))
                        .collect();
                    labels.sort();
                    (kind, key.name().to_owned(), labels, value)
                })
                .collect();
            out.sort_by(|a, b| a.1.cmp(&b.1));
            out
        }

        fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
            let mut v: Vec<_> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            v.sort();
            v
        }

        #[test]
        fn a_send_records_its_duration_and_message_count_with_semconv_labels() {
            let got = recorded(|| {
                record_send(
                    "T",
                    Some("127.0.0.1:10911"),
                    3,
                    Duration::from_millis(250),
                    None,
                )
            });
            let want = labels(&[
                ("messaging.system", "rocketmq"),
                ("messaging.operation.name", "send"),
                ("messaging.operation.type", "send"),
                ("messaging.destination.name", "T"),
                ("server.address", "127.0.0.1:10911"),
            ]);
            assert_eq!(got.len(), 2, "{got:?}");
            let (kind, name, l, value) = &got[0];
            assert_eq!(
                (kind, name.as_str()),
                (
                    &MetricKind::Histogram,
                    "messaging.client.operation.duration"
                )
            );
            assert_eq!(l, &want);
            let DebugValue::Histogram(samples) = value else {
                panic!("not a histogram: {value:?}");
            };
            assert_eq!(samples.iter().map(|s| s.0).collect::<Vec<_>>(), [0.25]);
            assert_eq!(
                got[1],
                (
                    MetricKind::Counter,
                    "messaging.client.sent.messages".to_owned(),
                    want,
                    DebugValue::Counter(3)
                )
            );
        }

        #[test]
        fn a_failed_send_carries_error_type_and_no_server_when_none_was_picked() {
            let got = recorded(|| {
                record_send(
                    "T",
                    None,
                    1,
                    Duration::from_millis(5),
                    Some("route_not_found"),
                )
            });
            let (_, name, l, value) = &got[1];
            assert_eq!(name, "messaging.client.sent.messages");
            assert_eq!(
                l,
                &labels(&[
                    ("messaging.system", "rocketmq"),
                    ("messaging.operation.name", "send"),
                    ("messaging.operation.type", "send"),
                    ("messaging.destination.name", "T"),
                    ("error.type", "route_not_found"),
                ])
            );
            assert_eq!(value, &DebugValue::Counter(1));
        }

        #[test]
        fn an_observed_send_records_the_broker_and_the_failure() {
            let got = recorded(|| {
                let ok = futures::executor::block_on(observe_send("T", "b:1", 2, async { Ok(()) }));
                assert!(ok.is_ok());
                let failed = futures::executor::block_on(observe_send("T", "b:2", 1, async {
                    Err::<(), _>(crate::Error::Config("bad".into()))
                }));
                assert!(failed.is_err());
            });
            let sent: Vec<_> = got
                .iter()
                .filter(|m| m.1 == "messaging.client.sent.messages")
                .map(|m| (m.2.clone(), format!("{:?}", m.3)))
                .collect();
            let base = [
                ("messaging.system", "rocketmq"),
                ("messaging.operation.name", "send"),
                ("messaging.operation.type", "send"),
                ("messaging.destination.name", "T"),
            ];
            let ok = labels(&[&base[..], &[("server.address", "b:1")]].concat());
            let failed = labels(
                &[
                    &base[..],
                    &[
                        ("server.address", "b:2"),
                        ("error.type", "invalid_argument"),
                    ],
                ]
                .concat(),
            );
            assert_eq!(sent.len(), 2, "{sent:?}");
            let counter = |n: u64| format!("{:?}", DebugValue::Counter(n));
            assert!(sent.contains(&(ok, counter(2))), "{sent:?}");
            assert!(sent.contains(&(failed, counter(1))), "{sent:?}");
        }

        #[test]
        fn pulls_and_listener_calls_carry_the_consumer_group() {
            let got = recorded(|| {
                record_receive("G", "T", 32, Duration::from_millis(10));
                record_receive("G", "T", 0, Duration::from_millis(10));
                record_process("G", "T", 2, Duration::from_millis(4));
            });
            let names: Vec<_> = got.iter().map(|m| (m.0, m.1.as_str())).collect();
            assert_eq!(
                names,
                [
                    (MetricKind::Counter, "messaging.client.consumed.messages"),
                    (MetricKind::Histogram, "messaging.client.operation.duration"),
                    (MetricKind::Histogram, "messaging.process.duration"),
                ]
            );
            assert_eq!(got[0].3, DebugValue::Counter(32));
            let receive = labels(&[
                ("messaging.system", "rocketmq"),
                ("messaging.operation.name", "receive"),
                ("messaging.operation.type", "receive"),
                ("messaging.destination.name", "T"),
                ("messaging.consumer.group.name", "G"),
            ]);
            assert_eq!(got[0].2, receive);
            assert_eq!(got[1].2, receive);
            let DebugValue::Histogram(pulls) = &got[1].3 else {
                panic!("not a histogram: {:?}", got[1].3);
            };
            assert_eq!(pulls.len(), 2, "an empty pull is still a receive");
            assert!(got[2]
                .2
                .contains(&("error.type".to_owned(), "failed".to_owned())));
            assert!(got[2]
                .2
                .contains(&("messaging.operation.type".to_owned(), "process".to_owned())));
        }
    }
}
