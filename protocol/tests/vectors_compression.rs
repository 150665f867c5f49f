//! Golden vectors for body compression: zlib streams Java writes (we inflate them, and Java can
//! inflate ours: same header and Adler-32), streams Java accepts or rejects, and the LZ4 and
//! zstd frames of Java 5.x's `CompressionType`.
//!
//! The check is chosen from the fields a case has, never from its name:
//! - `input.stream_hex` + `expected.java_uncompress_ok`: a stream Java inflates (we must too,
//!   to the body described) or rejects (we must too);
//! - a body + `expected.compressed_hex` + `expected.magic_hex`: a framed format named by its
//!   magic (LZ4 or zstd): Java's frame decodes to the body, ours round-trips;
//! - a body + `expected.compressed_hex` + `input.level`: a zlib stream at that level.
//!
//! Every case needs a codec, so the file runs with all three codec features (the default);
//! `codec_features.rs` covers a build without them.
#![cfg(all(feature = "zlib", feature = "lz4", feature = "zstd"))]

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{hex_field, unknown, Outcome};
use rmq_protocol::compression::{compress, compress_zlib, decompress, CompressionType};
use rmq_protocol::message::sysflag;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const LIMIT: usize = 1 << 20;

#[test]
fn compression_vectors() {
    common::expect_pass("compression.json", run);
}

#[test]
fn our_compression_vectors() {
    common::expect_pass("rmq_compression.json", run);
}

#[test]
fn renamed_and_extended_compression_cases_follow_their_fields() {
    let mut variants = common::load(&common::own_dir(), "rmq_compression.json")
        .expect("rmq_compression.json")["cases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    variants.push(json!({
        "name": "v_zlib_level9_other_body",
        "input": {"body_hex": hex::encode(b"another body, another level"), "level": 9},
        "expected": {"compressed_hex":
            "78da4bcccb2fc9482d5248ca4fa9d4514884f27252cb5273008f0d0a35"}
    }));
    common::assert_renamed_and_extended(
        "compression.json",
        variants,
        "/cases/1/expected/compressed_hex",
        run,
    );
}

/// Runs every case of `file` in `dir`.
fn run(dir: &Path, file: &str) -> Result<usize, String> {
    let mut bodies: HashMap<String, Vec<u8>> = HashMap::new();
    common::check_file(dir, file, |name, case| {
        let input = &case["input"];
        let expected = &case["expected"];
        let body = case_body(name, input, &bodies);
        if let Some(body) = &body {
            bodies.insert(name.to_owned(), body.clone());
        }
        match (body, expected.get("compressed_hex")) {
            _ if input.get("stream_hex").is_some()
                && expected.get("java_uncompress_ok").is_some() =>
            {
                check_stream(name, input, expected)
            }
            (Some(body), Some(_)) if expected.get("magic_hex").is_some() => {
                check_framed(name, &body, input, expected)
            }
            (Some(body), Some(_)) if input.get("level").is_some() => {
                check_zlib(name, &body, input, expected)
            }
            _ => return unknown(case),
        }
        Outcome::Checked
    })
}

/// A zlib stream Java's `UtilAll.uncompress` accepts (we inflate it to the body described) or
/// rejects (so do we).
fn check_stream(name: &str, input: &Value, expected: &Value) {
    let stream = hex_field(&input["stream_hex"]);
    let result = decompress(CompressionType::Zlib, &stream, LIMIT);
    if expected["java_uncompress_ok"] == false {
        assert!(
            !str_of(&expected["error"]).is_empty(),
            "{name}: Java's error"
        );
        assert!(
            result.is_err(),
            "{name}: Java rejects this stream, so must we"
        );
        return;
    }
    let out = result.unwrap_or_else(|e| panic!("{name}: Java inflates this stream: {e}"));
    assert_eq!(out.len() as i64, int(&input["expected_body_len"]), "{name}");
    if let Some(len) = expected.get("result_len") {
        assert_eq!(out.len() as i64, int(len), "{name}");
    }
    let equal = sha256(&out) == str_of(&input["expected_body_sha256_hex"]);
    assert!(equal, "{name}: inflates to the body");
    if let Some(flag) = expected["result_equals_body"].as_bool() {
        assert_eq!(flag, equal, "{name}: result_equals_body");
    }
}

/// A frame whose magic names the algorithm: Java's frame decodes to the body within a limit,
/// and our frame of the body starts with the same magic and round-trips.
fn check_framed(name: &str, body: &[u8], input: &Value, expected: &Value) {
    let frame = hex_field(&expected["compressed_hex"]);
    let magic = hex_field(&expected["magic_hex"]);
    let kind = match magic.as_slice() {
        [0x04, 0x22, 0x4d, 0x18] => CompressionType::Lz4,
        [0x28, 0xb5, 0x2f, 0xfd] => CompressionType::Zstd,
        other => panic!("{name}: no framed compression with magic {other:02x?}"),
    };
    assert!(frame.starts_with(&magic), "{name}: frame starts with magic");
    if let Some(len) = expected.get("compressed_len") {
        assert_eq!(frame.len() as i64, int(len), "{name}");
    }
    if let Some(bits) = expected.get("sys_flag_compression_bits") {
        let bits = int(bits) as i32;
        assert_eq!(kind.sys_flag_bits(), bits, "{name}: sysFlag type bits");
        let flag = sysflag::COMPRESSED | bits;
        assert_eq!(
            CompressionType::from_sys_flag(flag).ok(),
            Some(kind),
            "{name}"
        );
    }
    let out = decompress(kind, &frame, LIMIT).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(out, body, "{name}: Java's frame decodes to the body");
    if let Some(flag) = expected["decompress_equals_body"].as_bool() {
        assert!(flag, "{name}");
    }
    if !body.is_empty() {
        let short = decompress(kind, &frame, body.len() - 1);
        assert!(short.is_err(), "{name}: limit enforced");
    }
    let level = input["level"].as_u64().unwrap_or(5) as u32;
    let ours = compress(kind, body, level).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(ours.starts_with(&magic), "{name}: our frame's magic");
    let back = decompress(kind, &ours, body.len()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(back, body, "{name}: our frame round-trips");
}

/// Java's stream inflates to the body; ours does too, with Java's header and trailer.
fn check_zlib(name: &str, body: &[u8], input: &Value, expected: &Value) {
    let java = hex_field(&expected["compressed_hex"]);
    if let Some(len) = expected["compressed_len"].as_i64() {
        assert_eq!(java.len() as i64, len, "{name}");
    }
    let inflated = decompress(CompressionType::Zlib, &java, LIMIT).expect("inflate Java's stream");
    assert_eq!(inflated, body, "{name}: Java stream inflates to the body");
    if let Some(flag) = expected["uncompress_equals_body"].as_bool() {
        assert!(flag, "{name}");
    }
    if let Some(result) = expected.get("uncompress_result_hex") {
        assert_eq!(inflated, hex_field(result), "{name}");
    }
    if !body.is_empty() {
        let short = decompress(CompressionType::Zlib, &java, body.len() - 1);
        assert!(short.is_err(), "{name}: limit enforced");
    }

    let level = int(&input["level"]) as u32;
    let ours = compress_zlib(body, level).expect("compress");
    assert_eq!(ours[..2], java[..2], "{name}: zlib header per level");
    if let Some(header) = expected.get("zlib_header_hex") {
        assert_eq!(ours[..2], hex_field(header)[..], "{name}");
    }
    // The Adler-32 trailer depends only on the body, so it must match Java's exactly.
    assert_eq!(
        ours[ours.len() - 4..],
        java[java.len() - 4..],
        "{name}: Adler-32"
    );
    if let Some(trailer) = expected.get("adler32_trailer_hex") {
        assert_eq!(ours[ours.len() - 4..], hex_field(trailer)[..], "{name}");
    }
    if let Some(identical) = expected["zlib_compressor_identical"].as_bool() {
        // Java's `ZlibCompressor` and `UtilAll.compress` write the same stream.
        assert!(identical, "{name}");
    }
    let back = decompress(CompressionType::Zlib, &ours, LIMIT).expect("inflate ours");
    assert_eq!(back, body, "{name}");
}

/// The body a case describes, directly or by naming an earlier case.
fn case_body(name: &str, input: &Value, earlier: &HashMap<String, Vec<u8>>) -> Option<Vec<u8>> {
    if let Some(other) = input["body_same_as"].as_str() {
        let body = earlier.get(other);
        return Some(
            body.unwrap_or_else(|| panic!("{name}: unknown case {other}"))
                .clone(),
        );
    }
    if input.get("body_recipe").is_some() {
        let len = int(&input["body_len"]) as usize;
        let body = recipe_body(len);
        assert_eq!(
            sha256(&body),
            str_of(&input["body_sha256_hex"]),
            "{name}: recipe"
        );
        if let Some(text) = input["body_text"].as_str() {
            assert_eq!(body, text.as_bytes(), "{name}");
        }
        return Some(body);
    }
    let hex = input.get("body_hex")?;
    let body = hex_field(hex);
    if let Some(text) = input["body_text"].as_str() {
        assert_eq!(body, text.as_bytes(), "{name}");
    }
    Some(body)
}

/// The first `len` bytes of `"RocketMQ-" + i + " "` for i = 0, 1, 2, ...
fn recipe_body(len: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(len + 16);
    let mut i = 0;
    while body.len() < len {
        body.extend_from_slice(format!("RocketMQ-{i} ").as_bytes());
        i += 1;
    }
    body.truncate(len);
    body
}

fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}
