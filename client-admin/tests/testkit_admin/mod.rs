//! An [`Admin`] on an embedded testkit cluster (`rmq-testkit`), for the tests that need a
//! cluster keeping state rather than a scripted peer: start both, and stop both.
#![allow(dead_code)] // Each test binary uses a different subset.

use std::time::Duration;

use rmq_client_admin::Admin;
use rmq_testkit::{MockCluster, MockClusterBuilder};

/// Starts the cluster `builder` describes and an admin (3 s timeout) on its name server.
pub async fn start(builder: MockClusterBuilder) -> (MockCluster, Admin) {
    let cluster = builder.start().await.expect("testkit starts");
    let admin = Admin::builder()
        .namesrv(cluster.namesrv_addr())
        .timeout(Duration::from_secs(3))
        .build()
        .await
        .expect("admin starts");
    (cluster, admin)
}

/// Shuts the admin down, then the cluster.
pub async fn stop(cluster: MockCluster, admin: Admin) {
    admin.shutdown().await;
    cluster.shutdown().await;
}
