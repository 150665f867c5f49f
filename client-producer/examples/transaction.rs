//! A transactional producer: the message is delivered only if the local transaction commits;
//! the checker answers the broker when the outcome was left unknown.
//!
//! `cargo run -p rmq-client-producer --example transaction -- 127.0.0.1:9876 TopicTx`

use rmq_client_producer::{Message, TransactionProducer, TransactionState};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let topic = args.next().unwrap_or_else(|| "TopicTx".into());
    let producer = TransactionProducer::builder()
        .namesrv(namesrv)
        .group("transaction_producer")
        // Asked by the broker about half messages whose outcome it does not know.
        .checker(|msg| async move {
            println!("broker asks about {}", msg.msg_id());
            TransactionState::Commit
        })
        .build()
        .await?;
    for (i, outcome) in [
        TransactionState::Commit,
        TransactionState::Rollback,
        TransactionState::Unknown,
    ]
    .into_iter()
    .enumerate()
    {
        let msg = Message::new(&topic, format!("tx {i}")).with_keys([format!("tx-{i}")]);
        let done = producer
            .send_in_transaction(&msg, |receipt| async move {
                println!("local transaction for {}", receipt.msg_id());
                outcome
            })
            .await?;
        println!("{} ended {:?}", done.receipt().msg_id(), done.state());
    }
    // Keep running so that the broker's check of the unknown one reaches the checker.
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    producer.shutdown().await;
    Ok(())
}
