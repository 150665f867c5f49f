//! Support for rmq's integration tests, which talk to a name server and brokers on 127.0.0.1:
//! an embedded `rmq-testkit` cluster by default, or the crates.io servers.
//!
//! # Getting started
//! A plain `cargo test -p rmq-tests` (or `cargo xtask it`) runs every test against an embedded
//! [`rmq_testkit::MockCluster`] started inside each test process: no server to install.
//! `cargo xtask it --real` starts the crates.io `rocketmq-namesrv`/`rocketmq-broker` 1.0.0
//! servers, runs the same tests with the variables below set, and always tears them down;
//! `cargo xtask ci` runs the suite both ways.
//!
//! ```no_run
//! let namesrv = rmq_tests::namesrv_addr(); // the real cluster's, or the embedded one's
//! let topic = rmq_tests::names::topic("send_reaches_the_broker");
//! # let _ = (namesrv, topic);
//! ```
//!
//! | variable | meaning |
//! |---|---|
//! | `RMQ_TEST_NAMESRV` | the shared real name server, `127.0.0.1:<port>`; unset: embedded |
//! | `RMQ_TEST_BROKER` | the first broker's address |
//! | `RMQ_TEST_CLUSTER` | the cluster name |
//! | `RMQ_CLUSTER_STATE` | the state file of the running shared cluster |
//!
//! Tests never skip. Every test uses its own topic and group from [`names`], so tests share one
//! cluster and run in parallel. Failover tests start a private [`Cluster`] instead (embedded or
//! real, as [`real_servers`] says), which they may kill brokers of.
#![deny(missing_docs)]

pub mod cluster;
pub mod embedded;
pub mod names;
/// Install, start and stop the crates.io servers (the `rmq-test-servers` library, shared with
/// xtask).
pub use rmq_test_servers as server;

pub use cluster::Cluster;

/// Where the shared cluster is, as `cargo xtask it` announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    /// The name server, `127.0.0.1:<port>`.
    pub namesrv: String,
    /// The first broker's address.
    pub broker: String,
    /// The cluster name.
    pub cluster: String,
}

/// The cluster the tests share: the one `RMQ_TEST_NAMESRV` names (the crates.io servers that
/// `cargo xtask it --real` starts), else an embedded `rmq-testkit` cluster started on first use
/// in this test process.
///
/// # Panics
/// When `RMQ_TEST_NAMESRV` is set without `RMQ_TEST_BROKER` and `RMQ_TEST_CLUSTER`, or when the
/// embedded cluster cannot start.
pub fn shared() -> Shared {
    let Some(namesrv) = var("RMQ_TEST_NAMESRV") else {
        return embedded::shared();
    };
    let broker = var("RMQ_TEST_BROKER").unwrap_or_else(|| {
        panic!("RMQ_TEST_BROKER is not set (RMQ_TEST_NAMESRV is): run `cargo xtask it`")
    });
    let cluster = var("RMQ_TEST_CLUSTER").unwrap_or_else(|| {
        panic!("RMQ_TEST_CLUSTER is not set (RMQ_TEST_NAMESRV is): run `cargo xtask it`")
    });
    Shared {
        namesrv,
        broker,
        cluster,
    }
}

/// The shared name server's address; see [`shared`].
pub fn namesrv_addr() -> String {
    shared().namesrv
}

/// The shared cluster's first broker address; see [`shared`].
pub fn broker_addr() -> String {
    shared().broker
}

/// The shared cluster's name; see [`shared`].
pub fn cluster_name() -> String {
    shared().cluster
}

/// Whether the tests run against the crates.io servers (`RMQ_TEST_NAMESRV` is set, as `cargo
/// xtask it --real` does) rather than the embedded testkit. Private [`Cluster`]s follow the same
/// choice.
pub fn real_servers() -> bool {
    var("RMQ_TEST_NAMESRV").is_some()
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Polls `cond` every 100 ms until it holds or `within` passes; returns whether it held.
///
/// The real broker applies much of what a test does asynchronously (route registration,
/// consume-queue dispatch, indexing), so tests wait for an observable outcome, never a fixed
/// sleep.
pub async fn eventually<F: std::future::Future<Output = bool>>(
    within: std::time::Duration,
    mut cond: impl FnMut() -> F,
) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if cond().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    cond().await
}
