//! Many sends in flight from one task: `send_async` waits only for in-flight room, the returned
//! futures resolve to the receipts.
//!
//! `cargo run -p rmq-client-producer --example async_send -- 127.0.0.1:9876 TopicTest`

use rmq_client_producer::{Message, Producer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let producer = Producer::builder()
        .namesrv(namesrv)
        .group("async_producer")
        .max_inflight_async(1_000)
        .build()
        .await?;
    let mut pending = Vec::new();
    for i in 0..100 {
        pending.push(
            producer
                .send_async(&Message::new(&topic, format!("async {i}")))
                .await?,
        );
    }
    let mut ok = 0;
    for p in pending {
        match p.await {
            Ok(_) => ok += 1,
            Err(e) => eprintln!("send failed: {e}"),
        }
    }
    println!("{ok} of 100 stored");
    producer.shutdown().await;
    Ok(())
}
