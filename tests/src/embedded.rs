//! Embedded `rmq-testkit` clusters for the integration tests: the default when no real cluster
//! is configured. Each runs on a runtime of its own (one thread), so it outlives the runtime of
//! any one `#[tokio::test]` and can be steered from blocking code as well.

use std::sync::OnceLock;

use rmq_testkit::{BrokerHandle, MockCluster};
use tokio::runtime::Runtime;

use crate::Shared;

/// A [`MockCluster`] with the runtime that drives it.
#[derive(Debug)]
pub struct Embedded {
    cluster: Option<MockCluster>,
    runtime: Option<Runtime>,
}

impl Embedded {
    /// Starts a cluster of `brokers` brokers named `cluster`.
    ///
    /// # Errors
    /// When the runtime cannot be built or the cluster cannot bind its ports.
    pub fn start(brokers: usize, cluster: &str) -> Result<Embedded, String> {
        // On a thread of its own: the caller may be inside a runtime, where blocking is refused.
        let cluster = cluster.to_string();
        std::thread::spawn(move || Embedded::start_here(brokers, &cluster))
            .join()
            .map_err(|_| "the testkit start thread panicked".to_string())?
    }

    fn start_here(brokers: usize, cluster: &str) -> Result<Embedded, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("rmq-testkit")
            .enable_all()
            .build()
            .map_err(|e| format!("testkit runtime: {e}"))?;
        let mock = runtime
            .block_on(
                MockCluster::builder()
                    .brokers(brokers)
                    .cluster_name(cluster)
                    .start(),
            )
            .map_err(|e| format!("testkit cluster: {e}"))?;
        Ok(Embedded {
            cluster: Some(mock),
            runtime: Some(runtime),
        })
    }

    /// The cluster.
    ///
    /// # Panics
    /// Never after [`Embedded::start`]; the cluster is only taken in `Drop`.
    pub fn cluster(&self) -> &MockCluster {
        self.cluster
            .as_ref()
            .expect("invariant: the cluster lives until drop")
    }

    /// Broker `name`.
    ///
    /// # Panics
    /// When there is no such broker.
    pub fn broker(&self, name: &str) -> BrokerHandle {
        self.cluster()
            .broker(name)
            .unwrap_or_else(|| panic!("no broker {name}"))
    }

    /// Runs `fut` on the cluster's runtime and waits for it, from a helper thread so that it
    /// works from any caller, async or not (the caller's thread is blocked meanwhile).
    pub fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: std::future::Future + Send,
        F::Output: Send,
    {
        let runtime = self
            .runtime
            .as_ref()
            .expect("invariant: the runtime lives until drop");
        std::thread::scope(|s| {
            s.spawn(|| runtime.block_on(fut))
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if let (Some(cluster), Some(runtime)) = (self.cluster.take(), self.runtime.take()) {
            // A runtime can be neither blocked on nor dropped inside another one's task.
            let stop = std::thread::spawn(move || {
                runtime.block_on(cluster.shutdown());
                runtime.shutdown_background();
            });
            let _ = stop.join();
        }
    }
}

/// The process-wide embedded cluster the tests share when `RMQ_TEST_NAMESRV` is unset: one
/// broker, cluster `DefaultCluster`, started on first use and stopped when the test process
/// exits.
///
/// # Panics
/// When it cannot start (no free port), with the reason.
pub fn shared() -> Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let embedded = Embedded::start(1, "DefaultCluster")
                .unwrap_or_else(|e| panic!("embedded test cluster: {e}"));
            let shared = Shared {
                namesrv: embedded.cluster().namesrv_addr(),
                broker: embedded.broker("broker-a").addr().to_string(),
                cluster: "DefaultCluster".to_string(),
            };
            // Lives as long as the process: the OS closes its sockets at exit.
            std::mem::forget(embedded);
            shared
        })
        .clone()
}
