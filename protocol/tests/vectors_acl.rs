//! `acl_signature.json`: the signed fields, signed content and `Signature` of Java's
//! `AclClientRPCHook`, and the frame after the hook byte-exact (ext fields in the order the
//! Java frame carries them).

mod common;

use std::path::Path;

use bytes::{Bytes, BytesMut};
use common::{hex_field, unknown, Outcome};
use rmq_protocol::acl::{self, Credentials};
use rmq_protocol::frame::{decode_frame, DEFAULT_MAX_FRAME};
use rmq_protocol::{Command, ExtFields, LanguageCode, RequestCode};
use serde_json::{json, Value};

#[test]
fn acl_vectors_sign_like_java() {
    common::expect_pass("acl_signature.json", run);
}

#[test]
fn renamed_and_extended_acl_cases_follow_their_fields() {
    let variant = json!({
        "name": "v_signature",
        "input": {"data_hex": hex::encode("other data"), "data_text": "other data",
                  "secret_key": "another-secret"},
        // Base64 of HmacSHA1("other data") under "another-secret", computed outside Rust.
        "expected": {"signature": "5COLit9RGZf8iHR8ob0d2fYrJ9w="}
    });
    common::assert_renamed_and_extended(
        "acl_signature.json",
        vec![variant],
        "/cases/0/expected/frame_after_hook_hex",
        run,
    );
}

/// Runs every case of `file` in `dir`: a `data_hex` to sign alone, or a request the hook signs
/// (`ext_fields_before_hook`).
fn run(dir: &Path, file: &str) -> Result<usize, String> {
    common::check_file(dir, file, |name, case| {
        let (input, expected) = (&case["input"], &case["expected"]);
        if input.get("data_hex").is_some() && expected.get("signature").is_some() {
            let data = hex_field(&input["data_hex"]);
            if let Some(text) = input["data_text"].as_str() {
                assert_eq!(data, text.as_bytes(), "{name}: data_text");
            }
            let secret = input["secret_key"].as_str().unwrap_or_default();
            let signature = acl::calculate_signature(&data, secret);
            assert_eq!(
                Some(signature.as_str()),
                expected["signature"].as_str(),
                "{name}"
            );
            return Outcome::Checked;
        }
        if input.get("ext_fields_before_hook").is_none() {
            return unknown(case);
        }
        check_hook(name, input, expected);
        Outcome::Checked
    })
}

fn str_map(v: &Value) -> Vec<(String, String)> {
    let map = v.as_object().expect("a map of strings");
    map.iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_owned()))
        .collect()
}

fn sorted(ext: &ExtFields) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = ext
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    pairs.sort();
    pairs
}

fn check_hook(name: &str, input: &Value, expected: &Value) {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let access = text(&input["access_key"]).expect("access_key");
    let secret = text(&input["secret_key"]).expect("secret_key");
    let mut creds = Credentials::new(access, secret);
    if let Some(token) = text(&input["security_token"]) {
        creds = creds.with_security_token(token);
    }
    let code = input["code"].as_i64().and_then(|c| i32::try_from(c).ok());
    let mut cmd = Command::request(RequestCode(code.expect("code")));
    cmd.ext_fields = str_map(&input["ext_fields_before_hook"])
        .into_iter()
        .collect();
    cmd.body = Bytes::from(hex_field(&input["body_hex"]));
    if let Some(body) = input["body_text"].as_str() {
        assert_eq!(cmd.body.as_ref(), body.as_bytes(), "{name}: body_text");
    }

    // What is signed, before signing.
    let mut unsigned = cmd.clone();
    unsigned
        .ext_fields
        .insert(acl::ACCESS_KEY, creds.access_key());
    if let Some(token) = creds.security_token() {
        unsigned.ext_fields.insert(acl::SECURITY_TOKEN, token);
    }
    let fields: Vec<(String, String)> = acl::signed_fields(&unsigned.ext_fields)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let want: Vec<(String, String)> = expected["signed_fields_sorted"]
        .as_array()
        .expect("signed_fields_sorted")
        .iter()
        .map(|p| (text(&p[0]).expect("key"), text(&p[1]).expect("value")))
        .collect();
    assert_eq!(fields, want, "{name}: signed fields and their order");
    let content = acl::signed_content(&unsigned.ext_fields, &unsigned.body);
    assert_eq!(
        hex::encode(&content),
        text(&expected["signed_content_hex"]).expect("hex")
    );
    let signed_string = text(&expected["signed_string"]).expect("signed_string");
    assert!(
        content.starts_with(signed_string.as_bytes()),
        "{name}: signed_string"
    );

    acl::sign(&mut cmd, &creds);
    let signature = cmd.ext_fields.get(acl::SIGNATURE).map(str::to_owned);
    assert_eq!(signature, text(&expected["signature"]), "{name}: signature");
    let mut after = str_map(&expected["ext_fields_after_hook"]);
    after.sort();
    assert_eq!(
        sorted(&cmd.ext_fields),
        after,
        "{name}: ext fields after the hook"
    );
    for (k, v) in str_map(&expected["ext_fields_added"]) {
        assert_eq!(
            cmd.ext_fields.get(&k),
            Some(v.as_str()),
            "{name}: added {k}"
        );
    }

    // The frame Java wrote after the hook: same content; our encoder, fed the fields in the
    // frame's order, writes the same bytes.
    let frame = hex_field(&expected["frame_after_hook_hex"]);
    let mut buf = BytesMut::from(frame.as_slice());
    let java = decode_frame(&mut buf, DEFAULT_MAX_FRAME)
        .expect("frame decodes")
        .expect("whole frame");
    assert_eq!(
        sorted(&java.ext_fields),
        sorted(&cmd.ext_fields),
        "{name}: frame fields"
    );
    assert_eq!(
        (java.code, &java.body),
        (cmd.code, &cmd.body),
        "{name}: frame"
    );
    cmd.language = LanguageCode::JAVA;
    cmd.opaque = java.opaque;
    cmd.flag = java.flag;
    let order: Vec<&str> = java.ext_fields.iter().map(|(k, _)| k).collect();
    cmd.ext_fields = order
        .iter()
        .map(|k| (*k, cmd.ext_fields.get(k).unwrap_or_default()))
        .collect();
    let mut out = BytesMut::new();
    cmd.encode(&mut out).expect("encode");
    assert_eq!(
        hex::encode(&out),
        hex::encode(&frame),
        "{name}: frame after hook"
    );
}
