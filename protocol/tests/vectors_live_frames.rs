//! `live_frames.json`: frames a real Java 4.9.7 client exchanged with a real name server and
//! broker. Every recorded frame decodes to what the capture says, re-encodes to Java's exact
//! bytes, and agrees with the conversation log; anything the test does not know fails it.

mod common;

use std::io::Read as _;
use std::path::Path;

use bytes::BytesMut;
use common::hex_field;
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

const CAPTURE_KEYS: &[&str] = &[
    "label",
    "serialize_type",
    "client_side_results",
    "conversation",
    "exchanges",
];
const CONVERSATION_KEYS: &[&str] = &[
    "i",
    "t_ms",
    "proxy",
    "conn",
    "dir",
    "len",
    "ser",
    "code",
    "name",
    "flag",
    "opaque",
    "reply_to",
    "rewritten",
];
const FRAME_KEYS: &[&str] = &[
    "conversation_index",
    "direction",
    "proxy",
    "rewritten_in_transit",
    "frame_hex",
    "frame_length",
    "total_length_field",
    "header_length",
    "serialize_type_byte",
    "header_text",
    "ext_fields_wire_order",
    "body_offset",
    "body_length",
    "decoded",
    "body_text",
    "body_decoded_messages",
    "body_decoded_batch",
    "body_inflated_equals_5120_byte_recipe_text",
    "body_inflated_len",
    "body_inflated_sha256_hex",
];
const DECODED_KEYS: &[&str] = &[
    "code",
    "code_name",
    "language",
    "version",
    "opaque",
    "flag",
    "is_response",
    "is_oneway",
    "remark",
    "ext_fields",
    "serialize_type",
];

#[test]
fn live_frames_decode_and_reencode_like_the_java_client() {
    common::expect_pass("live_frames.json", run);
}

#[test]
fn renamed_captures_pass_and_a_corrupted_frame_byte_fails() {
    let mut doc = common::load(&common::default_dir(), "live_frames.json").expect("live_frames");
    for (i, capture) in doc["captures"]
        .as_array_mut()
        .expect("captures")
        .iter_mut()
        .enumerate()
    {
        capture["label"] = json!(format!("capture_{i}"));
        for (j, ex) in capture["exchanges"]
            .as_array_mut()
            .expect("exchanges")
            .iter_mut()
            .enumerate()
        {
            ex["name"] = json!(format!("exchange_{j}"));
        }
    }
    let tmp = common::TempDir::new("live");
    let write = |doc: &Value| {
        let text = serde_json::to_string(doc).expect("serialize");
        std::fs::write(tmp.path().join("live_frames.json"), text).expect("write");
    };
    write(&doc);
    if let Err(report) = run(tmp.path(), "live_frames.json") {
        panic!("renamed captures failed: {report}");
    }
    common::corrupt_hex(&mut doc, "/captures/0/exchanges/0/request/frame_hex");
    write(&doc);
    let report = run(tmp.path(), "live_frames.json").expect_err("corrupted frame");
    assert!(report.contains("capture_0/exchange_0"), "{report}");
}

/// Checks every capture of `file` in `dir`; returns the number of frames checked, or the
/// first failure.
fn run(dir: &Path, file: &str) -> Result<usize, String> {
    let doc = common::load(dir, file)?;
    std::panic::catch_unwind(|| check_captures(&doc)).map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panicked".to_owned())
    })
}

fn check_captures(doc: &Value) -> usize {
    let captures = doc["captures"].as_array().expect("`captures` array");
    assert!(!captures.is_empty(), "no captures");
    let mut frames = 0;
    for capture in captures {
        assert_keys(capture, CAPTURE_KEYS, "capture");
        let label = capture["label"].as_str().expect("label");
        let conversation = capture["conversation"].as_array().expect("conversation");
        for (i, entry) in conversation.iter().enumerate() {
            check_conversation_entry(label, i, entry);
        }
        let exchanges = capture["exchanges"].as_array().expect("exchanges");
        assert!(!exchanges.is_empty(), "{label}: no exchanges");
        for ex in exchanges {
            assert_keys(
                ex,
                &["name", "description", "request", "response"],
                "exchange",
            );
            let name = format!("{label}/{}", ex["name"].as_str().expect("exchange name"));
            let request = check_frame(&name, &ex["request"], conversation);
            assert!(
                !request.is_response(),
                "{name}: request has the response bit"
            );
            frames += 1;
            if !ex["response"].is_null() {
                let response = check_frame(&name, &ex["response"], conversation);
                assert!(
                    response.is_response(),
                    "{name}: response lacks the response bit"
                );
                assert_eq!(response.opaque, request.opaque, "{name}: opaque");
                check_send_result(&name, &request, &response, &capture["client_side_results"]);
                frames += 1;
            } else {
                assert!(
                    request.is_oneway(),
                    "{name}: a request without reply is oneway"
                );
            }
        }
    }
    frames
}

fn assert_keys(v: &Value, known: &[&str], what: &str) {
    let map = v
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object"));
    let unknown: Vec<_> = map
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "{what}: keys this test does not understand: {unknown:?}"
    );
}

fn code_name(code: i32, flag: i32) -> Option<&'static str> {
    if flag & 1 == 1 {
        ResponseCode(code).name()
    } else {
        RequestCode(code).name()
    }
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn i32_of(v: &Value) -> i32 {
    i32::try_from(int(v)).unwrap_or_else(|_| panic!("not an i32: {v}"))
}

fn check_conversation_entry(label: &str, i: usize, e: &Value) {
    assert_keys(e, CONVERSATION_KEYS, "conversation entry");
    assert_eq!(int(&e["i"]), i as i64, "{label}: conversation index");
    let (code, flag) = (i32_of(&e["code"]), i32_of(&e["flag"]));
    assert_eq!(
        code_name(code, flag),
        e["name"].as_str(),
        "{label}#{i}: code name"
    );
    assert!(
        matches!(e["ser"].as_str(), Some("JSON" | "ROCKETMQ")),
        "{label}#{i}"
    );
    let dir = e["dir"].as_str();
    assert!(
        matches!(dir, Some("client->server" | "server->client")),
        "{label}#{i}"
    );
    assert!(
        int(&e["len"]) >= 8,
        "{label}#{i}: frame shorter than its prefix"
    );
}

/// Decodes one recorded frame and checks it against everything the capture says about it.
fn check_frame(name: &str, f: &Value, conversation: &[Value]) -> Command {
    assert_keys(f, FRAME_KEYS, name);
    assert_keys(&f["decoded"], DECODED_KEYS, name);
    let frame = hex_field(&f["frame_hex"]);
    let mut buf = BytesMut::from(frame.as_slice());
    let cmd = decode_frame(&mut buf, DEFAULT_MAX_FRAME)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .unwrap_or_else(|| panic!("{name}: incomplete frame"));
    assert!(buf.is_empty(), "{name}: trailing bytes");

    // Layout.
    let n = |k: &str| int(&f[k]) as usize;
    assert_eq!(frame.len(), n("frame_length"), "{name}");
    assert_eq!(frame.len() - 4, n("total_length_field"), "{name}");
    assert_eq!(usize::from(frame[4]), n("serialize_type_byte"), "{name}");
    assert_eq!(cmd.serialize_type.code(), frame[4], "{name}");
    let header_len = n("header_length");
    assert_eq!(n("body_offset"), 8 + header_len, "{name}: body offset");
    assert_eq!(cmd.body.len(), n("body_length"), "{name}: body length");
    assert_eq!(cmd.body.as_ref(), &frame[8 + header_len..], "{name}: body");
    if let Some(text) = f["header_text"].as_str() {
        assert_eq!(&frame[8..8 + header_len], text.as_bytes(), "{name}: header");
    }
    if let Some(text) = f["body_text"].as_str() {
        assert_eq!(cmd.body.as_ref(), text.as_bytes(), "{name}: body_text");
    }

    // What Java's decoder returned.
    let d = &f["decoded"];
    assert_eq!(cmd.code, i32_of(&d["code"]), "{name}: code");
    assert_eq!(
        code_name(cmd.code, cmd.flag),
        d["code_name"].as_str(),
        "{name}"
    );
    assert_eq!(
        cmd.language.name(),
        d["language"].as_str(),
        "{name}: language"
    );
    assert_eq!(cmd.version, i32_of(&d["version"]), "{name}: version");
    assert_eq!(cmd.opaque, i32_of(&d["opaque"]), "{name}: opaque");
    assert_eq!(cmd.flag, i32_of(&d["flag"]), "{name}: flag");
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
    assert_eq!(
        Some(cmd.serialize_type.name()),
        d["serialize_type"].as_str()
    );
    check_ext_fields(name, &cmd, &d["ext_fields"], &f["ext_fields_wire_order"]);

    // Java wrote these bytes; fed the same fields in the same order we write them too.
    let mut out = BytesMut::new();
    cmd.encode(&mut out)
        .unwrap_or_else(|e| panic!("{name}: encode: {e}"));
    assert_eq!(hex::encode(&out), hex::encode(&frame), "{name}: re-encode");

    // The conversation log saw the same frame.
    let at = n("conversation_index");
    let log = conversation
        .get(at)
        .unwrap_or_else(|| panic!("{name}: conversation index {at}"));
    assert_eq!(
        int(&log["len"]) as usize,
        frame.len(),
        "{name}: logged length"
    );
    assert_eq!(i32_of(&log["code"]), cmd.code, "{name}: logged code");
    assert_eq!(i32_of(&log["flag"]), cmd.flag, "{name}: logged flag");
    assert_eq!(i32_of(&log["opaque"]), cmd.opaque, "{name}: logged opaque");
    assert_eq!(
        log["ser"].as_str(),
        Some(cmd.serialize_type.name()),
        "{name}"
    );
    assert_eq!(log["dir"], f["direction"], "{name}: direction");
    assert_eq!(log["proxy"], f["proxy"], "{name}: proxy");
    check_body_summaries(name, &cmd, f);
    cmd
}

fn check_ext_fields(name: &str, cmd: &Command, decoded: &Value, wire: &Value) {
    let ours: Vec<(&str, &str)> = cmd.ext_fields.iter().collect();
    match decoded.as_object() {
        None => {
            assert!(decoded.is_null(), "{name}: ext_fields");
            assert!(
                !cmd.ext_fields.is_present(),
                "{name}: unexpected ext fields {ours:?}"
            );
        }
        Some(map) => {
            assert!(
                cmd.ext_fields.is_present(),
                "{name}: Java decoded a (maybe empty) map"
            );
            // A null value would be a ROCKETMQ empty string, which the decoder drops.
            let present: Map<String, Value> = map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            assert_eq!(ours.len(), present.len(), "{name}: ext field count");
            for (k, v) in map {
                assert_eq!(cmd.ext_fields.get(k), v.as_str(), "{name}: ext field {k}");
            }
        }
    }
    let wire: Vec<(&str, &str)> = wire
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (p[0].as_str().expect("key"), p[1].as_str().expect("value")))
        .collect();
    assert_eq!(ours, wire, "{name}: ext fields in wire order");
}

/// Light checks of bodies whose full decoding belongs to the message and compression vectors.
fn check_body_summaries(name: &str, cmd: &Command, f: &Value) {
    if let Some(messages) = f["body_decoded_messages"].as_array() {
        // A pull body is back-to-back store records, each starting with its total size.
        let mut rest = cmd.body.as_ref();
        for m in messages {
            let size = int(&m["store_size"]) as usize;
            assert!(
                rest.len() >= size && size >= 4,
                "{name}: record size {size}"
            );
            let prefix = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
            assert_eq!(prefix as usize, size, "{name}: record size prefix");
            if let Some(body) = m["body_hex"].as_str() {
                let body = hex::decode(body).expect("hex");
                let record = &rest[..size];
                let found = record
                    .windows(body.len().max(1))
                    .any(|w| w == body.as_slice());
                assert!(found, "{name}: record body");
            }
            rest = &rest[size..];
        }
        assert!(rest.is_empty(), "{name}: bytes after the last record");
    }
    if let Some(batch) = f["body_decoded_batch"].as_array() {
        let body = cmd.body.as_ref();
        for m in batch {
            let text = m["body_text"].as_str().expect("batch body_text").as_bytes();
            assert!(
                body.windows(text.len()).any(|w| w == text),
                "{name}: batch body"
            );
        }
    }
    if let Some(sha) = f["body_inflated_sha256_hex"].as_str() {
        let mut inflated = Vec::new();
        flate2::read::ZlibDecoder::new(cmd.body.as_ref())
            .read_to_end(&mut inflated)
            .unwrap_or_else(|e| panic!("{name}: body is not a zlib stream: {e}"));
        assert_eq!(
            inflated.len() as i64,
            int(&f["body_inflated_len"]),
            "{name}"
        );
        assert_eq!(
            hex::encode(Sha256::digest(&inflated)),
            sha,
            "{name}: inflated body"
        );
        assert_eq!(
            f["body_inflated_equals_5120_byte_recipe_text"].as_bool(),
            Some(true)
        );
    }
}

/// A send response's `msgId` is the offset id the Java producer reported.
fn check_send_result(name: &str, request: &Command, response: &Command, results: &Value) {
    let sends = [
        RequestCode::SEND_MESSAGE_V2,
        RequestCode::SEND_BATCH_MESSAGE,
    ];
    if !sends.contains(&request.request_code()) {
        return;
    }
    let msg_id = response
        .ext_fields
        .get("msgId")
        .expect("send response msgId");
    let sent = results["sent"]
        .as_array()
        .expect("client_side_results.sent");
    let found = sent
        .iter()
        .any(|s| s["offsetMsgId"].as_str() == Some(msg_id));
    assert!(
        found,
        "{name}: msgId {msg_id} not among the producer's results"
    );
}
