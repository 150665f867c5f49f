//! Every file in the vectors directory must be covered by a vector test in this crate: a new
//! file fails here with its name instead of being silently ignored.

mod common;

/// Vector files and the test file that runs them.
const COVERED: &[(&str, &str)] = &[
    ("acl_signature.json", "vectors_acl.rs"),
    ("compression.json", "vectors_compression.rs"),
    ("json_bodies.json", "vectors_json_bodies.rs"),
    ("live_frames.json", "vectors_live_frames.rs"),
    ("message_encoding.json", "vectors_message_encoding.rs"),
    ("message_ids.json", "vectors_message_ids.rs"),
    ("misc.json", "vectors_misc.rs"),
    ("remoting_frames.json", "vectors_remoting_frames.rs"),
    ("rmq_compression.json", "vectors_compression.rs"),
    ("rmq_json_bodies.json", "vectors_json_bodies.rs"),
    ("rmq_message_encoding.json", "vectors_message_encoding.rs"),
    ("rmq_message_ids.json", "vectors_message_ids.rs"),
    ("rmq_remoting_frames.json", "vectors_remoting_frames.rs"),
];

#[test]
fn every_vector_file_has_a_test() {
    let dir = common::default_dir();
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut uncovered = Vec::new();
    for entry in entries {
        let name = entry
            .expect("dir entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".json") && !COVERED.iter().any(|(f, _)| *f == name) {
            uncovered.push(name);
        }
    }
    assert!(
        uncovered.is_empty(),
        "vector files without a test: {uncovered:?}"
    );
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    for (file, test) in COVERED {
        assert!(
            tests.join(test).exists(),
            "{file} should be run by tests/{test}"
        );
    }
}
