//! Decoding a PULL_MESSAGE body: 32 store-format records with 128 B and 4 KiB bodies, built
//! with our own encoder and carrying the properties a Java producer sets.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rmq_protocol::message::{decode_stored, DecodeOptions};

mod fixtures;
use fixtures::pull_body;

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
