//! Loads the golden vectors in `shared/protocol/vectors/` and makes sure none is skipped.
//!
//! The directory comes from `RMQ_VECTORS_DIR`, defaulting to `../shared/protocol/vectors`
//! relative to the workspace root. [`run_cases`] hands every case of a file to a handler; a case
//! the handler does not recognise (returns [`Outcome::Unknown`]) fails the run with its name.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// What a handler did with a case.
pub enum Outcome {
    /// The case was checked (its assertions passed, or the handler panicked).
    Checked,
    /// The handler does not understand this case kind.
    Unknown,
}

/// The vectors directory.
pub fn vectors_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("RMQ_VECTORS_DIR") {
        return PathBuf::from(dir);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.join("../shared/protocol/vectors")
}

/// Parses one vector file.
pub fn load(file: &str) -> Value {
    let path = vectors_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read vector file {}: {e} (set RMQ_VECTORS_DIR)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Runs `handler` over every case of `file`; panics listing the cases it did not understand,
/// and panics if the file has no cases at all.
pub fn run_cases(file: &str, mut handler: impl FnMut(&str, &Value) -> Outcome) {
    let doc = load(file);
    let cases = doc["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{file}: no `cases` array"));
    assert!(!cases.is_empty(), "{file}: empty `cases`");
    let mut unknown = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("<unnamed>");
        if let Outcome::Unknown = handler(name, case) {
            unknown.push(name.to_owned());
        }
    }
    assert!(
        unknown.is_empty(),
        "{file}: case kinds this harness does not understand: {unknown:?}"
    );
    eprintln!("{file}: {} cases checked", cases.len());
}

/// Decodes a `*_hex` field (JSON null = empty).
pub fn hex_field(v: &Value) -> Vec<u8> {
    match v.as_str() {
        Some(s) => hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}")),
        None => Vec::new(),
    }
}
