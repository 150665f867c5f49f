//! [`ProducerBuilder`]: by-value setters with Java 4.9.7's defaults; `build()` validates, joins
//! a client instance and starts. Settings are checked once, here, never per send.

use std::sync::Arc;
use std::time::Duration;

use rmq_client_core::{ClientConfig, ClientInstance};
use rmq_protocol::compression::CompressionType;
use rmq_protocol::{naming, validate};

use crate::error::{Error, Result};
use crate::producer::Producer;
use crate::transaction::TransactionChecker;

/// Java's default `sendMsgTimeout`.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(3);
/// Java's default `compressMsgBodyOverHowmuch`.
pub const DEFAULT_COMPRESS_THRESHOLD: usize = 4 * 1024;
/// Java's default `rocketmq.message.compressLevel`.
pub const DEFAULT_COMPRESS_LEVEL: u32 = 5;
/// Java 5.x's default `backPressureForAsyncSendNum`.
pub const DEFAULT_MAX_INFLIGHT_ASYNC: usize = 10_000;
/// Java 5.x's default `backPressureForAsyncSendSize` (100 MiB).
pub const DEFAULT_MAX_INFLIGHT_ASYNC_BYTES: usize = 100 * 1024 * 1024;

/// What a built producer runs with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The group as the user named it.
    pub(crate) group: String,
    pub(crate) namespace: Option<String>,
    pub(crate) send_timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) async_retries: u32,
    pub(crate) retry_another_broker_when_not_store_ok: bool,
    pub(crate) compress_threshold: usize,
    pub(crate) compress_level: u32,
    pub(crate) compression: CompressionType,
    pub(crate) max_message_size: usize,
    pub(crate) default_topic_queue_nums: i32,
    pub(crate) latency_fault_tolerance: bool,
    pub(crate) max_inflight_async: usize,
    pub(crate) max_inflight_async_bytes: usize,
}

impl Settings {
    /// The group as sent on the wire (namespace-wrapped).
    pub(crate) fn wire_group(&self) -> String {
        naming::wrap_namespace(self.namespace.as_deref(), &self.group)
    }
}

/// Builds a [`Producer`]; see [`Producer::builder`].
///
/// Every setter documents its default. Setters never fail; [`build`](Self::build) reports the
/// first invalid value.
#[must_use = "a builder does nothing until build() is awaited"]
pub struct ProducerBuilder {
    namesrv: Option<String>,
    config: Option<ClientConfig>,
    instance: Option<ClientInstance>,
    settings: Settings,
    pub(crate) checker: Option<Arc<dyn TransactionChecker>>,
}

impl std::fmt::Debug for ProducerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProducerBuilder")
            .field("namesrv", &self.namesrv)
            .field("instance", &self.instance)
            .field("settings", &self.settings)
            .field("checker", &self.checker.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ProducerBuilder {
    fn default() -> Self {
        ProducerBuilder {
            namesrv: None,
            config: None,
            instance: None,
            settings: Settings {
                group: naming::DEFAULT_PRODUCER_GROUP.to_owned(),
                namespace: None,
                send_timeout: DEFAULT_SEND_TIMEOUT,
                retries: 2,
                async_retries: 2,
                retry_another_broker_when_not_store_ok: false,
                compress_threshold: DEFAULT_COMPRESS_THRESHOLD,
                compress_level: DEFAULT_COMPRESS_LEVEL,
                compression: CompressionType::Zlib,
                max_message_size: validate::DEFAULT_MAX_MESSAGE_SIZE,
                default_topic_queue_nums: 4,
                latency_fault_tolerance: false,
                max_inflight_async: DEFAULT_MAX_INFLIGHT_ASYNC,
                max_inflight_async_bytes: DEFAULT_MAX_INFLIGHT_ASYNC_BYTES,
            },
            checker: None,
        }
    }
}

impl ProducerBuilder {
    /// Name-server addresses, `;`-separated (`"127.0.0.1:9876"`). A shortcut for a default
    /// [`ClientConfig`]; ignored when [`config`](Self::config) or
    /// [`instance`](Self::instance) is given. No default: one of the three is required.
    pub fn namesrv(mut self, addrs: impl Into<String>) -> Self {
        self.namesrv = Some(addrs.into());
        self
    }

    /// The client config (name servers, namespace, credentials, intervals...). The instance
    /// name `DEFAULT` is replaced by `pid#nanos` at build, as Java does, so each producer gets
    /// its own client instance unless an instance name is set.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// An explicit client instance to register in (it is started if needed and is shut down
    /// with the last group registered in it). Default: the shared instance of the config's
    /// client id.
    pub fn instance(mut self, instance: ClientInstance) -> Self {
        self.instance = Some(instance);
        self
    }

    /// The producer group. Default `DEFAULT_PRODUCER`; transactional producers need their own,
    /// since brokers send transaction checks to a group.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.settings.group = group.into();
        self
    }

    /// The deadline of one send: route lookup, every retry and the broker's answers. Default
    /// 3 s.
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.settings.send_timeout = timeout;
        self
    }

    /// Retries of a [`send`](Producer::send) or batch after a failed attempt (Java's
    /// `retryTimesWhenSendFailed`). Default 2, so up to 3 attempts.
    pub fn retries(mut self, retries: u32) -> Self {
        self.settings.retries = retries;
        self
    }

    /// Retries of a [`send_async`](Producer::send_async) (Java's
    /// `retryTimesWhenSendAsyncFailed`). Default 2.
    pub fn async_retries(mut self, retries: u32) -> Self {
        self.settings.async_retries = retries;
        self
    }

    /// Whether a message stored with a status other than `SEND_OK` (flush or slave timeouts)
    /// is sent again to another broker (Java's `retryAnotherBrokerWhenNotStoreOK`). Default
    /// false.
    pub fn retry_another_broker_when_not_store_ok(mut self, on: bool) -> Self {
        self.settings.retry_another_broker_when_not_store_ok = on;
        self
    }

    /// Bodies of at least this many bytes are compressed with [`compression`](Self::compression)
    /// (never in batches). Default 4 KiB (4096).
    pub fn compress_threshold(mut self, bytes: usize) -> Self {
        self.settings.compress_threshold = bytes;
        self
    }

    /// The zlib level, 0..=9. Default 5, as Java.
    pub fn compress_level(mut self, level: u32) -> Self {
        self.settings.compress_level = level;
        self
    }

    /// The algorithm for bodies over the threshold (Java 5.x
    /// `rocketmq.message.compressType`), named by the 5.x sysflag type bits. Default zlib, as
    /// Java, which every consumer reads; LZ4 and zstd need consumers of 4.9.4 or later.
    pub fn compression(mut self, kind: CompressionType) -> Self {
        self.settings.compression = kind;
        self
    }

    /// The largest body (or encoded batch) accepted, checked before sending. Default 4 MiB,
    /// the broker's default limit too.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.settings.max_message_size = bytes;
        self
    }

    /// Queues per broker of a topic the broker auto-creates. Default 4.
    pub fn default_topic_queue_nums(mut self, n: i32) -> Self {
        self.settings.default_topic_queue_nums = n;
        self
    }

    /// Whether slow or failed brokers are avoided for a while (Java's
    /// `sendLatencyFaultEnable`, see the `fault` rules in the crate docs). Default false.
    pub fn latency_fault_tolerance(mut self, on: bool) -> Self {
        self.settings.latency_fault_tolerance = on;
        self
    }

    /// The most [`send_async`](Producer::send_async) and
    /// [`request_async`](Producer::request_async) calls in flight; more wait (within their
    /// deadline). Default 10 000.
    pub fn max_inflight_async(mut self, count: usize) -> Self {
        self.settings.max_inflight_async = count;
        self
    }

    /// The most body bytes of async sends in flight; more wait (within their deadline).
    /// Default 100 MiB.
    pub fn max_inflight_async_bytes(mut self, bytes: usize) -> Self {
        self.settings.max_inflight_async_bytes = bytes;
        self
    }

    fn validate(&self) -> Result<()> {
        let s = &self.settings;
        validate::check_group(&s.group).map_err(|e| Error::Config(e.to_string()))?;
        let checks = [
            (s.send_timeout.is_zero(), "send_timeout must be positive"),
            (s.compress_level > 9, "compress_level must be 0..=9"),
            (s.max_message_size == 0, "max_message_size must be positive"),
            (
                s.max_message_size > 32 * 1024 * 1024,
                "max_message_size must not exceed 32 MiB",
            ),
            (
                s.default_topic_queue_nums <= 0,
                "default_topic_queue_nums must be positive",
            ),
            (
                s.max_inflight_async == 0,
                "max_inflight_async must be positive",
            ),
            (
                s.max_inflight_async_bytes == 0 || s.max_inflight_async_bytes > u32::MAX as usize,
                "max_inflight_async_bytes must be within 1..=4 GiB",
            ),
        ];
        if let Some((_, why)) = checks.iter().find(|(bad, _)| *bad) {
            return Err(Error::Config((*why).to_owned()));
        }
        if self.checker.is_some() && s.group == naming::DEFAULT_PRODUCER_GROUP {
            // Java: transactions need a group of their own, brokers check back per group.
            return Err(Error::Config(
                "a transactional producer needs its own group, not DEFAULT_PRODUCER".into(),
            ));
        }
        Ok(())
    }

    /// Validates the settings, joins (or creates) the client instance, starts it, registers
    /// the group and announces it to the brokers with a heartbeat.
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
        self.validate()?;
        let mut settings = self.settings;
        let instance = match self.instance {
            Some(instance) => instance,
            None => {
                let mut config = match (self.config, self.namesrv) {
                    (Some(config), _) => config,
                    (None, Some(ns)) => ClientConfig::builder()
                        .namesrv(ns)
                        .build()
                        .map_err(|e| Error::Config(e.to_string()))?,
                    (None, None) => {
                        return Err(Error::Config(
                            "no name server: set namesrv(), config() or instance()".into(),
                        ))
                    }
                };
                config.resolve_instance_name();
                ClientInstance::shared(config)?
            }
        };
        settings.namespace = instance.config().namespace().map(str::to_owned);
        if let Ok(ip) = instance.config().client_ip().parse() {
            rmq_protocol::ids::init_global(ip);
        }
        Producer::start(settings, instance, self.checker).await
    }
}

#[cfg(test)]
impl ProducerBuilder {
    pub(crate) fn settings_for_tests(self) -> Settings {
        self.settings
    }
}
