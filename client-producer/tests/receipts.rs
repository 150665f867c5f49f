//! Receipts carry one `MessageId` per message: a batch's receipt lists them (Java joins them
//! with commas in one string, still available as `joined_msg_id`).

use rmq_client_producer::{Message, MessageId, Producer};
use rmq_testkit::MockCluster;

#[tokio::test]
async fn a_batch_receipt_lists_every_id_and_a_single_one_has_one() {
    let cluster = MockCluster::builder().start().await.expect("cluster");
    let producer = Producer::builder()
        .namesrv(cluster.namesrv_addr())
        .group("receipts_pg")
        .build()
        .await
        .expect("producer");
    let batch: Vec<Message> = (0..3)
        .map(|i| Message::new("Receipts", format!("m{i}")))
        .collect();
    let receipt = producer.send_batch(&batch).await.expect("stored");
    assert_eq!(receipt.msg_ids().len(), 3);
    assert_eq!(receipt.offset_msg_ids().len(), 3);
    assert_eq!(receipt.msg_id(), &receipt.msg_ids()[0]);
    let joined: Vec<&str> = receipt.msg_ids().iter().map(MessageId::as_str).collect();
    assert_eq!(receipt.joined_msg_id(), joined.join(","));
    assert!(receipt.msg_ids().iter().all(|id| id.as_str().len() == 32));

    let own = Message::new("Receipts", "x").with_unique_key("0123456789ABCDEF0123456789ABCDEF");
    let single = producer.send(&own).await.expect("stored");
    assert_eq!(
        single.msg_ids(),
        [MessageId::from("0123456789ABCDEF0123456789ABCDEF")]
    );
    assert_eq!(single.msg_id(), "0123456789ABCDEF0123456789ABCDEF");
    assert_eq!(single.joined_msg_id(), single.msg_id().as_str());
    producer.shutdown().await;
    cluster.shutdown().await;
}
