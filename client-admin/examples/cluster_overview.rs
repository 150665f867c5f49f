//! Prints every broker of the cluster with its version, and every topic with its queue count.
//!
//! `cargo run -p rmq-client-admin --example cluster_overview -- 127.0.0.1:9876`

use rmq_client_admin::Admin;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let namesrv = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9876".into());
    let admin = Admin::connect(namesrv).await?;
    for broker in admin.cluster_list(None).await? {
        println!(
            "{} {} id={} {} {}",
            broker.cluster, broker.broker_name, broker.broker_id, broker.addr, broker.version
        );
    }
    for topic in admin.topic_list().await? {
        if let Ok(route) = admin.topic_route(&topic).await {
            let queues: i32 = route.queue_datas.iter().map(|q| q.write_queue_nums).sum();
            println!("{topic}: {queues} write queues");
        }
    }
    admin.shutdown().await;
    Ok(())
}
