//! [`ClientInstance`]: Java's `MQClientInstance`, what every producer, consumer and admin of
//! one client id shares: the transport, the route and broker tables, the registered groups, the
//! scheduled tasks and the processor of broker-initiated requests.
//!
//! This file holds the state and registration. Creation, start and shutdown live in
//! `lifecycle.rs`, route refresh in `refresh.rs`, heartbeats and unregistration in
//! `heartbeat.rs`, the broker-initiated requests in `processor.rs`: all of them above this
//! file, which imports none of them.

use std::future::Future;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::ClientApi;
use crate::broker::BrokerTable;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::heartbeat_v2_state::V2State;
use crate::inner::{AdminInner, ConsumerInner, ProducerInner};
use crate::replies::ReplyTable;
use crate::route::RouteTable;
use crate::single_flight::{Flights, Outcome};
use crate::state::ServiceState;
use crate::stats::ConsumerStats;

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
    pub(crate) flights: Arc<Flights>,
    /// Busy answers received by the instance's producers and consumers.
    pub(crate) back_pressure: crate::back_pressure::BackPressure,
    /// Which brokers serve heartbeat V2 and the fingerprint each acknowledged.
    pub(crate) heartbeat_v2: V2State,
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
    pub(crate) fn from_weak(weak: &Weak<Inner>) -> Option<ClientInstance> {
        weak.upgrade().map(|inner| ClientInstance { inner })
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

    pub(crate) fn set_state(&self, state: ServiceState) {
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

    /// Joins the single flight for `key` (see `single_flight.rs`), starting `lookup` with a
    /// handle to this instance when none is in progress.
    pub(crate) async fn single_flight<F, Fut>(&self, key: String, lookup: F) -> Outcome
    where
        F: FnOnce(ClientInstance) -> Fut,
        Fut: Future<Output = Result<bool>> + Send + 'static,
    {
        let instance = self.clone();
        self.inner
            .flights
            .join(
                key,
                move || lookup(instance),
                &self.inner.tracker,
                &self.inner.token,
                self.client_id(),
            )
            .await
    }

    pub(crate) fn state_error(&self, message: &str) -> Error {
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
