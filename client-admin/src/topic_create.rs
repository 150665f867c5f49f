//! [`Admin::create_topic`]: creating a topic with `mqadmin updateTopic`'s defaults (8 read and
//! 8 write queues, perm 6 = read|write, not ordered), on the name server's only cluster unless
//! told otherwise. [`Admin::create_or_update_topic`] stays for a full [`TopicConfig`].

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use rmq_protocol::body::{ClusterInfo, TopicConfig};
use rmq_protocol::perm;

use crate::admin::{Admin, Target};
use crate::error::{Error, Result};

/// Queues per direction `mqadmin updateTopic` creates when `-r`/`-w` are not given.
pub const DEFAULT_TOPIC_QUEUES: i32 = 8;

/// A topic to create, built by [`Admin::create_topic`]; `.await` it to send the request.
///
/// ```no_run
/// # async fn demo(admin: &rmq_client_admin::Admin) -> rmq_client_admin::Result<()> {
/// admin.create_topic("Orders").await?; // 8 queues, perm 6, the only cluster
/// admin.create_topic("Audit").queues(4).cluster("DefaultCluster").await?;
/// # Ok(()) }
/// ```
#[must_use = "a topic is created only when the builder is awaited"]
pub struct CreateTopic<'a> {
    admin: &'a Admin,
    config: TopicConfig,
    target: Option<Target>,
}

impl fmt::Debug for CreateTopic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateTopic")
            .field("config", &self.config)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Admin {
    /// Starts creating (or updating) `topic` with `mqadmin updateTopic`'s defaults: 8 read and
    /// 8 write queues, perm 6 (read|write), not ordered, on every master of the name server's
    /// cluster when it knows exactly one. Awaiting the builder returns the broker addresses
    /// written.
    ///
    /// # Errors
    /// (when awaited) As [`Admin::create_or_update_topic`]; [`Error::InvalidArgument`] when no
    /// target was set and the name server knows no cluster or several.
    pub fn create_topic(&self, topic: impl Into<String>) -> CreateTopic<'_> {
        CreateTopic {
            admin: self,
            config: TopicConfig {
                topic_name: topic.into(),
                read_queue_nums: DEFAULT_TOPIC_QUEUES,
                write_queue_nums: DEFAULT_TOPIC_QUEUES,
                perm: perm::READ | perm::WRITE,
                order: false,
                ..TopicConfig::default()
            },
            target: None,
        }
    }
}

impl CreateTopic<'_> {
    /// Read and write queue count (`-r` and `-w` together).
    pub fn queues(mut self, queues: i32) -> Self {
        self.config.read_queue_nums = queues;
        self.config.write_queue_nums = queues;
        self
    }

    /// Read queue count (`-r`).
    pub fn read_queues(mut self, queues: i32) -> Self {
        self.config.read_queue_nums = queues;
        self
    }

    /// Write queue count (`-w`).
    pub fn write_queues(mut self, queues: i32) -> Self {
        self.config.write_queue_nums = queues;
        self
    }

    /// Permission bits (`-p`): 2 write, 4 read, 1 inherit; 6 by default.
    pub fn perm(mut self, perm: i32) -> Self {
        self.config.perm = perm;
        self
    }

    /// Whether the topic is ordered (`-o`).
    pub fn order(mut self, order: bool) -> Self {
        self.config.order = order;
        self
    }

    /// Creates the topic on every master of `cluster` (`-c`).
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.target = Some(Target::Cluster(cluster.into()));
        self
    }

    /// Creates the topic on one broker, `host:port` (`-b`).
    pub fn broker(mut self, addr: impl Into<String>) -> Self {
        self.target = Some(Target::Broker(addr.into()));
        self
    }

    /// The config that will be sent.
    pub fn config(&self) -> &TopicConfig {
        &self.config
    }

    async fn send(self) -> Result<Vec<String>> {
        let target = match self.target {
            Some(target) => target,
            None => Target::Cluster(only_cluster(&self.admin.cluster_info().await?)?),
        };
        self.admin
            .create_or_update_topic(&target, &self.config)
            .await
    }
}

impl<'a> IntoFuture for CreateTopic<'a> {
    type Output = Result<Vec<String>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Vec<String>>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The name of the only cluster in `info`; an error naming the choice otherwise.
fn only_cluster(info: &ClusterInfo) -> Result<String> {
    let mut names = info.cluster_addr_table.keys();
    match (names.next(), names.next()) {
        (Some(name), None) => Ok(name.clone()),
        (None, _) => Err(Error::InvalidArgument(
            "the name server knows no cluster to create the topic on: name a broker".to_owned(),
        )),
        (Some(_), Some(_)) => Err(Error::InvalidArgument(format!(
            "the name server knows {} clusters ({}): name one with .cluster(..)",
            info.cluster_addr_table.len(),
            info.cluster_addr_table
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(clusters: &[&str]) -> ClusterInfo {
        ClusterInfo {
            cluster_addr_table: clusters
                .iter()
                .map(|c| ((*c).to_owned(), vec![format!("{c}-broker")]))
                .collect(),
            ..ClusterInfo::default()
        }
    }

    #[test]
    fn the_only_cluster_is_chosen() {
        assert_eq!(only_cluster(&info(&["C1"])).expect("one cluster"), "C1");
    }

    #[test]
    fn several_or_no_clusters_must_be_named() {
        let err = only_cluster(&info(&["A", "B"])).expect_err("two clusters");
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        let text = err.to_string();
        assert!(text.contains("2 clusters (A, B)"), "{text}");
        let err = only_cluster(&info(&[])).expect_err("no cluster");
        assert!(err.to_string().contains("no cluster"), "{err}");
    }
}
