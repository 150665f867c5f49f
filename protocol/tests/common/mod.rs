//! Loads the golden vectors in `protocol/tests/vectors/` and makes sure none is skipped.
//!
//! The directory is an argument of every harness, so a test can point one at a modified copy
//! without touching the process environment; [`default_dir`] is `RMQ_VECTORS_DIR` when set,
//! else the folder inside this crate. [`check_file`] hands every case of a file to a handler and
//! collects what went wrong (a failed assertion, or a case whose fields the handler does not
//! understand) instead of stopping at the first one, so a test can assert that a run fails.
#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

/// What a handler did with a case.
pub enum Outcome {
    /// The case was checked (its assertions passed; a failed one panics and is caught).
    Checked,
    /// The case's fields fit no shape the handler knows; the names are the fields it saw.
    Unknown(Vec<String>),
}

/// The Java vectors' directory: `RMQ_VECTORS_DIR`, else [`own_dir`].
pub fn default_dir() -> PathBuf {
    match std::env::var_os("RMQ_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => own_dir(),
    }
}

/// `protocol/tests/vectors`: where the `rmq_*.json` vectors we wrote always come from, whatever
/// `RMQ_VECTORS_DIR` says.
pub fn own_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// Parses one vector file of `dir`.
pub fn load(dir: &Path, file: &str) -> Result<Value, String> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read vector file {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// The outcome for a case no shape fits: names every field of its `input` and `expected`.
pub fn unknown(case: &Value) -> Outcome {
    let mut fields = Vec::new();
    for part in ["input", "expected"] {
        if let Some(map) = case[part].as_object() {
            fields.extend(map.keys().map(|k| format!("{part}.{k}")));
        }
    }
    Outcome::Unknown(fields)
}

/// Runs `handler` over every case of `dir/file`, each under `catch_unwind` so one failed
/// assertion does not hide the others. Returns the number of cases, or one line per failed or
/// not-understood case (and an error if the file has no cases).
pub fn check_file(
    dir: &Path,
    file: &str,
    mut handler: impl FnMut(&str, &Value) -> Outcome,
) -> Result<usize, String> {
    let doc = load(dir, file)?;
    let cases = doc["cases"]
        .as_array()
        .ok_or_else(|| format!("{file}: no `cases` array"))?;
    if cases.is_empty() {
        return Err(format!("{file}: empty `cases`"));
    }
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("<unnamed>");
        match catch_unwind(AssertUnwindSafe(|| handler(name, case))) {
            Ok(Outcome::Checked) => {}
            Ok(Outcome::Unknown(fields)) => failures.push(format!(
                "{name}: no check for a case with fields {fields:?}"
            )),
            Err(panic) => failures.push(format!("{name}: {}", panic_text(&*panic))),
        }
    }
    if failures.is_empty() {
        Ok(cases.len())
    } else {
        Err(format!("{file}:\n  {}", failures.join("\n  ")))
    }
}

/// Runs a harness on `file` of the default directory (of [`own_dir`] for an `rmq_*.json`
/// file) and fails the test with its report.
pub fn expect_pass(file: &str, harness: fn(&Path, &str) -> Result<usize, String>) {
    let dir = if file.starts_with("rmq_") {
        own_dir()
    } else {
        default_dir()
    };
    match harness(&dir, file) {
        Ok(n) => eprintln!("{file}: {n} cases checked"),
        Err(report) => panic!("{report}"),
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        "panicked".to_owned()
    }
}

/// Decodes a `*_hex` field (JSON null = empty).
pub fn hex_field(v: &Value) -> Vec<u8> {
    match v.as_str() {
        Some(s) => hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}")),
        None => Vec::new(),
    }
}

/// Compares a field whose name ends in a Java type (`_i32`, `_u16`, `_i64`...) with the bits we
/// decoded: both are read as that type, so an `int` Java prints negative matches the same 32
/// bits we keep unsigned.
pub fn assert_java_typed(field: &str, want: &Value, ours_bits: u64) {
    let want = want
        .as_i64()
        .unwrap_or_else(|| panic!("{field}: not an integer: {want}"));
    let (ty, ours, theirs) = match field.rsplit('_').next().unwrap_or_default() {
        "i8" | "u8" => ("8 bits", ours_bits as u8 as i64, want as u8 as i64),
        "i16" | "u16" => ("16 bits", ours_bits as u16 as i64, want as u16 as i64),
        "i32" | "u32" => ("32 bits", ours_bits as u32 as i64, want as u32 as i64),
        "i64" | "u64" => ("64 bits", ours_bits as i64, want),
        other => panic!("{field}: no Java type suffix ({other})"),
    };
    let in_range = match field.rsplit('_').next().unwrap_or_default() {
        "i8" => i8::try_from(want).is_ok(),
        "u8" => u8::try_from(want).is_ok(),
        "i16" => i16::try_from(want).is_ok(),
        "u16" => u16::try_from(want).is_ok(),
        "i32" => i32::try_from(want).is_ok(),
        "u32" => u32::try_from(want).is_ok(),
        _ => true,
    };
    assert!(in_range, "{field}: {want} does not fit its Java type");
    assert_eq!(ours, theirs, "{field}: the same {ty}");
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates an empty directory named for this process and a counter.
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("rmq-vectors-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Renames every case of `doc` to `case_<i>` (and every string equal to an old name, such as
/// a `body_same_as` reference, with it) and appends `variants`.
pub fn rename_and_extend(doc: &mut Value, variants: Vec<Value>) {
    let cases = doc["cases"].as_array_mut().expect("`cases` array");
    let mut renames = Vec::new();
    for (i, case) in cases.iter_mut().enumerate() {
        let old = case["name"].as_str().unwrap_or_default().to_owned();
        let new = format!("case_{i}");
        case["name"] = Value::String(new.clone());
        renames.push((old, new));
    }
    for case in cases.iter_mut() {
        replace_strings(&mut case["input"], &renames);
    }
    cases.extend(variants);
}

fn replace_strings(v: &mut Value, renames: &[(String, String)]) {
    match v {
        Value::String(s) => {
            if let Some((_, new)) = renames.iter().find(|(old, _)| old == s) {
                *s = new.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| replace_strings(i, renames)),
        Value::Object(map) => map.values_mut().for_each(|i| replace_strings(i, renames)),
        _ => {}
    }
}

/// Flips the last hex digit of the string at `pointer` (a JSON pointer into `doc`).
pub fn corrupt_hex(doc: &mut Value, pointer: &str) {
    let field = doc
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no field at {pointer}"));
    let mut text = field
        .as_str()
        .unwrap_or_else(|| panic!("{pointer} is not a string"))
        .to_owned();
    let last = text.pop().unwrap_or_else(|| panic!("{pointer} is empty"));
    text.push(if last == '0' { '1' } else { '0' });
    *field = Value::String(text);
}

/// The "follow the case, not its name" proof for one file: its cases renamed and `variants`
/// added must pass `harness`; the same copy with the hex digit at `corrupt` changed must fail.
pub fn assert_renamed_and_extended(
    file: &str,
    variants: Vec<Value>,
    corrupt: &str,
    harness: fn(&Path, &str) -> Result<usize, String>,
) {
    let mut doc = load(&default_dir(), file).unwrap_or_else(|e| panic!("{e}"));
    let original = doc["cases"].as_array().map_or(0, Vec::len);
    let added = variants.len();
    rename_and_extend(&mut doc, variants);
    let tmp = TempDir::new("renamed");
    let write = |doc: &Value| {
        let text = serde_json::to_string_pretty(doc).expect("serialize");
        std::fs::write(tmp.path().join(file), text).expect("write vector copy");
    };
    write(&doc);
    match harness(tmp.path(), file) {
        Ok(n) => assert_eq!(n, original + added, "{file}: every case ran"),
        Err(report) => panic!("renamed and extended copy failed:\n{report}"),
    }
    corrupt_hex(&mut doc, corrupt);
    write(&doc);
    let report = harness(tmp.path(), file).expect_err("a corrupted expected byte must fail");
    assert!(report.contains("case_"), "{report}");

    // A case of no known shape fails the run, naming its fields.
    let cases = doc["cases"].as_array_mut().expect("`cases` array");
    cases.push(serde_json::json!({
        "name": "mystery",
        "input": {"mystery_field": 1},
        "expected": {"riddle_hex": "00"}
    }));
    write(&doc);
    let report = harness(tmp.path(), file).expect_err("an unknown shape must fail");
    assert!(
        report.contains("input.mystery_field") && report.contains("expected.riddle_hex"),
        "{report}"
    );
}
