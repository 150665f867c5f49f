//! [`ClientConfig`]: what every producer, consumer and admin of one client instance shares
//! (Java's `ClientConfig`), built and validated by [`ClientConfigBuilder`].
//!
//! Two configs that would make one instance behave differently are told apart by
//! [`ClientConfig::conflicts_with`]; the manager refuses to share an instance across them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use rmq_protocol::acl::Credentials;
use rmq_protocol::{LanguageCode, SerializeType};

use crate::error::{Error, Result};

/// Java's default instance name; replaced by `pid#nanos` when the instance starts.
pub const DEFAULT_INSTANCE_NAME: &str = "DEFAULT";

/// Environment variable read for name-server addresses when none are configured.
pub const NAMESRV_ADDR_ENV: &str = "NAMESRV_ADDR";

/// Environment variable read for the instance name when none is configured.
pub const CLIENT_NAME_ENV: &str = "ROCKETMQ_CLIENT_NAME";

/// Initial delays and periods of the instance's scheduled tasks. Java's values by default;
/// tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSchedule {
    /// First fetch of name-server addresses from the address server (10 s).
    pub fetch_namesrv_delay: Duration,
    /// Period of that fetch (2 min).
    pub fetch_namesrv_period: Duration,
    /// First route refresh (10 ms).
    pub route_refresh_delay: Duration,
    /// First offline-broker clean-up and heartbeat (1 s).
    pub heartbeat_delay: Duration,
    /// First persist of consumer offsets (10 s).
    pub persist_offset_delay: Duration,
    /// First concurrency adjustment (1 min).
    pub adjust_concurrency_delay: Duration,
    /// Period of the concurrency adjustment (1 min).
    pub adjust_concurrency_period: Duration,
    /// Rebalance period (20 s; Java's `rocketmq.client.rebalance.waitInterval`).
    pub rebalance_period: Duration,
}

impl Default for TaskSchedule {
    fn default() -> Self {
        TaskSchedule {
            fetch_namesrv_delay: Duration::from_secs(10),
            fetch_namesrv_period: Duration::from_secs(120),
            route_refresh_delay: Duration::from_millis(10),
            heartbeat_delay: Duration::from_secs(1),
            persist_offset_delay: Duration::from_secs(10),
            adjust_concurrency_delay: Duration::from_secs(60),
            adjust_concurrency_period: Duration::from_secs(60),
            rebalance_period: Duration::from_secs(20),
        }
    }
}

/// The configuration of one client instance.
///
/// ```
/// use std::time::Duration;
/// use rmq_client_core::ClientConfig;
///
/// let config = ClientConfig::builder()
///     .namesrv("127.0.0.1:9876")
///     .instance_name("orders")
///     .api_timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(config.namesrv_addrs(), ["127.0.0.1:9876"]);
/// # Ok::<(), rmq_client_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) namesrv_addrs: Vec<String>,
    pub(crate) address_server: Option<String>,
    pub(crate) client_ip: String,
    pub(crate) instance_name: String,
    pub(crate) unit_name: Option<String>,
    pub(crate) unit_mode: bool,
    pub(crate) namespace: Option<String>,
    pub(crate) poll_name_server_interval: Duration,
    pub(crate) heartbeat_broker_interval: Duration,
    pub(crate) persist_consumer_offset_interval: Duration,
    pub(crate) pull_time_delay_when_exception: Duration,
    pub(crate) api_timeout: Duration,
    pub(crate) vip_channel_enabled: bool,
    pub(crate) tls: bool,
    pub(crate) serialize_type: SerializeType,
    pub(crate) language: LanguageCode,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) schedule: TaskSchedule,
    pub(crate) shutdown_timeout: Duration,
}

impl ClientConfig {
    /// A builder with Java's defaults.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
    }

    /// Name-server addresses (`host:port`).
    pub fn namesrv_addrs(&self) -> &[String] {
        &self.namesrv_addrs
    }

    /// The address-server URL used to discover name servers when none are configured.
    pub fn address_server(&self) -> Option<&str> {
        self.address_server.as_deref()
    }

    /// The IP that goes into the client id.
    pub fn client_ip(&self) -> &str {
        &self.client_ip
    }

    /// The instance name (`DEFAULT` until replaced at start).
    pub fn instance_name(&self) -> &str {
        &self.instance_name
    }

    /// The unit name, if any.
    pub fn unit_name(&self) -> Option<&str> {
        self.unit_name.as_deref()
    }

    /// Whether unit mode is on.
    pub fn unit_mode(&self) -> bool {
        self.unit_mode
    }

    /// The namespace wrapped around resource names, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Period of the route refresh (30 s).
    pub fn poll_name_server_interval(&self) -> Duration {
        self.poll_name_server_interval
    }

    /// Period of the heartbeat (30 s).
    pub fn heartbeat_broker_interval(&self) -> Duration {
        self.heartbeat_broker_interval
    }

    /// Period of the consumer-offset persist task (5 s).
    pub fn persist_consumer_offset_interval(&self) -> Duration {
        self.persist_consumer_offset_interval
    }

    /// How long a consumer waits before pulling again after an error (1 s).
    pub fn pull_time_delay_when_exception(&self) -> Duration {
        self.pull_time_delay_when_exception
    }

    /// Timeout of ordinary RPCs (3 s).
    pub fn api_timeout(&self) -> Duration {
        self.api_timeout
    }

    /// Whether requests other than pulls go to the broker's VIP port (port - 2).
    pub fn vip_channel_enabled(&self) -> bool {
        self.vip_channel_enabled
    }

    /// Whether connections use TLS.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// The header serialization of requests.
    pub fn serialize_type(&self) -> SerializeType {
        self.serialize_type
    }

    /// The language code sent in every command.
    pub fn language(&self) -> LanguageCode {
        self.language
    }

    /// ACL credentials, if any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// Delays and periods of the scheduled tasks.
    pub fn schedule(&self) -> &TaskSchedule {
        &self.schedule
    }

    /// How long `shutdown` may take before remaining work is abandoned (5 s).
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }

    /// The client id, `ip@instanceName[@unitName]`, exactly as Java builds it.
    pub fn client_id(&self) -> String {
        rmq_protocol::naming::build_client_id(
            &self.client_ip,
            &self.instance_name,
            self.unit_name.as_deref(),
            false,
        )
    }

    /// Replaces the `DEFAULT` instance name with `pid#nanos`, as Java's
    /// `changeInstanceNameToPID` does when a producer or consumer starts.
    ///
    /// Two clients started in the same process at the same clock reading (threads starting
    /// together, a coarse clock) still get different names: the stamp is the clock or one
    /// more than the last stamp given, whichever is larger.
    pub fn resolve_instance_name(&mut self) {
        if self.instance_name == DEFAULT_INSTANCE_NAME {
            self.instance_name =
                rmq_protocol::naming::instance_name_for_pid(std::process::id(), unique_stamp());
        }
    }

    /// The config a producer, consumer or admin builder runs with, in one order for every
    /// builder: name servers given to the builder (`namesrv(..)`, when not blank) replace those
    /// of its `config`; without them the `config` is used as it is; without a config, a
    /// default one whose name servers come from [`NAMESRV_ADDR_ENV`]. To keep the environment
    /// out, give a config built with [`ClientConfigBuilder::read_env`]`(false)`.
    ///
    /// ```
    /// use rmq_client_core::ClientConfig;
    /// let config = ClientConfig::builder().namesrv("10.0.0.1:9876").read_env(false).build()?;
    /// let explicit = ClientConfig::resolve(Some("127.0.0.1:9876"), Some(config.clone()))?;
    /// assert_eq!(explicit.namesrv_addrs(), ["127.0.0.1:9876"]);
    /// let from_config = ClientConfig::resolve(None, Some(config))?;
    /// assert_eq!(from_config.namesrv_addrs(), ["10.0.0.1:9876"]);
    /// # Ok::<(), rmq_client_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] for a malformed address, or when no name server is found anywhere.
    pub fn resolve(namesrv: Option<&str>, config: Option<ClientConfig>) -> Result<ClientConfig> {
        let namesrv = namesrv.filter(|n| !split_addrs(n).is_empty());
        match (namesrv, config) {
            (Some(addrs), Some(mut config)) => {
                let addrs = split_addrs(addrs);
                addrs.iter().try_for_each(|a| validate_addr(a))?;
                config.namesrv_addrs = addrs;
                Ok(config)
            }
            (None, Some(config)) => Ok(config),
            (Some(addrs), None) => ClientConfig::builder().namesrv(addrs).build(),
            (None, None) => ClientConfig::builder().build(),
        }
    }

    /// What differs between `self` and `other` in ways that make them unable to share one
    /// instance, or `None` when they can.
    pub fn conflicts_with(&self, other: &ClientConfig) -> Option<String> {
        let mut diffs = Vec::new();
        macro_rules! cmp {
            ($field:ident) => {
                if self.$field != other.$field {
                    diffs.push(format!(
                        "{}: {:?} vs {:?}",
                        stringify!($field),
                        self.$field,
                        other.$field
                    ));
                }
            };
        }
        cmp!(namesrv_addrs);
        cmp!(address_server);
        cmp!(namespace);
        cmp!(unit_mode);
        cmp!(tls);
        cmp!(vip_channel_enabled);
        cmp!(serialize_type);
        cmp!(language);
        if self.credentials != other.credentials {
            diffs.push("credentials differ".to_owned());
        }
        (!diffs.is_empty()).then(|| diffs.join(", "))
    }
}

/// Builder for [`ClientConfig`]; setters take `self`, `build` validates.
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
    namesrv_set: bool,
    instance_name_set: bool,
    read_env: bool,
    error: Option<String>,
}

impl Default for ClientConfigBuilder {
    fn default() -> Self {
        ClientConfigBuilder {
            config: ClientConfig {
                namesrv_addrs: Vec::new(),
                address_server: None,
                client_ip: String::new(),
                instance_name: DEFAULT_INSTANCE_NAME.to_owned(),
                unit_name: None,
                unit_mode: false,
                namespace: None,
                poll_name_server_interval: Duration::from_secs(30),
                heartbeat_broker_interval: Duration::from_secs(30),
                persist_consumer_offset_interval: Duration::from_secs(5),
                pull_time_delay_when_exception: Duration::from_secs(1),
                api_timeout: Duration::from_secs(3),
                vip_channel_enabled: false,
                tls: false,
                serialize_type: SerializeType::Json,
                language: LanguageCode::RUST,
                credentials: None,
                schedule: TaskSchedule::default(),
                shutdown_timeout: Duration::from_secs(5),
            },
            namesrv_set: false,
            instance_name_set: false,
            read_env: true,
            error: None,
        }
    }
}

impl ClientConfigBuilder {
    /// Name-server addresses, separated by `;` as in Java (default: `NAMESRV_ADDR`).
    pub fn namesrv(mut self, addrs: impl AsRef<str>) -> Self {
        self.config.namesrv_addrs = split_addrs(addrs.as_ref());
        self.namesrv_set = true;
        self
    }

    /// The address server URL (`http://host:port/path`) answering with name-server addresses;
    /// used only when no name server is configured.
    pub fn address_server(mut self, url: impl Into<String>) -> Self {
        self.config.address_server = Some(url.into());
        self
    }

    /// The IP in the client id (default: the first non-loopback address, as Java picks it).
    pub fn client_ip(mut self, ip: impl Into<String>) -> Self {
        self.config.client_ip = ip.into();
        self
    }

    /// The instance name (default `DEFAULT`, or `ROCKETMQ_CLIENT_NAME`; replaced by
    /// `pid#nanos` at start).
    pub fn instance_name(mut self, name: impl Into<String>) -> Self {
        self.config.instance_name = name.into();
        self.instance_name_set = true;
        self
    }

    /// Whether [`build`](Self::build) falls back on the environment, as Java's `ClientConfig`
    /// does: [`NAMESRV_ADDR_ENV`] when no name server is set and [`CLIENT_NAME_ENV`] when no
    /// instance name is (default `true`). Turn it off for a config that must not depend on the
    /// caller's shell, such as a test's.
    pub fn read_env(mut self, read: bool) -> Self {
        self.read_env = read;
        self
    }

    /// The unit name (default none).
    pub fn unit_name(mut self, name: impl Into<String>) -> Self {
        self.config.unit_name = Some(name.into());
        self
    }

    /// Unit mode (default off).
    pub fn unit_mode(mut self, on: bool) -> Self {
        self.config.unit_mode = on;
        self
    }

    /// Namespace wrapped around topics and groups (default none).
    pub fn namespace(mut self, ns: impl Into<String>) -> Self {
        self.config.namespace = Some(ns.into());
        self
    }

    /// Route refresh period (default 30 s; at least 10 ms).
    pub fn poll_name_server_interval(mut self, d: Duration) -> Self {
        self.config.poll_name_server_interval = d;
        self
    }

    /// Heartbeat period (default 30 s; brokers expire clients after 120 s).
    pub fn heartbeat_broker_interval(mut self, d: Duration) -> Self {
        self.config.heartbeat_broker_interval = d;
        self
    }

    /// Consumer-offset persist period (default 5 s).
    pub fn persist_consumer_offset_interval(mut self, d: Duration) -> Self {
        self.config.persist_consumer_offset_interval = d;
        self
    }

    /// Delay before pulling again after an error (default 1 s).
    pub fn pull_time_delay_when_exception(mut self, d: Duration) -> Self {
        self.config.pull_time_delay_when_exception = d;
        self
    }

    /// Timeout of ordinary RPCs (default 3 s).
    pub fn api_timeout(mut self, d: Duration) -> Self {
        self.config.api_timeout = d;
        self
    }

    /// Use the broker's VIP port for non-pull requests (default off, as Java >= 4.5.1).
    pub fn vip_channel_enabled(mut self, on: bool) -> Self {
        self.config.vip_channel_enabled = on;
        self
    }

    /// TLS to brokers and name servers (default off; needs the `tls` feature).
    pub fn tls(mut self, on: bool) -> Self {
        self.config.tls = on;
        self
    }

    /// Header serialization of every request the instance sends, to name servers and brokers
    /// alike (Java's `serializeTypeCurrentRPC`); responses are read in either. Default: JSON,
    /// as Java. Java also reads the system property `rocketmq.serialize.type`; rmq reads
    /// nothing global, so set it here.
    ///
    /// ROCKETMQ's binary header is cheaper to encode and decode than JSON (see BENCHMARKS.md),
    /// and every RocketMQ broker since 4.0 accepts it.
    ///
    /// ```
    /// use rmq_client_core::ClientConfig;
    /// use rmq_protocol::SerializeType;
    ///
    /// let config = ClientConfig::builder()
    ///     .namesrv("127.0.0.1:9876")
    ///     .serialize_type(SerializeType::RocketMq)
    ///     .build()?;
    /// assert_eq!(config.serialize_type(), SerializeType::RocketMq);
    /// # Ok::<(), rmq_client_core::Error>(())
    /// ```
    pub fn serialize_type(mut self, t: SerializeType) -> Self {
        self.config.serialize_type = t;
        self
    }

    /// Language code sent in commands (default RUST).
    pub fn language(mut self, code: LanguageCode) -> Self {
        self.config.language = code;
        self
    }

    /// ACL credentials; every request is signed as Java's `AclClientRPCHook` does.
    pub fn credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
        security_token: Option<String>,
    ) -> Self {
        let mut credentials = Credentials::new(access_key, secret_key);
        if let Some(token) = security_token {
            credentials = credentials.with_security_token(token);
        }
        self.config.credentials = Some(credentials);
        self
    }

    /// Delays and periods of the scheduled tasks (default: Java's).
    pub fn schedule(mut self, schedule: TaskSchedule) -> Self {
        self.config.schedule = schedule;
        self
    }

    /// Upper bound on `shutdown` (default 5 s).
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.config.shutdown_timeout = d;
        self
    }

    /// Validates and returns the config.
    ///
    /// # Errors
    /// [`Error::Config`] naming the offending setting: no name server and no address server,
    /// a malformed address, a zero interval or timeout, a blank instance name, TLS without the
    /// `tls` feature.
    pub fn build(self) -> Result<ClientConfig> {
        if let Some(e) = self.error {
            return Err(Error::Config(e));
        }
        let mut config = self.config;
        if self.read_env && !self.namesrv_set {
            if let Ok(env) = std::env::var(NAMESRV_ADDR_ENV) {
                config.namesrv_addrs = split_addrs(&env);
            }
        }
        if self.read_env && !self.instance_name_set {
            if let Ok(env) = std::env::var(CLIENT_NAME_ENV) {
                config.instance_name = env;
            }
        }
        if config.namesrv_addrs.is_empty() && config.address_server.is_none() {
            return Err(Error::Config(format!(
                "no name server: set namesrv(..), {NAMESRV_ADDR_ENV}, or address_server(..)"
            )));
        }
        for addr in &config.namesrv_addrs {
            validate_addr(addr)?;
        }
        if let Some(url) = &config.address_server {
            crate::nsaddr::parse_http_url(url)?;
        }
        for (name, d) in [
            (
                "poll_name_server_interval",
                config.poll_name_server_interval,
            ),
            (
                "heartbeat_broker_interval",
                config.heartbeat_broker_interval,
            ),
            (
                "persist_consumer_offset_interval",
                config.persist_consumer_offset_interval,
            ),
            ("api_timeout", config.api_timeout),
        ] {
            if d < Duration::from_millis(10) {
                return Err(Error::Config(format!(
                    "{name} must be at least 10 ms, got {d:?}"
                )));
            }
        }
        if config.instance_name.trim().is_empty() || config.instance_name.contains('@') {
            return Err(Error::Config(format!(
                "instance name {:?} must be non-blank and must not contain '@'",
                config.instance_name
            )));
        }
        if config.tls && !cfg!(feature = "tls") {
            return Err(Error::Config(
                "tls(true) needs the `tls` feature".to_owned(),
            ));
        }
        if config.client_ip.is_empty() {
            config.client_ip = crate::ip::local_ip();
        }
        Ok(config)
    }
}

fn split_addrs(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

fn validate_addr(addr: &str) -> Result<()> {
    let ok = addr
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "name-server address {addr:?} is not host:port"
        )))
    }
}

/// Nanoseconds since the epoch, made unique within the process: never equal to a stamp given
/// before (see [`ClientConfig::resolve_instance_name`]).
fn unique_stamp() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let stamp = now.max(last.saturating_add(1));
        match LAST.compare_exchange_weak(last, stamp, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return stamp,
            Err(seen) => last = seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_has_unit_name_only_when_set() {
        let base = ClientConfig::builder()
            .namesrv("127.0.0.1:9876")
            .client_ip("10.0.0.1")
            .instance_name("inst");
        assert_eq!(
            base.clone().build().expect("valid").client_id(),
            "10.0.0.1@inst"
        );
        let with_unit = base.clone().unit_name("u1").build().expect("valid");
        assert_eq!(with_unit.client_id(), "10.0.0.1@inst@u1");
        assert_eq!(
            base.unit_name(" ").build().expect("valid").client_id(),
            "10.0.0.1@inst"
        );
    }

    #[test]
    fn without_read_env_the_environment_supplies_no_name_server() {
        // Whatever NAMESRV_ADDR the caller's shell holds, it is not consulted.
        let err = ClientConfig::builder()
            .read_env(false)
            .build()
            .expect_err("no name server configured");
        assert!(err.to_string().contains("no name server"), "{err}");
        let config = ClientConfig::builder()
            .read_env(false)
            .namesrv("127.0.0.1:9876")
            .build()
            .expect("valid");
        assert_eq!(config.instance_name(), DEFAULT_INSTANCE_NAME);
    }

    #[test]
    fn resolve_prefers_explicit_name_servers_then_the_config() {
        let config = ClientConfig::builder()
            .namesrv("10.0.0.1:9876")
            .read_env(false)
            .namespace("ns")
            .build()
            .expect("valid");
        let explicit = ClientConfig::resolve(Some("127.0.0.1:1;127.0.0.1:2"), Some(config.clone()))
            .expect("valid");
        assert_eq!(explicit.namesrv_addrs(), ["127.0.0.1:1", "127.0.0.1:2"]);
        assert_eq!(
            explicit.namespace(),
            Some("ns"),
            "the rest of the config stays"
        );
        let blank = ClientConfig::resolve(Some(" ; "), Some(config.clone())).expect("valid");
        assert_eq!(
            blank.namesrv_addrs(),
            ["10.0.0.1:9876"],
            "blank is not given"
        );
        assert!(ClientConfig::resolve(Some("nope"), Some(config)).is_err());
        let alone = ClientConfig::resolve(Some("127.0.0.1:3"), None).expect("valid");
        assert_eq!(alone.namesrv_addrs(), ["127.0.0.1:3"]);
    }

    #[test]
    fn builder_splits_semicolon_separated_name_servers() {
        let c = ClientConfig::builder()
            .namesrv("127.0.0.1:9876; 127.0.0.2:9876")
            .build();
        assert_eq!(
            c.expect("valid").namesrv_addrs(),
            ["127.0.0.1:9876", "127.0.0.2:9876"]
        );
    }

    #[test]
    fn builder_rejects_bad_address_and_zero_interval() {
        let err = ClientConfig::builder()
            .namesrv("nohost")
            .build()
            .expect_err("bad addr");
        assert!(err.to_string().contains("nohost"), "{err}");
        let err = ClientConfig::builder()
            .namesrv("127.0.0.1:9876")
            .api_timeout(Duration::ZERO)
            .build()
            .expect_err("zero timeout");
        assert!(err.to_string().contains("api_timeout"), "{err}");
    }

    #[test]
    fn clients_started_together_get_different_instance_names() {
        let names: Vec<String> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..500)
                            .map(|_| {
                                let mut c = ClientConfig::builder()
                                    .namesrv("127.0.0.1:9876")
                                    .read_env(false)
                                    .build()
                                    .expect("valid");
                                c.resolve_instance_name();
                                c.instance_name().to_owned()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("worker"))
                .collect()
        });
        let distinct: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(
            distinct.len(),
            names.len(),
            "two clients got one instance name"
        );
    }

    #[test]
    fn default_instance_name_becomes_pid_and_nanos() {
        let mut c = ClientConfig::builder()
            .namesrv("127.0.0.1:9876")
            .instance_name(DEFAULT_INSTANCE_NAME)
            .build()
            .expect("valid");
        c.resolve_instance_name();
        let pid = std::process::id().to_string();
        assert!(
            c.instance_name().starts_with(&format!("{pid}#")),
            "{}",
            c.instance_name()
        );
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let c = ClientConfig::builder()
            .namesrv("127.0.0.1:9876")
            .credentials("ak", "very-secret", Some("tok".into()))
            .build()
            .expect("valid");
        let s = format!("{c:?}");
        assert!(!s.contains("very-secret") && !s.contains("tok\""), "{s}");
    }

    #[test]
    fn conflicts_name_the_differing_settings() {
        let a = ClientConfig::builder()
            .namesrv("127.0.0.1:1")
            .build()
            .expect("valid");
        let b = ClientConfig::builder()
            .namesrv("127.0.0.1:2")
            .namespace("ns")
            .build()
            .expect("valid");
        let diff = a.conflicts_with(&b).expect("conflict");
        assert!(
            diff.contains("namesrv_addrs") && diff.contains("namespace"),
            "{diff}"
        );
        assert!(a.conflicts_with(&a.clone()).is_none());
    }

    /// JSON unless asked; two instances sharing a client id must agree on the serialization.
    #[test]
    fn serialize_type_defaults_to_json_and_differing_ones_conflict() {
        let json = ClientConfig::builder()
            .namesrv("127.0.0.1:1")
            .instance_name("same")
            .build()
            .expect("valid");
        assert_eq!(json.serialize_type(), SerializeType::Json);
        let binary = ClientConfig::builder()
            .namesrv("127.0.0.1:1")
            .instance_name("same")
            .serialize_type(SerializeType::RocketMq)
            .build()
            .expect("valid");
        assert_eq!(binary.serialize_type(), SerializeType::RocketMq);
        let diff = json.conflicts_with(&binary).expect("conflict");
        assert!(diff.contains("serialize_type"), "{diff}");
    }
}
