//! Frame encode and decode throughput for the two hottest commands: a `SEND_MESSAGE_V2`
//! request with a 128-byte body and a pull response, in both header serializations; and
//! `build_encode`, a send request built from its header's fields as the producer does, then
//! encoded.

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::{Command, SerializeType};

mod fixtures;
use fixtures::{build_send_request, pull_response, send_request};

fn encoded(cmd: &Command) -> Bytes {
    cmd.to_frame().expect("bench command encodes")
}

fn bench_frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    for ser in [SerializeType::Json, SerializeType::RocketMq] {
        for (what, cmd) in [
            ("send_v2", send_request(ser)),
            ("pull_found", pull_response(ser)),
        ] {
            let wire = encoded(&cmd);
            group.throughput(Throughput::Bytes(wire.len() as u64));
            let id = format!("{what}/{}", ser.name());
            group.bench_with_input(BenchmarkId::new("encode", &id), &cmd, |b, cmd| {
                let mut buf = BytesMut::with_capacity(wire.len() * 2);
                b.iter(|| {
                    buf.clear();
                    black_box(cmd).encode(&mut buf).expect("encodes");
                    black_box(buf.len())
                });
            });
            if what == "send_v2" {
                // The producer's whole path: header fields into a fresh command, then encode.
                group.bench_function(BenchmarkId::new("build_encode", &id), |b| {
                    let mut buf = BytesMut::with_capacity(wire.len() * 2);
                    b.iter(|| {
                        buf.clear();
                        build_send_request(black_box(ser))
                            .encode(&mut buf)
                            .expect("encodes");
                        black_box(buf.len())
                    });
                });
            }
            group.bench_with_input(BenchmarkId::new("decode", &id), &wire, |b, wire| {
                b.iter(|| {
                    let mut buf = BytesMut::from(black_box(wire.as_ref()));
                    decode_frame(&mut buf, DEFAULT_MAX_FRAME).expect("decodes")
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_frames);
criterion_main!(benches);
