//! Reading what Java's fastjson writes: a pre-pass that turns fastjson's non-standard map keys
//! into JSON strings, then serde_json.
//!
//! fastjson writes `Map<Long, _>` keys bare (`{0:"a"}`) and `Map<MessageQueue, _>` keys as
//! objects (`{{"brokerName":"b","queueId":0,"topic":"t"}:42}`). The pre-pass quotes a bare key
//! (`{"0":"a"}`) and replaces an object key by its compact JSON text as a string
//! (`{"{\"brokerName\":\"b\",...}":42}`), only in key position and outside strings. It does not
//! validate the rest of the document: serde_json does that afterwards.

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// How deeply object keys may nest inside object keys before the input is refused.
const MAX_KEY_NESTING: usize = 32;

/// Parses a body written by Java's fastjson (or standard JSON) into `T`.
///
/// Standard JSON takes the fast path: it is handed to serde_json as is. Only input serde_json
/// rejects as syntactically invalid is rewritten and parsed again.
///
/// # Errors
/// [`Error::Json`] when the input is malformed or does not match `T`; [`Error::Invalid`] when it
/// contains a fastjson `$ref` (a back-reference this reader cannot resolve).
pub fn from_fastjson<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if may_contain_ref(bytes) {
        // Rewriting detects `$ref` keys precisely, outside of string values.
        let standard = to_standard_json(bytes)?;
        return serde_json::from_slice(&standard).map_err(|e| Error::json("fastjson body", e));
    }
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(e) if e.classify() == serde_json::error::Category::Syntax => {
            let standard = to_standard_json(bytes)?;
            serde_json::from_slice(&standard).map_err(|e| Error::json("fastjson body", e))
        }
        Err(e) => Err(Error::json("JSON body", e)),
    }
}

/// Rewrites fastjson output into standard JSON: bare keys are quoted, object and array keys
/// become strings holding their compact JSON text. Standard JSON comes back unchanged.
///
/// # Errors
/// [`Error::Invalid`] for an unterminated string or container, unbalanced brackets, a key that is
/// neither a string, a bare token nor an object, or a `$ref` key.
pub fn to_standard_json(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 8);
    rewrite(bytes, &mut out, 0, Direction::ToStandard)?;
    Ok(out)
}

/// The reverse for queue-keyed maps: in standard JSON, every key that is a string holding a
/// `MessageQueue` object (exactly `brokerName`, `queueId`, `topic`) is written as that raw object,
/// the form every fastjson version parses (1.2.48 rejects the string form). Other keys are kept.
///
/// # Errors
/// As [`to_standard_json`], for malformed input.
pub fn to_fastjson_queue_keys(standard: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(standard.len());
    rewrite(standard, &mut out, 0, Direction::ToFastjson)?;
    Ok(out)
}

/// Which way [`rewrite`] converts keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// fastjson keys to strings.
    ToStandard,
    /// String-held queue objects back to raw object keys.
    ToFastjson,
}

/// Cheap pre-check: could the input contain a `$ref` key at all?
fn may_contain_ref(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| w == b"$ref")
}

/// The kind of container the scanner is inside.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    Object,
    Array,
}

/// Copies `input` to `out`, rewriting keys; `depth` counts object keys nested in object keys.
fn rewrite(input: &[u8], out: &mut Vec<u8>, depth: usize, direction: Direction) -> Result<()> {
    let mut stack: Vec<Container> = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b.is_ascii_whitespace() {
            out.push(b);
            i += 1;
            continue;
        }
        if expect_key {
            expect_key = false;
            i = rewrite_key(input, i, out, depth, direction)?;
            continue;
        }
        match b {
            b'"' => {
                let end = string_end(input, i)?;
                out.extend_from_slice(&input[i..end]);
                i = end;
                continue;
            }
            b'{' => {
                stack.push(Container::Object);
                expect_key = true;
            }
            b'[' => stack.push(Container::Array),
            b'}' | b']' => {
                let want = if b == b'}' {
                    Container::Object
                } else {
                    Container::Array
                };
                if stack.pop() != Some(want) {
                    return Err(Error::invalid(format_args!(
                        "fastjson: unbalanced `{}` at byte {i}",
                        b as char
                    )));
                }
            }
            b',' => expect_key = stack.last() == Some(&Container::Object),
            _ => {}
        }
        out.push(b);
        i += 1;
    }
    if !stack.is_empty() {
        return Err(Error::invalid("fastjson: unterminated object or array"));
    }
    Ok(())
}

/// Rewrites the key starting at `input[start]` (not whitespace) and returns where it ends.
fn rewrite_key(
    input: &[u8],
    start: usize,
    out: &mut Vec<u8>,
    depth: usize,
    direction: Direction,
) -> Result<usize> {
    match input[start] {
        // An empty object: `{}` (or a trailing comma, which serde_json will reject).
        // The caller's loop handles the closing brace itself.
        b'}' => Ok(start),
        b'"' => {
            let end = string_end(input, start)?;
            if &input[start..end] == b"\"$ref\"" {
                return Err(Error::invalid(
                    "fastjson: `$ref` back-references are not supported",
                ));
            }
            let key = &input[start..end];
            match queue_object_in(key).filter(|_| direction == Direction::ToFastjson) {
                Some(object) => out.extend_from_slice(object.as_bytes()),
                None => out.extend_from_slice(key),
            }
            Ok(end)
        }
        b'{' | b'[' => {
            if depth >= MAX_KEY_NESTING {
                return Err(Error::invalid("fastjson: object keys nested too deeply"));
            }
            let end = container_end(input, start)?;
            let mut inner = Vec::with_capacity(end - start);
            rewrite(&input[start..end], &mut inner, depth + 1, direction)?;
            let compact = compact(&inner);
            let text =
                std::str::from_utf8(&compact).map_err(|_| Error::Utf8("fastjson object key"))?;
            let quoted = serde_json::to_string(text).map_err(|e| Error::json("object key", e))?;
            out.extend_from_slice(quoted.as_bytes());
            Ok(end)
        }
        b if is_bare_key_byte(b) => {
            let end = input[start..]
                .iter()
                .position(|&c| !is_bare_key_byte(c))
                .map_or(input.len(), |n| start + n);
            out.push(b'"');
            out.extend_from_slice(&input[start..end]);
            out.push(b'"');
            Ok(end)
        }
        other => Err(Error::invalid(format_args!(
            "fastjson: unexpected {:?} in key position at byte {start}",
            other as char
        ))),
    }
}

/// If the JSON string `key` holds a `MessageQueue` object, that object's text.
fn queue_object_in(key: &[u8]) -> Option<String> {
    if !key.starts_with(b"\"{") {
        return None;
    }
    let text: String = serde_json::from_slice(key).ok()?;
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).ok()?;
    let is_queue = object.len() == 3
        && ["brokerName", "queueId", "topic"]
            .iter()
            .all(|k| object.contains_key(*k));
    is_queue.then_some(text)
}

/// Bytes of a bare (unquoted) key: numbers and identifiers.
fn is_bare_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.' | b'_' | b'$')
}

/// Index just past the string starting at `input[start] == '"'`, honouring escapes.
fn string_end(input: &[u8], start: usize) -> Result<usize> {
    let mut i = start + 1;
    while i < input.len() {
        match input[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(Error::invalid("fastjson: unterminated string"))
}

/// Index just past the object or array starting at `input[start]`, skipping strings.
fn container_end(input: &[u8], start: usize) -> Result<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < input.len() {
        match input[i] {
            b'"' => {
                i = string_end(input, i)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err(Error::invalid("fastjson: unterminated object key"))
}

/// `json` without whitespace outside strings.
fn compact(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    let mut i = 0;
    while i < json.len() {
        let b = json[i];
        if b == b'"' {
            // The input was already scanned, so strings are terminated; fall back to copying
            // the rest if not.
            let end = string_end(json, i).unwrap_or(json.len());
            out.extend_from_slice(&json[i..end]);
            i = end;
            continue;
        }
        if !b.is_ascii_whitespace() {
            out.push(b);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests;
