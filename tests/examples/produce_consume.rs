//! The README's main job: produce messages and consume them back, end to end.
//!
//! On a fresh topic it sends five messages (three tagged `TagA`, two `TagB`, each with a key),
//! runs a push consumer subscribed to `TagA` only until the three `TagA` messages (matched by
//! message id) arrive, looks one message up by its key with the admin API, and prints the
//! topic's queues with their offsets. Exits non-zero when any step fails or the messages are not
//! consumed within the deadline.
//!
//! ```sh
//! NAMESRV_ADDR=127.0.0.1:9876 cargo run -p rmq-tests --example produce_consume
//! ```
//! `cargo xtask demo` starts an embedded cluster (or uses `NAMESRV_ADDR`), runs this, and stops
//! what it started.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rmq_client_admin::Admin;
use rmq_client_consumer::{ConsumeResult, Filter, PushConsumer, ReceivedMessage};
use rmq_client_producer::{Message, Producer};
use tokio::sync::mpsc;

/// How long the consumer gets to see every `TagA` message.
const CONSUME_DEADLINE: Duration = Duration::from_secs(60);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let namesrv = std::env::var("NAMESRV_ADDR").unwrap_or_else(|_| "127.0.0.1:9876".into());
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
    let topic = format!("QuickStart_{stamp}");
    println!("name server {namesrv}, topic {topic}");

    let producer = Producer::builder()
        .namesrv(&namesrv)
        .group("quickstart_producer")
        .build()
        .await?;
    let mut wanted = BTreeSet::new();
    for i in 0..5 {
        let tag = if i % 2 == 0 { "TagA" } else { "TagB" };
        let message = Message::new(&topic, format!("Hello RocketMQ from Rust #{i} at {stamp}"))
            .with_tag(tag)
            .with_keys([format!("order-{stamp}-{i}")]);
        let receipt = producer.send(&message).await?;
        println!(
            "sent     {} tag={tag} to {}:{} at offset {}",
            receipt.msg_id(),
            receipt.queue().broker_name,
            receipt.queue().queue_id,
            receipt.queue_offset(),
        );
        if tag == "TagA" {
            wanted.insert(receipt.msg_id().to_owned());
        }
    }
    producer.shutdown().await;

    let (tx, mut rx) = mpsc::channel::<ReceivedMessage>(16);
    let consumer = PushConsumer::builder()
        .namesrv(&namesrv)
        .group(format!("quickstart_consumer_{stamp}"))
        .subscribe(&topic, Filter::tags(["TagA"]))
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
    let mut missing = wanted.clone();
    let consumed = tokio::time::timeout(CONSUME_DEADLINE, async {
        while let Some(m) = rx.recv().await {
            if m.tags() != Some("TagA") {
                return Err(format!("the TagA subscription received {:?}", m.tags()));
            }
            println!(
                "received {} tag={} body={:?}",
                m.msg_id(),
                m.tags().unwrap_or("-"),
                String::from_utf8_lossy(m.body())
            );
            missing.remove(m.msg_id().as_str());
            if missing.is_empty() {
                return Ok(());
            }
        }
        Err("the consumer stopped".to_string())
    })
    .await;
    consumer.shutdown().await;
    match consumed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => {
            return Err(format!(
                "{} of {} TagA messages were not consumed within {CONSUME_DEADLINE:?}",
                missing.len(),
                wanted.len()
            )
            .into())
        }
    }

    let admin = Admin::builder().namesrv(&namesrv).build().await?;
    let key = format!("order-{stamp}-2");
    let found = admin.query_msg_by_key(&topic, &key, 4, 0, i64::MAX).await?;
    let Some(hit) = found.first() else {
        return Err(format!("no message found by key {key}").into());
    };
    println!(
        "by key   {key}: {} body={:?}",
        hit.msg_id(),
        String::from_utf8_lossy(&hit.body)
    );
    let status = admin.topic_status(&topic).await?;
    for (queue, offsets) in &status.offset_table {
        println!(
            "queue    {}:{} min={} max={}",
            queue.broker_name, queue.queue_id, offsets.min_offset, offsets.max_offset
        );
    }
    admin.shutdown().await;
    println!(
        "quickstart ok: produced 5, consumed the {} TagA messages, found one by key on {topic}",
        wanted.len()
    );
    Ok(())
}
