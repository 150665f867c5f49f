//! Creating, starting and shutting down a [`ClientInstance`] (Java's `MQClientInstance`
//! constructor, `start` and `shutdown`): the transport and its processor of broker-initiated
//! requests, the scheduled tasks, and the orderly stop. The state itself is `instance.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

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
use crate::instance::{ClientInstance, Inner};
use crate::processor::Processor;
use crate::replies::ReplyTable;
use crate::route::RouteTable;
use crate::state::ServiceState;
use crate::stats::ConsumerStats;
use crate::{nsaddr, tasks};

/// The next instance's index (Java's `MQClientManager` counter), process-wide.
static NEXT_INDEX: AtomicUsize = AtomicUsize::new(0);

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
            index: NEXT_INDEX.fetch_add(1, Ordering::Relaxed),
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
        info!(client_id = %self.client_id(), "client instance shut down");
        true
    }
}
