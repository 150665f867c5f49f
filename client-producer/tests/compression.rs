//! Compression types on the wire: a producer set to zlib, LZ4 or zstd stores bodies with the
//! 5.x sysflag type bits (Java `MessageSysFlag`), and a pull from the embedded testkit broker
//! decodes each back to the original body with the protocol decoder.

mod support;

use std::time::Duration;

use rmq_client_producer::{Message, Producer};
use rmq_protocol::compression::CompressionType;
use rmq_protocol::message::{decode_stored, sysflag, DecodeOptions};
use rmq_testkit::MockCluster;
use support::read_back_pull;

/// Each selectable type round-trips through a broker: stored compressed with its type bits,
/// read back whole.
#[tokio::test]
async fn each_compression_type_is_stored_with_its_bits_and_pulled_back_whole() {
    let cluster = MockCluster::builder()
        .brokers(1)
        .start()
        .await
        .expect("cluster");
    let body: Vec<u8> = (0..10_000u32).map(|i| (i % 13) as u8).collect();
    for (i, kind) in [
        CompressionType::Zlib,
        CompressionType::Lz4,
        CompressionType::Zstd,
    ]
    .into_iter()
    .enumerate()
    {
        let topic = format!("compression-{i}");
        cluster.create_topic(&topic, 1);
        let producer = Producer::builder()
            .namesrv(cluster.namesrv_addr())
            .group(format!("compression-group-{i}"))
            .compression(kind)
            .build()
            .await
            .expect("producer");
        let receipt = producer
            .send(&Message::new(&topic, body.clone()))
            .await
            .expect("stored");
        let addr = cluster
            .broker("broker-a")
            .expect("broker")
            .addr()
            .to_string();
        let header = read_back_pull(
            &format!("compression-reader-{i}"),
            &topic,
            receipt.queue().queue_id,
            receipt.queue_offset(),
            1,
        );
        let pulled = producer
            .instance()
            .api()
            .pull_message(&addr, &header, Duration::from_secs(5))
            .await
            .expect("pulled");
        let raw = decode_stored(
            pulled.body.clone(),
            DecodeOptions::new().with_decompress(false),
        )
        .expect("decoded raw");
        assert_eq!(raw.len(), 1, "{kind:?}");
        assert_eq!(
            raw[0].sys_flag & (sysflag::COMPRESSED | sysflag::COMPRESSION_TYPE_MASK),
            sysflag::COMPRESSED | kind.sys_flag_bits(),
            "{kind:?}"
        );
        assert_ne!(
            raw[0].body.as_ref(),
            body.as_slice(),
            "{kind:?} stored as is"
        );
        let messages = decode_stored(pulled.body, DecodeOptions::new()).expect("decoded");
        assert_eq!(messages[0].body.as_ref(), body.as_slice(), "{kind:?}");
        producer.shutdown().await;
    }
    cluster.shutdown().await;
}
