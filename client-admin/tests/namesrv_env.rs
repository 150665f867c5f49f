//! An admin finds its name server as every builder does: given to the builder, else in
//! `NAMESRV_ADDR`; without either, the error names both, not a library type a shell user cannot
//! act on. A test binary of its own, since it sets a process-wide environment variable.

use rmq_client_admin::{Admin, ErrorKind};
use rmq_client_core::ClientConfig;
use rmq_testkit::MockCluster;

#[tokio::test]
async fn an_admin_reads_namesrv_addr_when_no_name_server_is_given() {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    cluster.create_topic("EnvAdminTopic", 1);
    std::env::set_var("NAMESRV_ADDR", cluster.namesrv_addr());
    let admin = Admin::builder()
        .build()
        .await
        .expect("admin from NAMESRV_ADDR");
    let topics = admin.topic_list().await.expect("topics");
    assert!(topics.iter().any(|t| t == "EnvAdminTopic"), "{topics:?}");
    admin.shutdown().await;

    // A client config, as on the producer and consumer builders; namesrv(..) replaces its name
    // servers.
    let unreachable = ClientConfig::builder()
        .namesrv("127.0.0.1:1")
        .read_env(false)
        .build()
        .expect("config");
    let admin = Admin::builder()
        .client_config(unreachable.clone())
        .namesrv(cluster.namesrv_addr())
        .build()
        .await
        .expect("admin from a client config");
    assert_eq!(admin.namesrv_addrs(), [cluster.namesrv_addr()]);
    assert!(admin.topic_list().await.is_ok());
    admin.shutdown().await;
    let e = Admin::builder()
        .client_config(unreachable)
        .credentials("ak", "sk")
        .build()
        .await
        .expect_err("credentials belong in the config");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);

    std::env::remove_var("NAMESRV_ADDR");
    let e = Admin::builder().build().await.expect_err("no name server");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let text = e.to_string();
    assert!(
        text.contains("NAMESRV_ADDR") && text.contains("namesrv("),
        "{text}"
    );
    assert!(!text.contains("AdminBuilder"), "{text}");
    cluster.shutdown().await;
}
