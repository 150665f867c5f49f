//! Body compression costs: zlib (level 5, Java's default) both ways, LZ4 both ways, and the
//! zstd both ways (compressed at the producer's level), on a 4 KiB body of pseudo-random letters.
//!
//! The zlib backend is flate2's: `zlib-rs` by default, miniz_oxide with
//! `cargo bench -p rmq-protocol --no-default-features --bench compression`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rmq_protocol::compression::{compress, decompress, CompressionType, DEFAULT_LEVEL};

mod fixtures;

fn bench_compression(c: &mut Criterion) {
    let body = fixtures::letters(4096);
    let mut group = c.benchmark_group("compression");
    group.throughput(Throughput::Bytes(body.len() as u64));
    for (name, kind) in [
        ("zlib", CompressionType::Zlib),
        ("lz4", CompressionType::Lz4),
        ("zstd", CompressionType::Zstd),
    ] {
        let packed = compress(kind, &body, DEFAULT_LEVEL).expect("compresses");
        group.bench_function(format!("{name}/compress/4KiB"), |b| {
            b.iter(|| compress(kind, black_box(&body), DEFAULT_LEVEL).expect("compresses"))
        });
        group.bench_function(format!("{name}/decompress/4KiB"), |b| {
            b.iter(|| decompress(kind, black_box(&packed), 1 << 20).expect("decompresses"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_compression);
criterion_main!(benches);
