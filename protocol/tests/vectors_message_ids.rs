//! Golden vectors for message ids: offset ids (`MessageDecoder.createMessageId` /
//! `decodeMessageId`) and unique ids (`MessageClientIDSetter`), both directions.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use common::{hex_field, unknown, Outcome};
use rmq_protocol::ids::{
    decode_offset_msg_id, decode_unique_id, from_hex, offset_msg_id, to_hex_upper,
    UniqueIdGenerator,
};
use serde_json::{json, Value};

#[test]
fn message_id_vectors() {
    common::expect_pass("message_ids.json", run);
}

#[test]
fn our_message_id_vectors() {
    common::expect_pass("rmq_message_ids.json", run);
}

#[test]
fn renamed_and_extended_message_id_cases_follow_their_fields() {
    let mut variants = common::load(&common::own_dir(), "rmq_message_ids.json")
        .expect("rmq_message_ids.json")["cases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    variants.push(json!({
        "name": "v_offset_id",
        "input": {
            "store_host_ip": "10.1.2.3", "store_host_ip_bytes_hex": "0a010203",
            "store_host_port": 10921, "commit_log_offset": 1_234_567_890_123_i64
        },
        "expected": {
            "msg_id": "0A01020300002AA90000011F71FB04CB", "msg_id_length": 32,
            "create_message_id_socket_address_variant": "0A01020300002AA90000011F71FB04CB",
            "decoded": {"ip": "10.1.2.3", "ip_bytes_hex": "0a010203", "port": 10921,
                        "offset": 1_234_567_890_123_i64},
            "decoded_from_lowercase_equal": true
        }
    }));
    variants.push(json!({
        "name": "v_hex",
        "input": {"bytes_hex": "00ff10ab"},
        "expected": {"bytes2string": "00FF10AB", "string2bytes_of_lowercase_hex": "00ff10ab"}
    }));
    common::assert_renamed_and_extended(
        "message_ids.json",
        variants,
        "/cases/0/expected/decoded/ip_bytes_hex",
        run,
    );
}

/// Runs every case of `file` in `dir`; the check is chosen from the fields of `input`.
fn run(dir: &Path, file: &str) -> Result<usize, String> {
    common::check_file(dir, file, |name, case| {
        let input = &case["input"];
        let expected = &case["expected"];
        if input.get("store_host_ip").is_some() && input.get("commit_log_offset").is_some() {
            check_offset_id(name, input, expected);
        } else if input.get("uniq_id").is_some() {
            check_unique_id(name, input, expected);
        } else if input.get("bytes_hex").is_some() && expected.get("bytes2string").is_some() {
            let bytes = hex_field(&input["bytes_hex"]);
            let upper = to_hex_upper(&bytes);
            assert_eq!(upper, str_of(&expected["bytes2string"]), "{name}");
            let lower = str_of(&expected["string2bytes_of_lowercase_hex"]);
            assert_eq!(from_hex(lower).expect("lower-case hex"), bytes, "{name}");
            assert_eq!(from_hex(&upper).expect("upper-case hex"), bytes, "{name}");
        } else {
            return unknown(case);
        }
        Outcome::Checked
    })
}

fn check_offset_id(name: &str, input: &Value, expected: &Value) {
    let ip: IpAddr = str_of(&input["store_host_ip"]).parse().expect("ip");
    assert_eq!(
        ip_bytes(ip),
        hex_field(&input["store_host_ip_bytes_hex"]),
        "{name}"
    );
    let addr = SocketAddr::new(ip, int(&input["store_host_port"]) as u16);
    let offset = int(&input["commit_log_offset"]);

    let id = offset_msg_id(addr, offset);
    assert_eq!(id, str_of(&expected["msg_id"]), "{name}");
    assert_eq!(id.len() as i64, int(&expected["msg_id_length"]), "{name}");
    let via_addr = str_of(&expected["create_message_id_socket_address_variant"]);
    assert_eq!(id, via_addr, "{name}");

    let want = &expected["decoded"];
    let want_ip: IpAddr = str_of(&want["ip"]).parse().expect("ip");
    for text in [id.clone(), id.to_lowercase()] {
        let decoded = decode_offset_msg_id(&text).expect("decode");
        assert_eq!(decoded.store_host.ip(), want_ip, "{name}");
        assert_eq!(
            ip_bytes(decoded.store_host.ip()),
            hex_field(&want["ip_bytes_hex"])
        );
        assert_eq!(
            i64::from(decoded.store_host.port()),
            int(&want["port"]),
            "{name}"
        );
        assert_eq!(decoded.commit_log_offset, int(&want["offset"]), "{name}");
    }
    assert_eq!(
        expected["decoded_from_lowercase_equal"].as_bool(),
        Some(true)
    );
}

fn check_unique_id(name: &str, input: &Value, expected: &Value) {
    let id = str_of(&input["uniq_id"]);
    let bytes = from_hex(id).expect("hex");
    assert_eq!(
        bytes.len() as i64,
        int(&expected["id_byte_length"]),
        "{name}"
    );

    let parts = decode_unique_id(id).expect("decode");
    let lower = decode_unique_id(&id.to_lowercase()).expect("lower-case id");
    assert_eq!(parts, lower, "{name}");
    let want = &expected["parts"];
    assert_eq!(
        ip_bytes(parts.ip),
        hex_field(&want["ip_bytes_hex"]),
        "{name}"
    );
    // Each part is named with its Java type; compare the same bits in that type.
    for (field, value) in want.as_object().expect("parts") {
        let ours = match field.rsplit_once('_').map_or("", |(stem, _)| stem) {
            "pid" => u64::from(parts.pid),
            "classloader_hash" => parts.classloader_hash as u32 as u64,
            "ms_since_month_start" => u64::from(parts.ms_since_month_start),
            "counter" => u64::from(parts.counter),
            "ip_bytes" => continue,
            other => panic!("{name}: unknown part {other}"),
        };
        common::assert_java_typed(field, value, ours);
    }
    let span = i64::from(parts.ms_since_month_start);

    let ip_text: IpAddr = str_of(&expected["getIPStrFromID"]).parse().expect("ip");
    assert_eq!(parts.ip, ip_text, "{name}");
    assert_eq!(
        ip_bytes(parts.ip),
        hex_field(&expected["getIPFromID_hex"]),
        "{name}"
    );
    assert_eq!(
        i64::from(parts.pid),
        int(&expected["getPidFromID"]),
        "{name}"
    );

    let now_ms = int(&expected["decode_now_ms"]);
    let nearly = int(&expected["getNearlyTimeFromID_ms"]);
    assert_eq!(parts.nearly_time_ms(now_ms), nearly, "{name}");
    let now = UNIX_EPOCH + Duration::from_millis(now_ms as u64);
    let at = UNIX_EPOCH + Duration::from_millis(nearly as u64);
    assert_eq!(parts.nearly_time(now), at, "{name}");

    // Ids Java generated: our generator, given the same prefix parts and time, agrees.
    if let Some(generated_at) = input["generated_at_ms_min"].as_i64() {
        let max = int(&input["generated_at_ms_max"]);
        assert!(
            (generated_at..=max).contains(&nearly),
            "{name}: time within bounds"
        );
        assert_eq!(
            i64::from(parts.pid),
            int(&input["pid_of_this_jvm"]),
            "{name}"
        );
        let jvm_hash = int(&input["classloader_hash_of_this_jvm"]);
        assert_eq!(i64::from(parts.classloader_hash), jvm_hash, "{name}");
        let month_start = int(&input["start_of_month_ms_of_this_jvm"]);
        assert_eq!(month_start + span, nearly, "{name}");

        let gen = UniqueIdGenerator::new(parts.ip, u32::from(parts.pid), jvm_hash as u32);
        assert_eq!(
            gen.prefix(),
            str_of(&input["fix_string_of_this_jvm"]),
            "{name}"
        );
        for _ in 0..parts.counter {
            gen.next_id_at(at);
        }
        assert_eq!(gen.next_id_at(at), id, "{name}: regenerated id");
    }
}

fn ip_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}
