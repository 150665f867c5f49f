//! [`Admin`]: the handle every admin operation hangs off, its builder, and the lookups the
//! operations share (routes, broker masters, cluster members).
//!
//! The operations themselves live in one file per resource family (`cluster`, `broker`,
//! `topic`, `group`, `consumer`, `message`, `kv`); this file owns no RPC of its own.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmq_client_core::config::NAMESRV_ADDR_ENV;
use rmq_client_core::{AdminInner, ClientApi, ClientConfig, ClientInstance};
use rmq_protocol::body::{ClusterInfo, TopicRouteData};

use crate::error::{Context, Error, Result};

/// Java's default admin group (`MixAll.TOOLS_CONSUMER_GROUP` is for pulls; admins register as
/// `admin_ext_group`).
pub const DEFAULT_ADMIN_GROUP: &str = "admin_ext_group";

/// Java's default RPC timeout for admin calls (`DefaultMQAdminExt.timeoutMillis`, 5 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// An admin client (Java's `DefaultMQAdminExt`): cheap to clone, every method takes `&self`.
///
/// It owns a private [`ClientInstance`] (its own instance name, as mqadmin does), registered
/// as an admin group. Create one with [`Admin::builder`] or [`Admin::connect`] and reuse it;
/// call [`Admin::shutdown`] when done.
///
/// ```no_run
/// # async fn demo() -> rmq_client_admin::Result<()> {
/// use rmq_client_admin::Admin;
/// let admin = Admin::connect("127.0.0.1:9876").await?;
/// for topic in admin.topic_list().await? {
///     println!("{topic}");
/// }
/// admin.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Admin {
    inner: Arc<Inner>,
}

struct Inner {
    instance: ClientInstance,
    group: String,
    timeout: Duration,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("group", &self.inner.group)
            .field("client_id", &self.inner.instance.client_id())
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

/// Registration of the admin group in the client instance.
struct Registration {
    group: String,
}

impl AdminInner for Registration {
    fn group(&self) -> &str {
        &self.group
    }
}

/// Builds an [`Admin`]; setters take `self` by value, [`build`](AdminBuilder::build) connects.
#[derive(Debug, Default)]
pub struct AdminBuilder {
    namesrv: Option<String>,
    config: Option<ClientConfig>,
    group: Option<String>,
    timeout: Option<Duration>,
    instance_name: Option<String>,
    credentials: Option<(String, String)>,
}

impl AdminBuilder {
    /// Name servers, `host:port` separated by `;`. Default: the `NAMESRV_ADDR` environment
    /// variable, as every builder of the workspace reads it; one of the two is required.
    pub fn namesrv(mut self, addrs: impl Into<String>) -> Self {
        self.namesrv = Some(addrs.into());
        self
    }

    /// The client config (name servers, namespace, credentials, TLS, serialization...), the
    /// same setter as on the producer and consumer builders. [`namesrv`](Self::namesrv)
    /// replaces its name servers. Credentials and the instance name are then the config's:
    /// [`credentials`](Self::credentials) or [`instance_name`](Self::instance_name) as well is
    /// refused by [`build`](Self::build). Default: built from the builder's settings.
    pub fn client_config(mut self, config: ClientConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The admin group registered in the instance (default [`DEFAULT_ADMIN_GROUP`]).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Timeout of each RPC (default [`DEFAULT_TIMEOUT`], 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The client instance name (default: `rmq-admin-` plus the pid and the time, so that
    /// every admin gets its own instance, as mqadmin does).
    pub fn instance_name(mut self, name: impl Into<String>) -> Self {
        self.instance_name = Some(name.into());
        self
    }

    /// ACL credentials (default none).
    pub fn credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.credentials = Some((access_key.into(), secret_key.into()));
        self
    }

    /// Validates the settings, starts a private client instance and registers the admin.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] without name servers (neither [`namesrv`](Self::namesrv),
    /// a [`client_config`](Self::client_config) nor `NAMESRV_ADDR`), with a malformed address,
    /// or with credentials or an instance name set beside a client config;
    /// [`Error::Client`] when the instance does not start.
    pub async fn build(self) -> Result<Admin> {
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let config = match self.config {
            Some(config) => {
                if self.credentials.is_some() || self.instance_name.is_some() {
                    return Err(Error::InvalidArgument(
                        "with client_config(..), set credentials and the instance name on the \
                         config, not on the admin builder"
                            .into(),
                    ));
                }
                let mut config = ClientConfig::resolve(self.namesrv.as_deref(), Some(config))
                    .map_err(|e| Error::InvalidArgument(e.to_string()))?;
                config.resolve_instance_name();
                config
            }
            None => own_config(self.namesrv, timeout, self.instance_name, self.credentials)?,
        };
        let instance =
            ClientInstance::new(config).context(|| "create the client instance".into())?;
        instance
            .start()
            .await
            .context(|| "start the client instance".into())?;
        let group = self.group.unwrap_or_else(|| DEFAULT_ADMIN_GROUP.to_owned());
        if let Err(e) = instance.register_admin(Arc::new(Registration {
            group: group.clone(),
        })) {
            instance.shutdown().await;
            return Err(e).context(|| format!("register admin group {group}"));
        }
        Ok(Admin {
            inner: Arc::new(Inner {
                instance,
                group,
                timeout,
            }),
        })
    }
}

/// The config of an admin given no client config: name servers from the builder, else from
/// the environment (the order of every builder, `ClientConfig::resolve`), and an instance name
/// of its own, as mqadmin does.
fn own_config(
    namesrv: Option<String>,
    timeout: Duration,
    instance_name: Option<String>,
    credentials: Option<(String, String)>,
) -> Result<ClientConfig> {
    let namesrv = namesrv
        .filter(|n| !n.trim().is_empty())
        .or_else(|| std::env::var(NAMESRV_ADDR_ENV).ok())
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "no name server: set namesrv(..) or {NAMESRV_ADDR_ENV}"
            ))
        })?;
    let instance_name = instance_name.unwrap_or_else(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("rmq-admin-{}-{nanos}", std::process::id())
    });
    let mut config = ClientConfig::builder()
        .namesrv(&namesrv)
        .instance_name(instance_name)
        .api_timeout(timeout);
    if let Some((ak, sk)) = credentials {
        config = config.credentials(ak, sk, None);
    }
    config
        .build()
        .map_err(|e| Error::InvalidArgument(format!("name server list {namesrv:?}: {e}")))
}

impl Admin {
    /// A builder with every default.
    pub fn builder() -> AdminBuilder {
        AdminBuilder::default()
    }

    /// Shortcut for `Admin::builder().namesrv(namesrv).build()`.
    ///
    /// # Errors
    /// As [`AdminBuilder::build`].
    pub async fn connect(namesrv: impl Into<String>) -> Result<Admin> {
        Admin::builder().namesrv(namesrv).build().await
    }

    /// Unregisters the admin and shuts its client instance down.
    pub async fn shutdown(&self) {
        self.inner.instance.unregister_admin(&self.inner.group);
        self.inner.instance.shutdown().await;
    }

    /// The client instance underneath.
    pub fn instance(&self) -> &ClientInstance {
        &self.inner.instance
    }

    /// The typed RPCs.
    pub(crate) fn api(&self) -> &ClientApi {
        self.inner.instance.api()
    }

    /// The per-RPC timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The configured name servers.
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.api().remoting().namesrv().addrs()
    }

    /// The name server that answered last, for error messages.
    pub(crate) fn namesrv_label(&self) -> String {
        format!("name server {}", self.namesrv_addrs().join(";"))
    }

    // ===== shared lookups =====

    /// The topic's route; [`Error::NotFound`] when the name server does not know it.
    pub(crate) async fn route_of(&self, topic: &str) -> Result<TopicRouteData> {
        self.api()
            .topic_route(topic, self.timeout())
            .await
            .context(|| format!("get the route of topic {topic}"))?
            .ok_or_else(|| Error::not_found(format!("topic {topic}"), Some(self.namesrv_label())))
    }

    /// Every broker group and cluster.
    pub(crate) async fn cluster(&self) -> Result<ClusterInfo> {
        self.api()
            .cluster_info(self.timeout())
            .await
            .context(|| format!("get the cluster info from {}", self.namesrv_label()))
    }

    /// `broker name -> master address` of every broker group in `cluster`.
    pub(crate) async fn cluster_masters(&self, cluster: &str) -> Result<BTreeMap<String, String>> {
        let info = self.cluster().await?;
        let names = info.cluster_addr_table.get(cluster).ok_or_else(|| {
            Error::not_found(format!("cluster {cluster}"), Some(self.namesrv_label()))
        })?;
        let mut masters = BTreeMap::new();
        for name in names {
            if let Some(addr) = info
                .broker_addr_table
                .get(name)
                .and_then(|b| b.master_addr())
            {
                masters.insert(name.clone(), addr.to_owned());
            }
        }
        Ok(masters)
    }

    /// The master address of `broker_name`, from the cluster info.
    pub(crate) async fn master_of(&self, broker_name: &str) -> Result<String> {
        let info = self.cluster().await?;
        info.broker_addr_table
            .get(broker_name)
            .and_then(|b| b.master_addr())
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::not_found(
                    format!("master of broker {broker_name}"),
                    Some(self.namesrv_label()),
                )
            })
    }

    /// The broker addresses a command targets: `addr` alone, or every master of `cluster`.
    pub(crate) async fn targets(&self, target: &Target) -> Result<Vec<String>> {
        match target {
            Target::Broker(addr) => Ok(vec![addr.clone()]),
            Target::Cluster(cluster) => {
                Ok(self.cluster_masters(cluster).await?.into_values().collect())
            }
        }
    }
}

/// `broker name -> master address` of the brokers in `route`.
pub(crate) fn route_masters(route: &TopicRouteData) -> BTreeMap<String, String> {
    route
        .broker_datas
        .iter()
        .filter_map(|b| Some((b.broker_name.clone(), b.master_addr()?.to_owned())))
        .collect()
}

/// Which brokers a write goes to: one broker address, or every master of a cluster (mqadmin's
/// `-b` / `-c`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One broker, `host:port`.
    Broker(String),
    /// Every master of the cluster.
    Cluster(String),
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
