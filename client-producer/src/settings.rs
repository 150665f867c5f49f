//! [`Settings`]: what a built producer (plain or transactional) runs with, their Java 4.9.7
//! defaults and their validation. The bottom of the crate: it knows no producer, builder or
//! send path, so every layer above can read it.

use std::time::Duration;

use rmq_protocol::compression::CompressionType;
use rmq_protocol::{naming, validate};

use crate::auto_batch::AutoBatch;
use crate::error::{Error, Result};

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

/// What a built producer runs with; both builders fill the same struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The group as the user named it.
    pub(crate) group: String,
    /// The client config's namespace, set at build.
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
    /// The trace topic when message trace is on.
    pub(crate) trace_topic: Option<String>,
    /// Auto-batching, off (`None`) unless the builder turned it on.
    pub(crate) auto_batch: Option<AutoBatch>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
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
            trace_topic: None,
            auto_batch: None,
        }
    }
}

impl Settings {
    /// The group as sent on the wire (namespace-wrapped).
    pub(crate) fn wire_group(&self) -> String {
        naming::wrap_namespace(self.namespace.as_deref(), &self.group)
    }

    /// The first invalid setting, as [`Error::Config`].
    pub(crate) fn validate(&self) -> Result<()> {
        validate::check_group(&self.group).map_err(|e| Error::Config(e.to_string()))?;
        if let Some(topic) = &self.trace_topic {
            validate::check_topic(topic)
                .map_err(|e| Error::Config(format!("trace topic {topic:?}: {e}")))?;
        }
        let checks = [
            (self.send_timeout.is_zero(), "send_timeout must be positive"),
            (self.compress_level > 9, "compress_level must be 0..=9"),
            (
                self.max_message_size == 0,
                "max_message_size must be positive",
            ),
            (
                self.max_message_size > 32 * 1024 * 1024,
                "max_message_size must not exceed 32 MiB",
            ),
            (
                self.default_topic_queue_nums <= 0,
                "default_topic_queue_nums must be positive",
            ),
            (
                self.max_inflight_async == 0,
                "max_inflight_async must be positive",
            ),
            (
                self.max_inflight_async_bytes == 0
                    || self.max_inflight_async_bytes > u32::MAX as usize,
                "max_inflight_async_bytes must be within 1..=4 GiB",
            ),
        ];
        if let Some((_, why)) = checks.iter().find(|(bad, _)| *bad) {
            return Err(Error::Config((*why).to_owned()));
        }
        // A codec chosen with `compression` must be compiled in. zlib, the default, is not
        // refused without its feature: bodies then go uncompressed, as Java sends a body it
        // failed to compress.
        let kind = self.compression;
        if kind != CompressionType::Zlib && !kind.is_compiled_in() {
            return Err(Error::Config(format!(
                "compression {name} is not compiled in: enable the `{name}` feature of \
                 rmq-client-producer",
                name = kind.name()
            )));
        }
        match &self.auto_batch {
            Some(batching) => batching.validate(self.max_message_size),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_codec_must_be_compiled_in() {
        for kind in [CompressionType::Lz4, CompressionType::Zstd] {
            let settings = Settings {
                group: "g".to_owned(),
                compression: kind,
                ..Settings::default()
            };
            match settings.validate() {
                Ok(()) => assert!(kind.is_compiled_in(), "{kind:?} accepted"),
                Err(e) => {
                    assert!(!kind.is_compiled_in(), "{kind:?}: {e}");
                    assert!(
                        e.to_string()
                            .contains(&format!("enable the `{}` feature", kind.name())),
                        "{e}"
                    );
                }
            }
        }
    }
}
