//! The two builders, [`ProducerBuilder`] and [`TransactionProducerBuilder`]: by-value setters
//! with Java 4.9.7's defaults, generated once for both (`common_setters!`) over one
//! [`Settings`], so a transactional producer takes every setting a plain one does. `build()`
//! validates, resolves the client config (the same order as every builder of the workspace,
//! [`ClientConfig::resolve`]), joins a client instance and starts. The top of the crate:
//! settings are checked once, here, never per send.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rmq_client_core::{ClientConfig, ClientInstance};
use rmq_protocol::compression::CompressionType;
use rmq_protocol::{naming, StoredMessage};

use crate::auto_batch::AutoBatch;
use crate::batching::Accumulator;
use crate::checker::{TransactionChecker, TransactionState};
use crate::error::{Error, Result};
use crate::producer::Producer;
use crate::settings::Settings;
use crate::shared::Shared;
use crate::transaction::TransactionProducer;

/// Where a producer finds its client instance, and what it runs with.
#[derive(Default)]
struct Common {
    namesrv: Option<String>,
    config: Option<ClientConfig>,
    instance: Option<ClientInstance>,
    settings: Settings,
}

impl std::fmt::Debug for Common {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Common")
            .field("namesrv", &self.namesrv)
            .field("config", &self.config.is_some())
            .field("instance", &self.instance)
            .field("settings", &self.settings)
            .finish()
    }
}

impl Common {
    /// Validates, joins (or creates) the client instance and starts the producer's state.
    async fn start(self, checker: Option<Arc<dyn TransactionChecker>>) -> Result<Shared> {
        let mut settings = self.settings;
        settings.validate()?;
        let instance = match self.instance {
            Some(instance) => instance,
            None => {
                let mut config = ClientConfig::resolve(self.namesrv.as_deref(), self.config)
                    .map_err(|e| Error::Config(e.to_string()))?;
                config.resolve_instance_name();
                ClientInstance::shared(config)?
            }
        };
        settings.namespace = instance.config().namespace().map(str::to_owned);
        if let Ok(ip) = instance.config().client_ip().parse() {
            rmq_protocol::ids::init_global(ip);
        }
        Shared::start(settings, instance, checker).await
    }
}

/// Builds a [`Producer`]; see [`Producer::builder`].
///
/// Every setter documents its default. Setters never fail; [`build`](Self::build) reports the
/// first invalid value.
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until build() is awaited"]
pub struct ProducerBuilder {
    common: Common,
}

/// Builds a [`TransactionProducer`]: every [`ProducerBuilder`] setting plus a required
/// [`checker`](Self::checker).
#[derive(Default)]
#[must_use = "a builder does nothing until build() is awaited"]
pub struct TransactionProducerBuilder {
    common: Common,
    checker: Option<Arc<dyn TransactionChecker>>,
}

impl std::fmt::Debug for TransactionProducerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionProducerBuilder")
            .field("common", &self.common)
            .field("checker", &self.checker.is_some())
            .finish()
    }
}

/// The setters both builders share, written once so that they cannot drift apart.
macro_rules! common_setters {
    () => {
        /// Name-server addresses, `;`-separated (`"127.0.0.1:9876"`). They replace the name
        /// servers of a [`client_config`](Self::client_config); without either, the
        /// `NAMESRV_ADDR` environment variable is read (see [`ClientConfig::resolve`]).
        /// Ignored when an [`instance`](Self::instance) is given.
        pub fn namesrv(mut self, addrs: impl Into<String>) -> Self {
            self.common.namesrv = Some(addrs.into());
            self
        }

        /// The client config (name servers, namespace, credentials, intervals...), the same
        /// setter as the consumers'. The instance name `DEFAULT` is replaced by `pid#nanos`
        /// at build, as Java does, so each producer gets its own client instance unless an
        /// instance name is set. Default: built from [`namesrv`](Self::namesrv) or
        /// `NAMESRV_ADDR`.
        pub fn client_config(mut self, config: ClientConfig) -> Self {
            self.common.config = Some(config);
            self
        }

        /// The old name of [`client_config`](Self::client_config).
        #[deprecated(since = "0.2.0", note = "use `client_config`, as on every builder")]
        pub fn config(self, config: ClientConfig) -> Self {
            self.client_config(config)
        }

        /// An explicit client instance to register in (it is started if needed and is shut
        /// down with the last group registered in it). Default: the shared instance of the
        /// config's client id.
        pub fn instance(mut self, instance: ClientInstance) -> Self {
            self.common.instance = Some(instance);
            self
        }

        /// The producer group. Default `DEFAULT_PRODUCER`; transactional producers need their
        /// own, since brokers send transaction checks to a group.
        pub fn group(mut self, group: impl Into<String>) -> Self {
            self.common.settings.group = group.into();
            self
        }

        /// The deadline of one send: route lookup, every retry and the broker's answers.
        /// Default 3 s.
        pub fn send_timeout(mut self, timeout: Duration) -> Self {
            self.common.settings.send_timeout = timeout;
            self
        }

        /// Retries of a [`send`](Producer::send) or batch after a failed attempt (Java's
        /// `retryTimesWhenSendFailed`). Default 2, so up to 3 attempts.
        pub fn retries(mut self, retries: u32) -> Self {
            self.common.settings.retries = retries;
            self
        }

        /// Retries of a [`send_async`](Producer::send_async) (Java's
        /// `retryTimesWhenSendAsyncFailed`). Default 2.
        pub fn async_retries(mut self, retries: u32) -> Self {
            self.common.settings.async_retries = retries;
            self
        }

        /// Whether a message stored with a status other than `SEND_OK` (flush or slave
        /// timeouts) is sent again to another broker (Java's
        /// `retryAnotherBrokerWhenNotStoreOK`). Default false.
        pub fn retry_another_broker_when_not_store_ok(mut self, on: bool) -> Self {
            self.common.settings.retry_another_broker_when_not_store_ok = on;
            self
        }

        /// Bodies of at least this many bytes are compressed with
        /// [`compression`](Self::compression) (never in batches). Default 4 KiB (4096).
        pub fn compress_threshold(mut self, bytes: usize) -> Self {
            self.common.settings.compress_threshold = bytes;
            self
        }

        /// The zlib level, 0..=9. Default 5, as Java.
        pub fn compress_level(mut self, level: u32) -> Self {
            self.common.settings.compress_level = level;
            self
        }

        /// The algorithm for bodies over the threshold (Java 5.x
        /// `rocketmq.message.compressType`), named by the 5.x sysflag type bits. Default zlib,
        /// as Java, which every consumer reads; LZ4 and zstd need consumers of 4.9.4 or later.
        pub fn compression(mut self, kind: CompressionType) -> Self {
            self.common.settings.compression = kind;
            self
        }

        /// The largest body (or encoded batch) accepted, checked before sending. Default
        /// 4 MiB, the broker's default limit too.
        pub fn max_message_size(mut self, bytes: usize) -> Self {
            self.common.settings.max_message_size = bytes;
            self
        }

        /// Queues per broker of a topic the broker auto-creates. Default 4.
        pub fn default_topic_queue_nums(mut self, n: i32) -> Self {
            self.common.settings.default_topic_queue_nums = n;
            self
        }

        /// Whether slow or failed brokers are avoided for a while (Java's
        /// `sendLatencyFaultEnable`, see the `fault` rules in the crate docs). Default false.
        pub fn latency_fault_tolerance(mut self, on: bool) -> Self {
            self.common.settings.latency_fault_tolerance = on;
            self
        }

        /// Message trace (Java's `enableMsgTrace`): a Pub record of every stored message (and
        /// an EndTransaction record of every transaction) goes to the trace topic, batched in
        /// the background; a full trace queue drops records, never delays or fails a send.
        /// Default off.
        pub fn enable_trace(mut self, on: bool) -> Self {
            self.common.settings.trace_topic = match (on, self.common.settings.trace_topic.take()) {
                (false, _) => None,
                (true, topic) => {
                    Some(topic.unwrap_or_else(|| rmq_protocol::naming::TRACE_TOPIC.to_owned()))
                }
            };
            self
        }

        /// Message trace to `topic` instead of `RMQ_SYS_TRACE_TOPIC` (Java's
        /// `customizedTraceTopic`); turns trace on.
        pub fn trace_topic(mut self, topic: impl Into<String>) -> Self {
            self.common.settings.trace_topic = Some(topic.into());
            self
        }

        /// The most [`send_async`](Producer::send_async) and
        /// [`request_async`](Producer::request_async) calls in flight; more wait (within their
        /// deadline). Default 10 000.
        pub fn max_inflight_async(mut self, count: usize) -> Self {
            self.common.settings.max_inflight_async = count;
            self
        }

        /// The most body bytes of async sends in flight; more wait (within their deadline).
        /// Default 100 MiB.
        pub fn max_inflight_async_bytes(mut self, bytes: usize) -> Self {
            self.common.settings.max_inflight_async_bytes = bytes;
            self
        }
    };
}

impl ProducerBuilder {
    common_setters!();

    /// Turns auto-batching on (Java 5.x `setAutoBatch(true)`): a [`send`](Producer::send) or
    /// [`send_async`](Producer::send_async) to a topic with no request in flight goes at once;
    /// calls arriving while one is in flight gather and go out as one batch request when it
    /// answers (or when the batch is full, or at the latest after [`AutoBatch::max_delay`]),
    /// each caller still getting its own receipt (its own id, its own queue offset) or the
    /// batch's error ([`Error::Batch`]). Delayed, transactional and reply messages, `%RETRY%`/`%DLQ%` topics
    /// and messages over the batch bound are sent directly, as are oneway, ordered and
    /// `send_to` sends. Shutdown sends pending batches at once. Default off.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use rmq_client_producer::{AutoBatch, Producer};
    /// # async fn demo() -> rmq_client_producer::Result<()> {
    /// let producer = Producer::builder()
    ///     .namesrv("127.0.0.1:9876")
    ///     .auto_batch(AutoBatch::new().max_delay(Duration::from_millis(2)))
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn auto_batch(mut self, batching: AutoBatch) -> Self {
        self.common.settings.auto_batch = Some(batching);
        self
    }

    /// Validates the settings, resolves the client config, joins (or creates) the client
    /// instance, starts it, registers the group and announces it to the brokers with a
    /// heartbeat.
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid setting or a missing name server;
    /// [`Error::Client`] when the instance cannot be created or started, or the group is
    /// already registered in it.
    ///
    /// # Cancel safety
    /// Not cancel safe: dropping the future mid-way may leave the group registered in a
    /// started instance.
    pub async fn build(self) -> Result<Producer> {
        let shared = self.common.start(None).await?;
        let batcher = shared
            .settings
            .auto_batch
            .map(|batching| Arc::new(Accumulator::new(batching)));
        Ok(Producer {
            shared: Arc::new(shared),
            batcher,
        })
    }
}

impl TransactionProducerBuilder {
    common_setters!();

    /// Answers broker checks of this group's half messages. Required (or
    /// [`checker_object`](Self::checker_object)). A plain closure works without type
    /// annotations:
    ///
    /// ```no_run
    /// use rmq_client_producer::{TransactionProducer, TransactionState};
    /// # async fn demo() -> rmq_client_producer::Result<()> {
    /// let producer = TransactionProducer::builder()
    ///     .namesrv("127.0.0.1:9876")
    ///     .group("orders_tx")
    ///     .checker(|msg| async move {
    ///         if msg.keys().any(|k| k == "paid") {
    ///             TransactionState::Commit
    ///         } else {
    ///             TransactionState::Unknown
    ///         }
    ///     })
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn checker<F, Fut>(mut self, checker: F) -> Self
    where
        F: Fn(StoredMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TransactionState> + Send + 'static,
    {
        self.checker = Some(Arc::new(checker));
        self
    }

    /// A checker of a type of your own that implements [`TransactionChecker`]; for a closure
    /// use [`checker`](Self::checker).
    pub fn checker_object(mut self, checker: impl TransactionChecker) -> Self {
        self.checker = Some(Arc::new(checker));
        self
    }

    /// As [`ProducerBuilder::build`], with the checker registered for the group.
    ///
    /// # Errors
    /// [`Error::Config`] without a checker or with the group `DEFAULT_PRODUCER`, or as
    /// [`ProducerBuilder::build`].
    ///
    /// # Cancel safety
    /// As [`ProducerBuilder::build`].
    pub async fn build(self) -> Result<TransactionProducer> {
        let Some(checker) = self.checker else {
            return Err(Error::Config(
                "a transactional producer needs a checker".into(),
            ));
        };
        if self.common.settings.group == naming::DEFAULT_PRODUCER_GROUP {
            // Java: transactions need a group of their own, brokers check back per group.
            return Err(Error::Config(
                "a transactional producer needs its own group, not DEFAULT_PRODUCER".into(),
            ));
        }
        let shared = self.common.start(Some(checker)).await?;
        Ok(TransactionProducer::new(Producer {
            shared: Arc::new(shared),
            batcher: None,
        }))
    }
}

impl Producer {
    /// A builder with Java's defaults.
    pub fn builder() -> ProducerBuilder {
        ProducerBuilder::default()
    }

    /// A producer of group `DEFAULT_PRODUCER` with default settings: the one-call shortcut.
    ///
    /// # Errors
    /// As [`ProducerBuilder::build`].
    pub async fn connect(namesrv: impl Into<String>) -> Result<Producer> {
        Producer::builder().namesrv(namesrv).build().await
    }
}

impl TransactionProducer {
    /// A builder with Java's defaults; set a group and a checker.
    pub fn builder() -> TransactionProducerBuilder {
        TransactionProducerBuilder::default()
    }
}

#[cfg(test)]
mod tests {
    use rmq_protocol::compression::CompressionType;
    use rmq_testkit::MockCluster;

    use super::*;

    fn config(namesrv: &str) -> ClientConfig {
        ClientConfig::builder()
            .namesrv(namesrv)
            .namespace("ns1")
            .read_env(false)
            .build()
            .expect("config")
    }

    /// Every setting reaches a transactional producer as it reaches a plain one (the
    /// transactional builder once forwarded only some of them).
    #[tokio::test]
    async fn a_transactional_producer_inherits_every_setting() {
        let cluster = MockCluster::builder().start().await.expect("cluster");
        let ns = cluster.namesrv_addr();
        let tx = TransactionProducer::builder()
            .client_config(config(&ns))
            .group("tx_inherits")
            .send_timeout(Duration::from_millis(1234))
            .retries(7)
            .async_retries(5)
            .retry_another_broker_when_not_store_ok(true)
            .compress_threshold(100)
            .compress_level(9)
            .compression(CompressionType::Zstd)
            .max_message_size(1024)
            .default_topic_queue_nums(2)
            .latency_fault_tolerance(true)
            .max_inflight_async(3)
            .max_inflight_async_bytes(4096)
            .trace_topic("TxTraces")
            .checker(|_msg| async { TransactionState::Commit })
            .build()
            .await
            .expect("transactional producer");
        let got = tx.as_producer().shared.settings.clone();
        tx.shutdown().await;
        let expected = Settings {
            group: "tx_inherits".into(),
            namespace: Some("ns1".into()),
            send_timeout: Duration::from_millis(1234),
            retries: 7,
            async_retries: 5,
            retry_another_broker_when_not_store_ok: true,
            compress_threshold: 100,
            compress_level: 9,
            compression: CompressionType::Zstd,
            max_message_size: 1024,
            default_topic_queue_nums: 2,
            latency_fault_tolerance: true,
            max_inflight_async: 3,
            max_inflight_async_bytes: 4096,
            trace_topic: Some("TxTraces".into()),
            auto_batch: None,
        };
        assert_eq!(got, expected);
        cluster.shutdown().await;
    }

    #[tokio::test]
    async fn a_transactional_producer_needs_a_checker_and_its_own_group() {
        let no_checker = TransactionProducer::builder()
            .namesrv("127.0.0.1:1")
            .group("g")
            .build()
            .await
            .expect_err("no checker");
        assert!(no_checker.to_string().contains("checker"), "{no_checker}");
        let default_group = TransactionProducer::builder()
            .namesrv("127.0.0.1:1")
            .checker(|_msg| async { TransactionState::Unknown })
            .build()
            .await
            .expect_err("default group");
        assert!(
            default_group.to_string().contains("DEFAULT_PRODUCER"),
            "{default_group}"
        );
    }

    #[test]
    fn invalid_settings_are_reported_by_build() {
        let s = ProducerBuilder::default()
            .compress_level(10)
            .common
            .settings
            .validate()
            .expect_err("level 10");
        assert!(s.to_string().contains("compress_level"), "{s}");
    }
}
