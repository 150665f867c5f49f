//! Frame encode and decode throughput for the two hottest commands: a `SEND_MESSAGE_V2`
//! request with a 128-byte body and a pull response, in both header serializations.

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::{Command, RequestCode, ResponseCode, SerializeType};

/// A send request as Java's producer builds it (SendMessageRequestHeaderV2, fields a..n).
fn send_request(ser: SerializeType) -> Command {
    Command::request(RequestCode::SEND_MESSAGE_V2)
        .with_ext("a", "PID_bench")
        .with_ext("b", "BenchTopic")
        .with_ext("c", "TBW102")
        .with_ext("d", "4")
        .with_ext("e", "2")
        .with_ext("f", "0")
        .with_ext("g", "1700000000000")
        .with_ext("h", "0")
        .with_ext(
            "i",
            "KEYS\u{1}key-1\u{2}UNIQ_KEY\u{1}7F0000010B3018B4AAC25F0A6A4C0000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA",
        )
        .with_ext("j", "0")
        .with_ext("k", "false")
        .with_ext("m", "false")
        .with_ext("n", "broker-a")
        .with_body(Bytes::from(vec![b'x'; 128]))
        .with_serialize_type(ser)
}

/// A FOUND pull response (PullMessageResponseHeader) with 4 KiB of store records.
fn pull_response(ser: SerializeType) -> Command {
    let mut cmd = Command::response(ResponseCode::SUCCESS, Some("FOUND".to_owned()))
        .with_ext("suggestWhichBrokerId", "0")
        .with_ext("nextBeginOffset", "132")
        .with_ext("minOffset", "0")
        .with_ext("maxOffset", "132")
        .with_body(Bytes::from(vec![0xA5; 4096]))
        .with_serialize_type(ser);
    cmd.opaque = 42;
    cmd
}

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
