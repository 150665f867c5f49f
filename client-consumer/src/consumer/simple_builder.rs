//! [`SimpleConsumerBuilder`]: by-value setters with their defaults; a bad value is kept and
//! reported by `build`, which joins the client instance and registers the group.

use std::sync::Arc;
use std::time::Duration;

use rmq_client_core::{ClientConfig, ClientInstance};
use rmq_protocol::naming;
use tokio::sync::Semaphore;

use super::simple::{Inner, Registered, SimpleConsumer};
use crate::error::{Error, Result};
use crate::filter::Filter;

/// Default long-poll time of a receive (Java 5.x clients' `awaitDuration`).
const DEFAULT_AWAIT: Duration = Duration::from_secs(20);
/// Longest await accepted: the broker holds a pop at most this long.
const MAX_AWAIT: Duration = Duration::from_secs(60);
/// Default number of receives in flight at once.
const DEFAULT_MAX_RECEIVES: usize = 16;

/// Builds a [`SimpleConsumer`].
///
/// ```no_run
/// use std::time::Duration;
/// use rmq_client_consumer::{Filter, SimpleConsumer};
/// # async fn demo() -> rmq_client_consumer::Result<()> {
/// let consumer = SimpleConsumer::builder()
///     .namesrv("127.0.0.1:9876")
///     .group("orders-simple")
///     .subscribe("Orders", Filter::All)
///     .await_duration(Duration::from_secs(5))
///     .build()
///     .await?;
/// for msg in consumer.receive(16, Duration::from_secs(30)).await? {
///     println!("{}", msg.msg_id());
///     consumer.ack(&msg).await?;
/// }
/// consumer.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SimpleConsumerBuilder {
    config: Option<ClientConfig>,
    namesrv: Option<String>,
    group: String,
    subs: Vec<(String, Filter)>,
    await_duration: Duration,
    max_in_flight_receives: usize,
}

impl SimpleConsumerBuilder {
    pub(crate) fn new() -> Self {
        SimpleConsumerBuilder {
            config: None,
            namesrv: None,
            group: String::new(),
            subs: Vec::new(),
            await_duration: DEFAULT_AWAIT,
            max_in_flight_receives: DEFAULT_MAX_RECEIVES,
        }
    }

    /// The client config (name servers, instance name, timeouts...). Default: built from
    /// [`namesrv`](Self::namesrv), else from the `NAMESRV_ADDR` environment variable.
    pub fn client_config(mut self, config: ClientConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Name-server addresses, `;`-separated; ignored when a client config is given.
    pub fn namesrv(mut self, addrs: impl Into<String>) -> Self {
        self.namesrv = Some(addrs.into());
        self
    }

    /// The consumer group (required).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// Subscribes to `topic` with `filter`; call once per topic (at least one).
    pub fn subscribe(mut self, topic: impl Into<String>, filter: Filter) -> Self {
        self.subs.push((topic.into(), filter));
        self
    }

    /// How long a receive waits on a broker when nothing is there. Default 20 s, at most 60 s.
    pub fn await_duration(mut self, d: Duration) -> Self {
        self.await_duration = d;
        self
    }

    /// Receives in flight at once; more wait for one to finish. Default 16.
    pub fn max_in_flight_receives(mut self, n: usize) -> Self {
        self.max_in_flight_receives = n;
        self
    }

    /// Validates, joins (or starts) the client instance and registers the group, which then
    /// heartbeats as a POP consumer.
    ///
    /// # Errors
    /// [`Error::Config`] for a missing group or subscription, an await above 60 s or no
    /// receive allowed in flight; the instance's errors.
    ///
    /// # Cancel safety
    /// Dropping the future may leave the shared client instance started (it stops with its
    /// last user) and the group registered in it.
    pub async fn build(self) -> Result<SimpleConsumer> {
        if self.group.is_empty() {
            return Err(Error::Config("a consumer group is required".into()));
        }
        if self.subs.is_empty() {
            return Err(Error::Config("subscribe to at least one topic".into()));
        }
        if self.await_duration > MAX_AWAIT {
            return Err(Error::Config(format!(
                "await duration {:?} is above {MAX_AWAIT:?}",
                self.await_duration
            )));
        }
        if self.max_in_flight_receives == 0 || self.max_in_flight_receives > Semaphore::MAX_PERMITS
        {
            return Err(Error::Config(
                "max in-flight receives must be at least 1".into(),
            ));
        }
        let mut config = match (self.config, self.namesrv) {
            (Some(c), _) => c,
            (None, Some(ns)) => ClientConfig::builder().namesrv(ns).build()?,
            (None, None) => ClientConfig::builder().build()?,
        };
        config.resolve_instance_name();
        let namespace = config.namespace().map(str::to_owned);
        let ns = namespace.as_deref();
        let group = naming::wrap_namespace(ns, &self.group);
        let subs = self
            .subs
            .into_iter()
            .map(|(topic, filter)| (naming::wrap_namespace(ns, &topic), filter))
            .collect();
        let instance = ClientInstance::shared(config)?;
        instance.start().await?;
        let inner = Arc::new(Inner::new(
            instance.clone(),
            (self.group, group),
            namespace,
            subs,
            self.await_duration,
            self.max_in_flight_receives,
        ));
        if let Err(e) = instance.register_consumer(Arc::new(Registered(inner.clone()))) {
            instance.release_if_idle().await;
            return Err(e.into());
        }
        // Routes first, so the heartbeat reaches the topics' brokers: the group shows up there
        // at once, not at the next round. Failures here are retried by the instance's rounds.
        for sub in &inner.subscriptions() {
            let _ = instance.update_topic_route(&sub.topic).await;
        }
        let _ = instance.send_heartbeat_now().await;
        Ok(SimpleConsumer { inner })
    }
}
