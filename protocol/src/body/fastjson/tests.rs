//! Tests of the fastjson pre-pass.

use serde_json::Value;

use super::*;

fn rewritten(input: &str) -> String {
    String::from_utf8(to_standard_json(input.as_bytes()).expect("rewrite")).expect("utf8")
}

#[test]
fn bare_numeric_keys_are_quoted() {
    assert_eq!(
        rewritten(r#"{0:"a",1:"b",-3:"c"}"#),
        r#"{"0":"a","1":"b","-3":"c"}"#
    );
}

#[test]
fn standard_json_comes_back_unchanged() {
    let text = r#"{"a":[1,{"b":"c"}],"d":{"0":"x"},"e":"{1:2}"}"#;
    assert_eq!(rewritten(text), text);
}

#[test]
fn object_keys_become_strings_holding_compact_json() {
    let out = rewritten(r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:42}}"#);
    assert_eq!(
        out,
        r#"{"offsetTable":{"{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"t\"}":42}}"#
    );
}

#[test]
fn object_key_whitespace_is_removed_but_string_content_kept() {
    let out = rewritten(r#"{ { "topic" : "a b" , "queueId" : 1 } : 1 }"#);
    let v: Value = serde_json::from_str(&out).expect("standard");
    let key = v
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .expect("key");
    assert_eq!(key, r#"{"topic":"a b","queueId":1}"#);
}

#[test]
fn strings_containing_braces_colons_and_commas_are_left_alone() {
    let text = r#"{"k":"{0:1},{\"x\":2}:,","n":{5:"a:b,{c}"}}"#;
    assert_eq!(
        rewritten(text),
        r#"{"k":"{0:1},{\"x\":2}:,","n":{"5":"a:b,{c}"}}"#
    );
}

#[test]
fn escaped_quotes_and_backslashes_inside_strings_do_not_end_them() {
    let text = r#"{"a\"b":"c\\",7:"\"{8:9}\""}"#;
    assert_eq!(rewritten(text), r#"{"a\"b":"c\\","7":"\"{8:9}\""}"#);
}

#[test]
fn unicode_passes_through_raw_and_escaped() {
    let text = "{0:\"集群-ü\",1:\"\\u96C6\"}";
    let v: Value = serde_json::from_str(&rewritten(text)).expect("parse");
    assert_eq!(v["0"], "集群-ü");
    assert_eq!(v["1"], "集");
}

#[test]
fn nested_object_keys_inside_arrays_and_objects_are_rewritten() {
    let text = r#"[{"m":{{"a":{1:2}}:[{3:4}]}}]"#;
    let v: Value = serde_json::from_str(&rewritten(text)).expect("parse");
    let inner = &v[0]["m"][r#"{"a":{"1":2}}"#];
    assert_eq!(inner[0]["3"], 4);
}

#[test]
fn empty_containers_are_fine() {
    assert_eq!(
        rewritten(r#"{"a":{},"b":[],"c":[{}]}"#),
        r#"{"a":{},"b":[],"c":[{}]}"#
    );
}

#[test]
fn malformed_inputs_are_errors_not_panics() {
    for bad in [
        "{",
        "{\"a\":\"unterminated",
        "{\"a\":1}}",
        "]",
        "{{\"a\":1",
        "{:1}",
        "{\"a\":\"\\",
        "[{]",
        "{0:{1:[}",
    ] {
        let parsed: Result<Value> = from_fastjson(bad.as_bytes());
        assert!(parsed.is_err(), "{bad:?} should fail");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let alphabet = b"{}[]\":,0a\\ $ref";
    let mut seed = 0x2545_f491_u32;
    for _ in 0..5_000 {
        let len = (seed % 24) as usize;
        let mut input = Vec::with_capacity(len);
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            input.push(alphabet[(seed as usize) % alphabet.len()]);
        }
        let _ = to_standard_json(&input);
        let _: Result<Value> = from_fastjson(&input);
    }
}

#[test]
fn deeply_nested_object_keys_are_refused() {
    let mut text = String::new();
    for _ in 0..(MAX_KEY_NESTING + 2) {
        text.push('{');
    }
    text.push_str("\"a\":1");
    let parsed: Result<Value> = from_fastjson(text.as_bytes());
    assert!(parsed.is_err());
}

#[test]
fn ref_keys_fail_loudly() {
    let parsed: Result<Value> = from_fastjson(br#"{"a":{"x":1},"b":{"$ref":"$.a"}}"#);
    let err = parsed.expect_err("$ref must fail");
    assert!(err.to_string().contains("$ref"), "{err}");
}

#[test]
fn ref_text_inside_a_string_value_is_fine() {
    let v: Value = from_fastjson(br#"{"a":"{\"$ref\":1}","b":"$ref"}"#).expect("parse");
    assert_eq!(v["b"], "$ref");
}

#[test]
fn type_errors_in_standard_json_are_reported_without_rewriting() {
    let parsed: Result<Vec<i32>> = from_fastjson(br#"{"a":1}"#);
    assert!(matches!(parsed, Err(Error::Json { .. })));
}
