//! Decoding a PULL_MESSAGE body: 32 store-format records with 128 B and 4 KiB bodies, built
//! with our own encoder and carrying the properties a Java producer sets.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rmq_protocol::message::{body_crc, decode_stored, DecodeOptions, Properties, StoredMessage};

/// Messages per pull, Java's default `pullBatchSize`.
const BATCH: usize = 32;

fn pull_body(body_len: usize) -> Bytes {
    let body = Bytes::from(vec![b'x'; body_len]);
    let mut out = BytesMut::new();
    for i in 0..BATCH {
        let properties: Properties = [
            ("UNIQ_KEY", format!("7F00000100012A9F00000000{i:08X}")),
            ("WAIT", "true".to_owned()),
            ("TAGS", "TagA".to_owned()),
            ("KEYS", format!("order-{i}")),
            ("CLUSTER", "DefaultCluster".to_owned()),
        ]
        .into_iter()
        .collect();
        let record = StoredMessage {
            body_crc: body_crc(&body),
            queue_id: 3,
            queue_offset: 1000 + i as i64,
            commit_log_offset: 4096 * i as i64,
            born_timestamp: 1_700_000_000_000,
            born_host: "192.168.1.10:54321".parse().expect("addr"),
            store_timestamp: 1_700_000_000_123,
            store_host: "192.168.1.20:10911".parse().expect("addr"),
            body: body.clone(),
            topic: "TopicTest".to_owned(),
            properties,
            ..StoredMessage::default()
        };
        record.encode(&mut out).expect("encode");
    }
    out.freeze()
}

fn bench_pull_body(c: &mut Criterion) {
    let mut group = c.benchmark_group("pull_body");
    for (label, body_len) in [("32x128B", 128), ("32x4KiB", 4096)] {
        let wire = pull_body(body_len);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function(label, |b| {
            b.iter(|| {
                let msgs = decode_stored(black_box(wire.clone()), DecodeOptions::new());
                black_box(msgs.expect("decode"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_pull_body);
criterion_main!(benches);
