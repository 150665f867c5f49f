//! Request-reply: a responder pulls requests and answers with `reply_to`; the requester waits
//! for the reply.
//!
//! `cargo run -p rmq-client-producer --example request_reply -- 127.0.0.1:9876 127.0.0.1:10911 TopicRequest`
//! (the second address is the broker the responder pulls from).

use std::time::Duration;

use rmq_client_producer::{reply_to, Message, Producer};
use rmq_protocol::header::PullMessageRequestHeader;
use rmq_protocol::message::{decode_stored, DecodeOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let broker = args.next().unwrap_or_else(|| "127.0.0.1:10911".into());
    let topic = args.next().unwrap_or_else(|| "TopicRequest".into());
    let requester = Producer::builder()
        .namesrv(namesrv.clone())
        .group("requester")
        .build()
        .await?;
    let responder = Producer::builder()
        .namesrv(namesrv)
        .group("responder")
        .build()
        .await?;

    // A minimal responder: pulls the topic's first four queues (an auto-created topic has four)
    // and replies to every request.
    let serving = responder.clone();
    let request_topic = topic.clone();
    tokio::spawn(async move {
        let mut offsets = [0i64; 4];
        loop {
            for (queue_id, offset) in offsets.iter_mut().enumerate() {
                let header = PullMessageRequestHeader {
                    consumer_group: "responder".into(),
                    topic: request_topic.clone(),
                    queue_id: queue_id as i32,
                    queue_offset: *offset,
                    max_msg_nums: 16,
                    sys_flag: 0x4,
                    commit_offset: 0,
                    suspend_timeout_millis: 0,
                    subscription: Some("*".into()),
                    sub_version: 0,
                    expression_type: Some("TAG".into()),
                    max_msg_bytes: None,
                    broker_name: None,
                };
                let api = serving.instance().api();
                if let Ok(pulled) = api
                    .pull_message(&broker, &header, Duration::from_secs(5))
                    .await
                {
                    let messages =
                        decode_stored(pulled.body, DecodeOptions::new()).unwrap_or_default();
                    for m in messages {
                        *offset = m.queue_offset + 1;
                        if let Ok(reply) = reply_to(&m, "pong") {
                            let _ = serving.send(&reply).await;
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });

    let reply = requester
        .request(&Message::new(&topic, "ping"), Duration::from_secs(10))
        .await?;
    println!("reply: {}", String::from_utf8_lossy(&reply.body));
    requester.shutdown().await;
    responder.shutdown().await;
    Ok(())
}
