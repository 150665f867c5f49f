//! Consume a topic with a push consumer until Ctrl-C.
//!
//! ```sh
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client-consumer --example push_quick_start -- TopicTest
//! ```

use rmq_client_consumer::{ConsumeResult, Filter, PushConsumer, ReceivedMessage};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".into());
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".into());
    let consumer = PushConsumer::builder()
        .namesrv(namesrv)
        .group("quick_start_consumer")
        .subscribe(topic, Filter::all())
        .build()
        .await?;
    consumer
        .start(|msgs: Vec<ReceivedMessage>| async move {
            for m in &msgs {
                println!(
                    "{} {} {}",
                    m.msg_id(),
                    m.tags().unwrap_or("-"),
                    String::from_utf8_lossy(m.body())
                );
            }
            ConsumeResult::Success
        })
        .await?;
    tokio::signal::ctrl_c().await?;
    consumer.shutdown().await;
    Ok(())
}
