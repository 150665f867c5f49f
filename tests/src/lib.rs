//! Support for rmq's integration tests, which talk to a real name server and broker on 127.0.0.1.
//!
//! # Getting started
//! `cargo xtask it` starts the shared cluster (crates.io `rocketmq-namesrv`/`rocketmq-broker`
//! 1.0.0), runs `cargo test -p rmq-tests` with the variables below set, and always tears the
//! cluster down; `cargo xtask ci` does the same after the other checks.
//!
//! ```no_run
//! let namesrv = rmq_tests::namesrv_addr(); // panics with the command to run when unset
//! let topic = rmq_tests::names::topic("send_reaches_the_broker");
//! # let _ = (namesrv, topic);
//! ```
//!
//! | variable | meaning |
//! |---|---|
//! | `RMQ_TEST_NAMESRV` | the shared name server, `127.0.0.1:<port>` |
//! | `RMQ_TEST_BROKER` | the first broker's address |
//! | `RMQ_TEST_CLUSTER` | the cluster name |
//! | `RMQ_CLUSTER_STATE` | the state file of the running shared cluster |
//!
//! Tests never skip: without `RMQ_TEST_NAMESRV` they panic and name `cargo xtask it`. Every test
//! uses its own topic and group from [`names`], so tests share one cluster and run in parallel.
//! Failover tests start a private [`Cluster`] instead, which they may kill brokers of.
#![deny(missing_docs)]

pub mod cluster;
pub mod names;
/// Install, start and stop the crates.io servers (the `rmq-test-servers` library, shared with
/// xtask).
pub use rmq_test_servers as server;

pub use cluster::Cluster;

/// The message every accessor panics with when the shared cluster is not configured.
pub const NOT_SET: &str = "RMQ_TEST_NAMESRV is not set: run `cargo xtask it`";

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

/// The shared cluster from the environment.
///
/// # Panics
/// When `RMQ_TEST_NAMESRV` is not set, with the message [`NOT_SET`]: integration tests never
/// skip. `RMQ_TEST_BROKER` and `RMQ_TEST_CLUSTER` must be set alongside it.
pub fn shared() -> Shared {
    let namesrv = var("RMQ_TEST_NAMESRV").unwrap_or_else(|| panic!("{NOT_SET}"));
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
