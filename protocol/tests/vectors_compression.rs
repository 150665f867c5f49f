//! Golden vectors for body compression: zlib streams Java writes (we inflate them, and Java can
//! inflate ours: same header and Adler-32), streams Java accepts or rejects, and LZ4 frames.

mod common;

use std::collections::HashMap;

use common::{hex_field, Outcome};
use rmq_protocol::compression::{compress_zlib, decompress, decompress_zlib, CompressionType};
use serde_json::Value;
use sha2::{Digest, Sha256};

const LIMIT: usize = 1 << 20;

#[test]
fn compression_vectors() {
    let mut bodies: HashMap<String, Vec<u8>> = HashMap::new();
    common::run_cases("compression.json", |name, case| {
        let input = &case["input"];
        let expected = &case["expected"];
        let body = case_body(name, input, &bodies);
        if let Some(body) = &body {
            bodies.insert(name.to_owned(), body.clone());
        }
        if name.starts_with("zlib_level") {
            let body = body.unwrap_or_else(|| panic!("{name}: no body"));
            check_zlib(name, &body, input, expected);
        } else if name.starts_with("inflate_") {
            let stream = hex_field(&input["stream_hex"]);
            assert_eq!(
                expected["java_uncompress_ok"].as_bool(),
                Some(true),
                "{name}"
            );
            let out = decompress_zlib(&stream, LIMIT).expect("inflate");
            assert_eq!(out.len() as i64, int(&expected["result_len"]), "{name}");
            assert_eq!(out.len() as i64, int(&input["expected_body_len"]), "{name}");
            assert_eq!(
                sha256(&out),
                str_of(&input["expected_body_sha256_hex"]),
                "{name}"
            );
            assert_eq!(
                expected["result_equals_body"].as_bool(),
                Some(true),
                "{name}"
            );
        } else if name == "reject_gzip" || name == "corrupt_adler32" {
            let stream = hex_field(&input["stream_hex"]);
            assert_eq!(
                expected["java_uncompress_ok"].as_bool(),
                Some(false),
                "{name}"
            );
            assert!(!str_of(&expected["error"]).is_empty());
            let result = decompress(CompressionType::Zlib, &stream, LIMIT);
            assert!(
                result.is_err(),
                "{name}: Java rejects this stream, so must we"
            );
        } else if name.starts_with("lz4_") {
            let body = body.unwrap_or_else(|| panic!("{name}: no body"));
            let frame = hex_field(&expected["compressed_hex"]);
            assert_eq!(
                frame.len() as i64,
                int(&expected["compressed_len"]),
                "{name}"
            );
            assert_eq!(frame[..4], hex_field(&expected["magic_hex"])[..], "{name}");
            let out = decompress(CompressionType::Lz4, &frame, LIMIT).expect("lz4");
            assert_eq!(out, body, "{name}");
            assert_eq!(expected["decompress_equals_body"].as_bool(), Some(true));
            let short = decompress(CompressionType::Lz4, &frame, body.len() - 1);
            assert!(short.is_err(), "{name}: limit enforced");
        } else {
            return Outcome::Unknown;
        }
        Outcome::Checked
    });
}

/// Java's stream inflates to the body; ours does too, with Java's header and trailer.
fn check_zlib(name: &str, body: &[u8], input: &Value, expected: &Value) {
    let java = hex_field(&expected["compressed_hex"]);
    if let Some(len) = expected["compressed_len"].as_i64() {
        assert_eq!(java.len() as i64, len, "{name}");
    }
    let inflated = decompress_zlib(&java, LIMIT).expect("inflate Java's stream");
    assert_eq!(inflated, body, "{name}: Java stream inflates to the body");
    if let Some(flag) = expected["uncompress_equals_body"].as_bool() {
        assert!(flag, "{name}");
    }
    if let Some(result) = expected.get("uncompress_result_hex") {
        assert_eq!(inflated, hex_field(result), "{name}");
    }
    assert!(
        decompress_zlib(&java, body.len().saturating_sub(1)).is_err() || body.is_empty(),
        "{name}: limit enforced"
    );

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
    if let Some(flag) = expected["zlib_compressor_identical"].as_bool() {
        assert!(flag, "{name}");
    }
    assert_eq!(
        decompress_zlib(&ours, LIMIT).expect("inflate ours"),
        body,
        "{name}"
    );
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
        assert_eq!(body, str_of(&input["body_text"]).as_bytes(), "{name}");
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
