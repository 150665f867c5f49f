//! Request-reply end to end on the testkit, which serves SEND_REPLY_MESSAGE(_V2) as Java's
//! `ReplyMessageProcessor` does: a requester's `request` waits, a responder reads the request
//! topic and answers with `Producer::reply`, and the reply reaches the waiting call. The
//! responder reads with a bare pull loop here so that this crate's tests need no consumer; the
//! example (`examples/request_reply.rs`) uses a `PushConsumer`.

mod support;

use std::time::Duration;

use rmq_client_producer::{ErrorKind, Message, Producer, StoredMessage};
use rmq_protocol::message::{decode_stored, DecodeOptions};
use rmq_testkit::MockCluster;
use support::read_back_pull;
use tokio::task::JoinHandle;

const TOPIC: &str = "RequestTopic";

async fn producer(namesrv: &str, group: &str) -> Producer {
    Producer::builder()
        .namesrv(namesrv)
        .group(group)
        .build()
        .await
        .expect("producer")
}

/// Pulls the request topic's only queue from `broker` and replies "re: <body>" to each request.
fn serve(responder: Producer, broker: String) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut offset = 0;
        loop {
            let header = read_back_pull("responder", TOPIC, 0, offset, 16);
            let api = responder.instance().api();
            if let Ok(pulled) = api
                .pull_message(&broker, &header, Duration::from_secs(2))
                .await
            {
                let requests: Vec<StoredMessage> =
                    decode_stored(pulled.body, DecodeOptions::new()).unwrap_or_default();
                for request in requests {
                    offset = request.queue_offset + 1;
                    let body = format!("re: {}", String::from_utf8_lossy(&request.body));
                    responder.reply(&request, body).await.expect("reply sent");
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

/// A request gets the responder's reply, sync and async; the reply carries the request's
/// correlation id; a message that is not a request is refused before sending.
#[tokio::test]
async fn a_responder_replies_with_reply_and_the_requester_gets_it() {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    cluster.create_topic(TOPIC, 1);
    let ns = cluster.namesrv_addr();
    let broker = cluster
        .broker("broker-a")
        .expect("broker")
        .addr()
        .to_string();
    let requester = producer(&ns, "requester").await;
    let responder = producer(&ns, "responder_pg").await;
    let serving = serve(responder.clone(), broker);

    let reply = requester
        .request(&Message::new(TOPIC, "ping"), Duration::from_secs(10))
        .await
        .expect("reply");
    assert_eq!(reply.body.as_ref(), b"re: ping");
    assert!(reply.property("CORRELATION_ID").is_some());

    let pending = requester
        .request_async(&Message::new(TOPIC, "again"), Duration::from_secs(10))
        .await
        .expect("admitted");
    let reply = pending.await.expect("reply");
    assert_eq!(reply.body.as_ref(), b"re: again");

    let not_a_request = StoredMessage::default();
    let e = responder
        .reply(&not_a_request, "x")
        .await
        .expect_err("no request properties");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("is not a request"), "{e}");

    serving.abort();
    let _ = serving.await;
    requester.shutdown().await;
    responder.shutdown().await;
    cluster.shutdown().await;
}
