//! [`ClientInstance`]: Java's `MQClientInstance`, what every producer, consumer and admin of
//! one client id shares: the transport, the route and broker tables, the registered groups, the
//! scheduled tasks and the processor of broker-initiated requests.
//!
//! Route refresh lives in `refresh.rs`, heartbeats and unregistration in `heartbeat.rs`, the
//! broker-initiated requests in `processor.rs`; this file holds the state, registration and the
//! lifecycle.

use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use rmq_remoting::{RemotingClient, RemotingConfig};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::api::ClientApi;
use crate::broker::BrokerTable;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::inner::{AdminInner, ConsumerInner, ProducerInner};
use crate::processor::Processor;
use crate::replies::ReplyTable;
use crate::route::RouteTable;
use crate::state::ServiceState;
use crate::stats::ConsumerStats;
use crate::{manager, nsaddr, tasks};

/// Java's `LOCK_TIMEOUT_MILLIS` for the name-server and heartbeat locks.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(3);

/// A client instance: a cheap `Clone` handle; every method takes `&self`.
///
/// ```no_run
/// use rmq_client_core::{ClientConfig, ClientInstance};
/// # async fn demo() -> rmq_client_core::Result<()> {
/// let config = ClientConfig::builder().namesrv("127.0.0.1:9876").build()?;
/// let instance = ClientInstance::new(config)?;
/// instance.start().await?;
/// let route = instance.update_topic_route("TopicTest").await?;
/// instance.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientInstance {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    pub(crate) client_id: String,
    pub(crate) index: usize,
    pub(crate) boot: SystemTime,
    pub(crate) state: RwLock<ServiceState>,
    /// Serializes `start` and `shutdown`.
    pub(crate) lifecycle: Semaphore,
    pub(crate) api: ClientApi,
    pub(crate) producers: DashMap<String, Arc<dyn ProducerInner>>,
    pub(crate) consumers: DashMap<String, Arc<dyn ConsumerInner>>,
    pub(crate) admins: DashMap<String, Arc<dyn AdminInner>>,
    pub(crate) routes: RouteTable,
    pub(crate) brokers: BrokerTable,
    /// Java's `lockNamesrv`: one route update or offline-broker clean at a time.
    pub(crate) namesrv_lock: Semaphore,
    /// Route lookups and broker heartbeats in progress, shared by concurrent callers.
    pub(crate) flights: crate::single_flight::Flights,
    /// Busy answers received by the instance's producers and consumers.
    pub(crate) back_pressure: crate::back_pressure::BackPressure,
    /// Which brokers serve heartbeat V2 and the fingerprint each acknowledged.
    pub(crate) heartbeat_v2: std::sync::Mutex<crate::heartbeat_v2::V2State>,
    /// Java's `lockHeartbeat` guards the heartbeat counter.
    pub(crate) heartbeat_lock: tokio::sync::Mutex<u64>,
    pub(crate) rebalance: Notify,
    pub(crate) stats: ConsumerStats,
    pub(crate) replies: ReplyTable,
    pub(crate) token: CancellationToken,
    pub(crate) tracker: TaskTracker,
}

impl std::fmt::Debug for ClientInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientInstance")
            .field("client_id", &self.inner.client_id)
            .field("index", &self.inner.index)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl ClientInstance {
    /// Creates an instance that is not shared through the manager (see
    /// [`ClientInstance::shared`] for that). It does nothing until [`start`](Self::start).
    ///
    /// # Errors
    /// [`Error::Config`] when the transport cannot be configured (TLS files, ...).
    pub fn new(config: ClientConfig) -> Result<ClientInstance> {
        let remoting_config = RemotingConfig::builder().serialize_type(config.serialize_type());
        #[cfg(feature = "tls")]
        let remoting_config = if config.tls() {
            remoting_config.tls(rmq_remoting::TlsConfig::new())
        } else {
            remoting_config
        };
        let remoting_config = remoting_config
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        let mut builder = RemotingClient::builder()
            .config(remoting_config)
            .namesrv(config.namesrv_addrs().to_vec());
        if let Some(credentials) = config.credentials() {
            builder = builder.hook(Arc::new(crate::acl::AclHook::new(credentials)));
        }
        let remoting = builder.build();
        let api = ClientApi::new(remoting.clone(), config.language(), config.serialize_type());
        let inner = Arc::new(Inner {
            client_id: config.client_id(),
            config,
            index: manager::next_index(),
            boot: SystemTime::now(),
            state: RwLock::new(ServiceState::CreateJust),
            lifecycle: Semaphore::new(1),
            api,
            producers: DashMap::new(),
            consumers: DashMap::new(),
            admins: DashMap::new(),
            routes: RouteTable::default(),
            brokers: BrokerTable::default(),
            namesrv_lock: Semaphore::new(1),
            flights: Default::default(),
            back_pressure: Default::default(),
            heartbeat_v2: Default::default(),
            heartbeat_lock: tokio::sync::Mutex::new(0),
            rebalance: Notify::new(),
            stats: ConsumerStats::default(),
            replies: ReplyTable::default(),
            token: CancellationToken::new(),
            tracker: TaskTracker::new(),
        });
        let processor = Processor {
            instance: Arc::downgrade(&inner),
        };
        remoting.set_processor(Some(Arc::new(processor)));
        // A broker connected again may have restarted and forgotten this client's groups: it
        // would refuse pulls until the next periodic heartbeat (30 s). Heartbeat it at once.
        let weak = Arc::downgrade(&inner);
        remoting.set_on_reconnect(Some(Arc::new(move |addr: &str| {
            if let Some(instance) = ClientInstance::from_weak(&weak) {
                instance.heartbeat_on_reconnect(addr);
            }
        })));
        Ok(ClientInstance { inner })
    }

    /// The shared instance for `config`'s client id (created when there is none).
    ///
    /// # Errors
    /// [`Error::Conflict`] when a live instance with that id has a conflicting config.
    pub fn shared(config: ClientConfig) -> Result<ClientInstance> {
        manager::get_or_create(config)
    }

    pub(crate) fn from_weak(weak: &Weak<Inner>) -> Option<ClientInstance> {
        weak.upgrade().map(|inner| ClientInstance { inner })
    }

    pub(crate) fn ptr_eq(&self, other: &ClientInstance) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The config.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The client id, `ip@instanceName[@unitName]`.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The process-wide index of this instance.
    pub fn index(&self) -> usize {
        self.inner.index
    }

    /// When the instance was created.
    pub fn boot_time(&self) -> SystemTime {
        self.inner.boot
    }

    /// The lifecycle state.
    pub fn state(&self) -> ServiceState {
        self.inner
            .state
            .read()
            .map(|s| *s)
            .unwrap_or(ServiceState::ShutdownAlready)
    }

    fn set_state(&self, state: ServiceState) {
        if let Ok(mut s) = self.inner.state.write() {
            *s = state;
        }
    }

    /// The typed RPCs.
    pub fn api(&self) -> &ClientApi {
        &self.inner.api
    }

    /// The route table.
    pub fn routes(&self) -> &RouteTable {
        &self.inner.routes
    }

    /// The broker address and version tables.
    pub fn brokers(&self) -> &BrokerTable {
        &self.inner.brokers
    }

    /// Consume statistics, fed by consumers.
    pub fn stats(&self) -> &ConsumerStats {
        &self.inner.stats
    }

    /// Pending request-reply calls, fed by producers.
    pub fn replies(&self) -> &ReplyTable {
        &self.inner.replies
    }

    /// Number of tasks the instance itself runs (scheduled tasks and rebalance).
    pub fn task_count(&self) -> usize {
        self.inner.tracker.len()
    }

    /// Registers a producer group.
    ///
    /// # Errors
    /// [`Error::GroupExists`] when the group is already registered here.
    pub fn register_producer(&self, producer: Arc<dyn ProducerInner>) -> Result<()> {
        register(
            &self.inner.producers,
            "producer",
            producer.group().to_owned(),
            producer,
            self,
        )
    }

    /// Registers a consumer group.
    ///
    /// # Errors
    /// [`Error::GroupExists`] when the group is already registered here.
    pub fn register_consumer(&self, consumer: Arc<dyn ConsumerInner>) -> Result<()> {
        register(
            &self.inner.consumers,
            "consumer",
            consumer.group().to_owned(),
            consumer,
            self,
        )
    }

    /// Registers an admin.
    ///
    /// # Errors
    /// [`Error::GroupExists`] when the group is already registered here.
    pub fn register_admin(&self, admin: Arc<dyn AdminInner>) -> Result<()> {
        register(
            &self.inner.admins,
            "admin",
            admin.group().to_owned(),
            admin,
            self,
        )
    }

    /// Removes a producer group and unregisters it from every broker.
    pub async fn unregister_producer(&self, group: &str) {
        if self.inner.producers.remove(group).is_some() {
            self.unregister_client_with_lock(Some(group), None).await;
        }
    }

    /// Removes a consumer group and unregisters it from every broker.
    pub async fn unregister_consumer(&self, group: &str) {
        if self.inner.consumers.remove(group).is_some() {
            self.inner.stats.remove_group(group);
            self.unregister_client_with_lock(None, Some(group)).await;
        }
    }

    /// Removes an admin.
    pub fn unregister_admin(&self, group: &str) {
        self.inner.admins.remove(group);
    }

    /// The registered producer of `group`.
    pub fn producer(&self, group: &str) -> Option<Arc<dyn ProducerInner>> {
        self.inner.producers.get(group).map(|p| p.value().clone())
    }

    /// The registered consumer of `group`.
    pub fn consumer(&self, group: &str) -> Option<Arc<dyn ConsumerInner>> {
        self.inner.consumers.get(group).map(|c| c.value().clone())
    }

    /// Registered producer groups.
    pub fn producer_groups(&self) -> Vec<String> {
        self.inner
            .producers
            .iter()
            .map(|e| e.key().clone())
            .collect()
    }

    /// Registered consumer groups.
    pub fn consumer_groups(&self) -> Vec<String> {
        self.inner
            .consumers
            .iter()
            .map(|e| e.key().clone())
            .collect()
    }

    pub(crate) fn consumers_snapshot(&self) -> Vec<Arc<dyn ConsumerInner>> {
        self.inner
            .consumers
            .iter()
            .map(|e| e.value().clone())
            .collect()
    }

    pub(crate) fn producers_snapshot(&self) -> Vec<Arc<dyn ProducerInner>> {
        self.inner
            .producers
            .iter()
            .map(|e| e.value().clone())
            .collect()
    }

    /// Whether no producer, consumer or admin is registered.
    pub fn is_idle(&self) -> bool {
        self.inner.producers.is_empty()
            && self.inner.consumers.is_empty()
            && self.inner.admins.is_empty()
    }

    /// Starts the instance, as Java's `MQClientInstance.start`: the state goes to `StartFailed`
    /// while starting; without configured name servers their addresses are fetched from the
    /// address server; then the scheduled tasks and the rebalance service start, and the state
    /// becomes `Running`.
    ///
    /// A second call while running does nothing.
    ///
    /// # Errors
    /// [`Error::State`] after a failed start ("created before, and failed") or after shutdown;
    /// the address-server error when no name server can be found.
    pub async fn start(&self) -> Result<()> {
        let _permit = self
            .inner
            .lifecycle
            .acquire()
            .await
            .map_err(|_| self.state_error("is closed"))?;
        match self.state() {
            ServiceState::Running => return Ok(()),
            ServiceState::StartFailed => {
                return Err(self.state_error("has been created before, and failed"));
            }
            ServiceState::ShutdownAlready => {
                return Err(self.state_error("has been shut down; create a new instance"));
            }
            ServiceState::CreateJust => {}
        }
        self.set_state(ServiceState::StartFailed);
        if self.api().remoting().namesrv().is_empty() {
            let url = self
                .config()
                .address_server()
                .unwrap_or_default()
                .to_owned();
            match nsaddr::fetch(&url, self.config().api_timeout()).await? {
                Some(addrs) => {
                    self.api().remoting().namesrv().update(addrs);
                }
                None => {
                    return Err(Error::AddressServer {
                        url,
                        reason: "answered no name server".into(),
                    });
                }
            }
        }
        self.start_scheduled_tasks();
        self.spawn_rebalance_service();
        self.set_state(ServiceState::Running);
        info!(client_id = %self.client_id(), "client instance started");
        Ok(())
    }

    fn state_error(&self, message: &str) -> Error {
        Error::State {
            client_id: self.client_id().to_owned(),
            state: self.state(),
            message: message.to_owned(),
        }
    }

    /// Fails unless the instance is running.
    ///
    /// # Errors
    /// [`Error::State`] naming the current state.
    pub fn ensure_running(&self) -> Result<()> {
        if self.state() == ServiceState::Running {
            Ok(())
        } else {
            Err(self.state_error("is not running"))
        }
    }

    fn start_scheduled_tasks(&self) {
        let s = self.config().schedule().clone();
        let (tracker, token) = (&self.inner.tracker, &self.inner.token);
        let weak = Arc::downgrade(&self.inner);
        if self.config().namesrv_addrs().is_empty() {
            let w = weak.clone();
            tasks::spawn_periodic(
                tracker,
                token,
                "fetch_namesrv_addr",
                s.fetch_namesrv_delay,
                s.fetch_namesrv_period,
                move || {
                    let w = w.clone();
                    async move {
                        match ClientInstance::from_weak(&w) {
                            Some(i) => i.fetch_namesrv_addr().await,
                            None => Ok(()),
                        }
                    }
                },
            );
        }
        let w = weak.clone();
        tasks::spawn_periodic(
            tracker,
            token,
            "update_topic_routes",
            s.route_refresh_delay,
            self.config().poll_name_server_interval(),
            move || {
                let w = w.clone();
                async move {
                    if let Some(i) = ClientInstance::from_weak(&w) {
                        i.update_all_topic_routes().await;
                    }
                    Ok::<(), Error>(())
                }
            },
        );
        let w = weak.clone();
        tasks::spawn_periodic(
            tracker,
            token,
            "heartbeat",
            s.heartbeat_delay,
            self.config().heartbeat_broker_interval(),
            move || {
                let w = w.clone();
                async move {
                    if let Some(i) = ClientInstance::from_weak(&w) {
                        i.clean_offline_brokers().await?;
                        i.send_heartbeat_to_all_brokers().await?;
                    }
                    Ok::<(), Error>(())
                }
            },
        );
        let w = weak.clone();
        tasks::spawn_periodic(
            tracker,
            token,
            "persist_consumer_offsets",
            s.persist_offset_delay,
            self.config().persist_consumer_offset_interval(),
            move || {
                let w = w.clone();
                async move {
                    if let Some(i) = ClientInstance::from_weak(&w) {
                        i.persist_all_consumer_offsets().await;
                    }
                    Ok::<(), Error>(())
                }
            },
        );
        tasks::spawn_periodic(
            tracker,
            token,
            "adjust_concurrency",
            s.adjust_concurrency_delay,
            s.adjust_concurrency_period,
            move || {
                let w = weak.clone();
                async move {
                    if let Some(i) = ClientInstance::from_weak(&w) {
                        for c in i.consumers_snapshot() {
                            c.adjust_concurrency();
                        }
                    }
                    Ok::<(), Error>(())
                }
            },
        );
    }

    /// Fetches name-server addresses from the address server and uses them when they changed.
    ///
    /// # Errors
    /// The address server's failure.
    pub async fn fetch_namesrv_addr(&self) -> Result<()> {
        let Some(url) = self.config().address_server() else {
            return Ok(());
        };
        if let Some(addrs) = nsaddr::fetch(url, self.config().api_timeout()).await? {
            if self.api().remoting().namesrv().update(addrs.clone()) {
                info!(?addrs, "name-server addresses changed");
            }
        }
        Ok(())
    }

    /// Persists the offsets of every registered consumer.
    pub async fn persist_all_consumer_offsets(&self) {
        for c in self.consumers_snapshot() {
            c.persist_consumer_offset().await;
        }
    }

    /// Shuts the instance down: stops the scheduled tasks and the rebalance service, persists
    /// consumer offsets, unregisters every producer and consumer group from every broker,
    /// closes connections and waits for every task, all within the config's shutdown timeout.
    /// Safe to call more than once.
    pub async fn shutdown(&self) {
        self.shutdown_when(false).await;
    }

    /// Shuts the instance down only if no producer, consumer or admin is registered, deciding
    /// and switching state in one step so that a concurrent registration either lands first
    /// (and the instance keeps running) or is refused. Returns whether it shut down.
    ///
    /// User-facing handles call this after unregistering their group.
    pub async fn release_if_idle(&self) -> bool {
        self.shutdown_when(true).await
    }

    async fn shutdown_when(&self, only_if_idle: bool) -> bool {
        let Ok(_permit) = self.inner.lifecycle.acquire().await else {
            return false;
        };
        let was = {
            let Ok(mut state) = self.inner.state.write() else {
                return false;
            };
            if *state == ServiceState::ShutdownAlready || (only_if_idle && !self.is_idle()) {
                return false;
            }
            std::mem::replace(&mut *state, ServiceState::ShutdownAlready)
        };
        self.inner.token.cancel();
        let deadline = self.config().shutdown_timeout();
        let work = async {
            if was == ServiceState::Running {
                self.persist_all_consumer_offsets().await;
                for group in self.producer_groups() {
                    self.unregister_client(Some(&group), None).await;
                }
                for group in self.consumer_groups() {
                    self.unregister_client(None, Some(&group)).await;
                }
            }
        };
        if tokio::time::timeout(deadline, work).await.is_err() {
            warn!(client_id = %self.client_id(), ?deadline, "shutdown deadline passed; closing anyway");
        }
        self.inner.replies.fail_all();
        self.api().remoting().shutdown().await;
        self.inner.tracker.close();
        if tokio::time::timeout(deadline, self.inner.tracker.wait())
            .await
            .is_err()
        {
            warn!(client_id = %self.client_id(), "instance tasks did not stop in time");
        }
        manager::remove(self.client_id(), self);
        info!(client_id = %self.client_id(), "client instance shut down");
        true
    }
}

fn register<T: ?Sized>(
    table: &DashMap<String, Arc<T>>,
    role: &'static str,
    group: String,
    value: Arc<T>,
    instance: &ClientInstance,
) -> Result<()> {
    // Holding the state's read lock while inserting makes registration and
    // `release_if_idle`'s "idle, so shut down" (taken under the write lock) mutually exclusive.
    let state = instance
        .inner
        .state
        .read()
        .map_err(|_| instance.state_error("is poisoned"))?;
    if *state == ServiceState::ShutdownAlready {
        drop(state);
        return Err(instance.state_error("is shut down; registrations are refused"));
    }
    match table.entry(group) {
        dashmap::Entry::Occupied(e) => Err(Error::GroupExists {
            role,
            group: e.key().clone(),
            client_id: instance.client_id().to_owned(),
        }),
        dashmap::Entry::Vacant(e) => {
            e.insert(value);
            Ok(())
        }
    }
}
