//! Instruction counts per operation, for `valgrind --tool=callgrind` on a loaded machine where
//! wall-clock medians drift: `icount <workload> <iterations>` runs one workload a fixed number
//! of times and nothing else. Run it twice (N and 2N iterations) and divide the difference in
//! instructions by N to cancel start-up and fixture costs:
//!
//! ```text
//! cargo bench -p rmq-protocol --bench icount --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null <target>/release/deps/icount-* send_v2_json_decode 1000
//! ```

use std::hint::black_box;

use bytes::BytesMut;
use rmq_protocol::compression::{compress, decompress, CompressionType, DEFAULT_LEVEL};
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::message::{decode_stored, DecodeOptions};
use rmq_protocol::SerializeType;

mod fixtures;

const WORKLOADS: &[&str] = &[
    "send_v2_json_encode",
    "send_v2_json_decode",
    "send_v2_rocketmq_encode",
    "send_v2_rocketmq_decode",
    "send_v2_json_build",
    "send_v2_rocketmq_build",
    "pull_found_json_decode",
    "pull_body_32x128B",
    "pull_body_32x128B_props",
    "zlib_compress_4KiB",
    "zlib_decompress_4KiB",
    "lz4_compress_4KiB",
    "lz4_decompress_4KiB",
    "zstd_compress_4KiB",
    "zstd_decompress_4KiB",
];

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let (Some(workload), Some(n)) = (args.next(), args.next()) else {
        eprintln!("usage: icount <workload> <iterations>; workloads: {WORKLOADS:?}");
        return;
    };
    let n: usize = n.parse().expect("iterations is a number");
    if let Some((kind, op)) = workload.split_once('_') {
        let kind = match kind {
            "zlib" => Some(CompressionType::Zlib),
            "lz4" => Some(CompressionType::Lz4),
            "zstd" => Some(CompressionType::Zstd),
            _ => None,
        };
        if let Some(kind) = kind {
            let body = fixtures::letters(4096);
            let packed = compress(kind, &body, DEFAULT_LEVEL).expect("compresses");
            for _ in 0..n {
                if op.starts_with("compress") {
                    black_box(compress(kind, black_box(&body), DEFAULT_LEVEL).expect("ok"));
                } else {
                    black_box(decompress(kind, black_box(&packed), 1 << 20).expect("ok"));
                }
            }
            return;
        }
    }
    if let Some(ser) = match workload.as_str() {
        "send_v2_json_build" => Some(SerializeType::Json),
        "send_v2_rocketmq_build" => Some(SerializeType::RocketMq),
        _ => None,
    } {
        let mut buf = BytesMut::with_capacity(1024);
        for _ in 0..n {
            buf.clear();
            black_box(fixtures::build_send_request(black_box(ser)))
                .encode(&mut buf)
                .expect("encodes");
            black_box(buf.len());
        }
        return;
    }
    let (what, ser, op) = match workload.as_str() {
        "send_v2_json_encode" => ("send", SerializeType::Json, "encode"),
        "send_v2_json_decode" => ("send", SerializeType::Json, "decode"),
        "send_v2_rocketmq_encode" => ("send", SerializeType::RocketMq, "encode"),
        "send_v2_rocketmq_decode" => ("send", SerializeType::RocketMq, "decode"),
        "pull_found_json_decode" => ("pull", SerializeType::Json, "decode"),
        "pull_body_32x128B" => ("body", SerializeType::Json, "decode"),
        "pull_body_32x128B_props" => ("body", SerializeType::Json, "props"),
        other => panic!("unknown workload {other}; known: {WORKLOADS:?}"),
    };
    if what == "body" {
        let wire = fixtures::pull_body(128);
        for _ in 0..n {
            let msgs = decode_stored(black_box(wire.clone()), DecodeOptions::new()).expect("ok");
            if op == "props" {
                for m in &msgs {
                    black_box(m.properties.get("UNIQ_KEY"));
                }
            }
            black_box(msgs);
        }
        return;
    }
    let cmd = match what {
        "send" => fixtures::send_request(ser),
        _ => fixtures::pull_response(ser),
    };
    let wire = cmd.to_frame().expect("encodes");
    let mut buf = BytesMut::with_capacity(wire.len() * 2);
    for _ in 0..n {
        if op == "encode" {
            buf.clear();
            black_box(&cmd).encode(&mut buf).expect("encodes");
            black_box(buf.len());
        } else {
            let mut buf = BytesMut::from(black_box(wire.as_ref()));
            black_box(decode_frame(&mut buf, DEFAULT_MAX_FRAME).expect("decodes"));
        }
    }
}
