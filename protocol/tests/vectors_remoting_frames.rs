//! Golden frames from `remoting_frames.json`: every case is encoded (from its input and the wire
//! order of its ext fields) and compared byte for byte with Java's frame, in both header
//! serializations, and every frame is decoded and compared with what Java's decoder returned.

mod common;

use std::path::Path;

use bytes::{Bytes, BytesMut};
use common::{hex_field, Outcome};
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::{Command, ExtFields, LanguageCode, SerializeType};
use serde_json::Value;

const INPUT_KEYS: &[&str] = &[
    "code",
    "language",
    "language_code",
    "version",
    "opaque",
    "flag",
    "remark",
    "serialize_type",
    "serialize_type_code",
    "custom_header_class",
    "ext_fields_set_directly",
    "ext_fields",
    "body_hex",
    "body_text",
    "frame_hex",
    "header_text",
];

const EXPECTED_KEYS: &[&str] = &[
    "frame_hex",
    "frame_length",
    "total_length_field",
    "header_length",
    "serialize_type_byte",
    "header_hex",
    "header_text",
    "ext_fields_wire_order",
    "body_hex",
    "body_text",
    "legacy_encode_identical",
    "legacy_encode_frame_hex",
];

const DECODED_KEYS: &[&str] = &[
    "code",
    "language",
    "version",
    "opaque",
    "flag",
    "is_response",
    "is_oneway",
    "remark",
    "ext_fields",
    "serialize_type",
    "body_hex",
];

#[test]
fn remoting_frame_vectors_encode_and_decode_like_java() {
    common::expect_pass("remoting_frames.json", run);
}

#[test]
fn our_remoting_frame_vectors() {
    common::expect_pass("rmq_remoting_frames.json", run);
}

#[test]
fn renamed_and_extended_frame_cases_follow_their_fields() {
    let variants = common::load(&common::own_dir(), "rmq_remoting_frames.json")
        .expect("rmq_remoting_frames.json")["cases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    common::assert_renamed_and_extended(
        "remoting_frames.json",
        variants,
        "/cases/0/expected/frame_hex",
        run,
    );
}

/// Runs every case of `file` in `dir`: a frame (given, or encoded by Java from `input`) decodes
/// to `decoded`; with `input.code`, our encoder writes Java's bytes.
fn run(dir: &Path, file: &str) -> Result<usize, String> {
    common::check_file(dir, file, check_case)
}

fn check_case(name: &str, case: &Value) -> Outcome {
    let (input, expected, decoded) = (&case["input"], &case["expected"], &case["decoded"]);
    let mut strange = unknown_keys(input, INPUT_KEYS, "input");
    if !expected.is_null() {
        strange.extend(unknown_keys(expected, EXPECTED_KEYS, "expected"));
    }
    strange.extend(unknown_keys(decoded, DECODED_KEYS, "decoded"));
    if !strange.is_empty() {
        return Outcome::Unknown(strange);
    }
    let frame = match (expected["frame_hex"].as_str(), input["frame_hex"].as_str()) {
        (Some(_), _) => hex_field(&expected["frame_hex"]),
        (None, Some(_)) => hex_field(&input["frame_hex"]),
        (None, None) => return common::unknown(case),
    };
    let cmd = decode_whole(name, &frame);
    assert_decoded(name, &cmd, decoded);
    if let Some(text) = input["header_text"].as_str() {
        assert_eq!(
            header_of(&frame),
            text.as_bytes(),
            "{name}: input header_text"
        );
    }
    if !expected.is_null() {
        assert_layout(name, &frame, expected);
        let wire: Vec<(&str, &str)> = expected["ext_fields_wire_order"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p[0].as_str()?, p[1].as_str()?)))
            .collect();
        if wire.len() == cmd.ext_fields.len() {
            // The decoder keeps wire order, so Java's own frames re-encode byte-exactly.
            assert_eq!(
                cmd.ext_fields.iter().collect::<Vec<_>>(),
                wire,
                "{name}: order"
            );
            assert_eq!(
                hex::encode(encode(&cmd)),
                hex::encode(&frame),
                "{name}: re-encode"
            );
        } else {
            // Duplicate keys on the wire (FastCodesHeader + extFields): the last one wins.
            assert!(wire.len() > cmd.ext_fields.len(), "{name}: lost ext fields");
            for (k, _) in &wire {
                let last = wire.iter().rev().find(|(key, _)| key == k).map(|p| p.1);
                assert_eq!(cmd.ext_fields.get(k), last, "{name}: duplicate {k}");
            }
        }
    }
    if input["code"].is_number() {
        let built = command_from_input(name, input, &expected["ext_fields_wire_order"]);
        assert_eq!(
            hex::encode(encode(&built)),
            hex::encode(&frame),
            "{name}: encode from input"
        );
        assert_legacy(name, expected, &cmd);
    }
    Outcome::Checked
}

/// The keys of `v` not in `known` (a new key means a new case kind), or `part` itself if it is
/// not an object.
fn unknown_keys(v: &Value, known: &[&str], part: &str) -> Vec<String> {
    match v.as_object() {
        Some(o) => o
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .map(|k| format!("{part}.{k}"))
            .collect(),
        None => vec![format!("{part} (not an object)")],
    }
}

fn encode(cmd: &Command) -> Vec<u8> {
    let mut buf = BytesMut::new();
    cmd.encode(&mut buf)
        .unwrap_or_else(|e| panic!("encode failed: {e}"));
    buf.to_vec()
}

/// Decodes `frame` through both entry points and checks they agree.
fn decode_whole(name: &str, frame: &[u8]) -> Command {
    let mut buf = BytesMut::from(frame);
    let cmd = decode_frame(&mut buf, DEFAULT_MAX_FRAME)
        .unwrap_or_else(|e| panic!("{name}: decode_frame failed: {e}"))
        .unwrap_or_else(|| panic!("{name}: decode_frame wants more bytes"));
    assert!(buf.is_empty(), "{name}: bytes left after the frame");
    let again = Command::decode(Bytes::copy_from_slice(&frame[4..]))
        .unwrap_or_else(|e| panic!("{name}: Command::decode failed: {e}"));
    assert_eq!(
        cmd, again,
        "{name}: decode_frame and Command::decode differ"
    );
    cmd
}

fn header_of(frame: &[u8]) -> &[u8] {
    let len = u32::from_be_bytes([0, frame[5], frame[6], frame[7]]) as usize;
    &frame[8..8 + len]
}

fn assert_layout(name: &str, frame: &[u8], expected: &Value) {
    let num = |k: &str| {
        expected[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: no {k}"))
    };
    assert_eq!(
        frame.len() as u64,
        num("frame_length"),
        "{name}: frame_length"
    );
    let total = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
    assert_eq!(u64::from(total), num("total_length_field"), "{name}: total");
    assert_eq!(
        u64::from(frame[4]),
        num("serialize_type_byte"),
        "{name}: type"
    );
    let header = header_of(frame);
    assert_eq!(
        header.len() as u64,
        num("header_length"),
        "{name}: header_length"
    );
    assert_eq!(
        hex::encode(header),
        expected["header_hex"].as_str().unwrap_or("")
    );
    if let Some(text) = expected["header_text"].as_str() {
        assert_eq!(header, text.as_bytes(), "{name}: header_text");
    }
    let body = &frame[8 + header.len()..];
    assert_eq!(
        body,
        hex_field(&expected["body_hex"]).as_slice(),
        "{name}: body"
    );
    if let Some(text) = expected["body_text"].as_str() {
        assert_eq!(body, text.as_bytes(), "{name}: body_text");
    }
}

/// Compares a decoded command with Java's `RemotingCommand.decode` result.
///
/// Semantics for ext fields: `null` (no map) is an empty [`ExtFields`]; a key mapped to `null`
/// (ROCKETMQ header, empty value) is absent, as `encoding::binary` documents.
fn assert_decoded(name: &str, cmd: &Command, d: &Value) {
    assert_eq!(
        i64::from(cmd.code),
        d["code"].as_i64().unwrap_or(-1),
        "{name}: code"
    );
    assert_eq!(
        cmd.language.name(),
        d["language"].as_str(),
        "{name}: language"
    );
    assert_eq!(i64::from(cmd.version), d["version"].as_i64().unwrap_or(-1));
    assert_eq!(i64::from(cmd.opaque), d["opaque"].as_i64().unwrap_or(-1));
    assert_eq!(i64::from(cmd.flag), d["flag"].as_i64().unwrap_or(-1));
    assert_eq!(
        Some(cmd.is_response()),
        d["is_response"].as_bool(),
        "{name}"
    );
    assert_eq!(Some(cmd.is_oneway()), d["is_oneway"].as_bool(), "{name}");
    assert_eq!(
        cmd.remark.as_deref(),
        d["remark"].as_str(),
        "{name}: remark"
    );
    assert_ext_fields(name, &cmd.ext_fields, &d["ext_fields"]);
    // Java decodes `"extFields":{}` to an empty map, not null; so do we.
    assert_eq!(
        cmd.ext_fields.is_present(),
        d["ext_fields"].is_object(),
        "{name}"
    );
    assert_eq!(
        Some(cmd.serialize_type.name()),
        d["serialize_type"].as_str()
    );
    assert_eq!(
        cmd.body.as_ref(),
        hex_field(&d["body_hex"]).as_slice(),
        "{name}: body"
    );
}

fn assert_ext_fields(name: &str, ext: &ExtFields, expected: &Value) {
    let Some(map) = expected.as_object() else {
        assert!(
            expected.is_null(),
            "{name}: ext_fields is neither map nor null"
        );
        assert!(
            !ext.is_present(),
            "{name}: expected no ext fields, got {ext:?}"
        );
        return;
    };
    let present = map.values().filter(|v| !v.is_null()).count();
    assert_eq!(ext.len(), present, "{name}: ext field count in {ext:?}");
    for (k, v) in map {
        assert_eq!(ext.get(k), v.as_str(), "{name}: ext field {k}");
    }
}

/// Builds the command Java encoded, feeding ext fields in wire order (duplicates kept).
fn command_from_input(name: &str, input: &Value, wire_order: &Value) -> Command {
    let int = |k: &str| -> i32 {
        input[k]
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or_else(|| panic!("{name}: input {k}"))
    };
    let language = LanguageCode(u8::try_from(int("language_code")).unwrap_or(u8::MAX));
    assert_eq!(
        language.name(),
        input["language"].as_str(),
        "{name}: language"
    );
    let ser = u8::try_from(int("serialize_type_code"))
        .ok()
        .and_then(SerializeType::from_code)
        .unwrap_or_else(|| panic!("{name}: serialize type"));
    assert_eq!(Some(ser.name()), input["serialize_type"].as_str());
    let mut ext = ExtFields::new();
    for pair in wire_order.as_array().into_iter().flatten() {
        match (pair[0].as_str(), pair[1].as_str()) {
            (Some(k), Some(v)) => ext.push(k, v),
            _ => panic!("{name}: bad wire-order pair {pair}"),
        }
    }
    // The wire order must carry exactly the input's fields (possibly twice).
    let mut fields = dedup(&ext);
    if input["ext_fields"].is_object() && fields.is_empty() {
        fields = ExtFields::present();
    }
    assert_ext_fields(name, &fields, &input["ext_fields"]);
    Command {
        code: int("code"),
        language,
        version: int("version"),
        opaque: int("opaque"),
        flag: int("flag"),
        remark: input["remark"].as_str().map(str::to_owned),
        ext_fields: ext,
        body: Bytes::from(hex_field(&input["body_hex"])),
        serialize_type: ser,
    }
}

fn dedup(ext: &ExtFields) -> ExtFields {
    ext.iter().collect()
}

/// Java's legacy `RemotingCommand.encode()` puts FastCodesHeader fields into `extFields`
/// (HashMap order): that frame must decode to the same command and re-encode byte-exactly.
fn assert_legacy(name: &str, expected: &Value, netty: &Command) {
    let identical = expected["legacy_encode_identical"].as_bool();
    let legacy = expected["legacy_encode_frame_hex"].as_str();
    assert_eq!(
        identical == Some(true),
        legacy.is_none(),
        "{name}: legacy fields"
    );
    if legacy.is_some() {
        let frame = hex_field(&expected["legacy_encode_frame_hex"]);
        let cmd = decode_whole(name, &frame);
        assert_eq!(
            hex::encode(encode(&cmd)),
            hex::encode(&frame),
            "{name}: legacy"
        );
        let mut a: Vec<_> = cmd.ext_fields.iter().collect();
        let mut b: Vec<_> = netty.ext_fields.iter().collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b, "{name}: legacy frame carries other fields");
        assert_eq!(
            (cmd.code, cmd.opaque, &cmd.body),
            (netty.code, netty.opaque, &netty.body)
        );
    }
}
