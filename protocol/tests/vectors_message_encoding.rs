//! Golden vectors from Java 4.9.7's `MessageDecoder`: store-format records (encode byte-exact,
//! decode field by field, with and without bodies and decompression), a whole pull body, batch
//! bodies and the properties string codec.
//!
//! Java's compressed records are zlib, so the file runs with the `zlib` feature (a default);
//! `codec_features.rs` covers a build without it.
#![cfg(feature = "zlib")]

mod common;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use bytes::{Bytes, BytesMut};
use common::{hex_field, unknown, Outcome};
use rmq_protocol::message::{
    decode_batch, decode_stored, encode_batch, DecodeOptions, Message, Properties, StoredMessage,
    StoredMessages,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[test]
fn message_encoding_vectors() {
    common::expect_pass("message_encoding.json", run);
}

#[test]
fn our_message_encoding_vectors() {
    common::expect_pass("rmq_message_encoding.json", run);
}

#[test]
fn renamed_and_extended_message_cases_follow_their_fields() {
    let variants = common::load(&common::own_dir(), "rmq_message_encoding.json")
        .expect("rmq_message_encoding.json")["cases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    common::assert_renamed_and_extended(
        "message_encoding.json",
        variants,
        "/cases/0/expected/encoded_hex",
        run,
    );
}

/// Runs every case of `file` in `dir`; the check is chosen from the fields the case has.
fn run(dir: &Path, file: &str) -> Result<usize, String> {
    common::check_file(dir, file, |name, case| {
        let input = &case["input"];
        let expected = &case["expected"];
        let has_in = |k: &str| input.get(k).is_some();
        let has_out = |k: &str| expected.get(k).is_some();
        if has_out("encoded_hex") && has_in("topic") {
            check_store_record(name, input, expected);
        } else if has_in("pull_body_hex") && has_out("messages") {
            check_pull_body(name, input, expected);
        } else if has_in("messages") && has_out("batch_body_hex") {
            check_batch(name, input, expected);
        } else if has_in("properties_wire_order") && has_out("properties_string") {
            let props = wire_order(&input["properties_wire_order"]);
            let text = str_of(&expected["properties_string"]);
            assert_eq!(props.encode(), text, "{name}");
            let hex = hex_field(&expected["properties_string_hex"]);
            assert_eq!(props.encode().as_bytes(), hex, "{name}");
            if let Some(map) = expected.get("properties") {
                // Java's string2messageProperties of that string: the round trip.
                assert_eq!(as_map(&Properties::decode(text)), json_map(map), "{name}");
            }
        } else if has_in("properties_string") && has_out("properties") {
            let wire = hex_field(&input["properties_string_hex"]);
            assert_eq!(
                wire,
                str_of(&input["properties_string"]).as_bytes(),
                "{name}"
            );
            let props = Properties::decode_bytes(&wire);
            assert_eq!(as_map(&props), json_map(&expected["properties"]), "{name}");
            assert_eq!(
                Properties::decode(str_of(&input["properties_string"])),
                props
            );
        } else {
            return unknown(case);
        }
        Outcome::Checked
    })
}

/// One store record: encode byte-exact, check its layout, decode it every way Java does.
fn check_store_record(name: &str, input: &Value, expected: &Value) {
    let record = stored_from_input(input);
    let mut wire = BytesMut::new();
    record.encode(&mut wire).expect("encode");
    let wire = wire.freeze();
    assert_eq!(
        wire,
        hex_field(&expected["encoded_hex"]),
        "{name}: encoded bytes"
    );
    assert_eq!(wire.len() as i64, int(&expected["store_size"]), "{name}");
    check_layout(name, &wire, &record, &expected["layout"]);

    let decoded = one(decode_stored(wire.clone(), DecodeOptions::new()), name);
    check_decoded(name, &decoded, &expected["decoded"]);
    assert_eq!(decoded.version, record.version, "{name}: magic code");
    assert_eq!(
        decoded.msg_id(),
        str_of(&expected["client_decoded_msg_id"]),
        "{name}"
    );
    let offset_id = str_of(&expected["client_decoded_offset_msg_id"]);
    assert_eq!(decoded.offset_msg_id(), offset_id, "{name}");

    let bodiless = DecodeOptions::new().with_body(false);
    let without_body = one(decode_stored(wire.clone(), bodiless), name);
    assert!(
        expected["decoded_read_body_false_body_hex"].is_null(),
        "{name}"
    );
    assert!(
        without_body.body.is_empty(),
        "{name}: body read although skipped"
    );
    // Java returns null for no properties; we return an empty map.
    let props_only = match &expected["decode_properties_only"] {
        Value::Null => BTreeMap::new(),
        map => json_map(map),
    };
    assert_eq!(as_map(&without_body.properties), props_only, "{name}");

    let raw = one(
        decode_stored(wire, DecodeOptions::new().with_decompress(false)),
        name,
    );
    let stored_body = hex_field(&input["stored_body_hex"]);
    assert_eq!(raw.body, stored_body, "{name}: undecompressed body");
    // Java decodes an empty body as null, hence "not equal"; ours is simply empty.
    let java_equal = expected["decoded_no_decompress_body_equals_stored_body"].as_bool();
    assert_eq!(java_equal, Some(!stored_body.is_empty()), "{name}");
}

/// The record an input describes.
fn stored_from_input(input: &Value) -> StoredMessage {
    let body = hex_field(&input["stored_body_hex"]);
    let properties = wire_order(&input["properties_wire_order"]);
    assert_eq!(properties.encode(), str_of(&input["properties_string"]));
    assert_eq!(
        properties.encode().as_bytes(),
        hex_field(&input["properties_string_hex"])
    );
    let msg = StoredMessage {
        body_crc: int(&input["body_crc"]) as i32,
        queue_id: int(&input["queue_id"]) as i32,
        flag: int(&input["flag"]) as i32,
        queue_offset: int(&input["queue_offset"]),
        commit_log_offset: int(&input["commit_log_offset"]),
        sys_flag: int(&input["sys_flag"]) as i32,
        born_timestamp: int(&input["born_timestamp"]),
        born_host: host(&input["born_host"]),
        store_timestamp: int(&input["store_timestamp"]),
        store_host: host(&input["store_host"]),
        reconsume_times: int(&input["reconsume_times"]) as i32,
        prepared_transaction_offset: int(&input["prepared_transaction_offset"]),
        body: Bytes::from(body),
        topic: str_of(&input["topic"]).to_owned(),
        properties,
        ..StoredMessage::default()
    };
    assert_eq!(rmq_protocol::message::body_crc(&msg.body), msg.body_crc);
    msg
}

/// Every `[name, offset, len]` of the layout points at the right bytes.
fn check_layout(name: &str, wire: &[u8], record: &StoredMessage, layout: &Value) {
    let mut next = 0;
    for field in layout.as_array().expect("layout array") {
        let (field_name, at, len) = (str_of(&field[0]), int(&field[1]), int(&field[2]));
        assert_eq!(at as usize, next, "{name}: {field_name} offset");
        let bytes = &wire[at as usize..(at + len) as usize];
        match field_name {
            "BODY" => assert_eq!(bytes, &record.body[..], "{name}"),
            "TOPIC" => assert_eq!(bytes, record.topic.as_bytes(), "{name}"),
            "PROPERTIES" => assert_eq!(bytes, record.properties.encode().as_bytes(), "{name}"),
            _ => {}
        }
        next = (at + len) as usize;
    }
    assert_eq!(next, wire.len(), "{name}: layout covers the record");
}

/// A decoded record against Java's decoded view.
fn check_decoded(name: &str, msg: &StoredMessage, want: &Value) {
    assert_eq!(
        i64::from(msg.store_size),
        int(&want["store_size"]),
        "{name}"
    );
    assert_eq!(i64::from(msg.body_crc), int(&want["body_crc"]), "{name}");
    assert_eq!(i64::from(msg.queue_id), int(&want["queue_id"]), "{name}");
    assert_eq!(i64::from(msg.flag), int(&want["flag"]), "{name}");
    assert_eq!(msg.queue_offset, int(&want["queue_offset"]), "{name}");
    assert_eq!(
        msg.commit_log_offset,
        int(&want["commit_log_offset"]),
        "{name}"
    );
    assert_eq!(i64::from(msg.sys_flag), int(&want["sys_flag"]), "{name}");
    assert_eq!(msg.born_timestamp, int(&want["born_timestamp"]), "{name}");
    assert_eq!(msg.store_timestamp, int(&want["store_timestamp"]), "{name}");
    assert_eq!(msg.born_host, java_addr(&want["born_host"]), "{name}");
    let born_ip: IpAddr = str_of(&want["born_host_string"]).parse().expect("ip");
    assert_eq!(msg.born_host.ip(), born_ip, "{name}");
    assert_eq!(msg.store_host, java_addr(&want["store_host"]), "{name}");
    assert_eq!(
        i64::from(msg.reconsume_times),
        int(&want["reconsume_times"]),
        "{name}"
    );
    let prepared = int(&want["prepared_transaction_offset"]);
    assert_eq!(msg.prepared_transaction_offset, prepared, "{name}");
    assert_eq!(msg.topic, str_of(&want["topic"]), "{name}");
    assert_eq!(msg.tags(), want["tags"].as_str(), "{name}");
    let keys = want["keys"]
        .as_str()
        .map(|k| k.split(' ').collect::<Vec<_>>());
    assert_eq!(
        keys.unwrap_or_default(),
        msg.keys().collect::<Vec<_>>(),
        "{name}"
    );
    assert_eq!(
        as_map(&msg.properties),
        json_map(&want["properties"]),
        "{name}"
    );
    match want["offset_msg_id"].as_str() {
        // The client view (`clientDecode`): msgId is UNIQ_KEY when present.
        Some(offset_id) => {
            assert_eq!(msg.msg_id(), str_of(&want["msg_id"]), "{name}");
            assert_eq!(msg.offset_msg_id(), offset_id, "{name}");
        }
        // The server view (`decode`): msgId is always the offset id.
        None => assert_eq!(msg.offset_msg_id(), str_of(&want["msg_id"]), "{name}"),
    }
    if let Some(len) = want["body_len"].as_i64() {
        assert_eq!(msg.body.len() as i64, len, "{name}: inflated length");
        let digest = hex::encode(Sha256::digest(&msg.body));
        assert_eq!(
            digest,
            str_of(&want["body_sha256_hex"]),
            "{name}: inflated body"
        );
        let prefix = str_of(&want["body_text_prefix_64"]);
        assert!(msg.body.starts_with(prefix.as_bytes()), "{name}");
    } else {
        // body_hex is null where Java's body is null (empty).
        assert_eq!(msg.body, hex_field(&want["body_hex"]), "{name}: body");
        if let Some(text) = want["body_text"].as_str() {
            assert_eq!(msg.body, text.as_bytes(), "{name}");
        }
    }
}

/// A pull body of concatenated records, with and without bodies. With
/// `expected.java_decodes_records`, the body's last record is cut short: Java's
/// `MessageDecoder.decodes` keeps the whole records before it and drops the rest; we yield the
/// same records, then a typed error for the rest.
fn check_pull_body(name: &str, input: &Value, expected: &Value) {
    let body = Bytes::from(hex_field(&input["pull_body_hex"]));
    if let Some(whole) = expected.get("java_decodes_records") {
        check_truncated_pull_body(name, body, int(whole) as usize, expected);
        return;
    }
    let msgs = decode_stored(body.clone(), DecodeOptions::new()).expect("decode pull body");
    let want = expected["messages"].as_array().expect("messages");
    assert_eq!(msgs.len() as i64, int(&input["record_count"]), "{name}");
    assert_eq!(msgs.len(), want.len(), "{name}");
    for (i, (msg, want)) in msgs.iter().zip(want).enumerate() {
        check_decoded(&format!("{name}[{i}]"), msg, want);
    }
    // Re-encoding every record gives the body back, byte for byte.
    let mut again = BytesMut::new();
    for msg in &decode_stored(body.clone(), DecodeOptions::new().with_decompress(false))
        .expect("decode raw")
    {
        msg.encode(&mut again).expect("encode");
    }
    assert_eq!(again.freeze(), body, "{name}: re-encoded body");

    let bare = decode_stored(body, DecodeOptions::new().with_body(false)).expect("decode");
    let want = expected["messages_without_body"].as_array().expect("array");
    assert_eq!(bare.len(), want.len(), "{name}");
    for (msg, want) in bare.iter().zip(want) {
        assert_eq!(msg.msg_id(), str_of(&want["msg_id"]), "{name}");
        assert_eq!(msg.topic, str_of(&want["topic"]), "{name}");
        assert!(want["body_hex"].is_null() && msg.body.is_empty(), "{name}");
    }
}

fn check_truncated_pull_body(name: &str, body: Bytes, whole: usize, expected: &Value) {
    let want = expected["messages"].as_array().expect("messages");
    assert_eq!(
        want.len(),
        whole,
        "{name}: one expected message per whole record"
    );
    let mut records = StoredMessages::new(body.clone(), DecodeOptions::new());
    for (i, want) in want.iter().enumerate() {
        let msg = records
            .next()
            .unwrap_or_else(|| panic!("{name}: record {i} missing"))
            .unwrap_or_else(|e| panic!("{name}: record {i}: {e}"));
        check_decoded(&format!("{name}[{i}]"), &msg, want);
    }
    let err = match records.next() {
        Some(Err(e)) => e,
        other => panic!("{name}: the cut record must be an error, got {other:?}"),
    };
    assert!(!err.to_string().is_empty(), "{name}: error names its cause");
    assert!(records.next().is_none(), "{name}: nothing after the error");
    assert!(
        decode_stored(body, DecodeOptions::new()).is_err(),
        "{name}: all-or-nothing decode fails"
    );
}

/// A SEND_BATCH_MESSAGE body: whole, per message, and decoded back.
fn check_batch(name: &str, input: &Value, expected: &Value) {
    let messages: Vec<Message> = input["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            let props = wire_order(&m["properties_wire_order"]);
            assert_eq!(props.encode(), str_of(&m["properties_string"]), "{name}");
            let body = hex_field(&m["body_hex"]);
            assert_eq!(body, str_of(&m["body_text"]).as_bytes(), "{name}");
            let topic = str_of(&m["topic_not_encoded"]);
            Message::from_parts(topic, body, int(&m["flag"]) as i32, props)
        })
        .collect();
    let body = encode_batch(&messages).expect("encode batch");
    assert_eq!(
        body,
        hex_field(&expected["batch_body_hex"]),
        "{name}: batch body"
    );
    if let Some(identical) = expected["message_batch_encode_identical"].as_bool() {
        // Java's MessageBatch.encode and MessageDecoder.encodeMessages agree.
        assert!(identical, "{name}");
    }
    let singles = expected["per_message_hex"].as_array().expect("per message");
    assert_eq!(singles.len(), messages.len(), "{name}");
    for (msg, want) in messages.iter().zip(singles) {
        let one = encode_batch(std::slice::from_ref(msg)).expect("encode one");
        assert_eq!(one, hex_field(want), "{name}: single entry");
    }

    let topic = messages.first().map_or("", |m| m.topic());
    let decoded = decode_batch(&body, topic).expect("decode batch");
    assert_eq!(decoded, messages, "{name}: round trip");
    let want = expected["decode_messages"]
        .as_array()
        .expect("decode_messages");
    assert_eq!(decoded.len(), want.len(), "{name}");
    for (msg, want) in decoded.iter().zip(want) {
        assert_eq!(i64::from(msg.flag()), int(&want["flag"]), "{name}");
        assert_eq!(msg.body(), &hex_field(&want["body_hex"])[..], "{name}");
        assert_eq!(
            as_map(msg.properties()),
            json_map(&want["properties"]),
            "{name}"
        );
    }
}

fn one(result: rmq_protocol::Result<Vec<StoredMessage>>, name: &str) -> StoredMessage {
    let mut msgs = result.unwrap_or_else(|e| panic!("{name}: decode failed: {e}"));
    assert_eq!(msgs.len(), 1, "{name}: one record");
    msgs.remove(0)
}

/// Properties from `[[name, value], ...]` in wire order; null values are skipped like Java.
fn wire_order(pairs: &Value) -> Properties {
    let mut props = Properties::new();
    for pair in pairs.as_array().into_iter().flatten() {
        if let Some(value) = pair[1].as_str() {
            props.insert(str_of(&pair[0]), value);
        }
    }
    props
}

fn host(v: &Value) -> SocketAddr {
    let ip: IpAddr = str_of(&v["ip"]).parse().expect("ip");
    let bytes = hex_field(&v["ip_bytes_hex"]);
    match ip {
        IpAddr::V4(v4) => assert_eq!(v4.octets().to_vec(), bytes),
        IpAddr::V6(v6) => assert_eq!(v6.octets().to_vec(), bytes),
    }
    SocketAddr::new(ip, int(&v["port"]) as u16)
}

/// Java's `InetSocketAddress` text without the host name: `ip:port`, IPv6 unbracketed.
fn java_addr(v: &Value) -> SocketAddr {
    let (ip, port) = str_of(v).rsplit_once(':').expect("ip:port");
    SocketAddr::new(ip.parse().expect("ip"), port.parse().expect("port"))
}

fn as_map(props: &Properties) -> BTreeMap<String, String> {
    let map: BTreeMap<_, _> = props
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(map.len(), props.len(), "no duplicate names");
    map
}

fn json_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .expect("properties object")
        .iter()
        .map(|(k, v)| (k.clone(), str_of(v).to_owned()))
        .collect()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}
