//! Request-reply, both sides: a responder consumes the request topic with a `PushConsumer` and
//! answers each request with `Producer::reply`; a requester sends with `Producer::request` and
//! waits for the answer.
//!
//! `cargo run -p rmq-client-producer --example request_reply -- 127.0.0.1:9876 TopicRequest`
//! (create the topic first, e.g. `rmq-admin updateTopic -t TopicRequest`: the responder must
//! be assigned its queues before the request is sent).
//!
//! Without arguments it starts an embedded testkit cluster and runs against it.

use std::time::Duration;

use rmq_client_consumer::{ConsumeFrom, ConsumeResult, Filter, PushConsumer, ReceivedMessage};
use rmq_client_producer::{Message, Producer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (namesrv, cluster) = match args.next() {
        Some(namesrv) => (namesrv, None),
        None => {
            let cluster = rmq_testkit::MockCluster::builder().start().await?;
            (cluster.namesrv_addr(), Some(cluster))
        }
    };
    let topic = args.next().unwrap_or_else(|| "TopicRequest".into());
    if let Some(cluster) = &cluster {
        cluster.create_topic(&topic, 4);
    }

    // The responder: a consumer of the request topic, and a producer that replies.
    let responder = Producer::builder()
        .namesrv(&namesrv)
        .group("responder")
        .build()
        .await?;
    let requests = PushConsumer::builder()
        .namesrv(&namesrv)
        .group("responder")
        .subscribe(&topic, Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await?;
    let replies = responder.clone();
    requests
        .start(move |msgs: Vec<ReceivedMessage>| {
            let responder = replies.clone();
            async move {
                for m in &msgs {
                    let answer = format!("pong to {}", String::from_utf8_lossy(m.body()));
                    // The request carries who asked and the correlation id; reply() uses them.
                    if let Err(e) = responder.reply(m.stored(), answer).await {
                        eprintln!("reply to {} failed: {e}", m.msg_id());
                    }
                }
                ConsumeResult::Success
            }
        })
        .await?;

    // The requester: one call, the reply or a timeout.
    let requester = Producer::builder()
        .namesrv(&namesrv)
        .group("requester")
        .build()
        .await?;
    let reply = requester
        .request(&Message::new(&topic, "ping"), Duration::from_secs(10))
        .await?;
    println!("reply: {}", String::from_utf8_lossy(&reply.body));

    // The responder first: a request delivered twice (at least once) still finds its requester.
    requests.shutdown().await;
    responder.shutdown().await;
    requester.shutdown().await;
    if let Some(cluster) = cluster {
        cluster.shutdown().await;
    }
    Ok(())
}
