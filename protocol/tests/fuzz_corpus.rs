//! Replays every file of the fuzz corpora (`fuzz/corpus/<target>/`) and of any saved crash
//! reproductions (`fuzz/regressions/<target>/`) through the decoders its fuzz target calls, on
//! stable and without libFuzzer.
//!
//! A corpus holds invalid inputs by design (libFuzzer keeps whatever reaches new code), so an
//! input may decode or be refused; what every input must do is end in `Ok` or in a typed error
//! that names its cause, without a panic, within the limits the target sets, and be no larger
//! than libFuzzer's input cap. Keep the `replay_*` functions in step with
//! `fuzz/fuzz_targets/*.rs`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use rmq_protocol::body::{
    from_fastjson, to_standard_json, ClusterInfo, ConsumeStats, ResetOffsetBody, TopicRouteData,
};
use rmq_protocol::frame::decode_frame;
use rmq_protocol::message::{decode_stored, DecodeOptions, StoredMessages};

/// Largest input a saved corpus may hold (cargo fuzz's default `-max_len` is 4 KiB; seeds
/// taken from real frames are larger, none near this).
const MAX_INPUT: usize = 64 << 10;

/// The decompression limit the pull-body target sets.
const MAX_BODY: usize = 1 << 20;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Checks that an error names its cause.
fn refused(what: &str, e: &rmq_protocol::Error) -> Result<(), String> {
    if e.to_string().trim().is_empty() {
        return Err(format!("{what}: an error with an empty message ({e:?})"));
    }
    Ok(())
}

/// Same decoding as `fuzz_targets/frame.rs`.
fn replay_frame(data: &[u8]) -> Result<(), String> {
    let mut buf = BytesMut::from(data);
    let max = if data.first().is_some_and(|b| b & 1 == 1) {
        1 << 10
    } else {
        16 << 20
    };
    loop {
        match decode_frame(&mut buf, max) {
            Ok(Some(cmd)) => {
                if cmd.body.len() > max {
                    return Err(format!(
                        "a {} B body past the {max} B limit",
                        cmd.body.len()
                    ));
                }
                let mut out = BytesMut::new();
                if let Err(e) = cmd.encode(&mut out) {
                    refused("re-encode", &e)?;
                }
            }
            Ok(None) => return Ok(()),
            Err(e) => return refused("decode_frame", &e),
        }
    }
}

/// Same decoding as `fuzz_targets/pull_body.rs`.
fn replay_pull_body(data: &[u8]) -> Result<(), String> {
    let body = Bytes::copy_from_slice(data);
    let options = DecodeOptions::new()
        .with_decompress(true)
        .with_max_body_len(MAX_BODY);
    match decode_stored(body.clone(), options) {
        Ok(msgs) => {
            if let Some(big) = msgs.iter().find(|m| m.body.len() > MAX_BODY) {
                return Err(format!("a {} B body past the limit", big.body.len()));
            }
        }
        Err(e) => refused("decode_stored", &e)?,
    }
    for record in StoredMessages::new(body, DecodeOptions::new().with_body(false)) {
        if let Err(e) = record {
            refused("StoredMessages", &e)?;
        }
    }
    Ok(())
}

/// Same decoding as `fuzz_targets/json_body.rs`.
fn replay_json_body(data: &[u8]) -> Result<(), String> {
    if let Err(e) = to_standard_json(data) {
        refused("to_standard_json", &e)?;
    }
    let results = [
        from_fastjson::<serde_json::Value>(data).err(),
        from_fastjson::<TopicRouteData>(data).err(),
        from_fastjson::<ClusterInfo>(data).err(),
        from_fastjson::<ResetOffsetBody>(data).err(),
        from_fastjson::<ConsumeStats>(data).err(),
    ];
    for e in results.iter().flatten() {
        refused("from_fastjson", e)?;
    }
    Ok(())
}

fn replay(target: &str, data: &[u8]) -> Result<(), String> {
    match target {
        "frame" => replay_frame(data),
        "pull_body" => replay_pull_body(data),
        "json_body" => replay_json_body(data),
        _ => Err(format!("no fuzz target `{target}`; add it to this test")),
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

/// Replays `files`, returning one line per input that panicked, broke a limit, or gave an
/// error without a cause.
fn replay_all(files: &[(String, PathBuf)]) -> Vec<String> {
    let mut failures = Vec::new();
    for (target, path) in files {
        let data = std::fs::read(path).expect("readable corpus file");
        let verdict = if data.len() > MAX_INPUT {
            Err(format!(
                "{} B input, over the {MAX_INPUT} B cap",
                data.len()
            ))
        } else {
            catch_unwind(AssertUnwindSafe(|| replay(target, &data)))
                .unwrap_or_else(|_| Err("panicked".to_owned()))
        };
        if let Err(why) = verdict {
            failures.push(format!("{}: {why}", path.display()));
        }
    }
    failures
}

#[test]
fn every_corpus_input_decodes_or_is_refused_without_panicking() {
    let corpus = inputs("corpus");
    for target in ["frame", "pull_body", "json_body"] {
        assert!(
            corpus.iter().any(|(t, _)| t == target),
            "fuzz/corpus/{target} has no seeds"
        );
    }
    let regressions = inputs("regressions");
    let mut failures = replay_all(&corpus);
    failures.extend(replay_all(&regressions));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "replayed {} corpus and {} regression inputs",
        corpus.len(),
        regressions.len()
    );
}

#[test]
fn the_replay_reports_an_input_it_cannot_place() {
    // A file under an unknown target is a failure naming it, not a silent skip.
    let failures = replay_all(&[("no_such_target".to_owned(), fuzz_dir().join("Cargo.toml"))]);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("no fuzz target `no_such_target`"));
}

#[test]
fn a_broken_json_header_is_refused_with_a_cause() {
    // The kind of input a fuzz run keeps: a frame whose JSON header is cut short.
    let header = br#"{"code":105,"extFie"#;
    let mut frame = Vec::new();
    frame.extend_from_slice(&(4 + header.len() as u32).to_be_bytes());
    frame.extend_from_slice(&(header.len() as u32).to_be_bytes());
    frame.extend_from_slice(header);
    assert_eq!(replay_frame(&frame), Ok(()));
    let mut buf = BytesMut::from(frame.as_slice());
    assert!(decode_frame(&mut buf, 16 << 20).is_err());
}
