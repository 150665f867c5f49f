//! Replays every file of the fuzz corpora (`fuzz/corpus/<target>/`) and of any saved crash
//! reproductions (`fuzz/regressions/<target>/`) through the decoders its fuzz target calls, on
//! stable and without libFuzzer: errors are fine, panics are not.
//!
//! Keep the `replay_*` functions in step with `fuzz/fuzz_targets/*.rs`.

use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use rmq_protocol::body::{
    from_fastjson, to_standard_json, ClusterInfo, ConsumeStats, ResetOffsetBody, TopicRouteData,
};
use rmq_protocol::frame::decode_frame;
use rmq_protocol::message::{decode_stored, DecodeOptions, StoredMessages};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Same as `fuzz_targets/frame.rs`.
fn replay_frame(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    let max = if data.first().is_some_and(|b| b & 1 == 1) {
        1 << 10
    } else {
        16 << 20
    };
    while let Ok(Some(cmd)) = decode_frame(&mut buf, max) {
        let mut out = BytesMut::new();
        let _ = cmd.encode(&mut out);
    }
}

/// Same as `fuzz_targets/pull_body.rs`.
fn replay_pull_body(data: &[u8]) {
    let body = Bytes::copy_from_slice(data);
    let options = DecodeOptions::new()
        .with_decompress(true)
        .with_max_body_len(1 << 20);
    let _ = decode_stored(body.clone(), options);
    for record in StoredMessages::new(body, DecodeOptions::new().with_body(false)) {
        let _ = record;
    }
}

/// Same as `fuzz_targets/json_body.rs`.
fn replay_json_body(data: &[u8]) {
    let _ = to_standard_json(data);
    let _ = from_fastjson::<serde_json::Value>(data);
    let _ = from_fastjson::<TopicRouteData>(data);
    let _ = from_fastjson::<ClusterInfo>(data);
    let _ = from_fastjson::<ResetOffsetBody>(data);
    let _ = from_fastjson::<ConsumeStats>(data);
}

fn replay(kind: &str, target: &str, data: &[u8]) {
    match target {
        "frame" => replay_frame(data),
        "pull_body" => replay_pull_body(data),
        "json_body" => replay_json_body(data),
        _ => panic!("{kind}/{target}: no fuzz target of that name; add it to this test"),
    }
}

/// Every `(target, file)` under `fuzz/<kind>/`; a missing `kind` directory is empty.
fn inputs(kind: &str) -> Vec<(String, PathBuf)> {
    let root = fuzz_dir().join(kind);
    let Ok(targets) = std::fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for target in targets {
        let target = target.expect("corpus dir entry").path();
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 target name")
            .to_owned();
        for file in std::fs::read_dir(&target).expect("target dir") {
            found.push((name.clone(), file.expect("corpus file").path()));
        }
    }
    found.sort();
    found
}

#[test]
fn fuzz_corpora_replay_without_panicking() {
    let corpus = inputs("corpus");
    for target in ["frame", "pull_body", "json_body"] {
        assert!(
            corpus.iter().any(|(t, _)| t == target),
            "fuzz/corpus/{target} has no seeds"
        );
    }
    let regressions = inputs("regressions");
    for (kind, files) in [("corpus", &corpus), ("regressions", &regressions)] {
        for (target, path) in files {
            let data = std::fs::read(path).expect("readable corpus file");
            replay(kind, target, &data);
        }
    }
    eprintln!(
        "replayed {} corpus and {} regression inputs",
        corpus.len(),
        regressions.len()
    );
}

#[test]
fn corpus_frames_decode_to_commands() {
    // The seeds are real frames: they must still decode, or the corpus has gone stale.
    for (target, path) in inputs("corpus") {
        if target != "frame" {
            continue;
        }
        let data = std::fs::read(&path).expect("readable corpus file");
        let mut buf = BytesMut::from(data.as_slice());
        let first = decode_frame(&mut buf, 16 << 20);
        assert!(
            matches!(first, Ok(Some(_))),
            "{}: {first:?}",
            path.display()
        );
    }
}
