//! Starts a two-broker mock cluster, prints where its name server and brokers listen, and
//! stops it again: `cargo run -p rmq-testkit --example basic`.

use rmq_testkit::MockCluster;

#[tokio::main]
async fn main() -> rmq_testkit::Result<()> {
    let cluster = MockCluster::builder()
        .brokers(2)
        .queues_per_topic(4)
        .start()
        .await?;
    println!("namesrv {}", cluster.namesrv_addr());
    for broker in cluster.brokers() {
        println!("broker {} {}", broker.name(), broker.addr());
    }
    cluster.create_topic("TopicTest", 8);
    cluster.shutdown().await;
    Ok(())
}
