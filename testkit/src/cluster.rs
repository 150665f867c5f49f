//! [`MockCluster`], its builder, and the handles that steer its nodes at run time
//! ([`BrokerHandle`], [`NamesrvHandle`]): faults, kill and restart, request counters.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rmq_protocol::{perm, RequestCode, ResponseCode};
use tokio_util::sync::{CancellationToken, DropGuard};
use tokio_util::task::TaskTracker;

use crate::broker::{topic_config, Broker, BrokerConfig};
use crate::error::{Error, Result};
use crate::fault::Faults;
use crate::namesrv::Namesrv;
use crate::server::{Server, Service};

/// Most brokers a cluster starts.
const MAX_BROKERS: usize = 64;

/// Builds a [`MockCluster`]; see [`MockCluster::builder`].
#[derive(Debug, Clone)]
pub struct MockClusterBuilder {
    brokers: usize,
    queues_per_topic: i32,
    auto_create_topics: bool,
    store_budget: usize,
    cluster_name: String,
    namesrv_port: u16,
    slaves: bool,
    accounts: Vec<AccountSpec>,
    controller: bool,
}

/// An ACL account the builder puts on every broker.
#[derive(Clone)]
struct AccountSpec {
    access_key: String,
    secret_key: String,
    admin: bool,
}

impl std::fmt::Debug for AccountSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountSpec")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("admin", &self.admin)
            .finish()
    }
}

/// An embedded RocketMQ cluster: one name server and N master brokers on `127.0.0.1`.
///
/// Dropping it stops every node and frees every port; [`MockCluster::shutdown`] also waits
/// until no task is left.
///
/// ```no_run
/// # async fn demo() -> rmq_testkit::Result<()> {
/// let cluster = rmq_testkit::MockCluster::builder().brokers(2).queues_per_topic(4).start().await?;
/// println!("name server at {}", cluster.namesrv_addr());
/// cluster.broker("broker-a").expect("exists").freeze();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MockCluster {
    namesrv: NamesrvHandle,
    brokers: Vec<BrokerHandle>,
    slaves: Vec<BrokerHandle>,
    token: CancellationToken,
    tracker: TaskTracker,
    _guard: DropGuard,
}

/// A broker of a [`MockCluster`]. Cheap to clone; every method takes `&self`.
#[derive(Debug, Clone)]
pub struct BrokerHandle {
    broker: Arc<Broker>,
    server: Server,
}

/// The name server of a [`MockCluster`]. Cheap to clone; every method takes `&self`.
#[derive(Debug, Clone)]
pub struct NamesrvHandle {
    server: Server,
}

impl Default for MockClusterBuilder {
    fn default() -> Self {
        MockClusterBuilder {
            brokers: 1,
            queues_per_topic: 4,
            auto_create_topics: true,
            store_budget: 64 << 20,
            cluster_name: "DefaultCluster".to_owned(),
            namesrv_port: 0,
            slaves: false,
            accounts: Vec::new(),
            controller: false,
        }
    }
}

impl MockClusterBuilder {
    /// Number of master brokers, named `broker-a`, `broker-b`... (default 1, at most 64).
    pub fn brokers(mut self, n: usize) -> Self {
        self.brokers = n;
        self
    }

    /// Queues of every auto-created or [`MockCluster::create_topic`]-less topic, and of the
    /// default topic `TBW102` (default 4).
    pub fn queues_per_topic(mut self, n: i32) -> Self {
        self.queues_per_topic = n;
        self
    }

    /// Whether a send to an unknown topic creates it, as Java's `autoCreateTopicEnable`
    /// (default true, like Java).
    pub fn auto_create_topics(mut self, on: bool) -> Self {
        self.auto_create_topics = on;
        self
    }

    /// Bytes of messages each broker keeps; older ones are dropped past it (default 64 MiB).
    pub fn store_budget(mut self, bytes: usize) -> Self {
        self.store_budget = bytes;
        self
    }

    /// The cluster name (default `DefaultCluster`).
    pub fn cluster_name(mut self, name: impl Into<String>) -> Self {
        self.cluster_name = name.into();
        self
    }

    /// The name server's port (default 0: a free one).
    pub fn namesrv_port(mut self, port: u16) -> Self {
        self.namesrv_port = port;
        self
    }

    /// Whether every broker gets a slave (broker id 1, its own port, the master's messages),
    /// listed in routes as the broker's second address (default false).
    pub fn slaves(mut self, on: bool) -> Self {
        self.slaves = on;
        self
    }

    /// Whether the name server's address also serves a single in-memory controller, as a
    /// Java 5.x name server with `enableControllerInNamesrv` (default false): controller
    /// metadata, sync state sets, elections, controller config, broker-data cleaning, and the
    /// brokers' epoch caches.
    pub fn controller(mut self, on: bool) -> Self {
        self.controller = on;
        self
    }

    /// Adds an ACL account to every broker (and slave) from the start, as
    /// [`MockCluster::set_account`] does later: from the first account on, brokers refuse
    /// requests not signed by a known account; `admin` accounts may also send admin requests
    /// (default: no accounts, no checking). A later call with the same access key replaces it.
    pub fn account(mut self, access_key: &str, secret_key: &str, admin: bool) -> Self {
        self.accounts.push(AccountSpec {
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            admin,
        });
        self
    }

    /// Starts the name server and the brokers.
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable setting (more than 1024 accounts included),
    /// [`Error::Bind`] when a port cannot be bound.
    ///
    /// # Cancel safety
    /// Cancel safe: nodes already started stop when the future is dropped.
    pub async fn start(self) -> Result<MockCluster> {
        if self.brokers == 0 || self.brokers > MAX_BROKERS {
            return Err(Error::Config(format!(
                "brokers must be 1..={MAX_BROKERS}, not {}",
                self.brokers
            )));
        }
        if !(1..=1024).contains(&self.queues_per_topic) {
            return Err(Error::Config(format!(
                "queues per topic must be 1..=1024, not {}",
                self.queues_per_topic
            )));
        }
        if self.store_budget == 0 || self.cluster_name.is_empty() {
            return Err(Error::Config(
                "store budget and cluster name must not be empty".into(),
            ));
        }
        let token = CancellationToken::new();
        let guard = token.clone().drop_guard();
        let tracker = TaskTracker::new();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.namesrv_port));
        let mut made = None;
        let server = Server::start(
            addr,
            |bound| {
                let namesrv = Arc::new(Namesrv::new(bound.port()));
                made = Some(namesrv.clone());
                namesrv as Arc<dyn Service>
            },
            Arc::new(Faults::default()),
            tracker.clone(),
            token.clone(),
        )
        .await
        .map_err(|source| Error::Bind { addr, source })?;
        let namesrv = made.ok_or_else(|| Error::Config("name server not built".into()))?;
        if self.controller {
            namesrv.enable_controller(server.addr().to_string());
        }
        let mut brokers = Vec::with_capacity(self.brokers);
        let mut slaves = Vec::new();
        for i in 0..self.brokers {
            let config = BrokerConfig {
                cluster: self.cluster_name.clone(),
                name: broker_name(i),
                id: 0,
                queues_per_topic: self.queues_per_topic,
                auto_create_topics: self.auto_create_topics,
                store_budget: self.store_budget,
            };
            let namesrv = namesrv.clone();
            let master = start_broker(
                |bound| Broker::new(config, bound, namesrv),
                &tracker,
                &token,
            )
            .await?;
            if self.slaves {
                let of = master.broker.clone();
                let slave =
                    start_broker(|bound| Broker::new_slave(&of, bound), &tracker, &token).await?;
                slaves.push(slave);
            }
            brokers.push(master);
        }
        let cluster = MockCluster {
            namesrv: NamesrvHandle { server },
            brokers,
            slaves,
            token,
            tracker,
            _guard: guard,
        };
        for a in &self.accounts {
            cluster.set_account(&a.access_key, &a.secret_key, a.admin)?;
        }
        Ok(cluster)
    }
}

/// Starts one broker node on a free port of `127.0.0.1`.
async fn start_broker(
    make: impl FnOnce(SocketAddr) -> Broker,
    tracker: &TaskTracker,
    token: &CancellationToken,
) -> Result<BrokerHandle> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let mut made = None;
    let server = Server::start(
        addr,
        |bound| {
            let broker = Arc::new(make(bound));
            made = Some(broker.clone());
            broker
        },
        Arc::new(Faults::default()),
        tracker.clone(),
        token.clone(),
    )
    .await
    .map_err(|source| Error::Bind { addr, source })?;
    let broker = made.ok_or_else(|| Error::Config("broker not built".into()))?;
    if !broker.is_slave() {
        broker.start_background(server.clone(), tracker, token.clone());
    }
    Ok(BrokerHandle { broker, server })
}

/// `broker-a`..`broker-z`, then `broker-26`...
fn broker_name(i: usize) -> String {
    match u8::try_from(i) {
        Ok(n) if n < 26 => format!("broker-{}", char::from(b'a' + n)),
        _ => format!("broker-{i}"),
    }
}

impl MockCluster {
    /// A builder with the defaults: one broker, 4 queues per topic, auto-create on, 64 MiB per
    /// broker, cluster `DefaultCluster`, a free name-server port.
    pub fn builder() -> MockClusterBuilder {
        MockClusterBuilder::default()
    }

    /// The name server's address, `127.0.0.1:PORT`: what a client is configured with.
    pub fn namesrv_addr(&self) -> String {
        self.namesrv.addr().to_string()
    }

    /// The name server's handle.
    pub fn namesrv(&self) -> NamesrvHandle {
        self.namesrv.clone()
    }

    /// The broker named `name`, if there is one.
    pub fn broker(&self, name: &str) -> Option<BrokerHandle> {
        self.brokers.iter().find(|b| b.name() == name).cloned()
    }

    /// Every master broker, in name order.
    pub fn brokers(&self) -> Vec<BrokerHandle> {
        self.brokers.clone()
    }

    /// The slave of broker `name`, when the cluster was built with
    /// [`MockClusterBuilder::slaves`].
    pub fn slave(&self, name: &str) -> Option<BrokerHandle> {
        self.slaves.iter().find(|b| b.name() == name).cloned()
    }

    /// Creates `topic` with `queues` read and write queues on every broker (Java: `mqadmin
    /// updateTopic` on each).
    pub fn create_topic(&self, topic: &str, queues: i32) {
        for broker in &self.brokers {
            broker
                .broker
                .put_topic(topic_config(topic, queues.max(1), perm::READ_WRITE));
        }
    }

    /// Creates or replaces an ACL account on every broker (a master and its slave share
    /// nothing here: each broker gets it). From the first account on, brokers refuse requests
    /// not signed by a known account with NO_PERMISSION, as Java's ACL does; `admin` accounts
    /// may also send admin requests.
    ///
    /// # Errors
    /// [`Error::Config`] when a broker holds too many accounts.
    pub fn set_account(&self, access_key: &str, secret_key: &str, admin: bool) -> Result<()> {
        for broker in self.brokers.iter().chain(&self.slaves) {
            broker.set_account(access_key, secret_key, admin)?;
        }
        Ok(())
    }

    /// Leaves broker `name` out of every route and cluster answer of the name server; the
    /// broker itself keeps running.
    ///
    /// # Errors
    /// [`Error::UnknownBroker`].
    pub fn remove_from_routes(&self, name: &str) -> Result<()> {
        self.set_hidden(name, true)
    }

    /// Undoes [`MockCluster::remove_from_routes`].
    ///
    /// # Errors
    /// [`Error::UnknownBroker`].
    pub fn restore_routes(&self, name: &str) -> Result<()> {
        self.set_hidden(name, false)
    }

    fn set_hidden(&self, name: &str, hidden: bool) -> Result<()> {
        let broker = self
            .broker(name)
            .ok_or_else(|| Error::UnknownBroker(name.to_owned()))?;
        broker.broker.namesrv_routes_set_hidden(hidden);
        Ok(())
    }

    /// Stops every node and waits until all their tasks have ended.
    ///
    /// # Cancel safety
    /// Cancel safe: everything is already told to stop when the wait begins.
    pub async fn shutdown(self) {
        self.token.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

/// Methods both node handles have: faults and counters.
macro_rules! fault_methods {
    () => {
        /// The node's address.
        pub fn addr(&self) -> SocketAddr {
            self.server.addr()
        }

        /// Keeps connections open but answers nothing until [`Self::thaw`] (requests received
        /// meanwhile are counted and dropped).
        pub fn freeze(&self) {
            self.server.faults().set_frozen(true);
        }

        /// Answers requests again.
        pub fn thaw(&self) {
            self.server.faults().set_frozen(false);
        }

        /// Whether the node is frozen.
        pub fn is_frozen(&self) -> bool {
            self.server.faults().is_frozen()
        }

        /// Whether the node is running (not killed).
        pub fn is_running(&self) -> bool {
            self.server.is_running()
        }

        /// Adds `delay` before every answer to `code` (zero removes it).
        pub fn set_latency(&self, code: RequestCode, delay: Duration) {
            self.server.faults().set_latency(code.0, delay);
        }

        /// Answers the next `n` requests with `code` by `response` (with a remark saying it is
        /// injected) instead of serving them; `n == 0` removes the rule.
        pub fn inject(&self, code: RequestCode, response: ResponseCode, n: u64) {
            self.server.faults().inject(code.0, response, n);
        }

        /// Writes only the first half of the answer to the next request with `code`, then
        /// closes that connection.
        pub fn close_mid_frame_next(&self, code: RequestCode) {
            self.server.faults().close_mid_frame_next(code.0);
        }

        /// Drops `fraction` (0.0..=1.0) of answers, chosen by a PRNG seeded with `seed` (the same
        /// seed drops the same answers); 0.0 stops dropping.
        pub fn drop_responses(&self, fraction: f64, seed: u64) {
            self.server.faults().drop_responses(fraction, seed);
        }

        /// Removes every fault rule and thaws; counters stay.
        pub fn clear_faults(&self) {
            self.server.faults().clear();
        }

        /// Requests with `code` received so far, answered or not.
        pub fn requests(&self, code: RequestCode) -> u64 {
            self.server.faults().requests(code.0)
        }

        /// Requests of every code received so far.
        pub fn total_requests(&self) -> u64 {
            self.server.faults().total_requests()
        }

        /// Sets every request counter back to zero (say, after a test's setup).
        pub fn reset_requests(&self) {
            self.server.faults().reset_requests();
        }

        /// Client connections currently open.
        pub fn connection_count(&self) -> usize {
            self.server.connections().len()
        }
    };
}

impl BrokerHandle {
    fault_methods!();

    /// The broker's name (`broker-a`...); a slave has its master's name.
    pub fn name(&self) -> &str {
        &self.broker.config().name
    }

    /// The broker id: 0 for a master, 1 for a slave.
    pub fn id(&self) -> i64 {
        self.broker.config().id
    }

    /// Makes this master's pull answers suggest its slave (`suggestWhichBrokerId` =
    /// `whichBrokerWhenConsumeSlowly`, 1), as Java does when a consumer lags far behind; `false`
    /// suggests the master again.
    pub fn suggest_slave(&self, on: bool) {
        self.broker.set_suggest_slave(on);
    }

    /// Closes the listener and every connection (connects are refused) and leaves the name
    /// server's routes, as a dead broker's closed channel makes Java's name server do.
    pub fn kill(&self) {
        self.server.kill();
        self.broker.unregister();
    }

    /// Listens again on the same address with the same messages, offsets and configs, but no
    /// clients, groups or locks until clients heartbeat again; re-registers its routes.
    ///
    /// # Errors
    /// [`Error::Bind`] when the address cannot be bound again.
    ///
    /// # Cancel safety
    /// Not cancel safe: dropped midway, the broker may stay down; call it again.
    pub async fn restart(&self) -> Result<()> {
        self.server.kill();
        self.broker.forget_clients();
        self.server.restart().await.map_err(|source| Error::Bind {
            addr: self.addr(),
            source,
        })?;
        self.broker.register();
        Ok(())
    }

    /// Creates or replaces an ACL account on this broker; see [`MockCluster::set_account`].
    ///
    /// # Errors
    /// [`Error::Config`] when the broker holds too many accounts.
    pub fn set_account(&self, access_key: &str, secret_key: &str, admin: bool) -> Result<()> {
        if self.broker.set_account(access_key, secret_key, admin) {
            Ok(())
        } else {
            Err(Error::Config("too many ACL accounts".into()))
        }
    }

    /// Creates or replaces `topic` with `queues` queues on this broker only.
    pub fn create_topic(&self, topic: &str, queues: i32) {
        self.broker
            .put_topic(topic_config(topic, queues.max(1), perm::READ_WRITE));
    }

    /// The committed offset of `group` on a queue, if any.
    pub fn committed_offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.broker.state().offset(group, topic, queue_id)
    }

    /// The max offset of a queue (messages ever stored in it).
    pub fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.broker.store().max_offset(topic, queue_id)
    }

    /// The client id holding the lock on a queue of this broker for `group`, if any (expired
    /// locks included until someone else takes them).
    pub fn lock_holder(&self, group: &str, topic: &str, queue_id: i32) -> Option<String> {
        let mq = rmq_protocol::MessageQueue::new(topic, self.name(), queue_id);
        self.broker
            .state()
            .locks
            .get(&(group.to_owned(), mq))
            .map(|lock| lock.client_id.clone())
    }

    /// Client ids of the live producers of `group`.
    pub fn producer_ids(&self, group: &str) -> Vec<String> {
        self.broker
            .state()
            .producers
            .get(group)
            .map(|g| g.values().map(|c| c.client_id.clone()).collect())
            .unwrap_or_default()
    }

    /// Client ids of the live members of consumer `group`.
    pub fn consumer_ids(&self, group: &str) -> Vec<String> {
        self.broker
            .state()
            .consumers
            .get(group)
            .map(|g| g.channels.values().map(|c| c.client_id.clone()).collect())
            .unwrap_or_default()
    }
}

impl NamesrvHandle {
    fault_methods!();

    /// Takes the name server down: listener and connections closed, connects refused. Its
    /// routes are kept for [`Self::restart`].
    pub fn kill(&self) {
        self.server.kill();
    }

    /// Brings the name server back on the same address.
    ///
    /// # Errors
    /// [`Error::Bind`] when the address cannot be bound again.
    ///
    /// # Cancel safety
    /// Not cancel safe: dropped midway, the name server may stay down; call it again.
    pub async fn restart(&self) -> Result<()> {
        self.server.restart().await.map_err(|source| Error::Bind {
            addr: self.addr(),
            source,
        })
    }
}
