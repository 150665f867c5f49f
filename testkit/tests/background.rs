//! The brokers' background task (delayed delivery, transaction checks): started with the
//! cluster, stopped by `shutdown()`, idle while its broker is killed.

mod helpers;

use std::time::{Duration, Instant};

use helpers::{send, update_config, EVENTUALLY};
use rmq_remoting::{Connection, RemotingConfig};
use rmq_testkit::MockCluster;

/// Tasks alive on the current runtime.
fn alive() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// After `shutdown().await` no task of the cluster is left, background tasks included, even
/// when the brokers served requests (the client runs on a runtime of its own, so only the
/// cluster's tasks are counted here).
#[tokio::test]
async fn shutdown_leaves_no_task_behind() {
    let baseline = alive();
    let cluster = MockCluster::builder()
        .brokers(2)
        .start()
        .await
        .expect("starts");
    let addrs: Vec<String> = cluster
        .brokers()
        .iter()
        .map(|b| b.addr().to_string())
        .collect();
    let client_rt = tokio::runtime::Runtime::new().expect("client runtime");
    client_rt
        .spawn(async move {
            for addr in addrs {
                let conn = Connection::connect(&addr, &RemotingConfig::default())
                    .await
                    .expect("connects");
                send(&conn, "BG", 0, &[("DELAY", "1")], "later").await;
                conn.close().await;
            }
        })
        .await
        .expect("client ran");
    client_rt.shutdown_background();
    assert!(
        alive() > baseline,
        "the cluster runs tasks (background tasks at least)"
    );
    cluster.shutdown().await;
    assert_eq!(alive(), baseline, "every cluster task ended");
}

/// A killed broker delivers no delayed message, however long it stays down; once restarted it
/// delivers the message that fell due meanwhile.
#[tokio::test]
async fn killed_broker_delivers_no_delayed_message_until_restarted() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let broker = cluster.broker("broker-a").expect("broker-a");
    let conn = Connection::connect(&broker.addr().to_string(), &RemotingConfig::default())
        .await
        .expect("connects");
    update_config(&conn, &[("messageDelayLevel", "300ms")]).await;
    send(&conn, "D", 0, &[("DELAY", "1")], "later").await;
    broker.kill();
    // Three times the delay: a running broker would have delivered it by now.
    let down_until = Instant::now() + Duration::from_millis(900);
    while Instant::now() < down_until {
        assert_eq!(broker.max_offset("D", 0), 0, "delivered while killed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    broker.restart().await.expect("restarts");
    let deadline = Instant::now() + EVENTUALLY;
    while broker.max_offset("D", 0) == 0 {
        assert!(Instant::now() < deadline, "not delivered after the restart");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(broker.max_offset("D", 0), 1);
    cluster.shutdown().await;
}
