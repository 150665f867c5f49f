//! Poll a topic with the lite pull consumer, committing after each batch.
//!
//! ```sh
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-client-consumer --example lite_pull -- TopicTest
//! ```

use std::time::Duration;

use rmq_client_consumer::{Filter, PullConsumer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".into());
    let topic = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "TopicTest".into());
    let consumer = PullConsumer::builder()
        .namesrv(namesrv)
        .group("lite_pull_consumer")
        .subscribe(topic, Filter::all())
        .auto_commit(false)
        .build()
        .await?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            msgs = consumer.poll(Duration::from_secs(1)) => {
                // Err: the consumer was shut down; Ok(empty): nothing yet.
                let msgs = msgs?;
                for m in &msgs {
                    println!("{} {}", m.msg_id(), String::from_utf8_lossy(m.body()));
                }
                if !msgs.is_empty() {
                    consumer.commit().await;
                }
            }
        }
    }
    consumer.shutdown().await;
    Ok(())
}
