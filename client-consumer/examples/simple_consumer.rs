//! Receive, process and ack messages with a `SimpleConsumer` (POP consumption, 5.x brokers)
//! until Ctrl-C. A message that is not acked within its invisible duration comes back.
//!
//! ```sh
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client-consumer --example simple_consumer -- TopicTest
//! ```

use std::time::Duration;

use rmq_client_consumer::{Filter, SimpleConsumer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".into());
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".into());
    let consumer = SimpleConsumer::builder()
        .namesrv(namesrv)
        .group("simple_consumer_example")
        .subscribe(topic, Filter::all())
        .await_duration(Duration::from_secs(10))
        .build()
        .await?;
    loop {
        let received = tokio::select! {
            r = consumer.receive(16, Duration::from_secs(30)) => r?,
            _ = tokio::signal::ctrl_c() => break,
        };
        for msg in &received {
            println!(
                "{} {} {}",
                msg.msg_id(),
                msg.reconsume_times(),
                String::from_utf8_lossy(msg.body())
            );
            // Processing that needs longer would call change_invisible_duration first.
            consumer.ack(msg).await?;
        }
    }
    consumer.shutdown().await;
    Ok(())
}
