//! Where a producer builder finds its name servers: given to the builder, else in its client
//! config, else in `NAMESRV_ADDR` (Java's `NamesrvAddr` environment fallback), the order every
//! builder of the workspace follows (`ClientConfig::resolve`). A test binary of its own, since
//! it sets a process-wide environment variable.

use rmq_client_core::ClientConfig;
use rmq_client_producer::{ErrorKind, Message, Producer, TransactionProducer, TransactionState};
use rmq_testkit::MockCluster;

/// An address nothing listens on: a producer that used it could not send.
const NOWHERE: &str = "127.0.0.1:1";

fn config_with(namesrv: &str) -> ClientConfig {
    ClientConfig::builder()
        .namesrv(namesrv)
        .read_env(false)
        .build()
        .expect("config")
}

async fn sends(producer: &Producer) -> bool {
    let sent = producer.send(&Message::new("EnvTopic", "x")).await.is_ok();
    producer.shutdown().await;
    sent
}

#[tokio::test]
async fn builders_take_the_name_server_from_the_builder_then_the_config_then_the_environment() {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    let ns = cluster.namesrv_addr();
    std::env::set_var("NAMESRV_ADDR", &ns);

    // Nothing given: the environment's.
    let from_env = Producer::builder()
        .group("env_pg")
        .build()
        .await
        .expect("producer from NAMESRV_ADDR");
    assert!(sends(&from_env).await, "NAMESRV_ADDR was used");
    let tx = TransactionProducer::builder()
        .group("env_tx")
        .checker(|_msg| async { TransactionState::Commit })
        .build()
        .await
        .expect("transactional producer from NAMESRV_ADDR");
    assert!(sends(tx.as_producer()).await);

    // The builder's own beats the config's.
    let explicit = Producer::builder()
        .client_config(config_with(NOWHERE))
        .namesrv(&ns)
        .group("explicit_pg")
        .build()
        .await
        .expect("producer");
    assert!(sends(&explicit).await, "namesrv() replaced the config's");

    // A config beats the environment: with read_env(false) the shell's variable is not read.
    let no_env = ClientConfig::builder().read_env(false).build();
    assert!(no_env.is_err(), "read_env(false) ignores NAMESRV_ADDR");
    let configured = Producer::builder()
        .client_config(config_with(NOWHERE))
        .group("config_pg")
        .send_timeout(std::time::Duration::from_millis(500))
        .build()
        .await
        .expect("producer");
    let e = configured
        .send(&Message::new("EnvTopic", "x"))
        .await
        .expect_err("the config's unreachable name server, not the environment's");
    assert!(
        matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Connection),
        "{e}"
    );
    configured.shutdown().await;

    std::env::remove_var("NAMESRV_ADDR");
    let none = Producer::builder()
        .group("none_pg")
        .build()
        .await
        .expect_err("no name server anywhere");
    assert_eq!(none.kind(), ErrorKind::InvalidArgument);
    assert!(none.to_string().contains("NAMESRV_ADDR"), "{none}");
    cluster.shutdown().await;
}
