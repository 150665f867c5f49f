//! Ordered messages: every step of one order goes to the same queue, in order.
//!
//! `cargo run -p rmq-client-producer --example ordered -- 127.0.0.1:9876 TopicOrder`

use rmq_client_producer::{Message, MessageQueue, Producer, SelectByHash};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let topic = args.next().unwrap_or_else(|| "TopicOrder".into());
    let producer = Producer::builder()
        .namesrv(namesrv)
        .group("ordered_producer")
        .build()
        .await?;
    for order in 0..3 {
        for step in ["created", "paid", "shipped"] {
            let msg = Message::new(&topic, format!("order {order}: {step}"))
                .with_sharding_key(format!("order-{order}"));
            let r = producer.send_ordered(&msg, &SelectByHash).await?;
            println!("order {order} {step} -> queue {}", r.queue().queue_id);
        }
    }
    // Any closure is a selector too.
    let by_id = |queues: &[MessageQueue], _: &Message| Some(7 % queues.len());
    producer
        .send_ordered(&Message::new(&topic, "order 7"), &by_id)
        .await?;
    producer.shutdown().await;
    Ok(())
}
