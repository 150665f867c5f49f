//! Sends a few messages and prints their receipts.
//!
//! `cargo run -p rmq-client-producer --example quick_start -- 127.0.0.1:9876 TopicTest`

use rmq_client_producer::{Message, Producer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let producer = Producer::builder()
        .namesrv(namesrv)
        .group("quick_start_producer")
        .build()
        .await?;
    for i in 0..10 {
        let msg = Message::new(&topic, format!("Hello RocketMQ {i}"))
            .with_tag("TagA")
            .with_keys([format!("key-{i}")]);
        match producer.send(&msg).await {
            Ok(r) => println!(
                "{:?} msg_id={} queue={}:{} offset={}",
                r.status(),
                r.msg_id(),
                r.queue().broker_name,
                r.queue().queue_id,
                r.queue_offset()
            ),
            Err(e) => eprintln!("send failed: {e}"),
        }
    }
    producer.shutdown().await;
    Ok(())
}
