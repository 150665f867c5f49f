//! Sends messages of one topic as a single batch request.
//!
//! `cargo run -p rmq-client-producer --example batch -- 127.0.0.1:9876 TopicTest`

use rmq_client_producer::{Message, Producer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let producer = Producer::builder()
        .namesrv(namesrv)
        .group("batch_producer")
        .build()
        .await?;
    let batch: Vec<Message> = (0..3)
        .map(|i| Message::new(&topic, format!("Hello batch {i}")).with_tag("TagA"))
        .collect();
    let r = producer.send_batch(&batch).await?;
    println!(
        "ids {} stored from offset {} of queue {}",
        r.msg_id(),
        r.queue_offset(),
        r.queue().queue_id
    );
    producer.shutdown().await;
    Ok(())
}
