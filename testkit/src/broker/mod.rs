//! One broker: its store, its metadata, and the processors that serve client requests (one
//! file per request family; `dispatch` maps codes to them). It registers its topics with the
//! name server in-process.

mod acl;
mod admin;
mod admin5;
mod assignment;
mod auth;
mod background;
mod client;
mod dispatch;
mod inner;
mod lock;
mod offset;
mod pop;
mod pop_ack;
mod pop_state;
mod pull;
mod put_rules;
mod query;
mod recall;
mod recalled;
mod relay;
mod reply;
mod reset;
mod retry;
mod schedule;
mod send;
mod state;
mod static_topic;
mod topic_checks;
mod transaction;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::future::BoxFuture;
use rmq_protocol::body::{TopicConfig, TopicRouteData};
use rmq_protocol::{naming, perm, Command, ResponseCode};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::namesrv::{Namesrv, TopicQueues};
use crate::server::{ClientConn, Server, Service};
use crate::store::{Store, StoreConfig};

pub(crate) use state::State;

/// How a broker is set up.
#[derive(Debug, Clone)]
pub(crate) struct BrokerConfig {
    /// Cluster name.
    pub cluster: String,
    /// Broker name (`broker-a`...).
    pub name: String,
    /// Broker id (0 = master).
    pub id: i64,
    /// Queues of auto-created and `create_topic` topics (Java `defaultTopicQueueNums`).
    pub queues_per_topic: i32,
    /// Whether unknown topics are created on first send (Java `autoCreateTopicEnable`).
    pub auto_create_topics: bool,
    /// Store byte budget.
    pub store_budget: usize,
}

/// A broker's whole state. See the module docs.
#[derive(Debug)]
pub(crate) struct Broker {
    config: BrokerConfig,
    addr: SocketAddr,
    state: Mutex<State>,
    /// Shared by a master and its slave: the slave serves the master's messages, as Java's
    /// replication makes it do.
    store: Arc<Mutex<Store>>,
    /// Bumped on every stored message; long polls wait on it (shared like the store).
    arrivals: Arc<watch::Sender<u64>>,
    namesrv: Arc<Namesrv>,
    /// A slave's master: topics, groups and offsets are read from it.
    master: Option<Arc<Broker>>,
    /// Whether pulls are told to go to the slave (Java does when a consumer lags far behind).
    suggest_slave: AtomicBool,
    /// Broker config entries set by UPDATE_BROKER_CONFIG, on top of the built-in ones.
    overrides: Mutex<BTreeMap<String, String>>,
    started_ms: i64,
    /// ACL accounts (Java's `plain_acl.yml`); checking starts with the first.
    accounts: Mutex<acl::Accounts>,
    /// Round-robin position for puts without a queue id.
    next_queue: AtomicU32,
    /// What the 5.x admin requests keep (users, ACLs, mappings, bans...).
    admin5: Mutex<admin5::Admin5State>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Wall-clock milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    crate::store::now_ms()
}

impl Broker {
    /// A broker at `addr` with Java's built-in topics, registered with `namesrv`.
    pub(crate) fn new(config: BrokerConfig, addr: SocketAddr, namesrv: Arc<Namesrv>) -> Broker {
        let store = Store::new(StoreConfig {
            budget_bytes: config.store_budget,
            store_host: addr,
        });
        let broker = Broker {
            addr,
            state: Mutex::new(State::default()),
            store: Arc::new(Mutex::new(store)),
            arrivals: Arc::new(watch::channel(0).0),
            namesrv,
            master: None,
            suggest_slave: AtomicBool::new(false),
            overrides: Mutex::new(BTreeMap::new()),
            started_ms: now_ms(),
            accounts: Mutex::default(),
            next_queue: AtomicU32::new(0),
            admin5: Mutex::default(),
            config,
        };
        broker.create_system_topics();
        broker.register();
        broker
    }

    /// The slave (id 1) of `master` at `addr`: same name, same messages, registered as the
    /// broker's second address. It refuses sends, commits nothing from pulls, and tells pulls
    /// to go to the master (Java `slaveReadEnable=false`).
    pub(crate) fn new_slave(master: &Arc<Broker>, addr: SocketAddr) -> Broker {
        let broker = Broker {
            config: BrokerConfig {
                id: 1,
                ..master.config.clone()
            },
            addr,
            state: Mutex::new(State::default()),
            store: master.store.clone(),
            arrivals: master.arrivals.clone(),
            namesrv: master.namesrv.clone(),
            master: Some(master.clone()),
            suggest_slave: AtomicBool::new(false),
            overrides: Mutex::new(BTreeMap::new()),
            started_ms: now_ms(),
            accounts: Mutex::default(),
            next_queue: AtomicU32::new(0),
            admin5: Mutex::default(),
        };
        broker.register();
        broker
    }

    /// Whether this broker is a slave.
    pub(crate) fn is_slave(&self) -> bool {
        self.master.is_some()
    }

    /// Where topics, groups and offsets live: the master for a slave, else this broker.
    pub(crate) fn metadata(&self) -> &Broker {
        self.master.as_deref().unwrap_or(self)
    }

    /// Makes pulls suggest the slave (`whichBrokerWhenConsumeSlowly`) or not.
    pub(crate) fn set_suggest_slave(&self, on: bool) {
        self.suggest_slave.store(on, Relaxed);
    }

    /// Whether pulls suggest the slave.
    pub(crate) fn suggest_slave(&self) -> bool {
        self.suggest_slave.load(Relaxed)
    }

    /// Java `TopicConfigManager`'s built-in topics.
    fn create_system_topics(&self) {
        let c = &self.config;
        let mut topics = vec![
            (naming::SELF_TEST_TOPIC.to_owned(), 1, perm::READ_WRITE),
            (c.cluster.clone(), 16, perm::INHERIT | perm::READ_WRITE),
            (c.name.clone(), 1, perm::INHERIT | perm::READ_WRITE),
            (naming::OFFSET_MOVED_EVENT.to_owned(), 1, perm::READ_WRITE),
            (naming::SCHEDULE_TOPIC.to_owned(), 18, perm::READ_WRITE),
            (
                format!("{}_{}", c.cluster, naming::REPLY_TOPIC_POSTFIX),
                1,
                perm::READ_WRITE,
            ),
        ];
        if c.auto_create_topics {
            topics.push((
                naming::AUTO_CREATE_TOPIC_KEY_TOPIC.to_owned(),
                c.queues_per_topic,
                perm::INHERIT | perm::READ_WRITE,
            ));
        }
        let mut state = self.state();
        for (name, queues, perm) in topics {
            state
                .topics
                .insert(name.clone(), topic_config(&name, queues, perm));
        }
    }

    /// The broker's config.
    pub(crate) fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The broker's listening address (also its store host).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The metadata, locked (never across an await).
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The store, locked (never across an await).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Wakes long polls after messages were stored.
    pub(crate) fn messages_arrived(&self) {
        self.arrivals.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that changes whenever messages arrive.
    pub(crate) fn arrivals(&self) -> watch::Receiver<u64> {
        self.arrivals.subscribe()
    }

    /// Registers (again) with every topic, as Java's periodic registration does.
    pub(crate) fn register(&self) {
        let permission = self.permission();
        let topics: Vec<TopicQueues> = self
            .state()
            .topics
            .values()
            .map(|t| queues_of(t, permission))
            .collect();
        let c = &self.config;
        self.namesrv.routes().register_broker(
            &c.cluster,
            &c.name,
            c.id,
            &self.addr().to_string(),
            &topics,
        );
    }

    /// Leaves the name server's routes, as a dead broker's closed channel makes Java's do.
    pub(crate) fn unregister(&self) {
        let c = &self.config;
        self.namesrv.routes().unregister_broker(&c.name, c.id);
    }

    /// The name server's route of `topic`, as a broker's `TopicRouteInfoManager` reads it.
    pub(crate) fn namesrv_route(&self, topic: &str) -> Option<TopicRouteData> {
        self.namesrv.routes().route(topic)
    }

    /// Hides this broker from (or shows it again in) the name server's answers.
    pub(crate) fn namesrv_routes_set_hidden(&self, hidden: bool) {
        self.namesrv.routes().set_hidden(&self.config.name, hidden);
    }

    /// Creates or replaces an ACL account (checking starts with the first); `false` past the
    /// account limit.
    pub(crate) fn set_account(&self, access_key: &str, secret_key: &str, admin: bool) -> bool {
        self.with_accounts(|accounts| accounts.set(access_key, secret_key, admin))
    }

    /// Runs `f` on the ACL accounts, locked (never across an await).
    pub(crate) fn with_accounts<R>(&self, f: impl FnOnce(&mut acl::Accounts) -> R) -> R {
        f(&mut lock(&self.accounts))
    }

    /// The next queue among `queues` for a put that names none (Java picks at random; round
    /// robin spreads the same and is reproducible).
    pub(crate) fn pick_queue(&self, queues: i32) -> i32 {
        let n = u32::try_from(queues.max(1)).unwrap_or(1);
        // The remainder is below `queues`, an i32.
        i32::try_from(self.next_queue.fetch_add(1, Relaxed) % n).unwrap_or(0)
    }

    /// Starts this master's background task (delayed delivery, transaction checks) on the
    /// cluster's tracker; it pauses while `server` is killed and ends with `token`.
    pub(crate) fn start_background(
        self: &Arc<Self>,
        server: Server,
        tracker: &TaskTracker,
        token: CancellationToken,
    ) {
        background::spawn(self.clone(), server, tracker, token);
    }

    /// Forgets clients, memberships and locks (a restart); messages, offsets and configs stay.
    pub(crate) fn forget_clients(&self) {
        self.state().forget_clients();
    }

    /// Creates or replaces a topic and registers it with the name server; `false` when the
    /// broker holds too many topics.
    pub(crate) fn put_topic(&self, config: TopicConfig) -> bool {
        if let Some(master) = &self.master {
            return master.put_topic(config);
        }
        {
            let mut state = self.state();
            if state.topics.len() >= state::MAX_ENTRIES
                && !state.topics.contains_key(&config.topic_name)
            {
                return false;
            }
            state.data_version += 1;
            state
                .topics
                .insert(config.topic_name.clone(), config.clone());
        }
        let queues = queues_of(&config, self.permission());
        self.namesrv
            .routes()
            .register_topic(&self.config.name, &queues);
        true
    }

    /// Deletes a topic: config, messages, offsets, and its routes on this broker.
    pub(crate) fn delete_topic(&self, topic: &str) {
        {
            let mut state = self.state();
            state.topics.remove(topic);
            state.offsets.retain(|(t, _), _| t != topic);
            state.data_version += 1;
        }
        self.store().delete_topic(topic);
        self.namesrv
            .routes()
            .unregister_topic(&self.config.name, topic);
    }

    /// Broker config as GET_BROKER_CONFIG reports it.
    pub(crate) fn config_entries(&self) -> BTreeMap<String, String> {
        let c = &self.config;
        let mut map: BTreeMap<String, String> = [
            ("brokerClusterName", c.cluster.clone()),
            ("brokerName", c.name.clone()),
            ("brokerId", c.id.to_string()),
            ("brokerIP1", self.addr.ip().to_string()),
            ("listenPort", self.addr.port().to_string()),
            ("autoCreateTopicEnable", c.auto_create_topics.to_string()),
            ("autoCreateSubscriptionGroup", "true".into()),
            ("defaultTopicQueueNums", c.queues_per_topic.to_string()),
            ("brokerPermission", perm::READ_WRITE.to_string()),
            ("enablePropertyFilter", "true".into()),
            ("longPollingEnable", "true".into()),
            ("messageDelayLevel", DELAY_LEVELS.into()),
            (
                "brokerRole",
                if self.is_slave() {
                    "SLAVE"
                } else {
                    "ASYNC_MASTER"
                }
                .into(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        map.extend(lock(&self.overrides).clone());
        map
    }

    /// Sets broker config entries (kept and reported; the delay ladder, timer and transaction
    /// settings and `brokerPermission` are acted on). A new `brokerPermission` re-registers
    /// the broker's routes with it, as Java's `updateBrokerConfig` does.
    pub(crate) fn update_config(&self, entries: BTreeMap<String, String>) {
        let permission_changed = entries.contains_key("brokerPermission");
        {
            let mut overrides = lock(&self.overrides);
            for (k, v) in entries {
                if overrides.len() < state::MAX_ENTRIES || overrides.contains_key(&k) {
                    overrides.insert(k, v);
                }
            }
        }
        if permission_changed {
            self.state().data_version += 1;
            self.register();
        }
    }

    /// The broker config `brokerPermission` (Java's default: read and write).
    pub(crate) fn permission(&self) -> i32 {
        lock(&self.overrides)
            .get("brokerPermission")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(perm::READ_WRITE)
    }

    /// Java `TopicConfigManager#isOrderTopic`: the topic is configured as ordered, or listed
    /// in the name server's `ORDER_TOPIC_CONFIG`, which Java brokers read on registration.
    pub(crate) fn is_order_topic(&self, topic: &str) -> bool {
        self.state().topics.get(topic).is_some_and(|t| t.order)
            || self.namesrv.is_order_topic(topic)
    }

    /// Java's refusal of sends by a broker without write permission
    /// (`AbstractSendMessageProcessor#msgCheck`, `consumerSendMsgBack`).
    pub(crate) fn refuses_writes(&self) -> Command {
        crate::reply::error(
            ResponseCode::NO_PERMISSION,
            format!(
                "the broker[{}] sending message is forbidden",
                self.addr.ip()
            ),
        )
    }

    /// When the broker started, ms since the epoch.
    pub(crate) fn started_ms(&self) -> i64 {
        self.started_ms
    }
}

/// Java's answer to a send a slave cannot store (`SendMessageProcessor` for
/// `PutMessageStatus.SERVICE_NOT_AVAILABLE`).
pub(crate) fn slave_refuses_put() -> Command {
    crate::reply::error(
        ResponseCode::SERVICE_NOT_AVAILABLE,
        "service not available now. It may be caused by one of the following reasons: the broker's disk is full [CL: 0.00 CQ: 0.00 INDEX: 0.00], messages are put to the slave, message store has been shut down, etc.",
    )
}

/// Java's default `messageDelayLevel`.
pub(crate) const DELAY_LEVELS: &str = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

/// A topic config with `queues` each way.
pub(crate) fn topic_config(name: &str, queues: i32, perm: i32) -> TopicConfig {
    TopicConfig {
        topic_name: name.to_owned(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm,
        ..TopicConfig::default()
    }
}

/// A topic as the broker registers it: with the broker's permission instead of the topic's
/// when that lacks read or write (Java `BrokerController#registerBrokerAll`).
fn queues_of(config: &TopicConfig, broker_permission: i32) -> TopicQueues {
    let restricted =
        !perm::is_writeable(broker_permission) || !perm::is_readable(broker_permission);
    TopicQueues {
        topic: config.topic_name.clone(),
        read: config.read_queue_nums,
        write: config.write_queue_nums,
        perm: if restricted {
            broker_permission
        } else {
            config.perm
        },
        sys_flag: config.topic_sys_flag,
    }
}

impl Service for Broker {
    fn handle(
        self: Arc<Self>,
        request: Command,
        conn: ClientConn,
    ) -> BoxFuture<'static, Option<Command>> {
        Box::pin(dispatch::dispatch(self, request, conn))
    }

    fn connection_closed(&self, conn: &ClientConn) {
        client::connection_closed(self, conn);
    }
}
