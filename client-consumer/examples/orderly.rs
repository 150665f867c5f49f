//! Consume a topic in queue order with an orderly listener until Ctrl-C.
//!
//! ```sh
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client-consumer --example orderly -- TopicTest
//! ```

use rmq_client_consumer::{Filter, OrderlyResult, PushConsumer, ReceivedMessage};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".into());
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".into());
    let consumer = PushConsumer::builder()
        .namesrv(namesrv)
        .group("orderly_consumer")
        .subscribe(topic, Filter::all())
        .build()
        .await?;
    consumer
        .start_orderly(|msgs: Vec<ReceivedMessage>| async move {
            for m in &msgs {
                println!("queue {} offset {}", m.queue().queue_id, m.queue_offset());
            }
            OrderlyResult::Success
        })
        .await?;
    tokio::signal::ctrl_c().await?;
    consumer.shutdown().await;
    Ok(())
}
