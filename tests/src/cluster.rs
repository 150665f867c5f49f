//! A private cluster for tests that break things (failover): its own name server and brokers,
//! stopped in `Drop`. Embedded (`rmq-testkit`) unless the tests run against the crates.io
//! servers ([`crate::real_servers`]), so a failover test runs the same way on both.
//!
//! Every method blocks (a real broker takes seconds to start); from async code call them inside
//! `tokio::task::spawn_blocking`.

mod real;

pub use real::RealCluster;

use crate::embedded::Embedded;
use crate::server;

/// A name server with its brokers (`broker-a`, `broker-b`, ...) owned by one test.
///
/// ```no_run
/// let mut cluster = rmq_tests::Cluster::start(2);
/// let namesrv = cluster.namesrv_addr();
/// cluster.kill_broker("broker-b");
/// cluster.restart_broker("broker-b");
/// # let _ = namesrv;
/// ```
#[derive(Debug)]
pub struct Cluster {
    backend: Backend,
    name: String,
}

#[derive(Debug)]
enum Backend {
    Embedded(Box<Embedded>),
    Real(Box<RealCluster>),
}

impl Cluster {
    /// Starts a cluster with `brokers` brokers.
    ///
    /// # Panics
    /// When it cannot start; the message carries the reason (and a real server's log tails).
    pub fn start(brokers: usize) -> Cluster {
        Cluster::try_start(brokers).unwrap_or_else(|e| panic!("private cluster: {e}"))
    }

    /// Starts a cluster with `brokers` brokers, or says why it could not.
    ///
    /// # Errors
    /// When the servers cannot start.
    pub fn try_start(brokers: usize) -> Result<Cluster, String> {
        if crate::real_servers() {
            let real = RealCluster::try_start(brokers)?;
            let name = real.cluster_name().to_string();
            return Ok(Cluster {
                backend: Backend::Real(Box::new(real)),
                name,
            });
        }
        let name = format!("rmq-private-{:x}", server::unique_suffix() & 0xFFFF_FFFF);
        let embedded = Embedded::start(brokers, &name)?;
        Ok(Cluster {
            backend: Backend::Embedded(Box::new(embedded)),
            name,
        })
    }

    /// `127.0.0.1:<port>` of the name server.
    pub fn namesrv_addr(&self) -> String {
        match &self.backend {
            Backend::Embedded(e) => e.cluster().namesrv_addr(),
            Backend::Real(r) => r.namesrv_addr(),
        }
    }

    /// The cluster name (`rmq-private-<hex>`).
    pub fn cluster_name(&self) -> &str {
        &self.name
    }

    /// The broker names, `broker-a` first.
    pub fn broker_names(&self) -> Vec<String> {
        match &self.backend {
            Backend::Embedded(e) => e
                .cluster()
                .brokers()
                .iter()
                .map(|b| b.name().to_string())
                .collect(),
            Backend::Real(r) => r.broker_names().into_iter().map(String::from).collect(),
        }
    }

    /// `127.0.0.1:<port>` of broker `name`.
    ///
    /// # Panics
    /// When there is no such broker.
    pub fn broker_addr(&self, name: &str) -> String {
        match &self.backend {
            Backend::Embedded(e) => e.broker(name).addr().to_string(),
            Backend::Real(r) => r.broker_addr(name),
        }
    }

    /// The embedded cluster, for its fault API (freeze, latency, injected codes, counters);
    /// `None` on the crates.io servers.
    pub fn embedded(&self) -> Option<&rmq_testkit::MockCluster> {
        match &self.backend {
            Backend::Embedded(e) => Some(e.cluster()),
            Backend::Real(_) => None,
        }
    }

    /// Kills broker `name` as a crash would: its connections close and new ones are refused.
    /// The name server drops it within about 3 s on the crates.io servers, at once embedded.
    ///
    /// # Panics
    /// When there is no such broker.
    pub fn kill_broker(&mut self, name: &str) {
        match &mut self.backend {
            Backend::Embedded(e) => e.broker(name).kill(),
            Backend::Real(r) => r.kill_broker(name),
        }
    }

    /// Starts broker `name` again with its old address and data and waits until the name
    /// server lists it.
    ///
    /// # Panics
    /// When there is no such broker or it does not come back.
    pub fn restart_broker(&mut self, name: &str) {
        match &mut self.backend {
            Backend::Embedded(e) => {
                let broker = e.broker(name);
                e.block_on(broker.restart())
                    .unwrap_or_else(|err| panic!("restarting {name}: {err}"));
            }
            Backend::Real(r) => r.restart_broker(name),
        }
    }
}
