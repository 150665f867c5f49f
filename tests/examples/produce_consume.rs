//! The README's main job: produce a message and consume it back, end to end.
//!
//! Sends one message with the producer, then runs a push consumer on the same topic until that
//! message (matched by its message id) arrives, printing both sides. Exits non-zero when the
//! message is not consumed within the deadline.
//!
//! ```sh
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-tests --example produce_consume
//! ```
//! `cargo xtask demo` starts a local name server and broker, runs this, and stops them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmq_client_consumer::{ConsumeResult, Filter, PushConsumer, ReceivedMessage};
use rmq_client_producer::{Message, Producer};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".into());
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
    let topic = format!("QuickStart_{stamp}");

    let producer = Producer::builder()
        .namesrv(&namesrv)
        .group("quickstart_producer")
        .build()
        .await?;
    let message = Message::new(&topic, format!("Hello RocketMQ from Rust at {stamp}"))
        .with_tag("TagA")
        .with_keys(["quickstart"]);
    let receipt = producer.send(&message).await?;
    println!(
        "sent     {} to {}:{} at offset {} ({:?})",
        receipt.msg_id(),
        receipt.queue().broker_name,
        receipt.queue().queue_id,
        receipt.queue_offset(),
        receipt.status()
    );
    producer.shutdown().await;

    let (tx, mut rx) = mpsc::channel::<ReceivedMessage>(16);
    let consumer = PushConsumer::builder()
        .namesrv(&namesrv)
        .group(format!("quickstart_consumer_{stamp}"))
        .subscribe(&topic, Filter::all())
        .build()
        .await?;
    consumer
        .start(move |msgs: Vec<ReceivedMessage>| {
            let tx = tx.clone();
            async move {
                for m in msgs {
                    // The receiver may be gone once the demo has what it waited for.
                    let _ = tx.send(m).await;
                }
                ConsumeResult::Success
            }
        })
        .await?;

    let wanted = receipt.msg_id().to_owned();
    let outcome = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(m) = rx.recv().await {
            if m.msg_id() == wanted {
                return Some(m);
            }
        }
        None
    })
    .await;
    consumer.shutdown().await;
    match outcome {
        Ok(Some(m)) => {
            println!(
                "received {} tag={} body={:?}",
                m.msg_id(),
                m.tags().unwrap_or("-"),
                String::from_utf8_lossy(m.body())
            );
            println!("quickstart ok: produced and consumed one message on {topic}");
            Ok(())
        }
        _ => Err(format!("message {wanted} was not consumed within 60 s").into()),
    }
}
