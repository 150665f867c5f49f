//! [`SimpleConsumerBuilder`]: by-value setters with their defaults. Its `build` (in `simple.rs`,
//! next to what it builds) validates them, joins the client instance and registers the group.

use std::time::Duration;

use rmq_client_core::ClientConfig;

use crate::filter::Filter;

/// Default long-poll time of a receive (Java 5.x clients' `awaitDuration`).
const DEFAULT_AWAIT: Duration = Duration::from_secs(20);
/// Longest await accepted: the broker holds a pop at most this long.
pub(crate) const MAX_AWAIT: Duration = Duration::from_secs(60);
/// Default number of receives in flight at once.
const DEFAULT_MAX_RECEIVES: usize = 16;

/// Builds a [`SimpleConsumer`](crate::SimpleConsumer).
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
    pub(crate) config: Option<ClientConfig>,
    pub(crate) namesrv: Option<String>,
    pub(crate) group: String,
    pub(crate) subs: Vec<(String, Filter)>,
    pub(crate) await_duration: Duration,
    pub(crate) max_in_flight_receives: usize,
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
}
