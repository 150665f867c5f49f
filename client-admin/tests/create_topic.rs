//! `Admin::create_topic`: mqadmin's defaults (8 queues, perm 6) on the only cluster, against an
//! embedded testkit cluster.

mod testkit_admin;

use rmq_client_admin::{Admin, ErrorKind, DEFAULT_TOPIC_QUEUES};
use rmq_testkit::MockCluster;
use testkit_admin::{start, stop};

/// `brokers` masters of the only cluster, `OnlyCluster`, and an admin.
async fn cluster(brokers: usize) -> (MockCluster, Admin) {
    start(
        MockCluster::builder()
            .brokers(brokers)
            .cluster_name("OnlyCluster"),
    )
    .await
}

#[tokio::test]
async fn create_topic_uses_mqadmin_defaults_on_the_only_cluster() {
    let (cluster, admin) = cluster(2).await;
    let mut written = admin.create_topic("DefaultsTopic").await.expect("created");
    written.sort();
    let mut masters: Vec<String> = cluster
        .brokers()
        .iter()
        .map(|b| b.addr().to_string())
        .collect();
    masters.sort();
    assert_eq!(written, masters);
    for addr in &written {
        let configs = admin.topic_configs(addr).await.expect("configs");
        let config = &configs["DefaultsTopic"];
        assert_eq!(config.read_queue_nums, DEFAULT_TOPIC_QUEUES);
        assert_eq!(config.write_queue_nums, 8);
        assert_eq!(config.perm, 6);
        assert!(!config.order);
    }
    stop(cluster, admin).await;
}

#[tokio::test]
async fn create_topic_takes_queues_and_a_broker_or_cluster() {
    let (cluster, admin) = cluster(2).await;
    let addr = cluster.brokers()[0].addr().to_string();
    let written = admin
        .create_topic("OneBroker")
        .queues(3)
        .perm(4)
        .broker(addr.clone())
        .await
        .expect("created");
    assert_eq!(written, vec![addr.clone()]);
    let config = admin.topic_configs(&addr).await.expect("configs")["OneBroker"].clone();
    assert_eq!((config.read_queue_nums, config.write_queue_nums), (3, 3));
    assert_eq!(config.perm, 4);
    let other = cluster.brokers()[1].addr().to_string();
    let configs = admin.topic_configs(&other).await.expect("configs");
    assert!(!configs.contains_key("OneBroker"));

    let err = admin
        .create_topic("Nowhere")
        .cluster("NoSuchCluster")
        .await
        .expect_err("unknown cluster");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = admin
        .create_topic("BadQueues")
        .queues(0)
        .await
        .expect_err("zero queues");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    stop(cluster, admin).await;
}
