//! [`RemotingConfig`]: transport settings with Java's defaults, built through a validating
//! builder. It holds values only; nothing here opens sockets.

use std::time::Duration;

use rmq_protocol::frame::DEFAULT_MAX_FRAME;
use rmq_protocol::SerializeType;

use crate::error::{Error, Result};

/// Transport settings shared by every connection of a [`RemotingClient`](crate::RemotingClient).
///
/// ```
/// use std::time::Duration;
/// use rmq_remoting::RemotingConfig;
///
/// let config = RemotingConfig::builder()
///     .connect_timeout(Duration::from_secs(1))
///     .max_in_flight(1024)
///     .build()?;
/// assert_eq!(config.connect_timeout(), Duration::from_secs(1));
/// # Ok::<(), rmq_remoting::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RemotingConfig {
    pub(crate) connect_timeout: Duration,
    pub(crate) max_frame: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) max_in_flight_bytes: usize,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) inbound_queue: usize,
    pub(crate) serialize_type: SerializeType,
    pub(crate) write_batch: usize,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::TlsConnector>,
}

/// Builds a [`RemotingConfig`]; [`build`](RemotingConfigBuilder::build) validates.
#[derive(Debug, Clone)]
pub struct RemotingConfigBuilder {
    config: RemotingConfig,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsConfig>,
}

impl Default for RemotingConfig {
    fn default() -> Self {
        RemotingConfig {
            connect_timeout: Duration::from_secs(3),
            max_frame: DEFAULT_MAX_FRAME,
            max_in_flight: 65_536,
            max_in_flight_bytes: 64 << 20,
            idle_timeout: Some(Duration::from_secs(120)),
            inbound_queue: 1024,
            serialize_type: SerializeType::Json,
            write_batch: 16,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl RemotingConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> RemotingConfigBuilder {
        RemotingConfigBuilder {
            config: RemotingConfig::default(),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Time allowed for the TCP connect (and TLS handshake).
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Largest frame accepted or sent, length prefix included.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Most requests awaiting a response (or oneways awaiting a write) per connection.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Most request bytes in flight per connection.
    pub fn max_in_flight_bytes(&self) -> usize {
        self.max_in_flight_bytes
    }

    /// How long a connection may stay without reads, writes or pending requests; `None` keeps
    /// connections open forever.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// Most server-initiated requests being processed at once per client.
    pub fn inbound_queue(&self) -> usize {
        self.inbound_queue
    }

    /// Header serialization used for requests this client sends.
    pub fn serialize_type(&self) -> SerializeType {
        self.serialize_type
    }

    /// Most queued frames the writer takes per flush.
    pub fn write_batch(&self) -> usize {
        self.write_batch
    }

    /// Whether connections use TLS.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        {
            self.tls.is_some()
        }
        #[cfg(not(feature = "tls"))]
        {
            false
        }
    }
}

impl RemotingConfigBuilder {
    /// Connect (and TLS handshake) timeout. Default: 3 s (Java `connectTimeoutMillis`).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Largest frame, length prefix included. Default: 16 MiB (Java `frameMaxLength`).
    pub fn max_frame(mut self, bytes: usize) -> Self {
        self.config.max_frame = bytes;
        self
    }

    /// Most requests in flight per connection. Default: 65 536 (Java's oneway/async
    /// semaphores are 65 535).
    pub fn max_in_flight(mut self, count: usize) -> Self {
        self.config.max_in_flight = count;
        self
    }

    /// Most request bytes in flight per connection. Default: 64 MiB.
    pub fn max_in_flight_bytes(mut self, bytes: usize) -> Self {
        self.config.max_in_flight_bytes = bytes;
        self
    }

    /// Idle time after which a connection is closed; `None` disables. Default: 120 s (Java
    /// `clientChannelMaxIdleTimeSeconds`).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// Most server-initiated requests processed at once; more are answered `SYSTEM_BUSY`.
    /// Default: 1024.
    pub fn inbound_queue(mut self, capacity: usize) -> Self {
        self.config.inbound_queue = capacity;
        self
    }

    /// Header serialization for every request a [`RemotingClient`](crate::RemotingClient)
    /// sends (Java's `serializeTypeCurrentRPC`); responses and server requests are decoded
    /// whatever they use. Default: JSON (what Java sends unless told otherwise). A standalone
    /// [`Connection`](crate::Connection) sends each command as built.
    pub fn serialize_type(mut self, serialize_type: SerializeType) -> Self {
        self.config.serialize_type = serialize_type;
        self
    }

    /// Most frames written per flush. Default: 16.
    pub fn write_batch(mut self, frames: usize) -> Self {
        self.config.write_batch = frames;
        self
    }

    /// Connect with TLS. Default: plain TCP.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::tls::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Validates and returns the configuration.
    ///
    /// # Errors
    /// [`Error::Config`] for a zero or out-of-range value, [`Error::Tls`] for unusable TLS
    /// material.
    pub fn build(self) -> Result<RemotingConfig> {
        #[allow(unused_mut)]
        let mut config = self.config;
        let check = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(Error::Config(what.to_owned()))
            }
        };
        check(
            !config.connect_timeout.is_zero(),
            "connect_timeout must be positive",
        )?;
        check(
            (64..=i32::MAX as usize).contains(&config.max_frame),
            "max_frame must be between 64 bytes and 2 GiB",
        )?;
        check(
            (1..=u32::MAX as usize >> 3).contains(&config.max_in_flight),
            "max_in_flight must be between 1 and 2^29",
        )?;
        check(
            (1..=u32::MAX as usize).contains(&config.max_in_flight_bytes),
            "max_in_flight_bytes must be between 1 and 4 GiB",
        )?;
        check(
            config.idle_timeout.is_none_or(|d| !d.is_zero()),
            "idle_timeout must be positive (use None to disable)",
        )?;
        check(
            config.inbound_queue >= 1,
            "inbound_queue must be at least 1",
        )?;
        check(
            (1..=1024).contains(&config.write_batch),
            "write_batch must be between 1 and 1024",
        )?;
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls {
            config.tls = Some(tls.into_connector()?);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_java() {
        let config = RemotingConfig::default();
        assert_eq!(config.connect_timeout(), Duration::from_secs(3));
        assert_eq!(config.max_frame(), 16 << 20);
        assert_eq!(config.idle_timeout(), Some(Duration::from_secs(120)));
        assert_eq!(config.serialize_type(), SerializeType::Json);
        assert!(!config.is_tls());
        assert!(RemotingConfig::builder().build().is_ok());
    }

    #[test]
    fn build_rejects_zero_limits() {
        for builder in [
            RemotingConfig::builder().max_in_flight(0),
            RemotingConfig::builder().max_in_flight_bytes(0),
            RemotingConfig::builder().connect_timeout(Duration::ZERO),
            RemotingConfig::builder().idle_timeout(Some(Duration::ZERO)),
            RemotingConfig::builder().inbound_queue(0),
            RemotingConfig::builder().write_batch(0),
            RemotingConfig::builder().max_frame(8),
        ] {
            let err = builder.build().expect_err("invalid value accepted");
            assert_eq!(err.kind(), crate::ErrorKind::Config);
        }
    }
}
