//! Sends a message to be delivered in 10 seconds, then recalls it when the broker (5.x) gave
//! a recall handle. A 4.x broker refuses the send before it leaves the client.
//!
//! `cargo run -p rmq-client-producer --example delivery_time -- 127.0.0.1:9876 TopicTest [--keep]`

use std::time::{Duration, SystemTime};

use rmq_client_producer::{Error, Message, Producer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());
    let keep = args.next().as_deref() == Some("--keep");
    let producer = Producer::builder()
        .namesrv(namesrv)
        .group("delivery_time_producer")
        .build()
        .await?;
    let at = SystemTime::now() + Duration::from_secs(10);
    let msg = Message::new(&topic, "see you in 10 s").with_delivery_time(at);
    match producer.send(&msg).await {
        Ok(receipt) => {
            println!("stored {} for delivery in 10 s", receipt.msg_id());
            match receipt.recall_handle() {
                Some(handle) if !keep => {
                    let id = producer.recall(&topic, handle).await?;
                    println!("recalled {id}");
                }
                Some(_) => println!("kept; run without --keep to recall it"),
                None => println!("the broker gave no recall handle"),
            }
        }
        Err(e @ Error::DeliveryTimeUnsupported { .. }) => eprintln!("not sent: {e}"),
        Err(e) => eprintln!("send failed: {e}"),
    }
    producer.shutdown().await;
    Ok(())
}
