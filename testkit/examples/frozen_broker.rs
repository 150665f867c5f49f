//! Testing your own producer/consumer code under a fault, the way a user's test would: a
//! small "order program" (one function sends orders with `rmq_client_producer::Producer`,
//! another consumes them with `rmq_client_consumer::PushConsumer`) runs against a 2-broker
//! [`MockCluster`] while broker-b is frozen (connections open, nothing answered).
//!
//! It checks that every order sent during the freeze is acknowledged, by broker-a, and
//! consumed; it prints what it checked and exits non-zero on the first failed check.
//!
//! `cargo run -p rmq-testkit --example frozen_broker`

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rmq_client_consumer::{ConsumeFrom, ConsumeResult, Filter, PushConsumer, ReceivedMessage};
use rmq_client_producer::{Message, Producer, SendReceipt};
use rmq_testkit::MockCluster;
use tokio::sync::mpsc;

const TOPIC: &str = "Orders";
const ORDERS: usize = 50;
/// Generous bound for the consumer to see every order.
const CONSUME_WITHIN: Duration = Duration::from_secs(30);

type Checked = Result<(), String>;

// ===== the program under test (what a user's application would contain) =====

/// Sends orders `ids` to `topic`; the receipt of each, or the first failure.
async fn send_orders(
    producer: &Producer,
    topic: &str,
    ids: std::ops::Range<usize>,
) -> Result<Vec<(usize, SendReceipt)>, String> {
    let mut receipts = Vec::with_capacity(ids.len());
    for id in ids {
        let order = Message::new(topic, format!("order-{id}")).with_keys([format!("order-{id}")]);
        let receipt = producer
            .send(&order)
            .await
            .map_err(|e| format!("order {id} was not acknowledged: {e}"))?;
        receipts.push((id, receipt));
    }
    Ok(receipts)
}

/// Consumes orders from `topic` as group `group`, passing each order's body on to `seen`.
async fn consume_orders(
    namesrv: &str,
    group: &str,
    topic: &str,
    seen: mpsc::UnboundedSender<String>,
) -> Result<PushConsumer, String> {
    let consumer = PushConsumer::builder()
        .namesrv(namesrv)
        .group(group)
        .subscribe(topic, Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await
        .map_err(|e| format!("consumer did not start: {e}"))?;
    consumer
        .start(move |msgs: Vec<ReceivedMessage>| {
            let seen = seen.clone();
            async move {
                for m in &msgs {
                    // The receiver outlives the consumer; a send error only means the check
                    // is over.
                    let _ = seen.send(String::from_utf8_lossy(m.body()).into_owned());
                }
                ConsumeResult::Success
            }
        })
        .await
        .map_err(|e| format!("consumer did not start: {e}"))?;
    Ok(consumer)
}

// ===== the test: the program under a frozen broker =====

fn check(ok: bool, what: String) -> Checked {
    if ok {
        println!("ok   {what}");
        Ok(())
    } else {
        Err(what)
    }
}

async fn run(cluster: &MockCluster) -> Checked {
    cluster.create_topic(TOPIC, 4);
    let namesrv = cluster.namesrv_addr();
    let frozen = cluster
        .broker("broker-b")
        .ok_or("the cluster has no broker-b")?;

    let (tx, mut seen) = mpsc::unbounded_channel();
    let consumer = consume_orders(&namesrv, "order_consumer", TOPIC, tx).await?;
    let producer = Producer::builder()
        .namesrv(&namesrv)
        .group("order_producer")
        .send_timeout(Duration::from_secs(3))
        .build()
        .await
        .map_err(|e| format!("producer did not start: {e}"))?;
    // Before the fault: routes and connections to both brokers are in place.
    let warm = send_orders(&producer, TOPIC, 0..10).await?;
    let brokers: BTreeSet<&str> = warm
        .iter()
        .map(|(_, r)| r.queue().broker_name.as_str())
        .collect();
    check(
        brokers.len() == 2,
        format!("before the freeze, orders went to both brokers ({brokers:?})"),
    )?;

    frozen.freeze();
    println!("--   broker-b frozen: it keeps its connections and answers nothing");
    let during = send_orders(&producer, TOPIC, 10..10 + ORDERS).await;
    let during = match during {
        Ok(receipts) => receipts,
        Err(e) => {
            frozen.thaw();
            return Err(e);
        }
    };
    check(
        during.len() == ORDERS,
        format!("all {ORDERS} orders sent during the freeze were acknowledged"),
    )?;
    let elsewhere = during
        .iter()
        .filter(|(_, r)| r.queue().broker_name != "broker-a")
        .count();
    check(
        elsewhere == 0,
        format!("every acknowledgement during the freeze came from broker-a ({elsewhere} did not)"),
    )?;

    let mut missing: BTreeSet<String> =
        during.iter().map(|(id, _)| format!("order-{id}")).collect();
    let deadline = Instant::now() + CONSUME_WITHIN;
    while !missing.is_empty() {
        match tokio::time::timeout_at(deadline.into(), seen.recv()).await {
            Ok(Some(body)) => {
                missing.remove(&body);
            }
            Ok(None) | Err(_) => break,
        }
    }
    frozen.thaw();
    check(
        missing.is_empty(),
        format!(
            "every order sent during the freeze was consumed within {CONSUME_WITHIN:?} ({} missing)",
            missing.len()
        ),
    )?;
    consumer.shutdown().await;
    producer.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cluster = match MockCluster::builder().brokers(2).start().await {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("FAIL the cluster did not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = run(&cluster).await;
    cluster.shutdown().await;
    match outcome {
        Ok(()) => {
            println!("PASS the order program survives a frozen broker");
            ExitCode::SUCCESS
        }
        Err(what) => {
            eprintln!("FAIL {what}");
            ExitCode::FAILURE
        }
    }
}
