//! A private cluster of the crates.io servers: its own name server and brokers on random ports
//! with a temp store, stopped and deleted in `Drop`.
//!
//! It runs the same cached 1.0.0 binaries with the same broker config as the shared cluster of
//! `cargo xtask it` (both use [`crate::server`]). Starting and restarting block for up to a
//! minute; from async code call them inside `tokio::task::spawn_blocking`.

use std::path::Path;
use std::process::Child;

use crate::server::{self, Servers};

/// A name server with its brokers (`broker-a`, `broker-b`, ...) owned by one test.
///
/// ```no_run
/// let mut cluster = rmq_tests::cluster::RealCluster::start(2);
/// let namesrv = cluster.namesrv_addr();
/// cluster.kill_broker("broker-b");
/// cluster.restart_broker("broker-b");
/// # let _ = namesrv;
/// ```
#[derive(Debug)]
pub struct RealCluster {
    servers: Servers,
    /// Kills the servers and deletes the directory if this process dies without `Drop`.
    watchdog: Option<Child>,
}

impl RealCluster {
    /// Starts a cluster with `brokers` brokers.
    ///
    /// # Panics
    /// When it cannot start; the message carries the reason and the servers' log tails.
    pub fn start(brokers: usize) -> RealCluster {
        RealCluster::try_start(brokers).unwrap_or_else(|e| panic!("private cluster: {e}"))
    }

    /// Starts a cluster with `brokers` brokers, or says why it could not.
    ///
    /// # Errors
    /// See [`Servers::start`].
    pub fn try_start(brokers: usize) -> Result<RealCluster, String> {
        let dir = server::make_temp_dir("rmq-private").map_err(|e| format!("temp dir: {e}"))?;
        let name = format!("rmq-private-{:x}", server::unique_suffix() & 0xFFFF_FFFF);
        match Servers::start(&name, brokers, &dir, true) {
            Ok(servers) => {
                let mut cluster = RealCluster {
                    servers,
                    watchdog: None,
                };
                cluster.rearm_watchdog();
                Ok(cluster)
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }

    /// `127.0.0.1:<port>` of the name server.
    pub fn namesrv_addr(&self) -> String {
        self.servers.namesrv_addr()
    }

    /// The cluster name (`rmq-private-<hex>`).
    pub fn cluster_name(&self) -> &str {
        &self.servers.cluster
    }

    /// The broker names, `broker-a` first.
    pub fn broker_names(&self) -> Vec<&str> {
        self.servers
            .brokers
            .iter()
            .map(|b| b.name.as_str())
            .collect()
    }

    /// `127.0.0.1:<port>` of broker `name`.
    ///
    /// # Panics
    /// When there is no such broker.
    pub fn broker_addr(&self, name: &str) -> String {
        self.servers
            .broker(name)
            .unwrap_or_else(|| panic!("no broker {name}"))
            .addr()
    }

    /// Where configs, stores and logs live.
    pub fn dir(&self) -> &Path {
        &self.servers.dir
    }

    /// Kills broker `name` with SIGKILL, as a crash would. The name server drops it within
    /// about 3 s (once it notices the closed connection).
    ///
    /// # Panics
    /// When there is no such broker.
    pub fn kill_broker(&mut self, name: &str) {
        self.servers
            .kill_broker(name)
            .unwrap_or_else(|e| panic!("{e}"));
        self.rearm_watchdog();
    }

    /// Starts broker `name` again with its old ports and store and waits until the name server
    /// lists it and it answers.
    ///
    /// # Panics
    /// When there is no such broker or it does not come back.
    pub fn restart_broker(&mut self, name: &str) {
        let result = self.servers.restart_broker(name);
        self.rearm_watchdog();
        result.unwrap_or_else(|e| panic!("restarting {name}: {e}"));
    }

    fn rearm_watchdog(&mut self) {
        self.disarm_watchdog();
        let dir = self.servers.dir.clone();
        self.watchdog =
            server::spawn_watchdog(std::process::id(), &self.servers.pids(), &[&dir]).ok();
    }

    fn disarm_watchdog(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

impl Drop for RealCluster {
    fn drop(&mut self) {
        self.disarm_watchdog();
        self.servers.stop();
        let _ = std::fs::remove_dir_all(&self.servers.dir);
    }
}
