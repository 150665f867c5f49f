//! What `rmq-admin` prints for an embedded testkit cluster (`rmq-testkit`) that keeps state as a
//! Java 5.3.3 broker does: HA status of a master with a slave, static topics as the broker
//! keeps them. The admin API side of these tests is `rmq-client-admin`'s `admin5_testkit`.

mod rmq_admin;

use rmq_admin::ok;
use rmq_testkit::MockCluster;

const CLUSTER: &str = "DefaultCluster";

/// A testkit cluster of one master, with a slave when `slave` is set. The tests drive it
/// through `rmq-admin` only.
async fn one_master(slave: bool) -> MockCluster {
    MockCluster::builder()
        .slaves(slave)
        .cluster_name(CLUSTER)
        .start()
        .await
        .expect("testkit starts")
}

/// haStatus of a master lists its slave in sync.
#[tokio::test]
async fn ha_status_of_a_master_lists_its_slave() {
    let cluster = one_master(true).await;
    let slave = cluster
        .slave(cluster.brokers()[0].name())
        .expect("a slave")
        .addr()
        .to_string();
    let out = ok(&cluster.namesrv_addr(), &["haStatus", "-c", CLUSTER]).await;
    assert!(out.contains("#SlaveNum\t1\n#InSyncSlaveNum\t1\n"), "{out}");
    assert!(out.contains(&slave), "{out}");
    assert!(out.contains("OK"), "{out}");
    cluster.shutdown().await;
}

/// updateStaticTopic prints each broker's part of the mapping it created, and getTopicConfig
/// prints the same from the broker.
#[tokio::test]
async fn static_topic_commands_print_what_the_broker_keeps() {
    let cluster = one_master(false).await;
    let namesrv = cluster.namesrv_addr();
    let name = cluster.brokers()[0].name().to_owned();
    let out = ok(
        &namesrv,
        &["updateStaticTopic", "-t", "S", "--qn", "2", "-c", CLUSTER],
    )
    .await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("============{name}============"));
    assert_eq!(lines[1], "topic=S readQueueNums=2 writeQueueNums=2 perm=6");
    assert!(
        lines[2].starts_with("#Epoch ") && lines[2].ends_with(" #TotalQueues 2 #Scope __global__"),
        "{out}"
    );
    assert_eq!(
        lines[4].split_whitespace().collect::<Vec<_>>(),
        ["0", name.as_str(), "0", "0", "0"]
    );
    assert_eq!(
        lines[5].split_whitespace().collect::<Vec<_>>(),
        ["1", name.as_str(), "1", "0", "0"]
    );
    let read = ok(&namesrv, &["getTopicConfig", "-t", "S"]).await;
    assert_eq!(read, out);
    cluster.shutdown().await;
}
